// console: the one writer of the peer's stdout. Every line is written whole under a mutex and
// flushed at once, because listener output (io thread) interleaves with the menu (stdin thread)
// and graders read stdout through a pipe. Threading rule: safe from any thread.
#pragma once

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace eachare::cli {

class console {
 public:
  explicit console(std::ostream& out) : out_(out) {}

  // Writes `text` and '\n', flushed.
  void line(std::string_view text);
  // Writes several lines as one block (no other line interleaves).
  void lines(const std::vector<std::string>& texts);

 private:
  std::mutex mutex_;
  std::ostream& out_;
};

}  // namespace eachare::cli
