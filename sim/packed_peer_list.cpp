#include "sim/packed_peer_list.hpp"

#include <cassert>
#include <cstring>
#include <variant>

namespace eachare::sim {

// Layout (native byte order: it never leaves the process): the line's length (0: not counted),
// the origin's id and the clock as fixed words, the entry count, the widest entry's bytes (a
// bound on each), then per entry varint(book id) and
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

peer_status status_of(std::uint64_t packed) {
  return (packed & 1u) != 0 ? peer_status::online : peer_status::offline;
}

constexpr std::size_t packed_header_bytes = 4 + 4 + 8 + 4 + 4;
constexpr std::size_t count_offset = 4 + 4 + 8;

}  // namespace

name_snapshot::name_snapshot(const address_book& book) {
  chunks_.reserve(book.chunk_count());
  for (std::size_t k = 0; k < book.chunk_count(); ++k) chunks_.push_back(book.chunk(k));
}

bool pack_peer_list(const message& reply, peer_id origin, const address_book& book,
                    std::string& scratch, std::string& out, std::size_t* bytes) {
  const auto* list = std::get_if<peer_list_body>(&reply.body);
  if (list == nullptr || origin == no_peer || book.name(origin) != reply.origin) return false;
  // One pass over the entries: their varints go to a scratch buffer with room for the widest
  // (5 + 10 bytes each), then `out` gets exactly the bytes used (replies in flight are most of a
  // large discovery's memory: no slack may stay behind). A list by id has the line's size
  // counted only when asked for (a tenth of the simulation thread's PEER_LIST work at scale);
  // otherwise the header says 0, and decode_packed_reply writes the line into room for
  // `count` of the widest entries.
  const std::size_t count = list->size();
  const std::size_t widest = packed_header_bytes + count * (5 + 10);
  if (scratch.size() < widest) scratch.resize(widest);  // never shrinks: no refill
  std::size_t line_bytes = peer_list_header_size(reply.origin, reply.clock, count);
  char* const start = scratch.data();
  char* w = start + packed_header_bytes;
  // Without the count, the line's length is bounded by the widest entry any id of the book can
  // make: its separators, the longest name, "OFFLINE" and a 19-digit clock.
  const std::size_t widest_entry = 3 + book.longest_name() + 7 + 19;
  if (list->entries.empty()) {
    const bool counted = bytes != nullptr;
    for (const peer_ref& e : list->by_id) {
      assert(e.book_id < book.size());
      if (counted) line_bytes += encoded_size(book.name_size(e.book_id), e.status(), e.clock());
      w = put_varint(w, e.book_id);
      w = put_varint(w, e.clock_status);  // packed_clock's layout already
    }
    if (!counted) line_bytes = 0;
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
  h = put_word<std::uint32_t>(h, static_cast<std::uint32_t>(count));
  put_word<std::uint32_t>(h, static_cast<std::uint32_t>(widest_entry));
  out.assign(start, static_cast<std::size_t>(w - start));
  if (bytes != nullptr) *bytes = line_bytes + 1;  // + '\n'
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
  const auto widest_entry = get_word<std::uint32_t>(p);
  out.header.clear();
  append_peer_list_header(out.header, names.name(origin), clock, count);
  // The buffer grows, when it must, to the line's length when the packer counted it and to a
  // bound otherwise; then every entry is written in place (a resize per entry was a third of this
  // work). It never shrinks: a resize fills what it adds, which the line then overwrites.
  std::string& line = out.buffer;
  const std::size_t room = line_bytes != 0
                               ? std::size_t{line_bytes}
                               : out.header.size() + std::size_t{count} * std::size_t{widest_entry};
  if (line.size() < room) line.resize(room);
  std::memcpy(line.data(), out.header.data(), out.header.size());
  out.ids.resize(count);
  char* w = line.data() + out.header.size();
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto id = static_cast<peer_id>(get_varint(p));
    out.ids[i] = id;
    const std::uint64_t word = get_varint(p);
    w = write_peer_entry(w, names.name(id), status_of(word), word >> 1);
  }
  out.line_size = static_cast<std::size_t>(w - line.data());
  assert(p == packed.data() + packed.size());
  assert(line_bytes == 0 || out.line_size == line_bytes);
  out.status = decode(out.line(), out.msg);
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
