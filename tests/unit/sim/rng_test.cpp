#include "sim/rng.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

namespace eachare::sim {
namespace {

TEST(Rng, SameSeedGivesSameSequence) {
  rng a(42), b(42);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
}

TEST(Rng, DifferentSeedsGiveDifferentSequences) {
  rng a(1), b(2);
  int equal = 0;
  for (int i = 0; i < 100; ++i) equal += a.next_u64() == b.next_u64();
  EXPECT_EQ(equal, 0);
}

TEST(Rng, FirstOutputsAreFixedAcrossPlatforms) {
  // Pinned values: a change here changes every trace hash of every scenario.
  std::uint64_t s = 0;
  EXPECT_EQ(splitmix64(s), 0xE220A8397B1DCDAFull);
  rng r(0);
  const std::uint64_t first = r.next_u64();
  rng again(0);
  EXPECT_EQ(again.next_u64(), first);
  EXPECT_NE(first, 0u);
}

TEST(Rng, UniformStaysInRangeAndCoversIt) {
  rng r(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const auto v = r.uniform_u64(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_EQ(r.uniform_u64(1), 0u);
  for (int i = 0; i < 1000; ++i) {
    const double x = r.uniform_real(2.0, 3.0);
    ASSERT_GE(x, 2.0);
    ASSERT_LT(x, 3.0);
  }
  EXPECT_EQ(r.uniform_real(5.0, 5.0), 5.0);
}

TEST(Rng, ExponentialMeanIsWithinTolerance) {
  rng r(123);
  constexpr int n = 100000;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.exponential(20.0);
    ASSERT_GE(x, 0.0);
    sum += x;
  }
  // Standard error of the mean is 20/sqrt(1e5) ~ 0.063; allow ~5 sigma.
  EXPECT_NEAR(sum / n, 20.0, 0.35);
  EXPECT_EQ(r.exponential(0.0), 0.0);
}

TEST(Rng, BernoulliFrequencyMatchesProbability) {
  rng r(9);
  int hits = 0;
  for (int i = 0; i < 100000; ++i) hits += r.bernoulli(0.25);
  EXPECT_NEAR(hits / 100000.0, 0.25, 0.01);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.bernoulli(0.0));
    EXPECT_TRUE(r.bernoulli(1.0));
  }
}

TEST(Rng, BernoulliConsumesOneDrawWhateverTheProbability) {
  // p <= 0, NaN and p >= 1 answer without converting the draw, but still take it: a link's drop
  // probability must not shift the delays drawn after it.
  for (const double p : {-1.0, 0.0, std::nan(""), 0.5, 1.0, 2.0}) {
    rng a(11);
    rng b(11);
    for (int i = 0; i < 10; ++i) {
      a.bernoulli(p);
      b.next_u64();
    }
    EXPECT_EQ(a.next_u64(), b.next_u64()) << p;
  }
  rng r(12);
  for (int i = 0; i < 100; ++i) {
    EXPECT_FALSE(r.bernoulli(-0.5));
    EXPECT_FALSE(r.bernoulli(std::nan("")));
    EXPECT_TRUE(r.bernoulli(1.5));
  }
}

TEST(Rng, SplitAndDeriveGiveIndependentDeterministicStreams) {
  rng parent(5);
  rng child = parent.split();
  EXPECT_NE(child.next_u64(), parent.next_u64());
  rng parent2(5);
  rng child2 = parent2.split();
  rng child_again = rng(5).split();
  EXPECT_EQ(child2.next_u64(), child_again.next_u64());

  EXPECT_EQ(derive_seed(1, 7), derive_seed(1, 7));
  EXPECT_NE(derive_seed(1, 7), derive_seed(1, 8));
  EXPECT_NE(derive_seed(1, 7), derive_seed(2, 7));
  std::set<std::uint64_t> seeds;
  for (std::uint64_t i = 0; i < 1000; ++i) seeds.insert(derive_seed(3, i));
  EXPECT_EQ(seeds.size(), 1000u);
}

}  // namespace
}  // namespace eachare::sim
