// event_queue: the simulator's virtual clock and its one queue of pending events, keyed
// (virtual time, sequence number) so equal-time events run in the order they were scheduled
// (FIFO), and time jumps straight to the next event — a run never waits on a wall clock.
// node_scheduler adapts it to eachare::scheduler for one peer_node.
//
// Threading rule: single-threaded. Everything runs on the simulation thread; events run one at a
// time from run_until()/step(), and an event may schedule or cancel others (never re-entrantly
// runs one).
//
// Two kinds of events share the queue:
//  - callback events (schedule_at): a std::function kept in a slab (slots are reused, so a
//    callback whose captures fit std::function's small buffer — two pointers — costs no heap
//    allocation); cancellable by event_id.
//  - handler events (post_at): no callback object at all, just (handler, a, b) stored in the heap
//    entry and dispatched to a registered event_handler. The network uses these for the millions
//    of message deliveries of a big run.
//
// Owners: an event may belong to an owner (a node index). retire(owner) — the node crashed —
// bumps the owner's generation, and every pending event scheduled under the old generation is
// dropped instead of run (a crashed node never gets a timer or a completion). pause(owner) holds
// the owner's events back (they are kept, in order) until resume(owner) re-queues them at the
// then-current time, like a stopped process that catches up when it continues.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "node/core/ports.hpp"

namespace eachare::sim {

using owner_id = std::uint32_t;
inline constexpr owner_id no_owner = 0xFFFFFFFFu;

// Identifies a callback event for cancel(). 0 is never a valid id.
using event_id = std::uint64_t;

// Receiver of handler events. `a` and `b` are whatever the poster packed (e.g. an exchange slot
// and its generation).
class event_handler {
 public:
  virtual ~event_handler() = default;
  // The event's time has come (and its owner, if any, is alive and not paused).
  virtual void on_event(std::uint32_t a, std::uint32_t b) = 0;
  // The event will never run because its owner was retired; lets the handler release what the
  // event referenced. Called from retire() or while popping, never re-entrantly from post_at().
  virtual void on_event_dropped(std::uint32_t /*a*/, std::uint32_t /*b*/) {}
};

class event_queue {
 public:
  event_queue();
  event_queue(const event_queue&) = delete;
  event_queue& operator=(const event_queue&) = delete;

  // Current virtual time: the time of the event running now, or the time run_until() reached.
  duration now() const { return now_; }

  // Runs `fn` at virtual time max(t, now()). Equal times run in scheduling order.
  event_id schedule_at(duration t, std::function<void()> fn, owner_id owner = no_owner);
  event_id schedule_after(duration delay, std::function<void()> fn, owner_id owner = no_owner) {
    return schedule_at(now_ + delay, std::move(fn), owner);
  }
  // A callback event that already ran, was cancelled or dropped is ignored.
  void cancel(event_id id);

  // Handler events: register once (up to 255 handlers), then post without allocation.
  std::uint8_t register_handler(event_handler& h);
  void post_at(duration t, std::uint8_t handler, std::uint32_t a, std::uint32_t b,
               owner_id owner = no_owner);
  // As post_at, for the owner's incarnation `owner_generation` rather than the current one: an
  // event meant for an incarnation that is already gone is dropped when it comes up (a reply
  // heading to a requester that crashed after sending must not reach its successor).
  void post_for(duration t, std::uint8_t handler, std::uint32_t a, std::uint32_t b, owner_id owner,
                std::uint32_t owner_generation);
  // As post_for at now() + delay, for a delay the caller uses over and over (a request timeout,
  // a constant link delay): such events go to a FIFO lane kept for that delay instead of the
  // heap — O(1) instead of O(log n), and a million pending timeouts stop slowing every other
  // event down. Ordering is unchanged: (time, sequence) across the heap and all lanes. Beyond
  // max_lanes distinct delays, events go to the heap.
  void post_after_fixed(duration delay, std::uint8_t handler, std::uint32_t a, std::uint32_t b,
                        owner_id owner, std::uint32_t owner_generation);
  static constexpr std::size_t max_lanes = 16;
  // A sequence number taken now for an event that may only be posted later (post_reserved): if
  // it is, it orders among equal-time events exactly as if it had been posted at this moment.
  // The network uses this for request timeouts, which almost never fire: posting one only when
  // it can matter spares a push and a pop per exchange without changing any order.
  std::uint64_t reserve_sequence() { return next_seq_++; }
  // Posts at time t (>= now()) with a sequence from reserve_sequence(), to the heap (a lane
  // would not keep its order).
  void post_reserved(duration t, std::uint64_t sequence, std::uint8_t handler, std::uint32_t a,
                     std::uint32_t b, owner_id owner, std::uint32_t owner_generation);

  // Owners are dense small integers (node indexes); ensure_owner grows the table.
  void ensure_owner(owner_id owner);
  // The owner's current generation (starts at 0; +1 per retire()).
  std::uint32_t generation(owner_id owner) const {
    return owner < owners_.size() ? owners_[owner].gen : 0;
  }
  // Drops every pending and held-back event of `owner`, now and when they come up, and clears
  // its paused state (the next incarnation starts running).
  void retire(owner_id owner);
  // Holds back the owner's events until resume(); they keep their relative order.
  void pause(owner_id owner);
  // Re-queues the held-back events at now(), in the order they originally had.
  void resume(owner_id owner);
  bool paused(owner_id owner) const { return owner < owners_.size() && owners_[owner].paused; }

  // Runs the next event, advancing time to it. False when the queue is empty.
  bool step();
  // Runs every event with time <= t (including ones scheduled meanwhile), then sets now() = t
  // (unless stop() was called, which leaves now() at the stopping event's time).
  void run_until(duration t);
  // Makes the current run_until() return after the running event (e.g. a checker failed).
  void stop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  // Events waiting in the queue (cancelled callback events may still be counted until popped).
  std::size_t pending() const { return heap_.size() + in_lanes_; }
  // Events run so far (dropped and cancelled ones excluded).
  std::uint64_t executed() const { return executed_; }
  // Time of the next pending event, or duration::max() when there is none.
  duration next_time() const;

 private:
  // 32 bytes. `key` = sequence << 8 | handler: sequences are unique, so ordering by key is
  // ordering by sequence.
  struct entry {
    std::int64_t time_ns;
    std::uint64_t key;
    owner_id owner;
    std::uint32_t owner_gen;
    std::uint32_t a;  // callback: slot; handler: first word
    std::uint32_t b;  // callback: slot generation; handler: second word
    std::uint8_t handler() const { return static_cast<std::uint8_t>(key); }
  };
  static constexpr std::uint8_t callback_handler = 0xFF;
  // A growable ring buffer of entries. A std::deque here allocated and freed a 512-byte block
  // every 16 events, a twentieth of a constant-delay HELLO storm's time.
  class entry_ring {
   public:
    bool empty() const { return size_ == 0; }
    const entry& front() const { return buf_[head_]; }
    void pop_front() {
      head_ = (head_ + 1) & (buf_.size() - 1);
      --size_;
    }
    void push_back(const entry& e) {
      if (size_ == buf_.size()) grow();
      buf_[(head_ + size_) & (buf_.size() - 1)] = e;
      ++size_;
    }

   private:
    void grow() {
      std::vector<entry> bigger(buf_.empty() ? 64 : buf_.size() * 2);
      for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
      buf_.swap(bigger);
      head_ = 0;
    }
    std::vector<entry> buf_;  // size 0 or a power of two
    std::size_t head_ = 0;
    std::size_t size_ = 0;
  };
  struct lane {
    std::int64_t delay_ns = 0;
    entry_ring events;  // in (time, sequence) order by construction
  };
  entry make(duration t, std::uint8_t handler, owner_id owner, std::uint32_t owner_gen,
             std::uint32_t a, std::uint32_t b);
  // Where the earliest event is: a lane index, heap_source, or none_source.
  static constexpr int heap_source = -1;
  static constexpr int none_source = -2;
  int next_source() const;

  struct slot {
    std::function<void()> fn;
    std::uint32_t gen = 1;
    bool armed = false;
  };
  struct owner_state {
    std::uint32_t gen = 0;
    bool paused = false;
  };

  void push(entry e);
  entry pop_heap_top();
  entry pop();
  entry pop_from(int source);
  // Runs or disposes one popped entry.
  void dispatch(const entry& e);
  void drop(const entry& e);
  void free_slot(std::uint32_t index);

  duration now_{0};
  std::uint64_t next_seq_ = 0;
  std::uint64_t executed_ = 0;
  bool stop_requested_ = false;
  std::vector<entry> heap_;
  std::vector<lane> lanes_;
  std::size_t in_lanes_ = 0;
  std::vector<slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::vector<event_handler*> handlers_;
  std::vector<owner_state> owners_;
  std::map<owner_id, std::vector<entry>> held_;  // paused owners' events, in pop order
};

// eachare::scheduler for one node: timers go into the shared event_queue under the node's owner
// id, so they are dropped when the node crashes and held back while it is paused. 24 bytes.
class node_scheduler final : public scheduler {
 public:
  node_scheduler(event_queue& queue, owner_id owner) : queue_(&queue), owner_(owner) {}
  duration now() const override { return queue_->now(); }
  timer_id schedule_after(duration delay, std::function<void()> fn) override {
    return queue_->schedule_after(delay, std::move(fn), owner_);
  }
  void cancel(timer_id id) override { queue_->cancel(id); }

 private:
  event_queue* queue_;
  owner_id owner_;
};

}  // namespace eachare::sim
