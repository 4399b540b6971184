#include "sim/event_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eachare::sim {
namespace {

using std::chrono::milliseconds;

TEST(EventQueue, EqualTimeEventsRunInSchedulingOrder) {
  event_queue q;
  std::string order;
  q.schedule_at(milliseconds(5), [&] { order += 'a'; });
  q.schedule_at(milliseconds(5), [&] { order += 'b'; });
  q.schedule_at(milliseconds(1), [&] { order += 'x'; });
  q.schedule_at(milliseconds(5), [&] {
    order += 'c';
    // Scheduled during the instant: runs after everything already queued for it.
    q.schedule_at(milliseconds(5), [&] { order += 'e'; });
  });
  q.schedule_at(milliseconds(5), [&] { order += 'd'; });
  q.run_until(milliseconds(10));
  EXPECT_EQ(order, "xabcde");
}

TEST(EventQueue, TimeJumpsToEachEventAndToTheRunBound) {
  event_queue q;
  std::vector<duration> seen;
  q.schedule_at(std::chrono::seconds(3600), [&] { seen.push_back(q.now()); });
  q.schedule_at(milliseconds(2), [&] { seen.push_back(q.now()); });
  q.run_until(milliseconds(1));
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(q.now(), milliseconds(1));
  q.run_until(std::chrono::seconds(7200));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], milliseconds(2));
  EXPECT_EQ(seen[1], std::chrono::seconds(3600));
  EXPECT_EQ(q.now(), std::chrono::seconds(7200));
  EXPECT_EQ(q.executed(), 2u);
}

TEST(EventQueue, PastTimesRunNowNotBackwards) {
  event_queue q;
  q.run_until(milliseconds(10));
  duration at{};
  q.schedule_at(milliseconds(3), [&] { at = q.now(); });
  q.run_until(milliseconds(20));
  EXPECT_EQ(at, milliseconds(10));
}

TEST(EventQueue, CancelledEventDoesNotRunAndSlotIsReused) {
  event_queue q;
  int runs = 0;
  const event_id id = q.schedule_at(milliseconds(1), [&] { ++runs; });
  q.cancel(id);
  q.cancel(id);  // twice is harmless
  const event_id other = q.schedule_at(milliseconds(1), [&] { runs += 10; });
  q.cancel(id);  // a stale id must not cancel the slot's new occupant
  q.run_until(milliseconds(2));
  EXPECT_EQ(runs, 10);
  q.cancel(other);  // already ran: ignored
}

TEST(EventQueue, RetiredOwnerEventsAreDropped) {
  event_queue q;
  int runs = 0;
  q.schedule_at(
      milliseconds(5), [&] { ++runs; }, 3);
  q.schedule_at(milliseconds(5), [&] { runs += 100; });  // no owner
  q.retire(3);
  q.schedule_at(
      milliseconds(6), [&] { runs += 10; }, 3);  // new incarnation
  q.run_until(milliseconds(10));
  EXPECT_EQ(runs, 110);
  EXPECT_EQ(q.generation(3), 1u);
}

TEST(EventQueue, PausedOwnerEventsWaitAndResumeInOrderAtResumeTime) {
  event_queue q;
  std::vector<std::pair<int, duration>> runs;
  q.schedule_at(
      milliseconds(1), [&] { runs.emplace_back(1, q.now()); }, 0);
  q.schedule_at(
      milliseconds(2), [&] { runs.emplace_back(2, q.now()); }, 0);
  q.schedule_at(
      milliseconds(2), [&] { runs.emplace_back(3, q.now()); }, 1);
  q.pause(0);
  q.run_until(milliseconds(50));
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0], std::make_pair(3, duration(milliseconds(2))));
  q.resume(0);
  q.run_until(milliseconds(60));
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[1], std::make_pair(1, duration(milliseconds(50))));
  EXPECT_EQ(runs[2], std::make_pair(2, duration(milliseconds(50))));
}

TEST(EventQueue, RetireWhilePausedDropsHeldEvents) {
  event_queue q;
  int runs = 0;
  q.schedule_at(
      milliseconds(1), [&] { ++runs; }, 0);
  q.pause(0);
  q.run_until(milliseconds(5));
  q.retire(0);
  EXPECT_FALSE(q.paused(0));
  q.resume(0);
  q.run_until(milliseconds(10));
  EXPECT_EQ(runs, 0);
}

struct counting_handler final : event_handler {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ran, dropped;
  void on_event(std::uint32_t a, std::uint32_t b) override { ran.emplace_back(a, b); }
  void on_event_dropped(std::uint32_t a, std::uint32_t b) override { dropped.emplace_back(a, b); }
};

TEST(EventQueue, HandlerEventsRunInOrderAndReportDrops) {
  event_queue q;
  counting_handler h;
  const auto id = q.register_handler(h);
  q.post_at(milliseconds(2), id, 1, 10);
  q.post_at(milliseconds(1), id, 2, 20, 4);
  q.post_at(milliseconds(3), id, 3, 30, 4);
  q.run_until(milliseconds(1));
  q.retire(4);
  q.run_until(milliseconds(5));
  ASSERT_EQ(h.ran.size(), 2u);
  EXPECT_EQ(h.ran[0].first, 2u);
  EXPECT_EQ(h.ran[1].first, 1u);
  ASSERT_EQ(h.dropped.size(), 1u);
  EXPECT_EQ(h.dropped[0].first, 3u);
}

TEST(EventQueue, StopEndsTheRunAfterTheCurrentEvent) {
  event_queue q;
  int runs = 0;
  q.schedule_at(milliseconds(1), [&] {
    ++runs;
    q.stop();
  });
  q.schedule_at(milliseconds(2), [&] { ++runs; });
  q.run_until(milliseconds(10));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(q.now(), milliseconds(1));
  q.run_until(milliseconds(10));
  EXPECT_EQ(runs, 2);
}

TEST(NodeScheduler, TimersAreDroppedAfterTheNodeIsRetired) {
  event_queue q;
  node_scheduler s(q, 2);
  int runs = 0;
  s.schedule_after(milliseconds(5), [&] { ++runs; });
  const timer_id t = s.schedule_after(milliseconds(6), [&] { runs += 10; });
  s.cancel(t);
  q.run_until(milliseconds(5));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(s.now(), milliseconds(5));
  s.schedule_after(milliseconds(5), [&] { runs += 100; });
  q.retire(2);  // the node crashed
  q.run_until(milliseconds(20));
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace eachare::sim
