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

// Splits and validates in one pass; the shared core of parse() and is_valid_peer_address().
bool split_address(std::string_view text, std::string_view& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  if (colon > limits::max_host_bytes) return false;
  host = text.substr(0, colon);
  for (char c : host) {
    if (!is_host_char(c)) return false;
  }
  const std::string_view digits = text.substr(colon + 1);
  // At most five digits keeps the accumulator far from overflow before the range check.
  if (digits.empty() || digits.size() > 5) return false;
  std::uint32_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
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
  std::size_t i = 0;
  while (i < text.size() && is_host_char(text[i])) ++i;
  if (i == 0 || i > limits::max_host_bytes || i == text.size() || text[i] != ':') return 0;
  const std::size_t digits_start = ++i;
  std::uint32_t value = 0;
  // At most five digits, as in split_address.
  while (i < text.size() && i - digits_start < 6 && text[i] >= '0' && text[i] <= '9') {
    value = value * 10 + static_cast<std::uint32_t>(text[i] - '0');
    ++i;
  }
  const std::size_t digits = i - digits_start;
  if (digits == 0 || digits > 5 || value == 0 || value > 65535) return 0;
  if (i == text.size() || text[i] != ':') return 0;
  return i;
}

bool is_valid_peer_address(std::string_view text) {
  std::string_view host;
  std::uint16_t port = 0;
  return split_address(text, host, port);
}

}  // namespace eachare
