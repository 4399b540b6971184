// ordered_pool: runs `count` independent jobs on up to `jobs` threads and hands each result back on
// the calling thread in job order (0, 1, 2, ...) whatever the number of threads, so what a sweep
// prints and writes does not depend on --jobs. Used for (file, seed) runs of eachare-sim; nothing
// in it knows about scenarios, so (implementation, file) grading jobs can use it too.
//
// Threading rule: `work(i)` runs on a pool thread (on the calling thread when jobs <= 1) and must
// touch only state of its own job; `deliver` and `tick` always run on the calling thread. A job
// that throws stops the pool from starting new jobs; the exception is rethrown from run_ordered
// after every started job has ended. A `deliver` or `tick` that throws does the same.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace eachare::cli {

// --jobs default: the cores this process may use (at least 1).
inline unsigned default_jobs() {
  return std::max(1u, std::thread::hardware_concurrency());
}

// `tick(done)` is called after each delivery and, while waiting, about every `tick_every`, with
// the number of jobs finished so far (delivered or not).
template <typename Result>
void run_ordered(std::size_t count, unsigned jobs, const std::function<Result(std::size_t)>& work,
                 const std::function<void(std::size_t, Result&&)>& deliver,
                 const std::function<void(std::size_t done)>& tick = {},
                 std::chrono::milliseconds tick_every = std::chrono::milliseconds(200)) {
  if (jobs <= 1 || count <= 1) {
    for (std::size_t i = 0; i < count; ++i) {
      deliver(i, work(i));
      if (tick) tick(i + 1);
    }
    return;
  }
  std::mutex mutex;
  std::condition_variable finished;
  std::vector<std::optional<Result>> slots(count);  // guarded by mutex
  std::size_t done = 0;                             // guarded by mutex
  std::exception_ptr failure;                       // guarded by mutex
  std::atomic<std::size_t> next{0};
  std::atomic<bool> stop{false};

  auto worker = [&] {
    for (;;) {
      if (stop.load()) return;
      const auto i = next.fetch_add(1);
      if (i >= count) return;
      try {
        auto r = work(i);
        std::lock_guard lock(mutex);
        slots[i].emplace(std::move(r));
        ++done;
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        stop.store(true);
      }
      finished.notify_one();
    }
  };
  std::vector<std::thread> threads;
  const auto n = static_cast<std::size_t>(std::min<std::size_t>(jobs, count));
  threads.reserve(n);
  for (std::size_t t = 0; t < n; ++t) threads.emplace_back(worker);

  // Whatever leaves this function (a delivery that throws included), the pool stops taking jobs
  // and every thread is joined first: a std::thread destroyed while joinable would terminate.
  struct joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~joiner() {
      stop.store(true);
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } join_all{stop, threads};

  std::size_t delivered = 0;
  while (delivered < count) {
    std::optional<Result> ready;
    std::size_t done_now = 0;
    {
      std::unique_lock lock(mutex);
      finished.wait_for(lock, tick_every,
                        [&] { return slots[delivered].has_value() || failure != nullptr; });
      if (failure) break;
      done_now = done;
      if (slots[delivered]) {
        ready = std::move(slots[delivered]);
        slots[delivered].reset();
      }
    }
    if (ready) {
      deliver(delivered, std::move(*ready));
      ++delivered;
    }
    if (tick) tick(done_now);
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mutex);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace eachare::cli
