// manual_scheduler: a scheduler whose clock moves only when the test says so. Timers due at the
// same instant run in the order they were scheduled (docs/architecture.md). Single-threaded: the
// test thread is the node's executor.
#pragma once

#include <functional>
#include <map>
#include <utility>

#include "node/core/ports.hpp"

namespace eachare::test {

class manual_scheduler final : public scheduler {
 public:
  duration now() const override { return now_; }

  timer_id schedule_after(duration delay, std::function<void()> fn) override {
    const timer_id id = next_id_++;
    timers_.emplace(std::pair{now_ + delay, id}, std::move(fn));
    return id;
  }

  void cancel(timer_id id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Moves time forward by `d`, running every timer that falls due on the way, each at its own
  // instant; timers scheduled by those timers run too when they fall due within the window.
  void advance(duration d) {
    const duration target = now_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= target) {
      auto node = timers_.extract(timers_.begin());
      now_ = node.key().first;
      node.mapped()();
    }
    now_ = target;
  }

  std::size_t pending_timers() const { return timers_.size(); }

 private:
  duration now_{0};
  timer_id next_id_ = 1;
  // Keyed (due time, id): ids grow, so equal times come out FIFO.
  std::map<std::pair<duration, timer_id>, std::function<void()>> timers_;
};

}  // namespace eachare::test
