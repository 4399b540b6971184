// progress_bar: a one-line progress bar on a terminal for the CLI's long runs (seed sweeps,
// graded classes): items done of the total, how many went wrong, wall time so far and the time
// left at the rate so far. Drawn on stderr only when enabled (a terminal, not --quiet), at most
// every 200 ms and not in the first 500 ms, so short runs print nothing.
//
// Threading rule: one thread (the one that collects results) calls update() and clear().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

namespace eachare::cli {

class progress_bar {
 public:
  // `items`: what is counted ("runs"); `trouble`: what the second count means ("not as expected").
  progress_bar(std::size_t total, bool enabled, std::string items, std::string trouble)
      : total_(total),
        enabled_(enabled),
        items_(std::move(items)),
        trouble_(std::move(trouble)),
        started_(clock::now()) {}
  ~progress_bar() { clear(); }
  progress_bar(const progress_bar&) = delete;
  progress_bar& operator=(const progress_bar&) = delete;

  void update(std::size_t done, std::size_t troubled) {
    if (!enabled_) return;
    const auto t = clock::now();
    if (t - started_ < std::chrono::milliseconds(500) ||
        (shown_ && t - last_ < std::chrono::milliseconds(200))) {
      return;
    }
    last_ = t;
    shown_ = true;
    constexpr std::size_t width = 24;
    const std::size_t filled = total_ == 0 ? width : done * width / total_;
    std::string bar(filled, '#');
    bar.append(width - filled, '-');
    const double elapsed = std::chrono::duration<double>(t - started_).count();
    std::fprintf(stderr, "\r\033[K  [%s] %zu/%zu %s", bar.c_str(), done, total_, items_.c_str());
    if (troubled > 0) std::fprintf(stderr, ", %zu %s", troubled, trouble_.c_str());
    std::fprintf(stderr, ", %.0f s", elapsed);
    if (done > 0 && done < total_) {
      const double left = elapsed / static_cast<double>(done) * static_cast<double>(total_ - done);
      std::fprintf(stderr, ", ETA %.0f s", left);
    }
    std::fflush(stderr);
  }
  // Before anything is printed to stdout, which may be the same terminal.
  void clear() {
    if (!shown_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    shown_ = false;
  }

 private:
  using clock = std::chrono::steady_clock;
  std::size_t total_;
  bool enabled_;
  std::string items_;
  std::string trouble_;
  bool shown_ = false;
  clock::time_point started_;
  clock::time_point last_{};
};

}  // namespace eachare::cli
