// Building simulated networks for the benchmarks and the scale programs: N peers on a ring (each
// knows its two ring neighbours), and a tap that counts PEER_LIST entries a node processes.
// Threading rule: single-threaded, like the world it builds.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "node/core/ports.hpp"
#include "sim/world.hpp"

namespace eachare::bench {

// 10.x.0.1:port addresses, 60,000 per host so 100,000 peers fit in valid ports.
inline std::string ring_address(std::uint32_t i) {
  std::string out = std::to_string(10 + i / 60000);
  out += ".0.0.1:";
  out += std::to_string(1024 + i % 60000);
  return out;
}

// A world of `n` ring peers, all started at virtual time 0. Link delay: exponential, 1 ms
// minimum, 10 ms mean, so lines overtake each other and the event heap does real work.
// `decoder`: world_config::decoder (nullptr: replies are made whole at delivery).
inline std::unique_ptr<sim::world> make_ring_world(
    std::uint32_t n, bool text_codec, std::uint64_t seed = 1,
    std::shared_ptr<sim::reply_decoder> decoder = nullptr) {
  sim::world_config cfg;
  cfg.seed = seed;
  cfg.text_codec = text_codec;
  cfg.decoder = std::move(decoder);
  cfg.network.defaults.delay = sim::delay_distribution::exponential(1, 10);
  auto w = std::make_unique<sim::world>(cfg);
  for (std::uint32_t i = 0; i < n; ++i) {
    sim::peer_spec s;
    s.name = "p";
    s.name += std::to_string(i);
    s.address = ring_address(i);
    s.neighbours = {ring_address((i + n - 1) % n), ring_address((i + 1) % n)};
    w->add_peer(std::move(s));
  }
  for (sim::node_id i = 0; i < n; ++i) w->start(i);
  return w;
}

// One HELLO from every peer to each of its two ring neighbours, then run until all are
// delivered (the delay has no upper bound, but 3 s virtual is > 300 means).
inline void hello_ring_round(sim::world& w) {
  const auto n = static_cast<sim::node_id>(w.node_count());
  for (sim::node_id i = 0; i < n; ++i) {
    w.command(i, cmd_hello{w.address_id((i + 1) % n)});
    w.command(i, cmd_hello{w.address_id((i + n - 1) % n)});
  }
  w.run_until(w.now() + std::chrono::seconds(3));
}

// One gossip round: every running peer sends GET_PEERS to `fanout` peers of its table, then the
// world runs until every reply is in (timeouts are 2 s; 5 s virtual covers them).
inline void gossip_round(sim::world& w, std::uint32_t fanout) {
  const auto n = static_cast<sim::node_id>(w.node_count());
  for (sim::node_id i = 0; i < n; ++i) w.command(i, cmd_get_peers{fanout});
  w.run_until(w.now() + std::chrono::seconds(5));
}

}  // namespace eachare::bench
