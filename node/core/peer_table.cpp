#include "node/core/peer_table.hpp"

#include <algorithm>
#include <cassert>

#include "node/protocol/lamport_clock.hpp"  // limits::max_clock

namespace eachare {
namespace {

// Fibonacci hashing: ids are dense small integers, so the multiply spreads neighbours apart.
std::size_t home(peer_id p, std::size_t mask) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(p) * 0x9E3779B97F4A7C15ull) >> 32) &
         mask;
}

// Clocks above limits::max_clock are rejected as bad input before they reach a table; the
// record keeps 63 bits, so anything larger would saturate there.
std::uint64_t stored(std::uint64_t clock) {
  return std::min(clock, limits::max_clock);
}

}  // namespace

std::uint32_t peer_table::position_of(peer_id p) const {
  if (last_found_ < records_.size() && records_[last_found_].id == p) return last_found_;
  const std::uint32_t at = locate(p);
  if (at != no_position) last_found_ = at;
  return at;
}

std::uint32_t peer_table::locate(peer_id p) const {
  if (!direct_.empty()) return p < direct_.size() ? direct_[p] : no_position;
  if (slots_.empty()) {
    // Small table (records never hold no_peer, so it is never found).
    for (std::uint32_t i = 0; i < records_.size(); ++i) {
      if (records_[i].id == p) return i;
    }
    return no_position;
  }
  // no_peer marks empty slots, so it must never be looked up as a key.
  if (p == no_peer) return no_position;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(p, mask);; i = (i + 1) & mask) {
    const slot& s = slots_[i];
    if (s.id == p) return s.position;
    if (s.id == no_peer) return no_position;
  }
}

void peer_table::rebuild_hashed(std::size_t size) {
  std::vector<std::uint32_t>().swap(direct_);
  slots_.assign(size, slot{});
  const std::size_t mask = size - 1;
  for (std::uint32_t pos = 0; pos < records_.size(); ++pos) {
    std::size_t i = home(records_[pos].id, mask);
    while (slots_[i].id != no_peer) i = (i + 1) & mask;
    slots_[i] = slot{records_[pos].id, pos};
  }
}

void peer_table::rebuild_direct(std::size_t size) {
  std::vector<slot>().swap(slots_);
  direct_.assign(size, no_position);
  for (std::uint32_t pos = 0; pos < records_.size(); ++pos) direct_[records_[pos].id] = pos;
}

void peer_table::index_last() {
  const auto pos = static_cast<std::uint32_t>(records_.size() - 1);
  const peer_id p = records_.back().id;
  if (p > max_id_ || records_.size() == 1) max_id_ = p;
  const std::size_t n = records_.size();
  const std::size_t span = static_cast<std::size_t>(max_id_) + 1;
  if (!direct_.empty()) {
    if (p < direct_.size()) {
      direct_[p] = pos;
    } else if (span <= direct_leave_span * n) {
      direct_.resize(std::min(std::max(span, direct_.size() * 2), direct_leave_span * n),
                     no_position);
      direct_[p] = pos;
    } else {
      rebuild_hashed(slots_for(n));  // the ids went sparse
    }
    return;
  }
  if (n >= direct_min_entries && span <= direct_enter_span * n) {
    rebuild_direct(span);
    return;
  }
  if (n <= scan_max_entries) return;  // found by scanning records_
  if (n * 2 > slots_.size()) {
    rebuild_hashed(slots_for(n));  // re-inserts every record, this one included
    return;
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = home(p, mask);
  while (slots_[i].id != no_peer) i = (i + 1) & mask;
  slots_[i] = slot{p, pos};
}

std::size_t peer_table::slots_for(std::size_t n) {
  std::size_t size = 8;
  while (size < n * 2 + 2) size *= 2;
  return size;
}

peer_record& peer_table::add(peer_id p, peer_status status, std::uint64_t clock) {
  assert(p != no_peer);
  assert(records_.size() < no_position);
  if (records_.size() == records_.capacity()) {
    // Grow by a quarter (at least 2): N full tables of N records are most of a large
    // discovery's memory, and doubling would leave up to half of each unused.
    records_.reserve(records_.size() + std::max<std::size_t>(2, records_.size() / 4));
  }
  records_.push_back(peer_record{p, status, stored(clock) & limits::max_clock});
  index_last();
  // The caller's event and the simulator's bookkeeping look the new peer up next.
  last_found_ = static_cast<std::uint32_t>(records_.size() - 1);
  if (status == peer_status::online) ++online_;
  return records_.back();
}

table_change peer_table::on_direct(peer_id p, peer_status status, std::uint64_t clock) {
  const std::uint32_t at = position_of(p);
  if (at == no_position) {
    if (full()) return table_change::full;
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[at];
  set(r, status);
  if (clock > r.clock) r.clock = stored(clock) & limits::max_clock;  // the mask: 63 bits
  return table_change::updated;
}

table_change peer_table::on_list_entry_elsewhere(peer_id p, peer_status status,
                                                 std::uint64_t clock) {
  const std::uint32_t at = position_of(p);
  if (at == no_position) {
    if (full()) return table_change::full;
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[at];
  if (clock <= r.clock) return table_change::unchanged;
  update(r, status, clock);
  return table_change::updated;
}

table_change peer_table::set_status(peer_id p, peer_status status) {
  const std::uint32_t at = position_of(p);
  if (at == no_position) {
    if (full()) return table_change::full;
    add(p, status, 0);
    return table_change::added;
  }
  set(records_[at], status);
  return table_change::updated;
}

bool peer_table::add_if_absent(peer_id p, peer_status status, std::uint64_t clock) {
  if (position_of(p) != no_position || full()) return false;
  add(p, status, clock);
  return true;
}

const peer_record* peer_table::find_elsewhere(peer_id p) const {
  const std::uint32_t at = locate(p);
  if (at != no_position) last_found_ = at;
  return at == no_position ? nullptr : &records_[at];
}

}  // namespace eachare
