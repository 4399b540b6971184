// lamport_clock: the peer's logical clock with the rule of each EP part (protocol.md §3).
// Not thread-safe by design: a peer_node owns one and touches it only from its executor
// (bench/ compares that design with mutex and atomic clocks).
#pragma once

#include <cstdint>

namespace eachare {

namespace limits {
// The largest clock on the wire: decode refuses a larger one as bad input, and our own clock
// never goes past it. 2^63 - 1 is the largest value every peer can hold (Java's long, Go's
// int64), and a clock near 2^64 once wrapped ours to 0 ("Atualizando relogio para 0").
inline constexpr std::uint64_t max_clock = (std::uint64_t{1} << 63) - 1;
}  // namespace limits

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
  std::uint64_t tick() { return advance(); }

  // On every receive (request or reply). Returns the new value. `received` is at most
  // limits::max_clock (decode refuses larger clocks); a larger one is treated as max_clock.
  std::uint64_t on_receive(std::uint64_t received) {
    if (rule_ == clock_rule::max_plus_one && received > value_) {
      value_ = received < limits::max_clock ? received : limits::max_clock;
    }
    return advance();
  }

  void reset() { value_ = 0; }

 private:
  // +1, saturating at limits::max_clock: a clock that reached the ceiling (only a peer that sent
  // it can bring us there) stays there instead of wrapping, so it never decreases.
  std::uint64_t advance() {
    if (value_ < limits::max_clock) ++value_;
    return value_;
  }

  clock_rule rule_;
  std::uint64_t value_ = 0;
};

}  // namespace eachare
