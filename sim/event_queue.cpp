#include "sim/event_queue.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace eachare::sim {
namespace {

// std::push_heap builds a max-heap; "greater" puts the earliest (time, seq) on top.
struct later {
  template <class E>
  bool operator()(const E& x, const E& y) const {
    if (x.time_ns != y.time_ns) return x.time_ns > y.time_ns;
    return x.key > y.key;
  }
};

constexpr std::uint32_t slot_of(event_id id) {
  return static_cast<std::uint32_t>(id >> 32);
}
constexpr std::uint32_t gen_of(event_id id) {
  return static_cast<std::uint32_t>(id);
}

}  // namespace

event_queue::event_queue() {
  heap_.reserve(1024);
}

// A 4-ary min-heap: half the depth of a binary heap, and the four children of a node share two
// cache lines, which matters when a big run keeps a million events pending.
void event_queue::push(entry e) {
  std::size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!later{}(heap_[parent], e)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

event_queue::entry event_queue::pop_heap_top() {
  const entry top = heap_.front();
  const entry last = heap_.back();
  heap_.pop_back();
  const std::size_t n = heap_.size();
  if (n == 0) return top;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = first + 4 < n ? first + 4 : n;
    for (std::size_t c = first + 1; c < end; ++c) {
      if (later{}(heap_[best], heap_[c])) best = c;
    }
    if (!later{}(last, heap_[best])) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = last;
  return top;
}

event_queue::entry event_queue::make(duration t, std::uint8_t handler, owner_id owner,
                                     std::uint32_t owner_gen, std::uint32_t a, std::uint32_t b) {
  if (t < now_) t = now_;
  return entry{t.count(), (next_seq_++ << 8) | handler, owner, owner_gen, a, b};
}

int event_queue::next_source() const {
  int best = heap_.empty() ? none_source : heap_source;
  const entry* b = heap_.empty() ? nullptr : &heap_.front();
  for (std::size_t i = 0; i < lanes_.size(); ++i) {
    const auto& q = lanes_[i].events;
    if (q.empty()) continue;
    if (b == nullptr || later{}(*b, q.front())) {
      b = &q.front();
      best = static_cast<int>(i);
    }
  }
  return best;
}

event_queue::entry event_queue::pop() {
  return pop_from(next_source());
}

event_queue::entry event_queue::pop_from(int src) {
  if (src == heap_source) return pop_heap_top();
  auto& q = lanes_[static_cast<std::size_t>(src)].events;
  entry e = q.front();
  q.pop_front();
  --in_lanes_;
  return e;
}

event_id event_queue::schedule_at(duration t, std::function<void()> fn, owner_id owner) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slot& s = slots_[index];
  s.fn = std::move(fn);
  s.armed = true;
  if (owner != no_owner) ensure_owner(owner);
  push(make(t, callback_handler, owner, owner == no_owner ? 0 : owners_[owner].gen, index, s.gen));
  return (static_cast<event_id>(index) << 32) | s.gen;
}

void event_queue::free_slot(std::uint32_t index) {
  slot& s = slots_[index];
  s.fn = nullptr;
  s.armed = false;
  ++s.gen;
  if (s.gen == 0) s.gen = 1;  // keep 0 invalid
  free_slots_.push_back(index);
}

void event_queue::cancel(event_id id) {
  const std::uint32_t index = slot_of(id);
  if (index >= slots_.size()) return;
  slot& s = slots_[index];
  if (!s.armed || s.gen != gen_of(id)) return;
  // The heap entry stays and is skipped when popped (its slot generation no longer matches).
  free_slot(index);
}

std::uint8_t event_queue::register_handler(event_handler& h) {
  assert(handlers_.size() < callback_handler);
  handlers_.push_back(&h);
  return static_cast<std::uint8_t>(handlers_.size() - 1);
}

void event_queue::post_at(duration t, std::uint8_t handler, std::uint32_t a, std::uint32_t b,
                          owner_id owner) {
  assert(handler < handlers_.size());
  if (owner != no_owner) ensure_owner(owner);
  push(make(t, handler, owner, owner == no_owner ? 0 : owners_[owner].gen, a, b));
}

void event_queue::post_for(duration t, std::uint8_t handler, std::uint32_t a, std::uint32_t b,
                           owner_id owner, std::uint32_t owner_generation) {
  assert(handler < handlers_.size() && owner != no_owner);
  ensure_owner(owner);
  push(make(t, handler, owner, owner_generation, a, b));
}

void event_queue::post_after_fixed(duration delay, std::uint8_t handler, std::uint32_t a,
                                   std::uint32_t b, owner_id owner,
                                   std::uint32_t owner_generation) {
  assert(handler < handlers_.size() && owner != no_owner);
  if (delay < duration{0}) delay = duration{0};
  ensure_owner(owner);
  const std::int64_t d = delay.count();
  for (lane& l : lanes_) {
    if (l.delay_ns == d) {
      l.events.push_back(make(now_ + delay, handler, owner, owner_generation, a, b));
      ++in_lanes_;
      return;
    }
  }
  if (lanes_.size() < max_lanes) {
    lanes_.push_back(lane{d, {}});
    lanes_.back().events.push_back(make(now_ + delay, handler, owner, owner_generation, a, b));
    ++in_lanes_;
    return;
  }
  push(make(now_ + delay, handler, owner, owner_generation, a, b));
}

void event_queue::post_reserved(duration t, std::uint64_t sequence, std::uint8_t handler,
                                std::uint32_t a, std::uint32_t b, owner_id owner,
                                std::uint32_t owner_generation) {
  assert(handler < handlers_.size() && owner != no_owner && sequence < next_seq_);
  assert(t >= now_);
  ensure_owner(owner);
  if (t < now_) t = now_;
  push(entry{t.count(), (sequence << 8) | handler, owner, owner_generation, a, b});
}

void event_queue::ensure_owner(owner_id owner) {
  if (owner >= owners_.size()) owners_.resize(static_cast<std::size_t>(owner) + 1);
}

void event_queue::drop(const entry& e) {
  if (e.handler() == callback_handler) {
    if (e.a < slots_.size() && slots_[e.a].armed && slots_[e.a].gen == e.b) free_slot(e.a);
  } else {
    handlers_[e.handler()]->on_event_dropped(e.a, e.b);
  }
}

void event_queue::retire(owner_id owner) {
  ensure_owner(owner);
  owner_state& o = owners_[owner];
  ++o.gen;
  o.paused = false;
  auto it = held_.find(owner);
  if (it != held_.end()) {
    std::vector<entry> held = std::move(it->second);
    held_.erase(it);
    for (const entry& e : held) drop(e);
  }
}

void event_queue::pause(owner_id owner) {
  ensure_owner(owner);
  owners_[owner].paused = true;
}

void event_queue::resume(owner_id owner) {
  ensure_owner(owner);
  owners_[owner].paused = false;
  auto it = held_.find(owner);
  if (it == held_.end()) return;
  std::vector<entry> held = std::move(it->second);
  held_.erase(it);
  for (entry e : held) {
    e.time_ns = now_.count();
    e.key = (next_seq_++ << 8) | e.handler();
    push(e);
  }
}

void event_queue::dispatch(const entry& e) {
  if (e.owner != no_owner) {
    const owner_state& o = owners_[e.owner];
    if (o.gen != e.owner_gen) {
      drop(e);
      return;
    }
    if (o.paused) {
      held_[e.owner].push_back(e);
      return;
    }
  }
  if (e.handler() == callback_handler) {
    if (e.a >= slots_.size()) return;
    slot& s = slots_[e.a];
    if (!s.armed || s.gen != e.b) return;  // cancelled
    // Move the callback out first: it may schedule events that reuse (and grow) the slab.
    std::function<void()> fn = std::move(s.fn);
    free_slot(e.a);
    ++executed_;
    fn();
  } else {
    ++executed_;
    handlers_[e.handler()]->on_event(e.a, e.b);
  }
}

bool event_queue::step() {
  if (heap_.empty() && in_lanes_ == 0) return false;
  const entry e = pop();
  now_ = duration{e.time_ns};
  dispatch(e);
  return true;
}

void event_queue::run_until(duration t) {
  stop_requested_ = false;
  // One look for the earliest event serves both the time test and the pop.
  for (;;) {
    const int src = next_source();
    if (src == none_source) break;
    const std::int64_t next = src == heap_source
                                  ? heap_.front().time_ns
                                  : lanes_[static_cast<std::size_t>(src)].events.front().time_ns;
    if (next > t.count()) break;
    const entry e = pop_from(src);
    now_ = duration{e.time_ns};
    dispatch(e);
    if (stop_requested_) return;
  }
  if (t > now_) now_ = t;
}

duration event_queue::next_time() const {
  const int src = next_source();
  if (src == none_source) return duration::max();
  if (src == heap_source) return duration{heap_.front().time_ns};
  return duration{lanes_[static_cast<std::size_t>(src)].events.front().time_ns};
}

}  // namespace eachare::sim
