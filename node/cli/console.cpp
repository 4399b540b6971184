#include "node/cli/console.hpp"

namespace eachare::cli {

void console::line(std::string_view text) {
  std::lock_guard lock(mutex_);
  out_ << text << '\n';
  out_.flush();
}

void console::lines(const std::vector<std::string>& texts) {
  std::lock_guard lock(mutex_);
  for (const auto& t : texts) out_ << t << '\n';
  out_.flush();
}

}  // namespace eachare::cli
