// The fakes in tests/support carry other tests' assertions, so their own contracts are checked
// here: equal-time timers FIFO, no synchronous completions, failure injection, name checks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "node/core/errors.hpp"
#include "tests/support/fake_transport.hpp"
#include "tests/support/manual_scheduler.hpp"
#include "tests/support/memory_store.hpp"

namespace eachare {
namespace {

using namespace std::chrono_literals;

TEST(ManualScheduler, RunsDueTimersInTimeThenSchedulingOrder) {
  test::manual_scheduler s;
  std::vector<std::string> ran;
  s.schedule_after(5ms, [&] { ran.push_back("b@5"); });
  s.schedule_after(1ms, [&] { ran.push_back("a@1"); });
  s.schedule_after(5ms, [&] { ran.push_back("c@5"); });
  const timer_id late = s.schedule_after(9ms, [&] { ran.push_back("late"); });
  s.advance(4ms);
  EXPECT_EQ(ran, (std::vector<std::string>{"a@1"}));
  EXPECT_EQ(s.now(), 4ms);
  s.cancel(late);
  s.advance(10ms);
  EXPECT_EQ(ran, (std::vector<std::string>{"a@1", "b@5", "c@5"}));
  EXPECT_EQ(s.now(), 14ms);
  EXPECT_EQ(s.pending_timers(), 0u);
}

TEST(ManualScheduler, TimerRunsAtItsOwnInstantAndMayScheduleMore) {
  test::manual_scheduler s;
  std::vector<duration> at;
  s.schedule_after(2ms, [&] {
    at.push_back(s.now());
    s.schedule_after(3ms, [&] { at.push_back(s.now()); });
  });
  s.schedule_after(0ms, [&] { at.push_back(s.now()); });
  EXPECT_TRUE(at.empty()) << "never synchronously inside schedule_after";
  s.advance(10ms);
  EXPECT_EQ(at, (std::vector<duration>{0ms, 2ms, 5ms}));
}

TEST(FakeTransport, CompletesOnlyWhenTheTestDelivers) {
  test::fake_transport t;
  t.set_responder([](peer_id, const message&) { return test::send_outcome{}; });
  int done = 0;
  t.send(1, message{}, [&](std::error_code ec, std::optional<message>, std::string_view) {
    EXPECT_FALSE(ec);
    ++done;
  });
  EXPECT_EQ(done, 0);
  EXPECT_EQ(t.queued(), 1u);
  EXPECT_EQ(t.deliver_all(), 1u);
  EXPECT_EQ(done, 1);
}

TEST(FakeTransport, FailsTheNthSendWithConnectionRefused) {
  test::fake_transport t;
  t.fail_nth_send(2);
  std::vector<std::error_code> got;
  for (int i = 0; i < 3; ++i) {
    t.send(1, message{}, [&](std::error_code ec, std::optional<message>, std::string_view) {
      got.push_back(ec);
    });
  }
  EXPECT_EQ(t.pending(), (std::vector<std::size_t>{0, 2}));
  t.succeed(2);
  t.complete(0, errc::timed_out);
  t.deliver_all();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], errc::connection_refused);
  EXPECT_FALSE(got[1]);
  EXPECT_EQ(got[2], errc::timed_out);
  EXPECT_THROW(t.succeed(0), std::logic_error);
}

TEST(FakeTransport, ReplyLineIsTheEncodedReply) {
  test::fake_transport t;
  std::string line;
  t.send(1, message{}, [&](std::error_code, std::optional<message>, std::string_view l) {
    line = std::string(l);
  });
  message reply;
  reply.origin = "127.0.0.1:9002";
  reply.clock = 3;
  reply.body = peer_list_body{};
  t.reply(0, reply);
  t.deliver_all();
  EXPECT_EQ(line, "127.0.0.1:9002 3 PEER_LIST 0");
}

TEST(MemoryStore, ChecksNamesAndReadsRanges) {
  test::memory_store s;
  s.put("a.txt", "hello");
  s.put_directory("d");
  std::uint64_t size = 0;
  EXPECT_FALSE(s.size_of("a.txt", size));
  EXPECT_EQ(size, 5u);
  EXPECT_EQ(s.size_of("../a.txt", size), errc::invalid_name);
  EXPECT_EQ(s.size_of("b.txt", size), errc::not_found);
  EXPECT_EQ(s.size_of("d", size), errc::not_regular_file);
  std::string out;
  EXPECT_FALSE(s.read("a.txt", 3, 10, out));
  EXPECT_EQ(out, "lo");
  EXPECT_FALSE(s.read("a.txt", 9, 10, out));
  EXPECT_EQ(out, "lo");
  EXPECT_EQ(s.write("x/y", "z"), errc::invalid_name);
  EXPECT_FALSE(s.write("b.txt", "bb"));
  EXPECT_EQ(s.commits(), (std::vector<std::string>{"b.txt"}));
  EXPECT_EQ(s.list(), (std::vector<stored_file>{{"a.txt", 5}, {"b.txt", 2}}));
}

}  // namespace
}  // namespace eachare
