#include "node/core/peer_table.hpp"

#include <cassert>
#include <utility>

namespace eachare {
namespace {

// Fibonacci hashing: ids are dense small integers, so the multiply spreads neighbours apart.
std::size_t home(peer_id p, std::size_t mask) {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(p) * 0x9E3779B97F4A7C15ull) >> 32) &
         mask;
}

}  // namespace

const std::uint32_t* peer_table::slot_of(peer_id p) const {
  // no_peer marks empty slots, so it must never be looked up as a key.
  if (slots_.empty() || p == no_peer) return nullptr;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = home(p, mask);; i = (i + 1) & mask) {
    const slot& s = slots_[i];
    if (s.id == p) return &s.position;
    if (s.id == no_peer) return nullptr;
  }
}

std::uint32_t* peer_table::slot_of(peer_id p) {
  return const_cast<std::uint32_t*>(std::as_const(*this).slot_of(p));
}

void peer_table::grow() {
  const std::size_t size = slots_.empty() ? 8 : slots_.size() * 2;
  slots_.assign(size, slot{});
  const std::size_t mask = size - 1;
  for (std::uint32_t pos = 0; pos < records_.size(); ++pos) {
    std::size_t i = home(records_[pos].id, mask);
    while (slots_[i].id != no_peer) i = (i + 1) & mask;
    slots_[i] = slot{records_[pos].id, pos};
  }
}

peer_record& peer_table::add(peer_id p, peer_status status, std::uint64_t clock) {
  assert(p != no_peer);
  assert(records_.size() < UINT32_MAX);
  records_.push_back(peer_record{p, status, clock});
  if (records_.size() * 2 > slots_.size()) {
    grow();  // re-inserts every record, this one included
  } else {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = home(p, mask);
    while (slots_[i].id != no_peer) i = (i + 1) & mask;
    slots_[i] = slot{p, static_cast<std::uint32_t>(records_.size() - 1)};
  }
  if (status == peer_status::online) ++online_;
  return records_.back();
}

void peer_table::set(peer_record& r, peer_status status) {
  if (r.status == status) return;
  if (status == peer_status::online) {
    ++online_;
  } else {
    assert(online_ > 0);
    --online_;
  }
  r.status = status;
}

table_change peer_table::on_direct(peer_id p, peer_status status, std::uint64_t clock) {
  const std::uint32_t* at = slot_of(p);
  if (at == nullptr) {
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[*at];
  set(r, status);
  if (clock > r.clock) r.clock = clock;
  return table_change::updated;
}

table_change peer_table::on_list_entry(peer_id p, peer_status status, std::uint64_t clock) {
  const std::uint32_t* at = slot_of(p);
  if (at == nullptr) {
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[*at];
  if (clock <= r.clock) return table_change::unchanged;
  set(r, status);
  r.clock = clock;
  return table_change::updated;
}

table_change peer_table::set_status(peer_id p, peer_status status) {
  const std::uint32_t* at = slot_of(p);
  if (at == nullptr) {
    add(p, status, 0);
    return table_change::added;
  }
  set(records_[*at], status);
  return table_change::updated;
}

bool peer_table::add_if_absent(peer_id p, peer_status status, std::uint64_t clock) {
  if (slot_of(p) != nullptr) return false;
  add(p, status, clock);
  return true;
}

const peer_record* peer_table::find(peer_id p) const {
  const std::uint32_t* at = slot_of(p);
  return at == nullptr ? nullptr : &records_[*at];
}

}  // namespace eachare
