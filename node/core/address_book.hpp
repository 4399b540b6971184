// address_book: interns `host:port` text to small integers (peer_id), so peer tables, events and
// the simulator hold 4-byte ids and text appears only at the codec and the console.
// Not thread-safe: one book per executor (the real peer owns one; the simulator shares one
// across all its nodes, which all run on the simulation thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eachare {

using peer_id = std::uint32_t;
inline constexpr peer_id no_peer = 0xFFFFFFFFu;

class address_book {
 public:
  // The id of `address`, creating it when new. Ids are dense, starting at 0, in first-seen order.
  peer_id intern(std::string_view address);
  // The id of `address`, or no_peer when it was never interned.
  peer_id find(std::string_view address) const;
  // The text of an id returned by intern(). Stable reference for the book's lifetime.
  const std::string& name(peer_id id) const { return chunks_[id >> chunk_bits][id & chunk_mask]; }
  // name(id).size(), from a dense array (2 bytes per id): a PEER_LIST's line length is counted
  // from its entries' ids, and reading it there spares a cache line per name.
  std::size_t name_size(peer_id id) const {
    return name_sizes_[id] != long_name ? name_sizes_[id] : name(id).size();
  }
  // The longest name interned so far: a bound on any entry's size.
  std::size_t longest_name() const { return longest_name_; }
  std::size_t size() const { return size_; }

  // The names by chunk, for a reader on another thread (sim's packed-reply decoding): chunk k
  // holds ids k * chunk_size .. k * chunk_size + chunk_size - 1. A chunk's array never moves,
  // and a name, once interned, is never written again, so another thread may read the names it
  // was told about (ids below size() when it was told) while this book goes on interning; it
  // must not call anything else here.
  static constexpr unsigned chunk_bits = 10;
  static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
  std::size_t chunk_count() const { return chunks_.size(); }
  const std::string* chunk(std::size_t k) const { return chunks_[k].get(); }

 private:
  // Open addressing (linear probing, at most half full): 8 bytes per slot, the text stored once
  // (in chunks_), and a tag of the hash so a probe rarely compares strings. Every delivery in
  // the simulator interns the sender's address, so this lookup is on the hot path.
  struct slot {
    peer_id id = no_peer;  // no_peer: empty
    std::uint32_t tag = 0;
  };
  void grow();

  // The names in chunks of 1,024 that never move, so name() references stay valid as the book
  // grows. Not a std::deque: its indexing was ~30 instructions per lookup, and a discovery looks
  // up a name for every PEER_LIST entry it writes, builds or checks.
  static constexpr peer_id chunk_mask = (peer_id{1} << chunk_bits) - 1;
  std::vector<std::unique_ptr<std::string[]>> chunks_;
  std::size_t size_ = 0;
  std::vector<slot> slots_;                           // size 0 or a power of two; never erased
  static constexpr std::uint16_t long_name = 0xFFFF;  // this size or more: ask the name itself
  std::vector<std::uint16_t> name_sizes_;
  std::size_t longest_name_ = 0;
};

}  // namespace eachare
