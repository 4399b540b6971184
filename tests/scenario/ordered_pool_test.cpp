// Tests of eachare-sim's ordered pool (sim/cli/ordered_pool.hpp): results come back in job order
// whatever the number of threads, a throwing job surfaces on the calling thread, and whole
// scenario runs on several threads give the same trace hashes as one thread (nothing shared
// between worlds; the TSan build runs this too).
#include "sim/cli/ordered_pool.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/runner.hpp"

namespace eachare::cli {
namespace {

TEST(OrderedPool, DeliversInJobOrderWhateverTheThreads) {
  for (unsigned jobs : {1u, 2u, 3u, 8u}) {
    std::vector<std::size_t> order;
    std::vector<int> values;
    const std::function<int(std::size_t)> work = [](std::size_t i) {
      // Early jobs finish last, so completion order is the reverse of job order.
      std::this_thread::sleep_for(std::chrono::microseconds(200 * (20 - i)));
      return static_cast<int>(i * i);
    };
    const std::function<void(std::size_t, int&&)> deliver = [&](std::size_t i, int&& v) {
      order.push_back(i);
      values.push_back(v);
    };
    std::size_t last_tick = 0;
    const std::function<void(std::size_t)> tick = [&](std::size_t done) {
      EXPECT_LE(done, 20u);
      last_tick = done;
    };
    run_ordered<int>(20, jobs, work, deliver, tick, std::chrono::milliseconds(1));
    ASSERT_EQ(order.size(), 20u) << jobs;
    for (std::size_t i = 0; i < 20; ++i) {
      EXPECT_EQ(order[i], i);
      EXPECT_EQ(values[i], static_cast<int>(i * i));
    }
    EXPECT_EQ(last_tick, 20u);
  }
}

TEST(OrderedPool, DeliversOnTheCallingThread) {
  const auto caller = std::this_thread::get_id();
  const std::function<int(std::size_t)> work = [](std::size_t i) { return static_cast<int>(i); };
  std::size_t n = 0;
  const std::function<void(std::size_t, int&&)> deliver = [&](std::size_t, int&&) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++n;
  };
  run_ordered<int>(10, 4, work, deliver);
  EXPECT_EQ(n, 10u);
}

TEST(OrderedPool, AThrowingJobSurfacesOnTheCallingThread) {
  for (unsigned jobs : {1u, 3u}) {
    const std::function<int(std::size_t)> work = [](std::size_t i) {
      if (i == 5) throw std::runtime_error("job 5 broke");
      return 0;
    };
    std::size_t delivered = 0;
    const std::function<void(std::size_t, int&&)> deliver = [&](std::size_t, int&&) {
      ++delivered;
    };
    try {
      run_ordered<int>(50, jobs, work, deliver);
      ADD_FAILURE() << "no exception with jobs " << jobs;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "job 5 broke");
    }
    EXPECT_LE(delivered, 5u);
  }
}

TEST(OrderedPool, AThrowingDeliveryJoinsThePoolAndSurfaces) {
  const std::function<int(std::size_t)> work = [](std::size_t i) { return static_cast<int>(i); };
  const std::function<void(std::size_t, int&&)> deliver = [](std::size_t i, int&&) {
    if (i == 3) throw std::runtime_error("delivery 3 broke");
  };
  try {
    run_ordered<int>(100, 3, work, deliver);
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "delivery 3 broke");
  }
}

TEST(OrderedPool, NoJobsDeliversNothing) {
  const std::function<int(std::size_t)> work = [](std::size_t) -> int {
    throw std::logic_error("must not run");
  };
  const std::function<void(std::size_t, int&&)> deliver = [](std::size_t, int&&) {
    ADD_FAILURE() << "delivered";
  };
  run_ordered<int>(0, 4, work, deliver);
}

TEST(OrderedPool, ParallelScenarioRunsGiveTheSameTracesAsOneThread) {
  const auto s = scenario::load_string(R"(name: lossy-ring
duration_ms: 6000
network: {delay: {dist: uniform, min_ms: 1, max_ms: 30}, drop_probability: 0.1,
          duplicate_probability: 0.05}
peers: {count: 8, topology: ring}
timeline:
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
checks:
  - lamport_order
)",
                                       "lossy.yaml");
  auto hashes = [&](unsigned jobs) {
    std::vector<std::uint64_t> out;
    const std::function<std::uint64_t(std::size_t)> work = [&s](std::size_t i) {
      scenario::run_options o;
      o.seed = i + 1;
      return scenario::run(s, o).trace_hash;
    };
    const std::function<void(std::size_t, std::uint64_t &&)> deliver =
        [&out](std::size_t, std::uint64_t&& h) { out.push_back(h); };
    run_ordered<std::uint64_t>(16, jobs, work, deliver);
    return out;
  };
  const auto one = hashes(1);
  EXPECT_EQ(hashes(4), one);
  // Different seeds really are different runs.
  EXPECT_NE(one[0], one[1]);
}

}  // namespace
}  // namespace eachare::cli
