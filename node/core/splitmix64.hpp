// splitmix64 (Steele, Lea, Flood): the small seeded generator behind every random choice of the
// node (gossip fanout), the scenario loader (random topologies) and the seeding of the
// simulator's xoshiro engine. A plain value; not thread-safe, one per owner.
//
// Written out here rather than taken from <random>: the std:: distributions differ across
// standard libraries, and a seed must replay the same run everywhere.
#pragma once

#include <cassert>
#include <cstdint>

namespace eachare {

// One step: advances `state` and returns the next output.
inline std::uint64_t splitmix64_next(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class splitmix64 {
 public:
  explicit splitmix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() { return splitmix64_next(state_); }

  // Uniform in [0, bound): draws in the short last bucket are rejected, so no modulo bias.
  std::uint64_t below(std::uint64_t bound) {
    assert(bound > 0);
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    std::uint64_t x = next();
    while (x >= limit) x = next();
    return x % bound;
  }

 private:
  std::uint64_t state_;
};

}  // namespace eachare
