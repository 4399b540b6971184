#include "node/cli/console.hpp"

#include <cstddef>
#include <cstdint>

namespace eachare::cli {

namespace {

void append_escaped(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  out.append("\\x");
  out.push_back(hex[c >> 4]);
  out.push_back(hex[c & 0x0F]);
}

// Length of the valid UTF-8 sequence starting at text[i] whose code point is not a C1 control,
// or 0 when the bytes there are not one (overlong forms, surrogates and code points above
// U+10FFFF are not valid UTF-8).
std::size_t safe_utf8_length(std::string_view text, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (text.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0;  // C1 controls, e.g. U+009B (CSI)
  return len;
}

void append_sanitized(std::string& out, std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else if (c == '\t') {
      out.push_back('\t');  // the assignment's listings indent with tabs
      ++i;
    } else if (const std::size_t len = c >= 0x80 ? safe_utf8_length(text, i) : 0; len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      append_escaped(out, c);
      ++i;
    }
  }
}

}  // namespace

std::string sanitize_console_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  append_sanitized(out, text);
  return out;
}

void console::line(std::string_view text) {
  std::string safe = sanitize_console_text(text);
  safe.push_back('\n');
  std::lock_guard lock(mutex_);
  out_ << safe;
  out_.flush();
}

void console::lines(const std::vector<std::string>& texts) {
  std::string block;
  for (const auto& t : texts) {
    append_sanitized(block, t);
    block.push_back('\n');
  }
  std::lock_guard lock(mutex_);
  out_ << block;
  out_.flush();
}

}  // namespace eachare::cli
