#include "node/protocol/lamport_clock.hpp"

#include <gtest/gtest.h>

namespace eachare {
namespace {

TEST(LamportClock, StartsAtZero) {
  lamport_clock clock;
  EXPECT_EQ(clock.value(), 0u);
  EXPECT_EQ(clock.rule(), clock_rule::max_plus_one);
}

TEST(LamportClock, TickIncrementsAndReturnsTheNewValue) {
  lamport_clock clock;
  EXPECT_EQ(clock.tick(), 1u);
  EXPECT_EQ(clock.tick(), 2u);
  EXPECT_EQ(clock.value(), 2u);
}

TEST(LamportClock, PartOneRuleIgnoresTheReceivedValue) {
  lamport_clock clock(clock_rule::increment_only);
  EXPECT_EQ(clock.on_receive(100), 1u);
  EXPECT_EQ(clock.on_receive(0), 2u);
  EXPECT_EQ(clock.tick(), 3u);
}

TEST(LamportClock, MaxPlusOneJumpsPastALargerReceivedValue) {
  lamport_clock clock(clock_rule::max_plus_one);
  clock.tick();
  EXPECT_EQ(clock.on_receive(10), 11u);
}

TEST(LamportClock, MaxPlusOneKeepsItsOwnValueWhenReceivedIsSmallerOrEqual) {
  lamport_clock clock(clock_rule::max_plus_one);
  for (int i = 0; i < 5; ++i) clock.tick();
  EXPECT_EQ(clock.on_receive(3), 6u);
  EXPECT_EQ(clock.on_receive(6), 7u);
}

TEST(LamportClock, RuleForEachEpPart) {
  EXPECT_EQ(clock_rule_for_ep(1), clock_rule::increment_only);
  EXPECT_EQ(clock_rule_for_ep(2), clock_rule::max_plus_one);
  EXPECT_EQ(clock_rule_for_ep(3), clock_rule::max_plus_one);
}

TEST(LamportClock, ResetReturnsToZeroAndKeepsTheRule) {
  lamport_clock clock(clock_rule::increment_only);
  clock.tick();
  clock.reset();
  EXPECT_EQ(clock.value(), 0u);
  EXPECT_EQ(clock.rule(), clock_rule::increment_only);
}

}  // namespace
TEST(LamportClock, ReceivingTheCeilingNeverWrapsAndNeverDecreases) {
  lamport_clock c(clock_rule::max_plus_one);
  EXPECT_EQ(c.on_receive(limits::max_clock - 1), limits::max_clock);
  EXPECT_EQ(c.on_receive(limits::max_clock), limits::max_clock);
  EXPECT_EQ(c.tick(), limits::max_clock);
  // Decode refuses larger clocks; should one reach the clock anyway, it is the ceiling.
  EXPECT_EQ(c.on_receive(~std::uint64_t{0}), limits::max_clock);
}

TEST(LamportClock, MaxMinusOneFromTheCeilingStillIncrements) {
  lamport_clock c(clock_rule::max_plus_one);
  EXPECT_EQ(c.on_receive(limits::max_clock - 2), limits::max_clock - 1);
  EXPECT_EQ(c.tick(), limits::max_clock);
}

}  // namespace eachare
