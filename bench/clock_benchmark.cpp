// Lamport clock contention: tick and max+1 merge on a mutex clock, a lock-free atomic clock and
// the single-executor clock the node uses, uncontended and with 1, 2, 4 and 8 threads.
// Shared clocks are shared by all benchmark threads; the executor clock is per thread (one node
// per executor), which is the point of the design.
// BM_clock_tick_posted is the honest price of that design when the ticks come from other
// threads: each benchmark thread posts a tick to ONE executor thread (an Asio io_context, as the
// real peer runs) and the tick runs there; a thread keeps at most 1,024 posts outstanding, so
// the rate measured is what the executor absorbs, not what the queue buffers.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "bench/clocks.hpp"
#include "node/asio/asio.hpp"

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

// One executor thread owning one executor_clock; other threads reach it only by posting.
class posting_executor {
 public:
  posting_executor() : thread_([this] { io_.run(); }) {}
  ~posting_executor() {
    guard_.reset();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }
  executor_clock clock;  // touched only on the executor thread
  std::uint64_t last = 0;

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      boost::asio::make_work_guard(io_)};
  std::thread thread_;
};

posting_executor& shared_executor() {
  static posting_executor ex;
  return ex;
}

void BM_clock_tick_posted(benchmark::State& state) {
  constexpr std::uint64_t window = 1024;
  posting_executor& ex = shared_executor();
  std::atomic<std::uint64_t> done{0};
  std::uint64_t posted = 0;
  for (auto _ : state) {
    boost::asio::post(ex.io(), [&ex, &done] {
      ex.last = ex.clock.tick();
      done.fetch_add(1, std::memory_order_release);
    });
    if (++posted - done.load(std::memory_order_acquire) > window) {
      while (posted - done.load(std::memory_order_acquire) > window / 2) std::this_thread::yield();
    }
  }
  // Every posted tick must have run before `done` goes out of scope.
  while (done.load(std::memory_order_acquire) < posted) std::this_thread::yield();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_clock_tick_posted)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace
}  // namespace eachare::bench

BENCHMARK_MAIN();
