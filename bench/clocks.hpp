// Three ways to keep a Lamport clock that more than one thread may touch, for the clock
// contention benchmark. Threading rule per class below. Only mutex_clock and atomic_clock are
// safe to share between threads; the node's own design (executor_clock) never shares its clock:
// one executor per node owns it, and other threads reach the node only by posting events.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

#include "node/protocol/lamport_clock.hpp"

namespace eachare::bench {

// Shared clock behind a mutex: every tick and merge takes the lock.
class mutex_clock {
 public:
  std::uint64_t tick() {
    std::lock_guard lock(mutex_);
    return ++value_;
  }
  std::uint64_t merge(std::uint64_t received) {
    std::lock_guard lock(mutex_);
    if (received > value_) value_ = received;
    return ++value_;
  }

 private:
  std::mutex mutex_;
  std::uint64_t value_ = 0;
};

// Shared lock-free clock: fetch_add for ticks, a CAS loop for max+1 merges.
class atomic_clock {
 public:
  std::uint64_t tick() { return value_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  std::uint64_t merge(std::uint64_t received) {
    std::uint64_t current = value_.load(std::memory_order_relaxed);
    for (;;) {
      const std::uint64_t next = (received > current ? received : current) + 1;
      if (value_.compare_exchange_weak(current, next, std::memory_order_acq_rel,
                                       std::memory_order_relaxed)) {
        return next;
      }
    }
  }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// The node's design: a plain lamport_clock touched only by its executor's thread, so a tick is
// an increment with no synchronisation at all. With several threads each thread is one node on
// its own executor.
class executor_clock {
 public:
  std::uint64_t tick() { return clock_.tick(); }
  std::uint64_t merge(std::uint64_t received) { return clock_.on_receive(received); }

 private:
  lamport_clock clock_{clock_rule::max_plus_one};
};

}  // namespace eachare::bench
