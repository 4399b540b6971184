#include "node/protocol/peer_address.hpp"

namespace eachare {

namespace {

// A table, not a chain of range tests: every PEER_LIST entry's host goes through here.
struct host_chars {
  bool allowed[256] = {};
  constexpr host_chars() {
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    allowed[static_cast<unsigned char>('.')] = true;
    allowed[static_cast<unsigned char>('-')] = true;
  }
};
constexpr host_chars host_char_table;

constexpr bool is_host_char(char c) {
  return host_char_table.allowed[static_cast<unsigned char>(c)];
}

// The one validation of `host:port`, shared by parse(), is_valid_peer_address() and the
// decoder's entry fast path: the length of the well-formed `host:port` that `text` starts with,
// its port digits ending at the end of `text` or at any non-digit; 0 when there is none. A host
// never contains ':', so this first ':' is also the last one of a valid address.
std::size_t scan_address(std::string_view text, std::size_t& host_bytes, std::uint16_t& port) {
  std::size_t i = 0;
  while (i < text.size() && is_host_char(text[i])) ++i;
  if (i == 0 || i > limits::max_host_bytes || i == text.size() || text[i] != ':') return 0;
  host_bytes = i;
  const std::size_t digits_start = ++i;
  std::uint32_t value = 0;
  // At most five digits (a sixth is read only to reject it) keeps the accumulator far from
  // overflow before the range check.
  while (i < text.size() && i - digits_start < 6 && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + static_cast<std::uint32_t>(text[i] - '0');
    ++i;
  }
  const std::size_t digits = i - digits_start;
  if (digits == 0 || digits > 5 || value == 0 || value > 65535) return 0;
  port = static_cast<std::uint16_t>(value);
  return i;
}

bool split_address(std::string_view text, std::string_view& host, std::uint16_t& port) {
  std::size_t host_bytes = 0;
  const std::size_t n = scan_address(text, host_bytes, port);
  if (n == 0 || n != text.size()) return false;
  host = text.substr(0, host_bytes);
  return true;
}

}  // namespace

std::optional<peer_address> peer_address::parse(std::string_view text) {
  std::string_view host;
  std::uint16_t port = 0;
  if (!split_address(text, host, port)) return std::nullopt;
  return peer_address{std::string(host), port};
}

std::string peer_address::to_string() const {
  std::string out;
  out.reserve(host.size() + 6);
  out.append(host);
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

std::size_t address_prefix_before_colon(std::string_view text) {
  std::size_t host_bytes = 0;
  std::uint16_t port = 0;
  const std::size_t n = scan_address(text, host_bytes, port);
  return n != 0 && n < text.size() && text[n] == ':' ? n : 0;
}

bool is_valid_peer_address(std::string_view text) {
  std::string_view host;
  std::uint16_t port = 0;
  return split_address(text, host, port);
}

}  // namespace eachare
