#include "sim/rng.hpp"

#include "node/core/splitmix64.hpp"

#include <cmath>

namespace eachare::sim {

std::uint64_t splitmix64(std::uint64_t& state) {
  return splitmix64_next(state);
}

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  // Two rounds so that neighbouring (seed, stream) pairs land far apart.
  std::uint64_t s = seed;
  std::uint64_t a = splitmix64(s);
  std::uint64_t t = a ^ (stream * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull);
  return splitmix64(t);
}

rng::rng(std::uint64_t seed) {
  std::uint64_t s = seed;
  for (auto& w : s_) w = splitmix64(s);
  // xoshiro must never be all zeros; splitmix64 cannot produce four zeros in a row, but be safe.
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

std::uint64_t rng::uniform_u64(std::uint64_t n) {
  if (n <= 1) return 0;
  // Reject the short last bucket so every value is equally likely.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  std::uint64_t x = next_u64();
  while (x >= limit) x = next_u64();
  return x % n;
}

double rng::uniform_real(double a, double b) {
  const double u = uniform01();
  if (!(b > a)) return a;
  return a + (b - a) * u;
}

double rng::exponential(double mean) {
  const double u = uniform01();
  if (!(mean > 0)) return 0.0;
  // 1 - u is in (0, 1], so the log is finite.
  return -mean * std::log1p(-u);
}

rng rng::split() {
  return rng(next_u64());
}

}  // namespace eachare::sim
