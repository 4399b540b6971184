// rng: the simulator's one source of randomness — xoshiro256** seeded through splitmix64 — with
// our own uniform / bernoulli / exponential draws, because std:: distributions give different
// sequences on different standard libraries and a seed must replay the same run everywhere.
//
// Threading rule: an rng is a plain value owned by one component on the simulation thread; it is
// never shared between threads. Copying it forks the stream (both copies then draw the same
// numbers), so components that need their own stream take split() or derive_seed().
#pragma once

#include <cstdint>

namespace eachare::sim {

// One step of splitmix64: advances `state` and returns the next output. Used to expand a 64-bit
// seed into xoshiro's 256-bit state and to derive independent per-node seeds.
std::uint64_t splitmix64(std::uint64_t& state);

// A seed for stream `stream` of `seed` (e.g. node i's gossip RNG, the network's fault draws).
// Different (seed, stream) pairs give unrelated seeds; the same pair always gives the same one.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream);

class rng {
 public:
  explicit rng(std::uint64_t seed = 1);

  // The next raw 64-bit output of xoshiro256**. Inline with uniform01() and bernoulli(): every
  // line the network sends draws twice (drop, duplicate), most often with p = 0.
  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform integer in [0, n); n must be > 0. Unbiased (rejection of the short last bucket).
  std::uint64_t uniform_u64(std::uint64_t n);

  // Uniform double in [0, 1), 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform double in [a, b) (a when a >= b).
  double uniform_real(double a, double b);

  // True with probability p (p <= 0: never draws true; p >= 1: always true). Always consumes one
  // draw so that changing p does not shift the rest of the stream.
  bool bernoulli(double p) {
    const std::uint64_t x = next_u64();
    // uniform01() is in [0, 1): below p <= 0 (or NaN) never, below p >= 1 always. Only the
    // draw itself is needed then, not the conversion.
    if (!(p > 0)) return false;
    if (p >= 1) return true;
    return static_cast<double>(x >> 11) * 0x1.0p-53 < p;
  }

  // Exponentially distributed with the given mean (mean <= 0 gives 0), by inversion.
  double exponential(double mean);

  // A new engine for a sub-component, seeded from this one's next output: this stream advances
  // by one draw, and the child's stream is unrelated to the parent's continuation.
  rng split();

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4];
};

}  // namespace eachare::sim
