// message: one EACHare protocol line as a structured value, one struct per message type
// (protocol.md §2). Plain values; no threading concerns.
//
// Addresses stay text here: the codec is the only place that sees the wire, and the node interns
// them (core/address_book.hpp). FILE carries the decoded bytes, never base64.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace eachare {

enum class peer_status : std::uint8_t { offline = 0, online = 1 };

// "ONLINE" / "OFFLINE": the wire and console spelling. Inline: the codec writes and counts one
// for every PEER_LIST entry.
constexpr std::string_view to_string(peer_status s) {
  return s == peer_status::online ? std::string_view{"ONLINE"} : std::string_view{"OFFLINE"};
}

enum class message_type : std::uint8_t {
  hello,
  get_peers,
  peer_list,
  bye,
  ls,
  ls_list,
  dl,
  file,
};

// The wire spelling: "HELLO", "GET_PEERS", "PEER_LIST", ... (we always send PEER_LIST).
std::string_view to_string(message_type t);

// What peer_entry::book_id holds when the entry's builder gave no id (decoded entries, tests).
inline constexpr std::uint32_t no_book_id = 0xFFFFFFFFu;

struct peer_entry {
  std::string address;  // `host:port`
  peer_status status = peer_status::offline;
  // Not on the wire and not compared: the id `address` has in the address book
  // (core/address_book.hpp) of the node that built or receives the entry, or no_book_id. Only a
  // transport that shares its nodes' book sets it on entries it delivers
  // (transport::shares_address_book): the simulator keeps a PEER_LIST in flight as these ids (a
  // few bytes per entry instead of ~25 characters of text), writes the line from them when it is
  // delivered, and gives each decoded entry its id back, which the requester then uses instead
  // of interning the address. Entries decoded anywhere else carry no_book_id. It sits in the
  // padding after `status` (the entry stays 48 bytes); the constructor keeps {address, status,
  // clock} meaning what it says.
  std::uint32_t book_id = no_book_id;
  std::uint64_t clock = 0;

  peer_entry() = default;
  peer_entry(std::string address_, peer_status status_, std::uint64_t clock_,
             std::uint32_t book_id_ = no_book_id)
      : address(std::move(address_)), status(status_), book_id(book_id_), clock(clock_) {}

  friend bool operator==(const peer_entry& a, const peer_entry& b) {
    return a.address == b.address && a.status == b.status && a.clock == b.clock;
  }
};
static_assert(sizeof(peer_entry) == sizeof(std::string) + 16);

struct file_entry {
  std::string name;  // never contains ' ' (unrepresentable on the wire); may contain ':', since
                     // the wire splits `name:size` at the last ':'
  std::uint64_t size = 0;
  friend bool operator==(const file_entry&, const file_entry&) = default;
};

struct hello_body {
  friend bool operator==(const hello_body&, const hello_body&) = default;
};
struct get_peers_body {
  friend bool operator==(const get_peers_body&, const get_peers_body&) = default;
};
// A PEER_LIST entry by the sender's address-book id instead of its text (12 bytes, no string):
// what a node builds for a transport that shares its address book (transport::shares_address_book,
// the simulator's text codec), which writes the text from the book when the line is made. The
// clock and status share one word, as in a peer table's record, so a reply is close to a copy of
// the table.
struct [[gnu::packed, gnu::aligned(4)]] peer_ref {
  std::uint32_t book_id = no_book_id;
  std::uint64_t clock_status = 0;  // clock << 1, | 1 when ONLINE (clocks stay below 2^63)

  peer_ref() = default;
  peer_ref(std::uint32_t id, peer_status status_, std::uint64_t clock_)
      : book_id(id), clock_status(clock_ << 1 | (status_ == peer_status::online ? 1u : 0u)) {}
  peer_status status() const {
    return (clock_status & 1u) != 0 ? peer_status::online : peer_status::offline;
  }
  std::uint64_t clock() const {
    return clock_status >> 1;
  }
  friend bool operator==(const peer_ref& a, const peer_ref& b) {
    return a.book_id == b.book_id && a.clock_status == b.clock_status;
  }
};
static_assert(sizeof(peer_ref) == 12);

struct peer_list_body {
  std::vector<peer_entry> entries;  // the count on the wire is entries.size()
  // Instead of `entries` (one of the two is empty): the same list by book id, in order. Only a
  // transport that shares the sender's book sees it; it makes `entries` from the book before any
  // encoder, decoder side or observer outside it needs them (sim/packed_peer_list.hpp:
  // with_names). encode() refuses it (asserts): the codec has no book. A list compares equal
  // only to one in the same form.
  std::vector<peer_ref> by_id{};
  std::size_t size() const { return entries.empty() ? by_id.size() : entries.size(); }
  friend bool operator==(const peer_list_body&, const peer_list_body&) = default;
};
struct bye_body {
  friend bool operator==(const bye_body&, const bye_body&) = default;
};
struct ls_body {
  friend bool operator==(const ls_body&, const ls_body&) = default;
};
struct ls_list_body {
  std::vector<file_entry> files;
  friend bool operator==(const ls_list_body&, const ls_list_body&) = default;
};
struct dl_body {
  std::string name;
  std::uint64_t chunk_size = 0;  // 0: the whole file (part 2)
  std::uint64_t chunk_index = 0;
  friend bool operator==(const dl_body&, const dl_body&) = default;
};
struct file_body {
  std::string name;
  // The size field as it was on the wire. We send the real byte count of `data`; some peers
  // echo the requested chunk size instead (protocol.md §7), so receivers trust data.size().
  std::uint64_t size_field = 0;
  std::uint64_t chunk_index = 0;
  std::string data;  // raw bytes (decoded from base64)
  friend bool operator==(const file_body&, const file_body&) = default;
};

// Alternative order matches message_type.
using message_body = std::variant<hello_body, get_peers_body, peer_list_body, bye_body, ls_body,
                                  ls_list_body, dl_body, file_body>;

struct message {
  std::string origin;  // sender's listening `host:port`
  std::uint64_t clock = 0;
  message_body body;

  message_type type() const { return static_cast<message_type>(body.index()); }
  friend bool operator==(const message&, const message&) = default;
};

// GET_PEERS, LS and DL expect one reply line on the same connection; the others expect none.
constexpr bool expects_reply(message_type t) {
  return t == message_type::get_peers || t == message_type::ls || t == message_type::dl;
}

// The reply type a request expects (only meaningful when expects_reply(t)).
constexpr message_type reply_type_for(message_type t) {
  switch (t) {
    case message_type::get_peers:
      return message_type::peer_list;
    case message_type::ls:
      return message_type::ls_list;
    case message_type::dl:
      return message_type::file;
    default:
      return t;
  }
}

constexpr bool is_reply_type(message_type t) {
  return t == message_type::peer_list || t == message_type::ls_list || t == message_type::file;
}

}  // namespace eachare
