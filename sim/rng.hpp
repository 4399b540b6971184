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

  // The next raw 64-bit output of xoshiro256**.
  std::uint64_t next_u64();

  // Uniform integer in [0, n); n must be > 0. Unbiased (rejection of the short last bucket).
  std::uint64_t uniform_u64(std::uint64_t n);

  // Uniform double in [0, 1), 53 random bits.
  double uniform01();

  // Uniform double in [a, b) (a when a >= b).
  double uniform_real(double a, double b);

  // True with probability p (p <= 0: never draws true; p >= 1: always true). Always consumes one
  // draw so that changing p does not shift the rest of the stream.
  bool bernoulli(double p);

  // Exponentially distributed with the given mean (mean <= 0 gives 0), by inversion.
  double exponential(double mean);

  // A new engine for a sub-component, seeded from this one's next output: this stream advances
  // by one draw, and the child's stream is unrelated to the parent's continuation.
  rng split();

 private:
  std::uint64_t s_[4];
};

}  // namespace eachare::sim
