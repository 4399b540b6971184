// asio_scheduler: eachare::scheduler over Asio steady timers. now() is steady_clock time since
// construction. Threading rule: call it only on the thread that runs the io_context (the
// node's executor); timer callbacks run there too, always posted, never inside schedule_after.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "node/asio/asio.hpp"
#include "node/core/ports.hpp"

namespace eachare {

class asio_scheduler final : public scheduler {
 public:
  explicit asio_scheduler(boost::asio::io_context& io);
  ~asio_scheduler() override;
  asio_scheduler(const asio_scheduler&) = delete;
  asio_scheduler& operator=(const asio_scheduler&) = delete;

  duration now() const override;
  timer_id schedule_after(duration delay, std::function<void()> fn) override;
  void cancel(timer_id id) override;

  // Timers scheduled and neither run nor cancelled yet.
  std::size_t pending() const { return timers_.size(); }

 private:
  boost::asio::io_context& io_;
  std::chrono::steady_clock::time_point origin_;
  timer_id next_id_ = 1;
  // Live timers by id; a timer's callback runs only while its entry is still here, so cancel()
  // and destruction both simply erase it.
  std::map<timer_id, std::unique_ptr<boost::asio::steady_timer>> timers_;
  // Outlives nothing: completions check it so a destroyed scheduler is never touched.
  std::shared_ptr<asio_scheduler*> alive_;
};

}  // namespace eachare
