#include "node/core/neighbours.hpp"

#include <set>

#include "node/protocol/peer_address.hpp"

namespace eachare {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

neighbours_result parse_neighbours(std::string_view text, std::string_view self) {
  neighbours_result result;
  std::set<std::string_view, std::less<>> seen;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);

    line = trim(line);
    if (line.empty()) continue;
    if (!is_valid_peer_address(line)) {
      result.warnings.push_back("neighbours file line " + std::to_string(line_number) + ": '" +
                                std::string(line) + "' is not ip:port, skipped");
      continue;
    }
    if (line == self) continue;
    // `seen` points into `text`, which outlives the loop.
    if (!seen.insert(line).second) continue;
    result.addresses.emplace_back(line);
  }
  return result;
}

}  // namespace eachare
