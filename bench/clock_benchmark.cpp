// Lamport clock contention: tick and max+1 merge on a mutex clock, a lock-free atomic clock and
// the single-executor clock the node uses, uncontended and with 1, 2, 4 and 8 threads.
// Shared clocks are shared by all benchmark threads; the executor clock is per thread (one node
// per executor), which is the point of the design.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "bench/clocks.hpp"

namespace eachare::bench {
namespace {

template <class Clock>
Clock& shared_clock() {
  static Clock clock;
  return clock;
}

template <class Clock>
Clock& clock_for_this_thread() {
  if constexpr (std::is_same_v<Clock, executor_clock>) {
    thread_local executor_clock own;
    return own;
  } else {
    return shared_clock<Clock>();
  }
}

template <class Clock>
void BM_clock_tick(benchmark::State& state) {
  Clock& clock = clock_for_this_thread<Clock>();
  for (auto _ : state) {
    benchmark::DoNotOptimize(clock.tick());
  }
  state.SetItemsProcessed(state.iterations());
}

template <class Clock>
void BM_clock_merge(benchmark::State& state) {
  Clock& clock = clock_for_this_thread<Clock>();
  // Received values that sometimes win and sometimes lose against the local clock, as in a
  // busy peer: the merge is a real max, not always the same branch.
  std::uint64_t received = static_cast<std::uint64_t>(state.thread_index()) * 7;
  for (auto _ : state) {
    received += 3;
    benchmark::DoNotOptimize(clock.merge(received));
  }
  state.SetItemsProcessed(state.iterations());
}

// Uncontended: one thread, no ->Threads() wrapper (the cheapest path of each design).
BENCHMARK_TEMPLATE(BM_clock_tick, mutex_clock);
BENCHMARK_TEMPLATE(BM_clock_tick, atomic_clock);
BENCHMARK_TEMPLATE(BM_clock_tick, executor_clock);
BENCHMARK_TEMPLATE(BM_clock_merge, mutex_clock);
BENCHMARK_TEMPLATE(BM_clock_merge, atomic_clock);
BENCHMARK_TEMPLATE(BM_clock_merge, executor_clock);

// Contended: 1, 2, 4, 8 threads. Real time, so items/s is the aggregate rate of all threads.
#define EACHARE_CLOCK_THREADS(bm, clock) \
  BENCHMARK_TEMPLATE(bm, clock)->Threads(1)->Threads(2)->Threads(4)->Threads(8)->UseRealTime()

EACHARE_CLOCK_THREADS(BM_clock_tick, mutex_clock);
EACHARE_CLOCK_THREADS(BM_clock_tick, atomic_clock);
EACHARE_CLOCK_THREADS(BM_clock_tick, executor_clock);
EACHARE_CLOCK_THREADS(BM_clock_merge, mutex_clock);
EACHARE_CLOCK_THREADS(BM_clock_merge, atomic_clock);
EACHARE_CLOCK_THREADS(BM_clock_merge, executor_clock);

}  // namespace
}  // namespace eachare::bench

BENCHMARK_MAIN();
