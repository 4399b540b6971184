// peer_table: the peers a node knows, in insertion order, each with (status, clock), and the
// update rules of protocol.md §3. Not thread-safe: owned by one peer_node.
//
// Entries are 16 bytes (interned id, status, clock) because full discovery makes N tables of N
// entries: at 5,000 peers that is 25 million entries. The id -> position index is an
// open-addressing table of 8-byte slots kept at most half full (16-32 bytes per entry, one cache
// line per lookup); a node-based map cost ~40 bytes and a pointer chase per entry, which made the
// lookup a third of a gossip round's time.
#pragma once

#include <cstdint>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/protocol/message.hpp"

namespace eachare {

struct peer_record {
  peer_id id = no_peer;
  peer_status status = peer_status::offline;
  std::uint64_t clock = 0;
};

enum class table_change : std::uint8_t { added, updated, unchanged };

class peer_table {
 public:
  // A message came directly from `p` (any type, replies too): p takes `status` (ONLINE, or
  // OFFLINE for BYE) always, and clock = max(stored, clock). Unknown p is added. Never
  // `unchanged`: the status line is printed on every direct message.
  table_change on_direct(peer_id p, peer_status status, std::uint64_t clock);
  // A PEER_LIST entry for `p`: unknown p is added with the entry's status and clock; known p is
  // updated only when `clock` is strictly greater than the stored clock.
  table_change on_list_entry(peer_id p, peer_status status, std::uint64_t clock);
  // The outcome of a send to `p` (ONLINE after a HELLO went through, OFFLINE after a failed
  // connection). Adds p when unknown. Clock unchanged.
  table_change set_status(peer_id p, peer_status status);
  // A neighbour from the file: added OFFLINE with clock 0 unless known. True when added.
  bool add_if_absent(peer_id p, peer_status status = peer_status::offline, std::uint64_t clock = 0);

  const peer_record* find(peer_id p) const;
  // Insertion order (the order option 1 lists them in).
  const std::vector<peer_record>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  std::size_t online_count() const { return online_; }

 private:
  peer_record& add(peer_id p, peer_status status, std::uint64_t clock);
  void set(peer_record& r, peer_status status);

  // Position of p in records_, or nullptr.
  std::uint32_t* slot_of(peer_id p);
  const std::uint32_t* slot_of(peer_id p) const;
  void grow();

  struct slot {
    peer_id id = no_peer;  // no_peer: empty
    std::uint32_t position = 0;
  };
  std::vector<peer_record> records_;
  std::vector<slot> slots_;  // size 0 or a power of two; linear probing; never erased

  std::size_t online_ = 0;
};

}  // namespace eachare
