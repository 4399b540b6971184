// peer_address: the textual identity `<host>:<port>` of a peer, as it appears in ORIGIN fields,
// neighbours files and PEER_LIST entries. A plain value type; no threading concerns.
//
// The string is the identity (protocol.md §1): `localhost:9000` and `127.0.0.1:9000` are two
// different peers, so we keep the text exactly as given and never resolve or normalise it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eachare {

namespace limits {
// Longest host part of an address on the wire: a DNS name's limit (RFC 1035). Every ORIGIN and
// PEER_LIST entry is checked against it, so a peer's address costs at most a few hundred bytes
// in our tables and in every PEER_LIST we send (a 30 MB host once made that reply abort).
inline constexpr std::size_t max_host_bytes = 253;
}  // namespace limits

struct peer_address {
  std::string host;  // dotted IPv4 or a host name made of [A-Za-z0-9.-]
  std::uint16_t port = 0;

  // Parses `host:port`. Rejects an empty host, a host longer than limits::max_host_bytes,
  // characters outside [A-Za-z0-9.-], a missing or non-numeric port, port 0 and ports above
  // 65535. Splits at the last ':'.
  static std::optional<peer_address> parse(std::string_view text);

  std::string to_string() const;  // `host:port`
  friend bool operator==(const peer_address&, const peer_address&) = default;
};

// True when `text` is a well-formed `host:port` (same rules as peer_address::parse), without
// building the value: the decoder's hot path.
bool is_valid_peer_address(std::string_view text);

// The length of the well-formed `host:port` (same rules) that `text` starts with when a ':'
// follows it, as in every PEER_LIST entry `host:port:STATUS:clock`; 0 otherwise. One forward
// pass: the decoder's fast path for entries.
std::size_t address_prefix_before_colon(std::string_view text);

}  // namespace eachare
