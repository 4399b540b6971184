#include "node/core/download.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "node/core/errors.hpp"

namespace eachare {
namespace {

TEST(Download, ThousandBytesAt256TakeFourChunksEndingWith232Bytes) {
  EXPECT_EQ(chunk_count(1000, 256), 4u);
  EXPECT_EQ(chunk_bounds(1000, 256, 0), (chunk_range{0, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 1), (chunk_range{256, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 2), (chunk_range{512, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 3), (chunk_range{768, 232}));
}

TEST(Download, ExactMultipleHasNoEmptyTail) {
  EXPECT_EQ(chunk_count(1024, 256), 4u);
  EXPECT_EQ(chunk_bounds(1024, 256, 3), (chunk_range{768, 256}));
  EXPECT_EQ(chunk_bounds(1024, 256, 4), (chunk_range{1024, 0}));
}

TEST(Download, ZeroByteFileStillTakesOneRequest) {
  EXPECT_EQ(chunk_count(0, 256), 1u);
  EXPECT_EQ(chunk_bounds(0, 256, 0), (chunk_range{0, 0}));
  EXPECT_EQ(chunk_count(0, 0), 1u);
}

TEST(Download, ChunkSizeZeroMeansTheWholeFileInOneRequest) {
  EXPECT_EQ(chunk_count(1000, 0), 1u);
  EXPECT_EQ(chunk_bounds(1000, 0, 0), (chunk_range{0, 1000}));
  EXPECT_EQ(chunk_bounds(1000, 0, 1), (chunk_range{1000, 0}));
}

TEST(Download, IndexPastTheEndIsEmptyAtFileSize) {
  EXPECT_EQ(chunk_bounds(1000, 256, 4), (chunk_range{1000, 0}));
  EXPECT_EQ(chunk_bounds(1000, 256, 99), (chunk_range{1000, 0}));
  // Huge indexes must not overflow into a bogus in-range offset.
  EXPECT_EQ(chunk_bounds(1000, 256, UINT64_MAX), (chunk_range{1000, 0}));
  EXPECT_EQ(chunk_bounds(1000, UINT64_MAX, 1), (chunk_range{1000, 0}));
}

TEST(Download, ChunkLargerThanFileIsTheWholeFile) {
  EXPECT_EQ(chunk_count(100, 256), 1u);
  EXPECT_EQ(chunk_bounds(100, 256, 0), (chunk_range{0, 100}));
}

TEST(Download, ChunksTileTheFileExactly) {
  for (std::uint64_t size : {1u, 7u, 255u, 256u, 257u, 1000u, 4099u}) {
    for (std::uint64_t cs : {1u, 3u, 128u, 256u, 1000u}) {
      std::uint64_t next = 0;
      const std::uint64_t n = chunk_count(size, cs);
      for (std::uint64_t i = 0; i < n; ++i) {
        const chunk_range r = chunk_bounds(size, cs, i);
        ASSERT_EQ(r.offset, next) << size << "@" << cs << " #" << i;
        ASSERT_GT(r.length, 0u);
        next += r.length;
      }
      EXPECT_EQ(next, size) << size << "@" << cs;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// chunk_scheduler

using namespace std::chrono_literals;
using request = chunk_scheduler::request;
using sched_state = chunk_scheduler::state;

// Every request next() allows at `now`.
std::vector<request> drain(chunk_scheduler& s, chunk_scheduler::duration now = {}) {
  std::vector<request> out;
  while (auto r = s.next(now)) out.push_back(*r);
  return out;
}

TEST(ChunkScheduler, FailuresAreClassifiedByErrorCodeWhoeverReportedThem) {
  EXPECT_EQ(classify_chunk_failure(errc::connection_refused), chunk_failure::refused);
  EXPECT_EQ(classify_chunk_failure(errc::unreachable), chunk_failure::refused);
  EXPECT_EQ(classify_chunk_failure(errc::timed_out), chunk_failure::timed_out);
  EXPECT_EQ(classify_chunk_failure(std::make_error_code(std::errc::timed_out)),
            chunk_failure::timed_out);
  EXPECT_EQ(classify_chunk_failure(errc::connection_reset), chunk_failure::broken);
  EXPECT_EQ(classify_chunk_failure(errc::closed_without_reply), chunk_failure::broken);
  EXPECT_EQ(classify_chunk_failure(errc::malformed_reply), chunk_failure::bad_reply);
  EXPECT_EQ(classify_chunk_failure(std::error_code()), chunk_failure::bad_reply);
}

TEST(ChunkScheduler, EachHolderStartsWithASmallWindowThatGrowsAsChunksArrive) {
  chunk_scheduler s(100, 2);
  auto first = drain(s);
  ASSERT_EQ(first.size(), 4u) << "two holders, window 2 each";
  EXPECT_EQ(first[0], (request{0, 0, 1}));
  EXPECT_EQ(first[1], (request{1, 1, 1}));
  EXPECT_EQ(first[2], (request{2, 0, 1}));
  EXPECT_EQ(first[3], (request{3, 1, 1}));
  s.succeeded(first[0]);
  EXPECT_EQ(s.window(0), 3u);
  EXPECT_EQ(drain(s).size(), 2u) << "holder 0 now has room for two more";
  EXPECT_EQ(s.in_flight(), 5u);
}

TEST(ChunkScheduler, InFlightNeverExceedsTheDownloadsCap) {
  download_policy p;
  p.max_in_flight = 5;
  chunk_scheduler s(1000, 3, p);
  for (int round = 0; round < 50; ++round) {
    auto sent = drain(s);
    EXPECT_LE(s.in_flight(), 5u);
    for (const request& r : sent) s.succeeded(r);
  }
  for (std::uint32_t h = 0; h < 3; ++h) EXPECT_LE(s.window(h), 5u);
}

TEST(ChunkScheduler, AFailedChunkIsRetriedOnAnotherHolderAtOnce) {
  chunk_scheduler s(4, 2);
  auto sent = drain(s);
  ASSERT_EQ(sent.size(), 4u);
  s.failed(sent[1], chunk_failure::broken, 0ns);  // chunk 1 on holder 1
  EXPECT_EQ(s.status(), sched_state::running);
  EXPECT_EQ(s.window(1), 1u) << "the window halves on a failure";
  s.succeeded(sent[0]);
  auto retry = s.next(0ns);
  ASSERT_TRUE(retry);
  EXPECT_EQ(*retry, (request{1, 0, 2}));
  EXPECT_EQ(s.retries(), 1u);
}

TEST(ChunkScheduler, AFailedHolderRestsBeforeItIsAskedAgain) {
  chunk_scheduler s(10, 1);
  auto sent = drain(s);
  ASSERT_EQ(sent.size(), 2u);
  s.succeeded(sent[1]);
  s.failed(sent[0], chunk_failure::timed_out, 1000ms);
  EXPECT_FALSE(s.next(1000ms)) << "the only holder rests";
  ASSERT_TRUE(s.wake_at(1000ms));
  EXPECT_EQ(*s.wake_at(1000ms), 1050ms);
  auto r = s.next(1050ms);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (request{0, 0, 2}));
  // A second failure in a row doubles the rest.
  s.failed(*r, chunk_failure::timed_out, 2000ms);
  EXPECT_EQ(*s.wake_at(2000ms), 2100ms);
}

TEST(ChunkScheduler, AHolderIsDroppedOnlyAfterSeveralFailuresInARow) {
  chunk_scheduler s(100, 2);
  chunk_scheduler::duration now = 0ns;
  // Timeouts weigh 1: three in a row are survived, a delivered chunk resets the count.
  for (int i = 0; i < 3; ++i) {
    now += 10s;
    std::optional<request> r;
    while ((r = s.next(now)) && r->holder != 0) s.succeeded(*r);
    ASSERT_TRUE(r);
    s.failed(*r, chunk_failure::timed_out, now);
  }
  EXPECT_FALSE(s.dropped(0));
  now += 10s;
  std::optional<request> r;
  while ((r = s.next(now)) && r->holder != 0) s.succeeded(*r);
  ASSERT_TRUE(r);
  s.succeeded(*r);  // delivered: the count starts again
  for (int i = 0; i < 3; ++i) {
    now += 10s;
    while ((r = s.next(now)) && r->holder != 0) s.succeeded(*r);
    ASSERT_TRUE(r);
    s.failed(*r, chunk_failure::timed_out, now);
  }
  EXPECT_FALSE(s.dropped(0));
  now += 10s;
  while ((r = s.next(now)) && r->holder != 0) s.succeeded(*r);
  ASSERT_TRUE(r);
  s.failed(*r, chunk_failure::timed_out, now);
  EXPECT_TRUE(s.dropped(0)) << "the fourth timeout in a row";
  EXPECT_EQ(s.holders_dropped(), 1u);
  EXPECT_EQ(s.status(), sched_state::running) << "holder 1 is left";
}

TEST(ChunkScheduler, ARefusalCountsMoreThanATimeout) {
  download_policy p;
  p.initial_window = 1;
  chunk_scheduler s(100, 2, p);
  auto sent = drain(s);
  ASSERT_EQ(sent.size(), 2u);
  s.failed(sent[0], chunk_failure::refused, 0ns);
  EXPECT_FALSE(s.dropped(0));
  auto r = s.next(1s);  // holder 1 is busy, so the rested holder 0 gets the retry
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, (request{0, 0, 2}));
  s.failed(*r, chunk_failure::refused, 1s);
  EXPECT_TRUE(s.dropped(0)) << "two refusals in a row";
}

TEST(ChunkScheduler, NoHolderLeftEndsTheDownload) {
  chunk_scheduler s(10, 1);
  auto sent = drain(s);
  s.failed(sent[0], chunk_failure::refused, 0ns);
  s.failed(sent[1], chunk_failure::refused, 0ns);
  EXPECT_EQ(s.status(), sched_state::running) << "two requests of one burst count once";
  auto r = s.next(1s);
  ASSERT_TRUE(r);
  s.failed(*r, chunk_failure::refused, 1s);
  EXPECT_EQ(s.status(), sched_state::no_holder_left);
  EXPECT_FALSE(s.next(1h));
  EXPECT_FALSE(s.wake_at(0ns));
}

TEST(ChunkScheduler, AChunkThatKeepsFailingRunsOutOfAttempts) {
  download_policy p;
  p.max_attempts = 3;
  chunk_scheduler s(2, 2, p);
  chunk_scheduler::duration now = 0ns;
  auto sent = drain(s, now);
  s.succeeded(sent[1]);  // chunk 1 arrives; chunk 0 fails every time, on either holder
  request r = sent[0];
  for (std::uint32_t attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(r.attempt, attempt);
    s.failed(r, chunk_failure::bad_reply, now);
    if (attempt == 3) break;
    now += 10s;
    auto next = s.next(now);
    ASSERT_TRUE(next);
    r = *next;
  }
  EXPECT_EQ(s.status(), sched_state::out_of_attempts);
  EXPECT_EQ(s.exhausted_chunk(), 0u);
}

TEST(ChunkScheduler, ALateOrRepeatedCompletionIsNotAwaited) {
  chunk_scheduler s(3, 1);
  auto sent = drain(s);
  s.succeeded(sent[1]);
  s.failed(sent[0], chunk_failure::broken, 0ns);
  auto retry = s.next(1s);
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->chunk, 0u);
  EXPECT_FALSE(s.awaited(sent[0])) << "the first attempt was settled";
  EXPECT_TRUE(s.awaited(*retry));
  s.succeeded(sent[0]);  // ignored
  s.succeeded(sent[1]);  // a duplicate: ignored
  EXPECT_EQ(s.done(), 1u);
  s.succeeded(*retry);
  s.succeeded(*retry);  // a duplicate: ignored
  EXPECT_EQ(s.done(), 2u);
}

TEST(ChunkScheduler, PerChunkStateStaysBoundedByTheWindowWhateverTheChunkCount) {
  chunk_scheduler s(std::uint64_t{1} << 30, 2);  // a 1 GiB file at chunk size 1
  chunk_scheduler::duration now = 0ns;
  for (int round = 0; round < 100; ++round) {
    now += 1s;
    auto sent = drain(s, now);
    EXPECT_LE(s.chunk_state_entries(), 16u);
    for (const request& r : sent) {
      if (r.chunk % 7 == 0 && r.attempt == 1) {
        s.failed(r, chunk_failure::broken, now);
      } else {
        s.succeeded(r);
      }
    }
  }
  EXPECT_LE(s.chunk_state_entries(), 16u);
  EXPECT_GT(s.done(), 100u);
}

TEST(ChunkScheduler, EveryChunkCompletesExactlyOnceDespiteFailures) {
  chunk_scheduler s(500, 3);
  chunk_scheduler::duration now = 0ns;
  std::vector<int> got(500, 0);
  std::uint64_t n = 0;
  while (s.status() == sched_state::running) {
    auto sent = drain(s, now);
    if (sent.empty()) {
      ASSERT_TRUE(s.wake_at(now));
      now = *s.wake_at(now);
      continue;
    }
    for (const request& r : sent) {
      if (++n % 11 == 0) {
        s.failed(r, chunk_failure::timed_out, now);
      } else {
        ++got[r.chunk];
        s.succeeded(r);
      }
    }
    now += 1ms;
  }
  EXPECT_EQ(s.status(), sched_state::complete);
  for (int g : got) EXPECT_EQ(g, 1);
  EXPECT_GT(s.retries(), 0u);
  EXPECT_EQ(s.holders_dropped(), 0u);
}

}  // namespace
}  // namespace eachare
