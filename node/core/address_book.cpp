#include "node/core/address_book.hpp"

#include <cassert>
#include <functional>

namespace eachare {
namespace {

std::uint64_t hash_of(std::string_view s) {
  return std::hash<std::string_view>{}(s);
}

std::uint32_t tag_of(std::uint64_t h) {
  return static_cast<std::uint32_t>(h >> 32);
}

}  // namespace

void address_book::grow() {
  const std::size_t size = slots_.empty() ? 64 : slots_.size() * 2;
  slots_.assign(size, slot{});
  const std::size_t mask = size - 1;
  for (peer_id id = 0; id < names_.size(); ++id) {
    const std::uint64_t h = hash_of(names_[id]);
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (slots_[i].id != no_peer) i = (i + 1) & mask;
    slots_[i] = slot{id, tag_of(h)};
  }
}

peer_id address_book::intern(std::string_view address) {
  if ((names_.size() + 1) * 2 > slots_.size()) grow();
  const std::uint64_t h = hash_of(address);
  const std::uint32_t tag = tag_of(h);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  for (; slots_[i].id != no_peer; i = (i + 1) & mask) {
    if (slots_[i].tag == tag && names_[slots_[i].id] == address) return slots_[i].id;
  }
  assert(names_.size() < no_peer);
  const auto id = static_cast<peer_id>(names_.size());
  names_.emplace_back(address);
  slots_[i] = slot{id, tag};
  return id;
}

peer_id address_book::find(std::string_view address) const {
  if (slots_.empty()) return no_peer;
  const std::uint64_t h = hash_of(address);
  const std::uint32_t tag = tag_of(h);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(h) & mask; slots_[i].id != no_peer;
       i = (i + 1) & mask) {
    if (slots_[i].tag == tag && names_[slots_[i].id] == address) return slots_[i].id;
  }
  return no_peer;
}

}  // namespace eachare
