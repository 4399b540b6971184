#include "node/protocol/base64.hpp"

#include <array>
#include <cstdint>

namespace eachare::base64 {

namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xFF;

// 256-entry reverse table so decoding is one load per character, with no branches on ranges.
constexpr std::array<std::uint8_t, 256> make_reverse_table() {
  std::array<std::uint8_t, 256> table{};
  for (auto& v : table) v = invalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}

constexpr auto reverse_table = make_reverse_table();

inline std::uint32_t byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

inline std::uint32_t sextet(std::string_view s, std::size_t i) {
  return reverse_table[static_cast<unsigned char>(s[i])];
}

}  // namespace

void encode_to(std::string_view raw, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + encoded_size(raw.size()));
  char* dst = out.data() + start;
  std::size_t i = 0;
  const std::size_t full = raw.size() / 3 * 3;
  for (; i < full; i += 3) {
    const std::uint32_t v =
        (byte_at(raw, i) << 16) | (byte_at(raw, i + 1) << 8) | byte_at(raw, i + 2);
    *dst++ = alphabet[(v >> 18) & 0x3F];
    *dst++ = alphabet[(v >> 12) & 0x3F];
    *dst++ = alphabet[(v >> 6) & 0x3F];
    *dst++ = alphabet[v & 0x3F];
  }
  const std::size_t rest = raw.size() - full;
  if (rest == 1) {
    const std::uint32_t v = byte_at(raw, i) << 16;
    *dst++ = alphabet[(v >> 18) & 0x3F];
    *dst++ = alphabet[(v >> 12) & 0x3F];
    *dst++ = '=';
    *dst++ = '=';
  } else if (rest == 2) {
    const std::uint32_t v = (byte_at(raw, i) << 16) | (byte_at(raw, i + 1) << 8);
    *dst++ = alphabet[(v >> 18) & 0x3F];
    *dst++ = alphabet[(v >> 12) & 0x3F];
    *dst++ = alphabet[(v >> 6) & 0x3F];
    *dst++ = '=';
  }
}

std::string encode(std::string_view raw) {
  std::string out;
  encode_to(raw, out);
  return out;
}

bool decode_to(std::string_view text, std::string& out) {
  if (text.size() % 4 != 0) return false;
  if (text.empty()) return true;

  // Padding may only occupy the last one or two positions of the last quartet.
  std::size_t pad = 0;
  if (text.back() == '=') {
    pad = 1;
    if (text[text.size() - 2] == '=') pad = 2;
  }

  const std::size_t start = out.size();
  out.resize(start + text.size() / 4 * 3 - pad);
  char* dst = out.data() + start;

  const std::size_t body = text.size() - 4;  // every quartet but the last has no padding
  for (std::size_t i = 0; i < body; i += 4) {
    const std::uint32_t a = sextet(text, i), b = sextet(text, i + 1), c = sextet(text, i + 2),
                        d = sextet(text, i + 3);
    // Any invalid sextet sets a bit above the low six, so one test covers all four.
    if ((a | b | c | d) & 0xC0) return false;
    const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    *dst++ = static_cast<char>((v >> 16) & 0xFF);
    *dst++ = static_cast<char>((v >> 8) & 0xFF);
    *dst++ = static_cast<char>(v & 0xFF);
  }

  const std::size_t i = body;
  const std::uint32_t a = sextet(text, i), b = sextet(text, i + 1);
  const std::uint32_t c = pad >= 2 ? 0 : sextet(text, i + 2);
  const std::uint32_t d = pad >= 1 ? 0 : sextet(text, i + 3);
  if ((a | b | c | d) & 0xC0) return false;
  const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
  *dst++ = static_cast<char>((v >> 16) & 0xFF);
  if (pad < 2) *dst++ = static_cast<char>((v >> 8) & 0xFF);
  if (pad < 1) *dst++ = static_cast<char>(v & 0xFF);
  return true;
}

}  // namespace eachare::base64
