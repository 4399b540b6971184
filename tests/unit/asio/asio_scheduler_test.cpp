#include "node/asio/asio_scheduler.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace eachare {
namespace {

using namespace std::chrono_literals;

TEST(AsioScheduler, RunsTimersInDeadlineOrderAndNeverInsideScheduleAfter) {
  boost::asio::io_context io;
  asio_scheduler sched(io);
  std::vector<int> order;
  sched.schedule_after(30ms, [&] { order.push_back(3); });
  sched.schedule_after(0ms, [&] { order.push_back(1); });
  sched.schedule_after(10ms, [&] { order.push_back(2); });
  EXPECT_TRUE(order.empty());
  io.run_for(5s);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(sched.pending(), 0u);
  EXPECT_GE(sched.now(), duration(30ms));
}

TEST(AsioScheduler, CancelledTimerNeverRuns) {
  boost::asio::io_context io;
  asio_scheduler sched(io);
  bool ran = false;
  bool other = false;
  const timer_id id = sched.schedule_after(10ms, [&] { ran = true; });
  sched.schedule_after(20ms, [&] { other = true; });
  sched.cancel(id);
  sched.cancel(id);     // twice is harmless
  sched.cancel(12345);  // unknown is harmless
  io.run_for(5s);
  EXPECT_FALSE(ran);
  EXPECT_TRUE(other);
}

TEST(AsioScheduler, DestroyedSchedulerDropsItsTimers) {
  boost::asio::io_context io;
  bool ran = false;
  {
    asio_scheduler sched(io);
    sched.schedule_after(0ms, [&] { ran = true; });
  }
  io.run_for(1s);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace eachare
