// Fuzz target: the neighbours file parser. Any text gives valid, distinct addresses other than
// self, in file order, and warnings of one line each. The first input line is used as `self`.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "node/core/neighbours.hpp"
#include "node/protocol/peer_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string_view self = "127.0.0.1:9000";
  if (const auto nl = text.find('\n'); nl != std::string_view::npos && nl < 64) {
    self = text.substr(0, nl);
    text.remove_prefix(nl + 1);
  }
  const auto r = eachare::parse_neighbours(text, self);
  std::set<std::string> seen;
  for (const auto& a : r.addresses) {
    FUZZ_CHECK(eachare::is_valid_peer_address(a), "every neighbour is a valid address");
    FUZZ_CHECK(a != self, "self is never a neighbour");
    FUZZ_CHECK(seen.insert(a).second, "no neighbour twice");
  }
  for (const auto& w : r.warnings) {
    FUZZ_CHECK(w.find('\n') == std::string::npos, "a warning is one line");
  }
  return 0;
}
