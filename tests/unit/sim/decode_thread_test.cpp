#include "sim/threaded/decode_thread.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/rng.hpp"
#include "sim/world.hpp"

namespace eachare::sim {
namespace {

std::string job_addr(int i) {
  return "10.1.0.1:" + std::to_string(2000 + i);
}

// `count` packed PEER_LISTs of 1..300 entries over one book, and what each decodes to inline.
struct job_set {
  explicit job_set(int count) {
    for (int i = 0; i < 400; ++i) book.intern(job_addr(i));
    names = std::make_shared<const name_snapshot>(book);
    std::string scratch;
    for (int j = 0; j < count; ++j) {
      message reply;
      reply.origin = job_addr(j % 400);
      reply.clock = static_cast<std::uint64_t>(j);
      auto& entries = reply.body.emplace<peer_list_body>().entries;
      for (int k = 0; k < 1 + (j * 37) % 300; ++k) {
        const int id = (j + k * 7) % 400;
        entries.emplace_back(job_addr(id), k % 2 == 0 ? peer_status::online : peer_status::offline,
                             static_cast<std::uint64_t>(k + j), static_cast<peer_id>(id));
      }
      std::string bytes;
      std::size_t line_bytes = 0;
      EXPECT_TRUE(
          pack_peer_list(reply, static_cast<peer_id>(j % 400), book, scratch, bytes, &line_bytes));
      packed.push_back(bytes);
      decoded_reply whole;
      decode_packed_reply(bytes, *names, whole);
      lines.emplace_back(whole.line());
      messages.push_back(whole.msg);
    }
  }
  packed_reply job(int j, std::int64_t due) const {
    packed_reply p;
    p.bytes = packed[static_cast<std::size_t>(j)];
    p.names = names;
    p.due_ns = due;
    return p;
  }
  void expect_result(int j, const decoded_reply& got) const {
    const auto i = static_cast<std::size_t>(j);
    ASSERT_TRUE(got.status.ok()) << j;
    EXPECT_EQ(got.line(), lines[i]) << j;
    EXPECT_EQ(got.msg, messages[i]) << j;
    const auto& a = std::get<peer_list_body>(got.msg.body).entries;
    const auto& b = std::get<peer_list_body>(messages[i].body).entries;
    for (std::size_t k = 0; k < a.size(); ++k) ASSERT_EQ(a[k].book_id, b[k].book_id) << j;
  }
  address_book book;
  std::shared_ptr<const name_snapshot> names;
  std::vector<std::string> packed;
  std::vector<std::string> lines;
  std::vector<message> messages;
};

TEST(DecodeThread, EveryResultIsTheInlineDecodeWhateverOrderTheyAreTakenIn) {
  const job_set set(300);
  for (const std::size_t window : {std::size_t{1}, std::size_t{4}, std::size_t{64}}) {
    decode_thread decoder(window);
    std::vector<reply_decoder::ticket> tickets;
    rng draw(window);
    for (int j = 0; j < 300; ++j) {
      tickets.push_back(
          decoder.submit(set.job(j, static_cast<std::int64_t>(draw.uniform_u64(1000)))));
    }
    std::vector<int> order(300);
    for (int j = 0; j < 300; ++j) order[static_cast<std::size_t>(j)] = j;
    for (std::size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[draw.uniform_u64(i + 1)]);
    for (const int j : order) {
      const auto t = tickets[static_cast<std::size_t>(j)];
      set.expect_result(j, decoder.take(t));
      // The job's bytes come back empty, with their buffer, for the next packing.
      std::string bytes = "what the caller had";
      decoder.release(t, bytes);
      EXPECT_TRUE(bytes.empty()) << j;
      EXPECT_GE(bytes.capacity(), set.packed[static_cast<std::size_t>(j)].size()) << j;
    }
    const auto st = decoder.stats();
    EXPECT_EQ(st.submitted, 300u);
    EXPECT_EQ(st.by_helper + st.by_caller + st.ahead_by_caller, 300u);
    EXPECT_EQ(st.never_taken, 0u);
  }
}

// The caller that finds the helper on the job it takes does the next jobs nobody has started
// meanwhile (ahead_by_caller) rather than sleep: the results are the same, every job is done
// once, and at most a window of such results waits besides the helper's own window.
TEST(DecodeThread, WaitingForTheHelperTheCallerDoesLaterJobsAndStaysWithinTwoWindows) {
  const job_set set(120);
  // A long list first in every round, so the helper is often still on it when it is taken.
  message big;
  big.origin = job_addr(0);
  auto& entries = big.body.emplace<peer_list_body>().entries;
  for (int k = 0; k < 20000; ++k) {
    const int id = 1 + k % 399;
    entries.emplace_back(job_addr(id), peer_status::online, static_cast<std::uint64_t>(k),
                         static_cast<peer_id>(id));
  }
  std::string scratch, big_bytes;
  ASSERT_TRUE(pack_peer_list(big, 0, set.book, scratch, big_bytes, nullptr));
  decoded_reply big_inline;
  decode_packed_reply(big_bytes, *set.names, big_inline);
  ASSERT_TRUE(big_inline.status.ok());

  constexpr std::size_t window = 4;
  decode_thread decoder(window);
  for (int round = 0; round < 10; ++round) {
    packed_reply first;
    first.bytes = big_bytes;
    first.names = set.names;
    first.due_ns = 0;
    const auto big_ticket = decoder.submit(std::move(first));
    std::vector<reply_decoder::ticket> tickets;
    for (int j = 0; j < 12; ++j) tickets.push_back(decoder.submit(set.job(round * 12 + j, 1 + j)));
    const decoded_reply& got = decoder.take(big_ticket);
    ASSERT_TRUE(got.status.ok());
    EXPECT_EQ(got.line(), big_inline.line());
    EXPECT_EQ(got.msg, big_inline.msg);
    decoder.release(big_ticket);
    for (int j = 0; j < 12; ++j) {
      const auto t = tickets[static_cast<std::size_t>(j)];
      set.expect_result(round * 12 + j, decoder.take(t));
      decoder.release(t);
    }
    const auto st = decoder.stats();
    EXPECT_LE(st.results, 2 * window + 1) << round;
  }
  const auto st = decoder.stats();
  EXPECT_EQ(st.submitted, 130u);
  EXPECT_EQ(st.by_helper + st.by_caller + st.ahead_by_caller, 130u);
  EXPECT_EQ(st.released, 130u);
}

TEST(DecodeThread, JobsReleasedWithoutATakeFreeTheirPlaceForNewOnes) {
  const job_set set(200);
  decode_thread decoder(2);
  // Rounds of submissions where every other job is never delivered: a window of 2 that such jobs
  // kept would stop the helper after the first round.
  for (int round = 0; round < 5; ++round) {
    std::vector<reply_decoder::ticket> tickets;
    for (int j = 0; j < 40; ++j) tickets.push_back(decoder.submit(set.job(round * 40 + j, j)));
    for (int j = 0; j < 40; j += 2) decoder.release(tickets[static_cast<std::size_t>(j)]);
    for (int j = 1; j < 40; j += 2) {
      const auto t = tickets[static_cast<std::size_t>(j)];
      set.expect_result(round * 40 + j, decoder.take(t));
      decoder.release(t);
    }
  }
  const auto st = decoder.stats();
  EXPECT_EQ(st.submitted, 200u);
  EXPECT_EQ(st.never_taken, 100u);
}

TEST(DecodeThread, DestroyedWithJobsStillQueuedItStopsCleanly) {
  const job_set set(100);
  decode_thread decoder(3);
  std::vector<reply_decoder::ticket> tickets;
  for (int j = 0; j < 100; ++j) tickets.push_back(decoder.submit(set.job(j, 100 - j)));
  set.expect_result(99, decoder.take(tickets[99]));  // the earliest due
  // The destructor joins the helper with most jobs pending, one taken and none released.
}

// `n` peers on a ring, each knowing its two neighbours, all started.
void start_ring(world& w, node_id n) {
  for (node_id i = 0; i < n; ++i) {
    peer_spec s;
    s.name = "p" + std::to_string(i);
    s.address = job_addr(static_cast<int>(i));
    s.neighbours = {job_addr(static_cast<int>((i + n - 1) % n)),
                    job_addr(static_cast<int>((i + 1) % n))};
    w.add_peer(std::move(s));
  }
  for (node_id i = 0; i < n; ++i) w.start(i);
}

// The worlds below: `seed`, exponential delays, replies of `ahead` entries or more handed to
// `decoder` (none: made whole at delivery).
world_config ring_config(std::uint64_t seed, std::shared_ptr<reply_decoder> decoder,
                         std::uint32_t ahead) {
  world_config c;
  c.seed = seed;
  c.network.defaults.delay = delay_distribution::exponential(1, 10);
  c.decoder = std::move(decoder);
  c.decode_ahead_entries = ahead;
  return c;
}

// Every peer of the ring asks 4 of its table for their lists.
void ask_everyone(world& w, node_id n) {
  for (node_id i = 0; i < n; ++i) w.command(i, cmd_get_peers{4});
}

// A discovery on a 40-peer ring, with every reply of 8 entries or more handed to the decoder,
// runs event for event the same with replies made whole on the helper: on a clean network, and on
// one that drops, duplicates and delays lines past the requester's timeout while peers crash and
// come back (replies that are never taken, late and duplicate ones).
TEST(DecodeThread, AWorldRunsTheSameWithItAsWithout) {
  auto run = [](std::shared_ptr<reply_decoder> decoder, bool faults) {
    world_config c = ring_config(7, std::move(decoder), 8);
    if (faults) {
      c.network.defaults.drop_probability = 0.02;
      c.network.defaults.duplicate_probability = 0.05;
      c.network.defaults.timeout_ms = 30;
    }
    world w(c);
    constexpr node_id n = 40;
    start_ring(w, n);
    for (int round = 0; round < 10; ++round) {
      ask_everyone(w, n);
      if (faults && round >= 6) {
        // Crash a few peers while their requests and replies are in flight, restart others.
        w.run_until(w.now() + std::chrono::milliseconds(4));
        for (node_id i = static_cast<node_id>(round); i < n; i += 11) w.crash(i);
        w.run_until(w.now() + std::chrono::milliseconds(4));
        for (node_id i = static_cast<node_id>(round - 1); i < n; i += 11) w.restart(i);
      }
      w.run_until(w.now() + std::chrono::seconds(5));
    }
    return std::make_pair(w.trace_hash(), w.delivered_messages());
  };
  for (const bool faults : {false, true}) {
    const auto alone = run(nullptr, faults);
    auto helper = std::make_shared<decode_thread>(2);
    const auto with = run(helper, faults);
    EXPECT_EQ(with, alone) << faults;
    const auto st = helper->stats();
    EXPECT_GT(st.submitted, 500u) << faults;
    // Every reply taken was made whole by one of the two threads; none twice.
    const auto done = st.by_helper + st.by_caller + st.ahead_by_caller;
    EXPECT_GE(done, st.submitted - st.never_taken) << faults;
    EXPECT_LE(done, st.submitted) << faults;
    if (faults) {
      EXPECT_GT(st.never_taken, 0u);
    }
  }
}

// Runs end with replies still in flight: the world's network gives their jobs back when it goes,
// before its address book (which the jobs read) is destroyed; the decoder lives on.
TEST(DecodeThread, AWorldEndingWithRepliesInFlightGivesTheirJobsBack) {
  auto helper = std::make_shared<decode_thread>(2);
  {
    world w(ring_config(3, helper, 2));
    constexpr node_id n = 40;
    start_ring(w, n);
    for (int round = 0; round < 4; ++round) {
      ask_everyone(w, n);
      w.run_until(w.now() + std::chrono::seconds(5));
    }
    ask_everyone(w, n);
    w.run_until(w.now() + std::chrono::milliseconds(12));  // replies sent, most not delivered
    EXPECT_GT(helper->stats().submitted, helper->stats().released);
  }
  const auto st = helper->stats();
  EXPECT_EQ(st.released, st.submitted);
  EXPECT_GT(st.never_taken, 0u);
}

}  // namespace
}  // namespace eachare::sim
