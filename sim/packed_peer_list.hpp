// packed_peer_list: how the simulated network keeps a PEER_LIST reply in flight — book ids and
// clocks, a few bytes per entry where the text takes ~25 — and how it turns one back into the
// line encode() would have written and that line's decoded message (decode_packed_reply), at
// delivery or ahead of it on a reply_decoder (sim/reply_decoder.hpp).
//
// Threading rule: pack_peer_list and with_names run on the simulation thread (they read the
// address book).
// name_snapshot is built there too; once built, it and decode_packed_reply may be used from any
// thread, because they read only the book's name chunks (address_book::chunk), which never
// move, and only names interned before the snapshot's bytes were packed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/protocol/codec.hpp"
#include "node/protocol/message.hpp"

namespace eachare::sim {

// The names of a book's ids, as far as the book's chunks went when it was taken.
class name_snapshot {
 public:
  explicit name_snapshot(const address_book& book);
  // Chunks covered: every id below chunk_count() * address_book::chunk_size that the book held
  // when the bytes that name it were packed.
  std::size_t chunk_count() const { return chunks_.size(); }
  const std::string& name(peer_id id) const {
    return chunks_[id >> address_book::chunk_bits][id & (address_book::chunk_size - 1)];
  }

 private:
  std::vector<const std::string*> chunks_;
};

// Packs `reply` (from the node at `origin`, whose book name is the reply's ORIGIN) into `out`
// when it is a PEER_LIST built by id (peer_list_body::by_id, ids of `book`) or whose every entry
// carries its id in `book`; false otherwise (send it as text, after with_names). `scratch` is a
// buffer kept between calls. `*bytes` gets the line's size with its '\n', as if encoded; with
// nullptr (nothing on the way needs the size: no bandwidth limit) a list built by id is packed
// without counting it.
bool pack_peer_list(const message& reply, peer_id origin, const address_book& book,
                    std::string& scratch, std::string& out, std::size_t* bytes);

// Gives a PEER_LIST built by id (peer_list_body::by_id) its entries with text from `book`, in
// place, for whatever needs the text (a trace line, an observer, the structured codec); any
// other message is left as it is.
void with_names(message& msg, const address_book& book);

// The entry count a packed reply holds (its header), without unpacking it.
std::uint32_t packed_entry_count(std::string_view packed);

// A packed reply made whole: the line and what decode() made of it.
struct decoded_reply {
  // Without '\n', byte for byte encode()'s line.
  std::string_view line() const { return {buffer.data(), line_size}; }
  // The line and, past line_size, what is left of longer ones: kept at its largest, so writing
  // the next line into it fills no bytes first.
  std::string buffer;
  std::size_t line_size = 0;
  message msg;  // valid when status.ok()
  decode_status status;
  std::vector<peer_id> ids;  // scratch: the entries' book ids in line order
  std::string header;        // scratch: the line's header, written before the line's size is set
};

// Writes the line (codec's append_peer_list_header / write_peer_entry), decodes it with
// eachare::decode like any line, and gives each decoded entry its book id back
// (peer_entry::book_id, which the requester uses as its own). Pure: the same bytes give the same
// result on any thread. `out.msg` is overwritten; `out.buffer` and the scratch vectors keep their
// capacity.
void decode_packed_reply(std::string_view packed, const name_snapshot& names, decoded_reply& out);

}  // namespace eachare::sim
