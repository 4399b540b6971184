#include "node/protocol/codec.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>
#include <variant>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "node/protocol/base64.hpp"
#include "node/protocol/peer_address.hpp"

namespace eachare {

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers shared by decode and encode.

// Detail strings end up in one-line warnings, so a hostile value must neither break the line nor
// flood the log: control bytes are escaped and long values cut.
constexpr std::size_t max_quoted_chars = 60;

void append_quoted(std::string& out, std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  out.push_back('\'');
  std::size_t shown = 0;
  for (char ch : value) {
    if (shown == max_quoted_chars) {
      out.append("...");
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c >= 0x7F || c == '\'' || c == '\\') {
      out.append("\\x");
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0x0F]);
    } else {
      out.push_back(ch);
    }
    ++shown;
  }
  out.push_back('\'');
}

// `s` = the n bytes at src. An entry decoded into a reused list mostly gets an address as long as
// the one it held (a discovery's addresses differ in a digit or two): then a fixed-size copy
// into the string's own bytes, not assign()'s checks and libc memcpy call.
[[gnu::always_inline]] inline void assign_short(std::string& s, const char* src, std::size_t n) {
  if (s.size() == n && n <= 32) {
    codec_detail::copy_short(s.data(), src, n);
  } else {
    s.assign(src, n);
  }
}

// The value of the n (1-8) decimal digits at p, all known to be digits, with 8 bytes readable
// from p: eight bytes at once instead of a multiply and a branch per digit. After '0' is taken
// from every byte, the bytes past the digits are shifted out (a borrow among them never reaches
// the digits below them), leaving the digits at the top behind leading zeros; then pairs, fours
// and the two halves are combined with one multiply each.
[[gnu::always_inline]] inline std::uint64_t digits_value(const char* p, unsigned n) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  v -= 0x3030303030303030ull;
  v <<= 8 * (8 - n);
  v = v * 10 + (v >> 8);  // byte 2k: the two-digit value of digits 2k, 2k + 1
  v = ((v & 0x00FF00FF00FF00FFull) * (1 + (100ull << 16))) >> 16;  // 16-bit lanes 0 and 2: fours
  v = ((v & 0x0000FFFF0000FFFFull) * (1 + (10000ull << 32))) >> 32;
  return v;
}

void append_number(std::string& out, std::uint64_t value) {
  char buffer[std::numeric_limits<std::uint64_t>::digits10 + 2];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

enum class number_result : std::uint8_t { ok, not_a_number, overflow };

// Digits only: no sign, no '+', no spaces. The whole field is scanned even after an overflow so
// that "12x" with many digits is reported as not a number rather than as too big.
number_result parse_u64(std::string_view text, std::uint64_t& value) {
  if (text.empty()) return number_result::not_a_number;
  std::uint64_t v = 0;
  bool overflow = false;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return number_result::not_a_number;
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (v > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) overflow = true;
    v = v * 10 + digit;
  }
  if (overflow) return number_result::overflow;
  value = v;
  return number_result::ok;
}

// Splits a line into space-separated fields, skipping runs of spaces (protocol.md §7).
class field_cursor {
 public:
  explicit field_cursor(std::string_view line) : line_(line) {}

  // False at the end of the line.
  bool next(std::string_view& field) {
    while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
    if (pos_ == line_.size()) return false;
    const std::size_t start = pos_;
    // find() is a memchr: PEER_LIST lines are a hundred kilobytes of fields.
    pos_ = std::min(line_.find(' ', start), line_.size());
    field = line_.substr(start, pos_ - start);
    return true;
  }

  std::size_t remaining_bytes() const { return line_.size() - pos_; }

  // The unread rest of the line from the next field on (empty at the end), for a decoder that
  // consumes a field itself and then calls advance() with its length.
  std::string_view rest() {
    while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
    return line_.substr(pos_);
  }
  void advance(std::size_t bytes) { pos_ += bytes; }

 private:
  std::string_view line_;
  std::size_t pos_ = 0;
};

// Status builder: keeps the error paths short at the call sites.
struct failure {
  decode_status& status;

  decode_status& operator()(decode_error error, std::string detail) const {
    status.error = error;
    status.detail = std::move(detail);
    return status;
  }
};

std::string field_detail(std::string_view what, std::string_view value, std::string_view why) {
  std::string detail;
  detail.reserve(what.size() + why.size() + value.size() + 8);
  detail.append(what);
  detail.push_back(' ');
  append_quoted(detail, value);
  detail.push_back(' ');
  detail.append(why);
  return detail;
}

std::string entry_detail(std::string_view list, std::size_t index, std::string_view value,
                         std::string_view why) {
  std::string detail;
  detail.append(list);
  detail.append(" entry ");
  append_number(detail, index);
  detail.push_back(' ');
  append_quoted(detail, value);
  detail.push_back(' ');
  detail.append(why);
  return detail;
}

std::string_view number_problem(number_result r) {
  return r == number_result::overflow ? "does not fit in 64 bits"
                                      : "is not a non-negative decimal number";
}

// The wire spelling -> type; PEERS_LIST is a synonym some peers send (protocol.md §7).
bool parse_type(std::string_view text, message_type& type) {
  struct spelling {
    std::string_view text;
    message_type type;
  };
  static constexpr spelling spellings[] = {
      {"HELLO", message_type::hello},
      {"GET_PEERS", message_type::get_peers},
      {"PEER_LIST", message_type::peer_list},
      {"BYE", message_type::bye},
      {"LS", message_type::ls},
      {"LS_LIST", message_type::ls_list},
      {"DL", message_type::dl},
      {"FILE", message_type::file},
      {"PEERS_LIST", message_type::peer_list},
  };
  for (const auto& s : spellings) {
    if (s.text == text) {
      type = s.type;
      return true;
    }
  }
  return false;
}

// Reuses the alternative already held by `body` (and so its vectors' and strings' capacity)
// when it matches: decoding into the same message again allocates nothing new.
template <typename Body>
Body& reuse_body(message_body& body) {
  if (auto* existing = std::get_if<Body>(&body)) return *existing;
  return body.template emplace<Body>();
}

template <typename Entry>
Entry& next_slot(std::vector<Entry>& entries, std::size_t used) {
  if (used < entries.size()) return entries[used];
  return entries.emplace_back();
}

// ---------------------------------------------------------------------------------------------
// Per-type argument decoders. Each consumes the rest of the cursor.

// Reads the optional N of PEER_LIST / LS_LIST. An absent N means an empty list (§7): some peers
// send a bare `PEER_LIST` when they know nobody.
bool decode_count(field_cursor& fields, std::string_view list, std::size_t limit,
                  const failure& fail, bool& present) {
  std::string_view text;
  present = fields.next(text);
  if (!present) return true;
  std::uint64_t n = 0;
  const auto r = parse_u64(text, n);
  if (r != number_result::ok) {
    fail(decode_error::bad_count,
         field_detail(std::string(list) + " count", text, number_problem(r)));
    return false;
  }
  if (n > limit) {
    std::string why = "exceeds the limit of ";
    append_number(why, limit);
    fail(decode_error::bad_count, field_detail(std::string(list) + " count", text, why));
    return false;
  }
  return true;
}

std::string too_many_entries(std::string_view list, std::size_t limit) {
  std::string detail(list);
  detail.append(" has more than ");
  append_number(detail, limit);
  detail.append(" entries");
  return detail;
}

bool decode_peer_entry(std::string_view text, std::size_t index, peer_entry& entry,
                       const failure& fail) {
  // host:port:STATUS:clock — exactly three ':'.
  std::size_t colons[3];
  std::size_t found = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ':') continue;
    if (found == 3) {
      found = 4;
      break;
    }
    colons[found++] = i;
  }
  if (found != 3) {
    fail(decode_error::bad_entry,
         entry_detail("PEER_LIST", index, text, "needs 4 ':'-separated fields"));
    return false;
  }
  const std::string_view address = text.substr(0, colons[1]);
  if (!is_valid_peer_address(address)) {
    fail(decode_error::bad_entry,
         entry_detail("PEER_LIST", index, text, "has an invalid host:port address"));
    return false;
  }
  const std::string_view status = text.substr(colons[1] + 1, colons[2] - colons[1] - 1);
  if (status == "ONLINE") {
    entry.status = peer_status::online;
  } else if (status == "OFFLINE") {
    entry.status = peer_status::offline;
  } else {
    fail(decode_error::bad_entry,
         entry_detail("PEER_LIST", index, text, "has a status other than ONLINE/OFFLINE"));
    return false;
  }
  const auto r = parse_u64(text.substr(colons[2] + 1), entry.clock);
  if (r != number_result::ok) {
    std::string why = "has a clock that ";
    why.append(number_problem(r));
    fail(decode_error::bad_entry, entry_detail("PEER_LIST", index, text, why));
    return false;
  }
  if (entry.clock > limits::max_clock) {
    std::string why = "has a clock over the limit of ";
    append_number(why, limits::max_clock);
    fail(decode_error::bad_entry, entry_detail("PEER_LIST", index, text, why));
    return false;
  }
  entry.address.assign(address);
  entry.book_id = no_book_id;
  return true;
}

// The rest of a common entry once its `host:port` (the first `address` bytes of `rest`, valid,
// followed by ':') is known: `ONLINE:` or `OFFLINE:`, then a clock of at most 18 digits ended by a
// space or the line's end. True with the entry filled and its length in `bytes`.
bool decode_common_entry_after(std::string_view rest, std::size_t address, peer_entry& entry,
                               std::size_t& bytes) {
  std::size_t i = address + 1;
  peer_status status;
  constexpr std::string_view online = "ONLINE:";
  constexpr std::string_view offline = "OFFLINE:";
  if (rest.substr(i, online.size()) == online) {
    status = peer_status::online;
    i += online.size();
  } else if (rest.substr(i, offline.size()) == offline) {
    status = peer_status::offline;
    i += offline.size();
  } else {
    return false;
  }
  // 18 digits stay below limits::max_clock (2^63 - 1 has 19), so no overflow or limit check.
  constexpr std::size_t max_digits = 18;
  const std::size_t digits_start = i;
  std::uint64_t clock = 0;
  for (; i < rest.size() && rest[i] != ' '; ++i) {
    const char c = rest[i];
    if (c < '0' || c > '9' || i - digits_start == max_digits) return false;
    clock = clock * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (i == digits_start) return false;
  assign_short(entry.address, rest.data(), address);
  entry.status = status;
  entry.clock = clock;
  entry.book_id = no_book_id;
  bytes = i;
  return true;
}

// The common entry in one forward pass over the rest of the line: `host:port:ONLINE:clock` or
// `...:OFFLINE:...` with a clock of at most 18 digits, ended by a space or the line's end. True
// with the entry's length in `bytes`; false for anything else — decode_peer_entry then decides,
// and its messages name the problem. (PEER_LIST lines are most of what a discovery decodes.)
bool decode_common_peer_entry(std::string_view rest, peer_entry& entry, std::size_t& bytes) {
  const std::size_t address = address_prefix_before_colon(rest);
  return address != 0 && decode_common_entry_after(rest, address, entry, bytes);
}

#if defined(__SSE2__)
// Bit i set when byte i of `v` lies in [lo, hi], an ASCII range: the compares are signed, so
// bytes from 0x80 up read as negative and fall outside every range.
unsigned in_range(__m128i v, char lo, char hi) {
  const __m128i above = _mm_cmpgt_epi8(v, _mm_set1_epi8(static_cast<char>(lo - 1)));
  const __m128i below = _mm_cmplt_epi8(v, _mm_set1_epi8(static_cast<char>(hi + 1)));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(above, below)));
}

unsigned equal_to(__m128i v, char c) {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c))));
}

static_assert(std::endian::native == std::endian::little, "digits_value and the words below");

// The first bytes of `text` as a little-endian word, for comparing 8 bytes of a line at once.
constexpr std::uint64_t word_of(std::string_view text) {
  std::uint64_t w = 0;
  for (std::size_t i = 0; i < text.size() && i < 8; ++i) {
    w |= static_cast<std::uint64_t>(static_cast<unsigned char>(text[i])) << (8 * i);
  }
  return w;
}
constexpr std::uint64_t online_word = word_of("ONLINE:");    // 7 bytes; the 8th is masked off
constexpr std::uint64_t offline_word = word_of("OFFLINE:");  // all 8

// decode_common_peer_entry for an entry that starts a rest of at least 32 bytes, its address
// (and, when the entry ends inside them, its status and clock) found by classifying those 32
// bytes at once (host characters, digits, ':') instead of a byte at a time: the scan was a fifth
// of a large discovery's decoding. It accepts only what decode_common_peer_entry accepts, with
// the same result; anything else (a host of 31 bytes or more, a sixth port digit, ...) returns
// false and goes the byte-wise way, which decides.
// Inlined into both of decode_peer_list's loops: as a call it cost ~16 instructions an entry.
[[gnu::always_inline]] inline bool decode_wide_peer_entry(std::string_view rest, peer_entry& entry,
                                                          std::size_t& bytes) {
  constexpr std::size_t window = 32;
  if (rest.size() < window) return false;
  std::uint32_t host_chars = 0;
  std::uint32_t digits = 0;
  std::uint32_t colons = 0;
  for (unsigned half = 0; half < 2; ++half) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rest.data() + 16 * half));
    const unsigned digit = in_range(v, '0', '9');
    const unsigned alpha = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
    const unsigned host = digit | alpha | equal_to(v, '.') | equal_to(v, '-');
    host_chars |= host << (16 * half);
    digits |= digit << (16 * half);
    colons |= equal_to(v, ':') << (16 * half);
  }
  const auto host = static_cast<unsigned>(std::countr_one(host_chars));
  if (host == 0 || host > window - 2 || ((colons >> host) & 1u) == 0) return false;
  const auto port_digits = static_cast<unsigned>(std::countr_one(digits >> (host + 1)));
  const unsigned address = host + 1 + port_digits;
  if (port_digits == 0 || port_digits > 5 || address >= window || ((colons >> address) & 1u) == 0) {
    return false;
  }
  std::uint64_t port = 0;
  if (host + 1 + 8 <= window) {
    port = digits_value(rest.data() + host + 1, port_digits);
  } else {
    for (unsigned k = host + 1; k < address; ++k) {
      port = port * 10 + static_cast<std::uint64_t>(rest[k] - '0');
    }
  }
  if (port == 0 || port > 65535) return false;
  // The status and the clock too when the entry ends inside the window (a discovery's entries
  // are ~30 bytes): one 8-byte compare for the status, the clock's digits counted from the same
  // mask and read eight at a time. Otherwise the byte-wise rest decides.
  const unsigned status_at = address + 1;
  if (status_at + 8 <= window) {
    std::uint64_t word;
    std::memcpy(&word, rest.data() + status_at, 8);
    peer_status status = peer_status::online;
    unsigned clock_at = status_at + 7;
    if ((word & 0x00FFFFFFFFFFFFFFull) != online_word) {
      if (word != offline_word) return false;
      status = peer_status::offline;
      clock_at = status_at + 8;
    }
    if (clock_at < window) {
      const auto clock_digits = static_cast<unsigned>(std::countr_one(digits >> clock_at));
      const unsigned end = clock_at + clock_digits;
      if (clock_digits != 0 && clock_digits <= 8 && end < window && rest[end] == ' ' &&
          clock_at + 8 <= rest.size()) {
        assign_short(entry.address, rest.data(), address);
        entry.status = status;
        entry.clock = digits_value(rest.data() + clock_at, clock_digits);
        entry.book_id = no_book_id;
        bytes = end;
        return true;
      }
    }
  }
  return decode_common_entry_after(rest, address, entry, bytes);
}
#else
bool decode_wide_peer_entry(std::string_view, peer_entry&, std::size_t&) {
  return false;
}
#endif

bool decode_peer_list(field_cursor& fields, message_body& body, const failure& fail) {
  auto& list = reuse_body<peer_list_body>(body);
  list.by_id.clear();
  bool present = false;
  if (!decode_count(fields, "PEER_LIST", limits::max_peer_list_entries, fail, present)) {
    return false;
  }
  // The declared N may lie (§7), so size the vector from the bytes actually left: the shortest
  // entry ("h:1:ONLINE:0" plus a space) is 13 bytes.
  list.entries.reserve(std::min(fields.remaining_bytes() / 13 + 1, limits::max_peer_list_entries));
  std::size_t used = 0;
  for (std::string_view rest = fields.rest(); !rest.empty(); rest = fields.rest()) {
    if (used == limits::max_peer_list_entries) {
      fail(decode_error::bad_count, too_many_entries("PEER_LIST", limits::max_peer_list_entries));
      return false;
    }
    peer_entry& entry = next_slot(list.entries, used);
    std::size_t bytes = 0;
    if (decode_wide_peer_entry(rest, entry, bytes)) {
      // The entry ends at a space or at the line's end. While the next entry starts right after
      // that space (entries one space apart, as every sender writes them) and is wide too, go on
      // from here without the cursor: its space skipping was a twentieth of a large list's
      // decoding. A second space is no wide entry (no host), so a run of spaces ends it too.
      std::size_t at = bytes;
      ++used;
      while (at + 1 < rest.size() && used < limits::max_peer_list_entries) {
        const std::size_t next = at + 1;
        if (!decode_wide_peer_entry(std::string_view(rest.data() + next, rest.size() - next),
                                    next_slot(list.entries, used), bytes)) {
          break;  // the cursor's way decides
        }
        at = next + bytes;
        ++used;
      }
      fields.advance(at);
      continue;
    }
    if (decode_common_peer_entry(rest, entry, bytes)) {
      fields.advance(bytes);
    } else {
      std::string_view text;
      fields.next(text);
      if (!decode_peer_entry(text, used + 1, entry, fail)) return false;
    }
    ++used;
  }
  list.entries.resize(used);
  return true;
}

bool decode_file_entry(std::string_view text, std::size_t index, file_entry& entry,
                       const failure& fail) {
  // name:size split at the last ':' so names may themselves contain ':'.
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    fail(decode_error::bad_entry, entry_detail("LS_LIST", index, text, "needs name:size"));
    return false;
  }
  const std::string_view name = text.substr(0, colon);
  if (name.empty()) {
    fail(decode_error::bad_entry, entry_detail("LS_LIST", index, text, "has an empty name"));
    return false;
  }
  if (name.size() > limits::max_file_name_bytes) {
    std::string why = "has a name longer than ";
    append_number(why, limits::max_file_name_bytes);
    why.append(" bytes");
    fail(decode_error::bad_entry, entry_detail("LS_LIST", index, text, why));
    return false;
  }
  const auto r = parse_u64(text.substr(colon + 1), entry.size);
  if (r != number_result::ok) {
    std::string why = "has a size that ";
    why.append(number_problem(r));
    fail(decode_error::bad_entry, entry_detail("LS_LIST", index, text, why));
    return false;
  }
  entry.name.assign(name);
  return true;
}

bool decode_ls_list(field_cursor& fields, message_body& body, const failure& fail) {
  auto& list = reuse_body<ls_list_body>(body);
  bool present = false;
  if (!decode_count(fields, "LS_LIST", limits::max_ls_list_entries, fail, present)) return false;
  // Shortest entry "a:0" plus a space.
  list.files.reserve(std::min(fields.remaining_bytes() / 4 + 1, limits::max_ls_list_entries));
  std::size_t used = 0;
  std::string_view text;
  while (fields.next(text)) {
    if (used == limits::max_ls_list_entries) {
      fail(decode_error::bad_count, too_many_entries("LS_LIST", limits::max_ls_list_entries));
      return false;
    }
    if (!decode_file_entry(text, used + 1, next_slot(list.files, used), fail)) return false;
    ++used;
  }
  list.files.resize(used);
  return true;
}

bool decode_numeric_argument(std::string_view type, std::string_view what, std::string_view text,
                             std::uint64_t& value, const failure& fail) {
  const auto r = parse_u64(text, value);
  if (r == number_result::ok) return true;
  std::string label(type);
  label.push_back(' ');
  label.append(what);
  fail(decode_error::bad_argument, field_detail(label, text, number_problem(r)));
  return false;
}

std::string wrong_argument_count(std::string_view type, std::string_view expected) {
  std::string detail(type);
  detail.append(" needs ");
  detail.append(expected);
  return detail;
}

bool decode_dl(field_cursor& fields, message_body& body, const failure& fail) {
  std::string_view name, chunk_size, chunk_index, extra;
  if (!fields.next(name) || !fields.next(chunk_size) || !fields.next(chunk_index) ||
      fields.next(extra)) {
    fail(decode_error::bad_argument,
         wrong_argument_count("DL", "exactly <name> <chunk_size> <chunk_index>"));
    return false;
  }
  auto& dl = reuse_body<dl_body>(body);
  if (!decode_numeric_argument("DL", "chunk size", chunk_size, dl.chunk_size, fail)) return false;
  if (dl.chunk_size > limits::max_chunk_bytes) {
    std::string why = "exceeds the limit of ";
    append_number(why, limits::max_chunk_bytes);
    why.append(" bytes");
    fail(decode_error::bad_argument, field_detail("DL chunk size", chunk_size, why));
    return false;
  }
  if (!decode_numeric_argument("DL", "chunk index", chunk_index, dl.chunk_index, fail)) {
    return false;
  }
  // Any token is accepted as a name here: the file store refuses unsafe names with a warning
  // that says exactly why, which is more useful than a generic "bad argument".
  dl.name.assign(name);
  return true;
}

bool decode_file(field_cursor& fields, message_body& body, const failure& fail) {
  std::string_view name, size, index, data, extra;
  if (!fields.next(name) || !fields.next(size) || !fields.next(index)) {
    fail(decode_error::bad_argument,
         wrong_argument_count("FILE", "<name> <size> <chunk_index> [<base64>]"));
    return false;
  }
  const bool has_data = fields.next(data);  // absent: empty content (§7)
  if (has_data && fields.next(extra)) {
    fail(decode_error::bad_argument,
         wrong_argument_count("FILE", "at most <name> <size> <chunk_index> <base64>"));
    return false;
  }
  auto& file = reuse_body<file_body>(body);
  if (!decode_numeric_argument("FILE", "size", size, file.size_field, fail)) return false;
  if (!decode_numeric_argument("FILE", "chunk index", index, file.chunk_index, fail)) {
    return false;
  }
  if (data.size() > base64::encoded_size(limits::max_chunk_bytes)) {
    std::string detail = "FILE chunk is larger than the limit of ";
    append_number(detail, limits::max_chunk_bytes);
    detail.append(" bytes");
    fail(decode_error::bad_argument, std::move(detail));
    return false;
  }
  file.data.clear();
  if (!base64::decode_to(data, file.data)) {
    std::string detail = "FILE data of ";
    append_number(detail, data.size());
    detail.append(" characters is not valid padded base64, starting ");
    append_quoted(detail, data.substr(0, 16));
    fail(decode_error::bad_base64, std::move(detail));
    return false;
  }
  if (file.data.size() > limits::max_chunk_bytes) {
    std::string detail = "FILE chunk of ";
    append_number(detail, file.data.size());
    detail.append(" bytes exceeds the limit of ");
    append_number(detail, limits::max_chunk_bytes);
    fail(decode_error::bad_argument, std::move(detail));
    return false;
  }
  file.name.assign(name);
  return true;
}

bool decode_no_arguments(field_cursor& fields, message_type type, message_body& body,
                         const failure& fail) {
  std::string_view extra;
  if (fields.next(extra)) {
    std::string detail(to_string(type));
    detail.append(" takes no arguments but has ");
    append_quoted(detail, extra);
    fail(decode_error::trailing_garbage, std::move(detail));
    return false;
  }
  switch (type) {
    case message_type::hello:
      reuse_body<hello_body>(body);
      break;
    case message_type::get_peers:
      reuse_body<get_peers_body>(body);
      break;
    case message_type::bye:
      reuse_body<bye_body>(body);
      break;
    case message_type::ls:
      reuse_body<ls_body>(body);
      break;
    default:
      assert(false && "not an argument-less type");
      break;
  }
  return true;
}

// Cuts what §7 says to ignore: everything from the first NUL or '\n', then trailing '\r',
// spaces and tabs.
std::string_view trim_line(std::string_view line) {
  // Two memchr scans, not a byte loop: a PEER_LIST line is a hundred kilobytes, and this loop
  // was a tenth of a discovery's time.
  for (const char stop : {'\0', '\n'}) {
    if (const void* at = std::memchr(line.data(), stop, line.size())) {
      line = line.substr(0, static_cast<std::size_t>(static_cast<const char*>(at) - line.data()));
    }
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.remove_suffix(1);
  }
  return line;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

std::size_t header_size(const message& m) {
  return m.origin.size() + 1 + decimal_width(m.clock) + 1 + to_string(m.type()).size();
}

void append_header(const message& m, std::string& out) {
  out.append(m.origin);
  out.push_back(' ');
  append_number(out, m.clock);
  out.push_back(' ');
  out.append(to_string(m.type()));
}

struct body_encoder {
  std::string& out;

  void operator()(const hello_body&) const {}
  void operator()(const get_peers_body&) const {}
  void operator()(const bye_body&) const {}
  void operator()(const ls_body&) const {}

  void operator()(const peer_list_body& b) const {
    assert(b.by_id.empty());  // names only its sender's book: with_names() first
    assert(b.entries.size() <= limits::max_peer_list_entries);
    std::size_t size = 1 + decimal_width(b.entries.size());
    for (const auto& e : b.entries) size += encoded_size(e);
    out.reserve(out.size() + size);
    out.push_back(' ');
    append_number(out, b.entries.size());
    for (const auto& e : b.entries) append_peer_entry(out, e.address, e.status, e.clock);
  }

  void operator()(const ls_list_body& b) const {
    assert(b.files.size() <= limits::max_ls_list_entries);
    std::size_t size = 1 + decimal_width(b.files.size());
    for (const auto& f : b.files) size += 1 + f.name.size() + 1 + decimal_width(f.size);
    out.reserve(out.size() + size);
    out.push_back(' ');
    append_number(out, b.files.size());
    for (const auto& f : b.files) {
      // A name with a space cannot be represented; the node leaves such files out (§2).
      assert(!f.name.empty() && f.name.size() <= limits::max_file_name_bytes);
      assert(f.name.find(' ') == std::string::npos);
      out.push_back(' ');
      out.append(f.name);
      out.push_back(':');
      append_number(out, f.size);
    }
  }

  void operator()(const dl_body& b) const {
    assert(!b.name.empty() && b.name.find(' ') == std::string::npos);
    assert(b.chunk_size <= limits::max_chunk_bytes);
    out.reserve(out.size() + 3 + b.name.size() + decimal_width(b.chunk_size) +
                decimal_width(b.chunk_index));
    out.push_back(' ');
    out.append(b.name);
    out.push_back(' ');
    append_number(out, b.chunk_size);
    out.push_back(' ');
    append_number(out, b.chunk_index);
  }

  void operator()(const file_body& b) const {
    assert(!b.name.empty() && b.name.find(' ') == std::string::npos);
    assert(b.data.size() <= limits::max_chunk_bytes);
    // The size field is the real byte count, whatever size_field says (§2: 232, not 256).
    const std::uint64_t size = b.data.size();
    out.reserve(out.size() + 4 + b.name.size() + decimal_width(size) +
                decimal_width(b.chunk_index) + base64::encoded_size(b.data.size()));
    out.push_back(' ');
    out.append(b.name);
    out.push_back(' ');
    append_number(out, size);
    out.push_back(' ');
    append_number(out, b.chunk_index);
    out.push_back(' ');
    base64::encode_to(b.data, out);
  }
};

}  // namespace

std::string_view to_string(decode_error e) {
  switch (e) {
    case decode_error::none:
      return "no error";
    case decode_error::empty_line:
      return "empty line";
    case decode_error::too_few_fields:
      return "too few fields";
    case decode_error::bad_origin:
      return "bad origin field";
    case decode_error::bad_clock:
      return "bad clock field";
    case decode_error::unknown_type:
      return "unknown message type";
    case decode_error::bad_count:
      return "bad entry count";
    case decode_error::bad_entry:
      return "bad list entry";
    case decode_error::bad_argument:
      return "bad arguments";
    case decode_error::bad_base64:
      return "bad base64 data";
    case decode_error::line_too_long:
      return "line too long";
    case decode_error::trailing_garbage:
      return "unexpected trailing fields";
  }
  return "unknown decode error";
}

decode_status decode(std::string_view line, message& out) {
  decode_status status;
  const failure fail{status};

  line = trim_line(line);
  if (line.size() > limits::max_line_bytes) {
    std::string detail = "line of ";
    append_number(detail, line.size());
    detail.append(" bytes exceeds the limit of ");
    append_number(detail, limits::max_line_bytes);
    return fail(decode_error::line_too_long, std::move(detail));
  }

  field_cursor fields(line);
  std::string_view origin, clock, type_text;
  if (!fields.next(origin)) return fail(decode_error::empty_line, "empty line");
  if (!fields.next(clock) || !fields.next(type_text)) {
    std::string detail = "need <origin> <clock> <type>, got ";
    append_quoted(detail, line);
    return fail(decode_error::too_few_fields, std::move(detail));
  }
  if (!is_valid_peer_address(origin)) {
    return fail(decode_error::bad_origin, field_detail("origin", origin, "is not host:port"));
  }
  std::uint64_t clock_value = 0;
  if (const auto r = parse_u64(clock, clock_value); r != number_result::ok) {
    return fail(decode_error::bad_clock, field_detail("clock", clock, number_problem(r)));
  }
  if (clock_value > limits::max_clock) {
    std::string why = "exceeds the limit of ";
    append_number(why, limits::max_clock);
    return fail(decode_error::bad_clock, field_detail("clock", clock, why));
  }
  message_type type{};
  if (!parse_type(type_text, type)) {
    return fail(decode_error::unknown_type, field_detail("type", type_text, "is not known"));
  }

  bool ok = false;
  switch (type) {
    case message_type::hello:
    case message_type::get_peers:
    case message_type::bye:
    case message_type::ls:
      ok = decode_no_arguments(fields, type, out.body, fail);
      break;
    case message_type::peer_list:
      if (line.size() > limits::max_peer_list_bytes) {
        std::string detail = "PEER_LIST of ";
        append_number(detail, line.size());
        detail.append(" bytes exceeds the limit of ");
        append_number(detail, limits::max_peer_list_bytes);
        return fail(decode_error::line_too_long, std::move(detail));
      }
      ok = decode_peer_list(fields, out.body, fail);
      break;
    case message_type::ls_list:
      ok = decode_ls_list(fields, out.body, fail);
      break;
    case message_type::dl:
      ok = decode_dl(fields, out.body, fail);
      break;
    case message_type::file:
      ok = decode_file(fields, out.body, fail);
      break;
  }
  if (!ok) return status;
  out.origin.assign(origin);
  out.clock = clock_value;
  return status;
}

void encode_to(const message& m, std::string& out) {
  assert(is_valid_peer_address(m.origin));
  assert(m.clock <= limits::max_clock);
  [[maybe_unused]] const std::size_t start = out.size();
  out.reserve(out.size() + header_size(m));
  append_header(m, out);
  std::visit(body_encoder{out}, m.body);
  assert(out.size() - start <= limits::max_line_bytes);
  assert(m.type() != message_type::peer_list || out.size() - start <= limits::max_peer_list_bytes);
}

void append_peer_list_header(std::string& out, std::string_view origin, std::uint64_t clock,
                             std::size_t entries) {
  assert(is_valid_peer_address(origin));
  assert(clock <= limits::max_clock);
  out.append(origin);
  out.push_back(' ');
  append_number(out, clock);
  out.push_back(' ');
  out.append(to_string(message_type::peer_list));
  out.push_back(' ');
  append_number(out, entries);
}

void append_peer_entry(std::string& out, std::string_view address, peer_status status,
                       std::uint64_t clock) {
  // One resize and plain copies, not six appends that each check the capacity: a discovery
  // writes hundreds of millions of entries.
  const std::size_t start = out.size();
  out.resize(start + 3 + address.size() + to_string(status).size() + decimal_width(clock));
  [[maybe_unused]] const char* end = write_peer_entry(out.data() + start, address, status, clock);
  assert(end == out.data() + out.size());
}

std::size_t peer_list_header_size(std::string_view origin, std::uint64_t clock,
                                  std::size_t entries) {
  return origin.size() + 1 + decimal_width(clock) + 1 + to_string(message_type::peer_list).size() +
         1 + decimal_width(entries);
}

std::string encode(const message& m) {
  std::string out;
  encode_to(m, out);
  return out;
}

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > limits::max_file_name_bytes) return false;
  if (name == "." || name == "..") return false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || c == ' ' || c == '/' || c == '\\') return false;
  }
  return true;
}

}  // namespace eachare
