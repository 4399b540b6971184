// fault_model: the simulated network's behaviour as plain data — delay distribution, loss,
// duplication, reordering jitter, bandwidth and the requester's timeout — for every link by
// default, with overrides per ordered group pair and per ordered link (docs/scenarios.md, Network:
// faults are data, units last in names). Partitions are kept by the network
// (network.hpp), not here, because they come and go with the timeline.
//
// Threading rule: plain values; the network that holds them lives on the simulation thread.
#pragma once

#include <cstdint>
#include <map>
#include <utility>

#include "node/core/ports.hpp"
#include "sim/rng.hpp"

namespace eachare::sim {

// One-way latency of a line on a link.
struct delay_distribution {
  enum class kind : std::uint8_t {
    constant,     // always `ms`
    uniform,      // uniform in [min_ms, max_ms)
    exponential,  // min_ms + an exponential tail, so that the mean delay is mean_ms
                  // (tail mean = mean_ms - min_ms; no tail when mean_ms <= min_ms)
  };
  kind dist = kind::constant;
  double ms = 1.0;
  double min_ms = 0.0;
  double max_ms = 0.0;
  double mean_ms = 0.0;

  static delay_distribution constant(double ms);
  static delay_distribution uniform(double min_ms, double max_ms);
  static delay_distribution exponential(double min_ms, double mean_ms);

  // One draw, rounded to whole nanoseconds, never negative. A constant consumes no randomness.
  duration sample(rng& r) const;
  friend bool operator==(const delay_distribution&, const delay_distribution&) = default;
};

// Behaviour of one direction of one link (from -> to). Applies to each line separately: the
// request line on from -> to, the reply line on to -> from (so it uses the reverse link's data).
struct link_faults {
  delay_distribution delay = delay_distribution::constant(1.0);
  // A line lost: the requester sees errc::timed_out at its timeout.
  double drop_probability = 0.0;
  // A line delivered twice (the copy after its own independent delay). A duplicated request is
  // handled twice by the receiver; the copy's reply goes nowhere.
  double duplicate_probability = 0.0;
  // Extra uniform delay in [0, reorder_jitter_ms) per line, so lines overtake each other even
  // with a constant base delay.
  double reorder_jitter_ms = 0.0;
  // Transmission time of a line = its bytes / bandwidth (0 = unlimited, no transmission time).
  // Per line, not queued behind other lines on the link.
  std::uint64_t bandwidth_bytes_per_s = 0;
  // The requester's connect/reply timeout, taken from the request's link (from -> to).
  std::uint64_t timeout_ms = 2000;
  friend bool operator==(const link_faults&, const link_faults&) = default;
};

// Groups are small integers the runner assigns to nodes (network::set_group); every node starts
// in group 0.
using group_id = std::uint16_t;

// All of the network's fault data. Lookup for a line from node x to node y: the link override
// (x, y) if any, else the group-pair override (group(x), group(y)) if any, else `defaults`.
struct fault_model {
  link_faults defaults;
  std::map<std::pair<group_id, group_id>, link_faults> group_overrides;  // ordered (from, to)
  std::map<std::pair<std::uint32_t, std::uint32_t>, link_faults> link_overrides;  // node ids
  // The real transport's connection queue: a node has at most this many requests on the wire at
  // once; further sends wait in a FIFO queue and go out as earlier ones complete. 0: no limit.
  std::uint32_t max_outbound_connections = 0;
  friend bool operator==(const fault_model&, const fault_model&) = default;
};

}  // namespace eachare::sim
