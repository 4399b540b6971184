// codec: the only translation between message values and protocol lines (protocol.md §2, §6,
// §7). Pure functions; safe to call from any thread.
//
// Every bound is a named constexpr, checked on decode and asserted on encode with the same value,
// so a hostile or buggy peer can never make us allocate without limit, and nothing we decoded can
// make an encode fail: the bounds are limits::max_clock, limits::max_host_bytes and those below.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "node/protocol/lamport_clock.hpp"  // limits::max_clock
#include "node/protocol/message.hpp"
#include "node/protocol/peer_address.hpp"  // limits::max_host_bytes

namespace eachare {

namespace limits {
// Largest chunk we serve or accept (also bounds part-2 whole-file transfers, chunk size 0).
inline constexpr std::uint64_t max_chunk_bytes = 32ull * 1024 * 1024;
// Largest PEER_LIST we accept or send, in entries and in bytes (the whole line, '\n' excluded).
// The byte bound is what keeps a reply we build from what others told us within every peer's
// line limit: 200,000 entries of up to 290 bytes would be 58 MB.
inline constexpr std::size_t max_peer_list_entries = 200'000;
inline constexpr std::size_t max_peer_list_bytes = 8 * 1024 * 1024;
// Largest LS_LIST we accept or send.
inline constexpr std::size_t max_ls_list_entries = 100'000;
// Longest file name on the wire.
inline constexpr std::size_t max_file_name_bytes = 255;
// Longest line, '\n' excluded: a FILE line carrying max_chunk_bytes of base64 plus its header.
inline constexpr std::size_t max_line_bytes = (max_chunk_bytes + 2) / 3 * 4 + 4096;
}  // namespace limits

enum class decode_error : std::uint8_t {
  none = 0,
  empty_line,
  too_few_fields,  // fewer than ORIGIN CLOCK TYPE
  bad_origin,      // not host:port
  bad_clock,       // not a non-negative decimal that fits in 64 bits
  unknown_type,
  bad_count,     // N of PEER_LIST / LS_LIST not a number, or over the limit
  bad_entry,     // a PEER_LIST or LS_LIST entry that does not parse
  bad_argument,  // wrong arguments for DL / FILE (missing, non-numeric, bad name)
  bad_base64,
  line_too_long,
  trailing_garbage,  // extra fields after a message that takes none (HELLO x)
};

// A short English phrase for the error ("bad clock field"), for warnings.
std::string_view to_string(decode_error e);

struct decode_status {
  decode_error error = decode_error::none;
  std::string detail;  // human-readable, one line, names the offending field/entry
  bool ok() const { return error == decode_error::none; }
};

// Decodes one line. Tolerates (protocol.md §7): a trailing '\n', "\r\n", a NUL and anything after
// it, trailing spaces, runs of spaces between fields, `PEERS_LIST`, N disagreeing with the
// entries that follow (entries win), FILE with no base64 field (empty data).
// On failure `out` is unspecified and the status says why.
decode_status decode(std::string_view line, message& out);

// Appends the line for `m` to `out`, without the trailing '\n'.
void encode_to(const message& m, std::string& out);

// The line for `m`, without the trailing '\n'.
std::string encode(const message& m);

// Decimal digits of `value` (1 for 0), from its bit count and one table compare instead of a loop
// of compares: every PEER_LIST entry's size is counted twice in the simulator, once by the
// responder and once when the reply is packed.
inline std::size_t decimal_width(std::uint64_t value) {
  static constexpr auto powers = [] {
    std::array<std::uint64_t, 20> p{};
    p[0] = 1;
    for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
    return p;
  }();
  // bit_width * 1233 / 4096 is floor(log10(2^bit_width)): the width, or one more than it.
  const auto guess = (static_cast<std::size_t>(std::bit_width(value | 1u)) * 1233) >> 12;
  return guess + ((value | 1u) >= powers[guess] ? 1 : 0);
}

// Bytes one entry adds to an encoded PEER_LIST (its leading space included): lets a sender stop
// before limits::max_peer_list_bytes. Inline: see decimal_width.
inline std::size_t encoded_size(std::size_t address_bytes, peer_status status,
                                std::uint64_t clock) {
  return 1 + address_bytes + 1 + to_string(status).size() + 1 + decimal_width(clock);
}
inline std::size_t encoded_size(const peer_entry& e) {
  return encoded_size(e.address.size(), e.status, e.clock);
}
// Bytes of a PEER_LIST line from `origin` at `clock` with `entries` entries, before the entries
// themselves: "<origin> <clock> PEER_LIST <N>".
std::size_t peer_list_header_size(std::string_view origin, std::uint64_t clock,
                                  std::size_t entries);

// A PEER_LIST line written piece by piece, for a sender that keeps its entries in another form
// than peer_list_body (the simulator writes lines it kept packed in flight): the header
// "<origin> <clock> PEER_LIST <N>", then each entry with its leading space. The bytes are
// encode()'s for the same message; the same asserts hold (valid addresses, clocks in range).
void append_peer_list_header(std::string& out, std::string_view origin, std::uint64_t clock,
                             std::size_t entries);
void append_peer_entry(std::string& out, std::string_view address, peer_status status,
                       std::uint64_t clock);

namespace codec_detail {

// Copies n bytes with fixed-size moves when n is small: an address is 9-21 bytes and a status word
// 6 or 7, and a libc memcpy call per piece was a tenth of writing a PEER_LIST line. Two
// overlapping moves cover [0, n) without reading or writing past it.
[[gnu::always_inline]] inline char* copy_short(char* w, const char* src, std::size_t n) {
  if (n >= 16 && n <= 32) {
    std::memcpy(w, src, 16);
    std::memcpy(w + n - 16, src + n - 16, 16);
  } else if (n >= 8 && n < 16) {
    std::memcpy(w, src, 8);
    std::memcpy(w + n - 8, src + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(w, src, 4);
    std::memcpy(w + n - 4, src + n - 4, 4);
  } else if (n >= 2 && n < 4) {
    std::memcpy(w, src, 2);
    std::memcpy(w + n - 2, src + n - 2, 2);
  } else if (n == 1) {
    *w = *src;
  } else {
    std::memcpy(w, src, n);
  }
  return w + n;
}

// The eight decimal digits of `value` (< 10^8, zero-padded) as ASCII, the most significant in the
// lowest byte: split in two halves of four digits, then into pairs, then into digits, each step
// one multiply for every lane at once (a divide by 100 as * 10486 >> 20, by 10 as * 103 >> 10:
// exact below 10,000 and 100, and no lane's product reaches the next lane's bits).
static_assert(std::endian::native == std::endian::little, "eight_digits: lowest byte first");
inline std::uint64_t eight_digits(std::uint32_t value) {
  const std::uint64_t x = (value / 10000) | (std::uint64_t{value % 10000} << 32);
  const std::uint64_t hundreds = ((x * 10486) >> 20) & 0x0000007F0000007Full;
  const std::uint64_t pairs = hundreds | ((x - hundreds * 100) << 16);  // 16-bit lanes, < 100
  const std::uint64_t tens = ((pairs * 103) >> 10) & 0x000F000F000F000Full;
  return (tens | ((pairs - tens * 10) << 8)) | 0x3030303030303030ull;
}

}  // namespace codec_detail

// The same entry written at `w`, which has room for its encoded size (1 + address + 1 + status
// word + 1 + the clock's digits); returns the end. For a writer that sized the whole line first
// and so spares a resize per entry. Inline, with the status and its colons as one 8-byte word and
// a clock below 10^8 as eight digits at once: the simulator writes a line for every PEER_LIST it
// delivers, and a call and std::to_chars per entry were a third of that.
inline char* write_peer_entry(char* w, std::string_view address, peer_status status,
                              std::uint64_t clock) {
  assert(is_valid_peer_address(address));
  assert(clock <= limits::max_clock);
  *w++ = ' ';
  w = codec_detail::copy_short(w, address.data(), address.size());
  if (status == peer_status::online) {
    std::memcpy(w, ":ONLINE:", 8);
    w += 8;
  } else {
    std::memcpy(w, ":OFFLINE", 8);
    w[8] = ':';
    w += 9;
  }
  const std::size_t width = decimal_width(clock);
  if (width <= 8) {
    // The digits past the leading zeros, moved to the lowest bytes.
    const std::uint64_t digits =
        codec_detail::eight_digits(static_cast<std::uint32_t>(clock)) >> (8 * (8 - width));
    char bytes[8];
    std::memcpy(bytes, &digits, 8);
    return codec_detail::copy_short(w, bytes, width);
  }
  // to_chars writes exactly decimal_width(clock) digits; the caller made room for them.
  return std::to_chars(w, w + width, clock).ptr;
}

// The safety rule for file names on the wire and in DL requests: non-empty, at most
// max_file_name_bytes, no '/', '\\', NUL, space, control characters, and not "." or "..".
bool is_safe_file_name(std::string_view name);

}  // namespace eachare
