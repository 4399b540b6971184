// base64: standard alphabet, '=' padding (RFC 4648 §4), as FILE lines carry chunks.
// Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace eachare::base64 {

constexpr std::size_t encoded_size(std::size_t raw) {
  return (raw + 2) / 3 * 4;
}

void encode_to(std::string_view raw, std::string& out);  // appends
std::string encode(std::string_view raw);

// Appends the decoded bytes to `out`. False on a character outside the alphabet, a length that
// is not a multiple of 4, or misplaced padding; `out` is then unspecified.
bool decode_to(std::string_view text, std::string& out);

}  // namespace eachare::base64
