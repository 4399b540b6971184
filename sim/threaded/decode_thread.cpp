#include "sim/threaded/decode_thread.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace eachare::sim {

decode_thread::decode_thread(std::size_t window) : window_(std::max<std::size_t>(window, 1)) {}

decode_thread::~decode_thread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_.notify_all();
  if (helper_.joinable()) helper_.join();
}

bool decode_thread::later(const queued& a, const queued& b) {
  return a.due_ns != b.due_ns ? a.due_ns > b.due_ns : a.order > b.order;
}

decoded_reply* decode_thread::spare_output() {
  if (spare_.empty()) {
    outputs_.push_back(std::make_unique<decoded_reply>());
    return outputs_.back().get();
  }
  // The result released longest ago, not the last one: the simulation thread has just read the
  // last one's entries, so rewriting them here would pull every line back from its core; the
  // oldest have left that core's cache (the helper's decoding took ~18 % less time).
  decoded_reply* out = spare_.front();
  spare_.pop_front();
  return out;
}

void decode_thread::prune() {
  while (!queue_.empty()) {
    const queued& top = queue_.front();
    const job_slot& s = *slots_[top.t];
    if (s.gen == top.gen && s.st == state::pending) return;
    std::pop_heap(queue_.begin(), queue_.end(), later);
    queue_.pop_back();
  }
}

reply_decoder::ticket decode_thread::submit(packed_reply job) {
  std::unique_lock<std::mutex> lock(mutex_);
  ticket t;
  if (free_slots_.empty()) {
    t = static_cast<ticket>(slots_.size());
    slots_.push_back(std::make_unique<job_slot>());
  } else {
    t = free_slots_.back();
    free_slots_.pop_back();
  }
  job_slot& s = *slots_[t];
  s.job = std::move(job);
  s.st = state::pending;
  queue_.push_back(queued{s.job.due_ns, next_order_++, t, s.gen});
  std::push_heap(queue_.begin(), queue_.end(), later);
  ++stats_.submitted;
  if (!helper_.joinable()) helper_ = std::thread([this] { run(); });
  const bool wake = helper_waiting_ && ready_ < window_;
  lock.unlock();
  if (wake) work_.notify_one();
  return t;
}

decoded_reply& decode_thread::take(ticket t) {
  std::unique_lock<std::mutex> lock(mutex_);
  job_slot& s = *slots_[t];
  if (s.st == state::pending) {
    // Nobody started it: doing it here beats waiting for the helper to finish what it is on.
    s.st = state::taken;
    s.out = spare_output();
    ++stats_.by_caller;
    decoded_reply& out = *s.out;
    lock.unlock();
    decode_packed_reply(s.job.bytes, *s.job.names, out);
    return out;
  }
  if (s.st == state::running) {
    ++stats_.waited;
    // The helper is on it: rather than sleep until it is done (a whole list's decoding, ~0.3 ms
    // at 5,000 peers), do the next jobs nobody has started, which the helper would otherwise
    // reach only after it, and sleep only when there are none.
    while (s.st != state::done) {
      prune();
      if (queue_.empty() || ready_ahead_ >= window_) {
        done_.wait(lock, [&s] { return s.st == state::done; });
        break;
      }
      job_slot* other = do_front(lock);
      other->ahead_by_caller = true;
      ++ready_ahead_;
      ++stats_.ahead_by_caller;
    }
  }
  assert(s.st == state::done);
  s.st = state::taken;
  done_taken(s);
  const bool wake = room_again();
  lock.unlock();
  if (wake) work_.notify_one();
  return *s.out;
}

void decode_thread::release(ticket t, std::string& bytes) {
  std::unique_lock<std::mutex> lock(mutex_);
  job_slot& s = *slots_[t];
  if (s.st == state::running) done_.wait(lock, [&s] { return s.st == state::done; });
  if (s.st == state::done) done_taken(s);
  if (s.st != state::taken) ++stats_.never_taken;
  ++stats_.released;
  if (s.out != nullptr) {
    // The result keeps its message: the next decode into it reuses the entries (a list and its
    // strings per reply otherwise). The outputs are at most two windows (the helper's and the
    // simulation thread's done ahead) plus those taken.
    spare_.push_back(s.out);
    s.out = nullptr;
  }
  // Back to the caller, emptied, its buffer kept (the helper waited above if it was on it).
  bytes = std::move(s.job.bytes);
  bytes.clear();
  s.job = packed_reply{};
  s.st = state::free;
  ++s.gen;
  free_slots_.push_back(t);
  const bool wake = room_again();
  lock.unlock();
  if (wake) work_.notify_one();
}

decode_thread::job_slot* decode_thread::do_front(std::unique_lock<std::mutex>& lock) {
  const queued next = queue_.front();
  std::pop_heap(queue_.begin(), queue_.end(), later);
  queue_.pop_back();
  job_slot* s = slots_[next.t].get();
  s->st = state::running;
  s->out = spare_output();
  decoded_reply* out = s->out;
  lock.unlock();
  decode_packed_reply(s->job.bytes, *s->job.names, *out);
  lock.lock();
  s->st = state::done;
  return s;
}

void decode_thread::done_taken(job_slot& s) {
  if (s.ahead_by_caller) {
    --ready_ahead_;
    s.ahead_by_caller = false;
  } else {
    --ready_;
  }
}

bool decode_thread::room_again() const {
  // Half the window, not one slot: the helper then runs a batch per wake-up instead of waking
  // for every result taken (a futex wake each was ~7 % of a discovery's time).
  return helper_waiting_ && ready_ <= window_ / 2;
}

decode_thread::counters decode_thread::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  counters c = stats_;
  c.results = outputs_.size();
  return c;
}

void decode_thread::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    for (;;) {
      prune();
      if (stop_ || (ready_ < window_ && !queue_.empty())) break;
      helper_waiting_ = true;
      work_.wait(lock);
      helper_waiting_ = false;
    }
    if (stop_) return;
    do_front(lock);
    ++ready_;
    ++stats_.by_helper;
    done_.notify_all();
  }
}

}  // namespace eachare::sim
