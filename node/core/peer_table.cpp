#include "node/core/peer_table.hpp"

#include <cassert>

namespace eachare {

peer_record& peer_table::add(peer_id p, peer_status status, std::uint64_t clock) {
  assert(p != no_peer);
  assert(records_.size() < UINT32_MAX);
  index_.emplace(p, static_cast<std::uint32_t>(records_.size()));
  records_.push_back(peer_record{p, status, clock});
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
  auto it = index_.find(p);
  if (it == index_.end()) {
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[it->second];
  set(r, status);
  if (clock > r.clock) r.clock = clock;
  return table_change::updated;
}

table_change peer_table::on_list_entry(peer_id p, peer_status status, std::uint64_t clock) {
  auto it = index_.find(p);
  if (it == index_.end()) {
    add(p, status, clock);
    return table_change::added;
  }
  peer_record& r = records_[it->second];
  if (clock <= r.clock) return table_change::unchanged;
  set(r, status);
  r.clock = clock;
  return table_change::updated;
}

table_change peer_table::set_status(peer_id p, peer_status status) {
  auto it = index_.find(p);
  if (it == index_.end()) {
    add(p, status, 0);
    return table_change::added;
  }
  set(records_[it->second], status);
  return table_change::updated;
}

bool peer_table::add_if_absent(peer_id p, peer_status status, std::uint64_t clock) {
  if (index_.contains(p)) return false;
  add(p, status, clock);
  return true;
}

const peer_record* peer_table::find(peer_id p) const {
  auto it = index_.find(p);
  return it == index_.end() ? nullptr : &records_[it->second];
}

}  // namespace eachare
