#include "node/core/address_book.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace eachare {
namespace {

// Addresses are short (`10.0.0.1:1024` is 13 bytes), and every PEER_LIST entry a node receives
// is interned: up to 16 bytes are read as two (overlapping) words and mixed by one 128-bit
// multiply, a fraction of std::hash's byte loop. Ids never depend on the hash (they are dense,
// in first-seen order), so neither does anything a run prints.
std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  __extension__ using u128 = unsigned __int128;
  const u128 p = static_cast<u128>(a) * b;
  return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
}

std::uint64_t load8(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

std::uint64_t load4(const char* p) {
  std::uint32_t w;
  std::memcpy(&w, p, 4);
  return w;
}

std::uint64_t hash_of(std::string_view s) {
  constexpr std::uint64_t k0 = 0xa0761d6478bd642full;
  constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbull;
  const char* p = s.data();
  std::size_t n = s.size();
  std::uint64_t seed = 0x9e3779b97f4a7c15ull ^ n;
  for (; n > 16; p += 16, n -= 16) seed = mix(load8(p) ^ k0, load8(p + 8) ^ seed);
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  if (n >= 8) {
    a = load8(p);
    b = load8(p + n - 8);
  } else if (n >= 4) {
    a = load4(p);
    b = load4(p + n - 4);
  } else if (n > 0) {
    a = (static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) << 16) |
        (static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8) |
        static_cast<unsigned char>(p[n - 1]);
  }
  return mix(a ^ k0, b ^ k1 ^ seed);
}

// name == text, without a libc memcmp call for the usual 9-21 byte address: two overlapping words
// per 16 bytes. Every PEER_LIST entry a node receives is compared here once its tag matched.
bool same_text(const std::string& name, std::string_view text) {
  const std::size_t n = text.size();
  if (name.size() != n) return false;
  const char* a = name.data();
  const char* b = text.data();
  if (n >= 8 && n <= 16) {
    return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
  }
  if (n > 16 && n <= 32) {
    return load8(a) == load8(b) && load8(a + 8) == load8(b + 8) &&
           load8(a + n - 16) == load8(b + n - 16) && load8(a + n - 8) == load8(b + n - 8);
  }
  return std::memcmp(a, b, n) == 0;
}

std::uint32_t tag_of(std::uint64_t h) {
  return static_cast<std::uint32_t>(h >> 32);
}

}  // namespace

void address_book::grow() {
  const std::size_t size = slots_.empty() ? 64 : slots_.size() * 2;
  slots_.assign(size, slot{});
  const std::size_t mask = size - 1;
  for (peer_id id = 0; id < size_; ++id) {
    const std::uint64_t h = hash_of(name(id));
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (slots_[i].id != no_peer) i = (i + 1) & mask;
    slots_[i] = slot{id, tag_of(h)};
  }
}

peer_id address_book::intern(std::string_view address) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const std::uint64_t h = hash_of(address);
  const std::uint32_t tag = tag_of(h);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  for (; slots_[i].id != no_peer; i = (i + 1) & mask) {
    if (slots_[i].tag == tag && same_text(name(slots_[i].id), address)) return slots_[i].id;
  }
  assert(size_ < no_peer);
  const auto id = static_cast<peer_id>(size_);
  if ((id & chunk_mask) == 0) chunks_.push_back(std::make_unique<std::string[]>(chunk_mask + 1));
  chunks_.back()[id & chunk_mask].assign(address);
  name_sizes_.push_back(
      static_cast<std::uint16_t>(std::min<std::size_t>(address.size(), long_name)));
  longest_name_ = std::max(longest_name_, address.size());
  ++size_;
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
    if (slots_[i].tag == tag && same_text(name(slots_[i].id), address)) return slots_[i].id;
  }
  return no_peer;
}

}  // namespace eachare
