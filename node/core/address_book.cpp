#include "node/core/address_book.hpp"

#include <cassert>
#include <functional>

namespace eachare {

std::size_t address_book::sv_hash::operator()(std::string_view s) const noexcept {
  return std::hash<std::string_view>{}(s);
}

peer_id address_book::intern(std::string_view address) {
  // Heterogeneous lookup first: the common case (a known address) must not build a string.
  if (auto it = ids_.find(address); it != ids_.end()) return it->second;
  assert(names_.size() < no_peer);
  const auto id = static_cast<peer_id>(names_.size());
  names_.emplace_back(address);
  ids_.emplace(names_.back(), id);
  return id;
}

peer_id address_book::find(std::string_view address) const {
  auto it = ids_.find(address);
  return it == ids_.end() ? no_peer : it->second;
}

}  // namespace eachare
