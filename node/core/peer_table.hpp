// peer_table: the peers a node knows, in insertion order, each with (status, clock), and the
// update rules of protocol.md §3. Not thread-safe: owned by one peer_node.
//
// Entries are 12 bytes (interned id; status and clock packed in 64 bits: a clock never exceeds
// limits::max_clock = 2^63 - 1) because full discovery makes N tables of N entries: at 5,000
// peers that is 25 million entries. The record vector grows by a quarter, not by doubling, so a
// table's slack stays under 25 %. The id -> position index is absent while the table is small
// (up to 8 entries, found by scanning the records: a ring peer's table), an open-addressing
// table of 8-byte slots kept at most half full (16-32 bytes per entry, one cache line per
// lookup) or, once the table is dense, a plain array by id (4-24 bytes per entry); a node-based
// map cost ~40 bytes and a pointer chase per entry, which made the lookup a third of a gossip
// round's time.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/protocol/lamport_clock.hpp"  // limits::max_clock
#include "node/protocol/message.hpp"

namespace eachare {

// Packed to 12 bytes, 4-aligned (the fields read as usual; a bit-field cannot be bound to a
// non-const reference, and nothing outside peer_table writes records).
struct [[gnu::packed, gnu::aligned(4)]] peer_record {
  peer_id id = no_peer;
  peer_status status : 1 = peer_status::offline;
  std::uint64_t clock : 63 = 0;
};
static_assert(sizeof(peer_record) == 12);

// full: the peer is unknown and the table already holds max_entries(); nothing changed.
enum class table_change : std::uint8_t { added, updated, unchanged, full };

class peer_table {
 public:
  // At most `max_entries` peers; beyond it, unknown peers are not added (table_change::full).
  explicit peer_table(std::size_t max_entries = SIZE_MAX) : max_entries_(max_entries) {}

  // A message came directly from `p` (any type, replies too): p takes `status` (ONLINE, or
  // OFFLINE for BYE) always, and clock = max(stored, clock). Unknown p is added. Never
  // `unchanged`: the status line is printed on every direct message.
  table_change on_direct(peer_id p, peer_status status, std::uint64_t clock);
  // A PEER_LIST entry for `p`: unknown p is added with the entry's status and clock; known p is
  // updated only when `clock` is strictly greater than the stored clock.
  // Inline for a dense table's known peer, most of a large discovery's ~270 million entries
  // (a call and the last-found check per entry were a quarter of the update's time).
  table_change on_list_entry(peer_id p, peer_status status, std::uint64_t clock) {
    if (p < direct_.size()) {  // direct_ is empty unless the table is dense
      const std::uint32_t at = direct_[p];
      if (at != no_position) {
        peer_record& r = records_[at];
        if (clock <= r.clock) return table_change::unchanged;
        last_found_ = at;  // the caller's event looks p up next
        update(r, status, clock);
        return table_change::updated;
      }
    }
    return on_list_entry_elsewhere(p, status, clock);
  }
  // The outcome of a send to `p` (ONLINE after a HELLO went through, OFFLINE after a failed
  // connection). Adds p when unknown. Clock unchanged.
  table_change set_status(peer_id p, peer_status status);
  // A neighbour from the file: added OFFLINE with clock 0 unless known (or the table is full).
  // True when added.
  bool add_if_absent(peer_id p, peer_status status = peer_status::offline, std::uint64_t clock = 0);

  // Inline for the common case, the peer looked up last (an update, then its event's record,
  // then the simulator's bookkeeping: three lookups of one peer in a row).
  const peer_record* find(peer_id p) const {
    if (last_found_ < records_.size() && records_[last_found_].id == p) {
      return &records_[last_found_];
    }
    return find_elsewhere(p);
  }
  // Insertion order (the order option 1 lists them in).
  const std::vector<peer_record>& records() const { return records_; }
  std::size_t size() const { return records_.size(); }
  std::size_t online_count() const { return online_; }
  std::size_t max_entries() const { return max_entries_; }
  bool full() const { return records_.size() >= max_entries_; }

 private:
  peer_record& add(peer_id p, peer_status status, std::uint64_t clock);
  void set(peer_record& r, peer_status status) {
    if (r.status == status) return;
    if (status == peer_status::online) {
      ++online_;
    } else {
      assert(online_ > 0);
      --online_;
    }
    r.status = status;
  }
  // A newer clock from a PEER_LIST entry: the entry's status and clock (a clock over
  // limits::max_clock is rejected before it reaches a table; the record keeps 63 bits).
  void update(peer_record& r, peer_status status, std::uint64_t clock) {
    set(r, status);
    r.clock = std::min(clock, limits::max_clock) & limits::max_clock;
  }
  table_change on_list_entry_elsewhere(peer_id p, peer_status status, std::uint64_t clock);

  static constexpr std::uint32_t no_position = 0xFFFFFFFFu;
  // Up to this many entries there is no index: a lookup scans the records (at most 96 bytes).
  static constexpr std::size_t scan_max_entries = 8;
  // A dense table (its ids cover at least a quarter of [0, max id]) is indexed by a plain array
  // of positions: 4 bytes per id, one load, no probing. On entering, the array (4 span bytes, at
  // most 16 n) is no larger than the hash slots (8 bytes each, 2 n to 4 n of them: 16 n to 32 n
  // bytes). A table a quarter to half discovered thus stops probing, which cut the table update
  // of a 5,000-peer discovery by ~17 % (docs/benchmarks.md §9h). Sparse tables (a ring peer
  // among 100,000 ids) keep the hash slots. Back to slots below a sixth dense.
  // span = max id + 1, n = entries.
  static constexpr std::size_t direct_min_entries = 64;
  static constexpr std::size_t direct_enter_span = 4;  // enter when span <= 4 n
  static constexpr std::size_t direct_leave_span = 6;  // leave when span > 6 n

  const peer_record* find_elsewhere(peer_id p) const;  // find() past the last-found shortcut
  std::uint32_t position_of(peer_id p) const;          // no_position when absent
  std::uint32_t locate(peer_id p) const;  // position_of without the last-found shortcut
  void index_last();                      // indexes records_.back()
  void rebuild_hashed(std::size_t size);
  void rebuild_direct(std::size_t size);
  static std::size_t slots_for(std::size_t n);

  struct slot {
    peer_id id = no_peer;  // no_peer: empty
    std::uint32_t position = 0;
  };
  std::vector<peer_record> records_;
  std::vector<slot> slots_;            // hash mode: a power of two; linear probing; empty
                                       // while the table is small (scan) or direct
  std::vector<std::uint32_t> direct_;  // direct mode (non-empty): position by id
  peer_id max_id_ = 0;
  // The position position_of() found last (checked before use, so never stale): a node looks the
  // same peer up several times in a row — the update, its event's record, the simulator's
  // convergence bookkeeping. It sits in max_id_'s padding, so the table stays the same size.
  mutable std::uint32_t last_found_ = 0;
  std::size_t online_ = 0;
  std::size_t max_entries_;
};

}  // namespace eachare
