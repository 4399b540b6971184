// lamport_clock: the peer's logical clock with the rule of each EP part (protocol.md §3).
// Not thread-safe by design: a peer_node owns one and touches it only from its executor
// (bench/ compares that design with mutex and atomic clocks).
#pragma once

#include <cstdint>

namespace eachare {

enum class clock_rule : std::uint8_t {
  increment_only,  // part 1: +1 on send, +1 on receive (received value ignored)
  max_plus_one,    // parts 2 and 3: +1 on send, max(local, received) + 1 on receive
};

// The rule an EP part uses: 1 -> increment_only, 2 and 3 -> max_plus_one.
constexpr clock_rule clock_rule_for_ep(int ep) {
  return ep == 1 ? clock_rule::increment_only : clock_rule::max_plus_one;
}

class lamport_clock {
 public:
  explicit lamport_clock(clock_rule rule = clock_rule::max_plus_one) : rule_(rule) {}

  std::uint64_t value() const { return value_; }
  clock_rule rule() const { return rule_; }

  // Before every send. Returns the new value (the one the message carries).
  std::uint64_t tick() { return ++value_; }

  // On every receive (request or reply). Returns the new value.
  std::uint64_t on_receive(std::uint64_t received) {
    if (rule_ == clock_rule::max_plus_one && received > value_) value_ = received;
    return ++value_;
  }

  void reset() { value_ = 0; }

 private:
  clock_rule rule_;
  std::uint64_t value_ = 0;
};

}  // namespace eachare
