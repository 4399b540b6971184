// Fuzz target: peer address parsing. What parses is valid by is_valid_peer_address (and what does
// not parse is not), has a port in 1..65535 and a host of [A-Za-z0-9.-], and prints as text that
// parses to the same address.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "node/protocol/peer_address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto a = eachare::peer_address::parse(text);
  FUZZ_CHECK(a.has_value() == eachare::is_valid_peer_address(text),
             "parse and is_valid_peer_address agree");
  if (!a) return 0;
  FUZZ_CHECK(a->port >= 1, "port 1..65535");
  FUZZ_CHECK(!a->host.empty(), "a host");
  for (const char c : a->host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-';
    FUZZ_CHECK(ok, "host characters are [A-Za-z0-9.-]");
  }
  const auto again = eachare::peer_address::parse(a->to_string());
  FUZZ_CHECK(again && *again == *a, "parse(to_string(a)) == a");
  return 0;
}
