#include "sim/packed_peer_list.hpp"

#include <cassert>
#include <cstring>
#include <variant>

namespace eachare::sim {

// Layout (native byte order: it never leaves the process): the line's length, the origin's id
// and the clock as fixed words, the entry count, then per entry varint(book id) and
// varint(clock << 1 | online). Ids below 16,384 and clocks below 64 take 2 + 1 bytes where
// the text takes ~25.

namespace {

template <class T>
char* put_word(char* w, T v) {
  std::memcpy(w, &v, sizeof(T));
  return w + sizeof(T);
}

template <class T>
T get_word(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  p += sizeof(T);
  return v;
}

char* put_varint(char* w, std::uint64_t v) {
  while (v >= 0x80) {
    *w++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *w++ = static_cast<char>(v);
  return w;
}

std::uint64_t get_varint(const char*& p) {
  std::uint64_t v = 0;
  for (unsigned shift = 0;; shift += 7) {
    const auto byte = static_cast<std::uint8_t>(*p++);
    v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return v;
  }
}

std::uint64_t packed_clock(std::uint64_t clock, peer_status status) {
  return (clock << 1) | (status == peer_status::online ? 1u : 0u);
}

constexpr std::size_t packed_header_bytes = 4 + 4 + 8 + 4;
constexpr std::size_t count_offset = 4 + 4 + 8;

}  // namespace

name_snapshot::name_snapshot(const address_book& book) {
  chunks_.reserve(book.chunk_count());
  for (std::size_t k = 0; k < book.chunk_count(); ++k) chunks_.push_back(book.chunk(k));
}

bool pack_peer_list(const message& reply, peer_id origin, const address_book& book,
                    std::string& scratch, std::string& out, std::size_t& bytes) {
  const auto* list = std::get_if<peer_list_body>(&reply.body);
  if (list == nullptr || origin == no_peer || book.name(origin) != reply.origin) return false;
  // One pass over the entries: their varints go to a scratch buffer with room for the widest
  // (5 + 10 bytes each) while the line's size is counted, then `out` gets exactly the bytes used
  // (replies in flight are most of a large discovery's memory: no slack may stay behind).
  const std::size_t count = list->size();
  const std::size_t widest = packed_header_bytes + count * (5 + 10);
  if (scratch.size() < widest) scratch.resize(widest);  // never shrinks: no refill
  std::size_t line_bytes = peer_list_header_size(reply.origin, reply.clock, count);
  char* const start = scratch.data();
  char* w = start + packed_header_bytes;
  if (list->entries.empty()) {
    for (const peer_ref& e : list->by_id) {
      assert(e.book_id < book.size());
      line_bytes += encoded_size(book.name_size(e.book_id), e.status(), e.clock());
      w = put_varint(w, e.book_id);
      w = put_varint(w, e.clock_status);  // packed_clock's layout already
    }
  } else {
    for (const peer_entry& e : list->entries) {
      if (e.book_id == no_book_id) return false;  // not built by a node of this world
      assert(e.book_id < book.size() && book.name(e.book_id) == e.address);
      line_bytes += encoded_size(e);
      w = put_varint(w, e.book_id);
      w = put_varint(w, packed_clock(e.clock, e.status));
    }
  }
  char* h = start;
  h = put_word<std::uint32_t>(h, static_cast<std::uint32_t>(line_bytes));
  h = put_word<std::uint32_t>(h, origin);
  h = put_word<std::uint64_t>(h, reply.clock);
  put_word<std::uint32_t>(h, static_cast<std::uint32_t>(count));
  out.assign(start, static_cast<std::size_t>(w - start));
  bytes = line_bytes + 1;  // + '\n'
  return true;
}

void with_names(message& msg, const address_book& book) {
  auto* list = std::get_if<peer_list_body>(&msg.body);
  if (list == nullptr || list->by_id.empty()) return;
  assert(list->entries.empty());
  list->entries.reserve(list->by_id.size());
  for (const peer_ref& e : list->by_id) {
    list->entries.emplace_back(book.name(e.book_id), e.status(), e.clock(), e.book_id);
  }
  std::vector<peer_ref>().swap(list->by_id);
}

std::uint32_t packed_entry_count(std::string_view packed) {
  const char* p = packed.data() + count_offset;
  return get_word<std::uint32_t>(p);
}

void decode_packed_reply(std::string_view packed, const name_snapshot& names, decoded_reply& out) {
  const char* p = packed.data();
  const auto line_bytes = get_word<std::uint32_t>(p);
  const auto origin = get_word<std::uint32_t>(p);
  const auto clock = get_word<std::uint64_t>(p);
  const auto count = get_word<std::uint32_t>(p);
  out.header.clear();
  append_peer_list_header(out.header, names.name(origin), clock, count);
  // The line's length was counted when it was packed: one resize, then every entry is written in
  // place (a resize per entry was a third of this work). The line is not cleared first: a resize
  // fills only what it adds, and the bytes it keeps are overwritten anyway.
  std::string& line = out.line;
  line.resize(line_bytes);
  std::memcpy(line.data(), out.header.data(), out.header.size());
  out.ids.resize(count);
  char* w = line.data() + out.header.size();
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto id = static_cast<peer_id>(get_varint(p));
    out.ids[i] = id;
    const std::uint64_t word = get_varint(p);
    w = write_peer_entry(w, names.name(id),
                         (word & 1u) != 0 ? peer_status::online : peer_status::offline, word >> 1);
  }
  assert(p == packed.data() + packed.size() && w == line.data() + line.size());
  out.status = decode(line, out.msg);
  // The decoded entries are the packed ones, in order (the line was written from their names):
  // each takes its id back, which the requester uses as its own (the book is shared).
  if (!out.status.ok()) return;
  auto* list = std::get_if<peer_list_body>(&out.msg.body);
  if (list != nullptr && list->entries.size() == out.ids.size()) {
    auto& entries = list->entries;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      assert(names.name(out.ids[i]) == entries[i].address);
      entries[i].book_id = out.ids[i];
    }
  }
}

}  // namespace eachare::sim
