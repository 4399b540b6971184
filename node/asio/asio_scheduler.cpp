#include "node/asio/asio_scheduler.hpp"

#include <utility>

namespace eachare {

asio_scheduler::asio_scheduler(boost::asio::io_context& io)
    : io_(io),
      origin_(std::chrono::steady_clock::now()),
      alive_(std::make_shared<asio_scheduler*>(this)) {}

asio_scheduler::~asio_scheduler() {
  *alive_ = nullptr;
  for (auto& [id, timer] : timers_) timer->cancel();
}

duration asio_scheduler::now() const {
  return std::chrono::duration_cast<duration>(std::chrono::steady_clock::now() - origin_);
}

timer_id asio_scheduler::schedule_after(duration delay, std::function<void()> fn) {
  const timer_id id = next_id_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_after(delay < duration::zero() ? duration::zero() : delay);
  // An expired timer still completes through the io_context, so fn never runs in this call.
  timer->async_wait([alive = std::weak_ptr<asio_scheduler*>(alive_), id,
                     fn = std::move(fn)](const boost::system::error_code& ec) {
    auto self_ptr = alive.lock();
    if (!self_ptr || *self_ptr == nullptr) return;
    asio_scheduler& self = **self_ptr;
    auto it = self.timers_.find(id);
    if (it == self.timers_.end()) return;  // cancelled, possibly racing with expiry
    self.timers_.erase(it);
    if (ec) return;
    fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void asio_scheduler::cancel(timer_id id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  // Destroying the timer cancels its wait; the handler then finds no entry and does nothing.
  timers_.erase(it);
}

}  // namespace eachare
