// Simulated network throughput and discovery cost, on the real peer_node code over the simulated
// ports (sim::world), one core:
// - BM_sim_hello_storm: every peer of a ring sends HELLO to both ring neighbours, once per
//   iteration; items/s = lines delivered per wall second, with the text codec on every delivery
//   (codec:1) and with the structured fast path (codec:0), at 1,000 and 100,000 peers.
// - BM_sim_gossip_round: one gossip round (every peer sends GET_PEERS to 2 peers of its table)
//   in a fully discovered network (every peer lists every other ONLINE), text codec; counters:
//   messages and PEER_LIST entries processed per round. Time per iteration = one round.
// The worlds are built once per size and kept between the repetitions Google Benchmark makes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>

#include "bench/sim_world.hpp"

namespace eachare::bench {
namespace {

// One cached world: the last size asked for (building a 100,000-peer or a fully discovered
// 5,000-peer world takes seconds; Google Benchmark calls a benchmark several times per size).
struct cached_world {
  std::uint32_t peers = 0;
  int kind = -1;
  std::unique_ptr<sim::world> world;
};

cached_world& cache() {
  static cached_world c;
  return c;
}

sim::world& ring_world(std::uint32_t n, bool text) {
  cached_world& c = cache();
  const int kind = text ? 1 : 0;
  if (c.peers != n || c.kind != kind || !c.world) {
    c.world.reset();
    c.world = make_ring_world(n, text);
    c.peers = n;
    c.kind = kind;
  }
  return *c.world;
}

void BM_sim_hello_storm(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  const bool text = state.range(1) != 0;
  sim::world& w = ring_world(n, text);
  const std::uint64_t before = w.delivered_messages();
  for (auto _ : state) hello_ring_round(w);
  const std::uint64_t delivered = w.delivered_messages() - before;
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.counters["msgs_per_round"] =
      static_cast<double>(delivered) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_sim_hello_storm)
    ->ArgNames({"peers", "codec"})
    ->Args({1000, 1})
    ->Args({1000, 0})
    ->Args({100000, 1})
    ->Args({100000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Every peer greets every other once (i -> j for j > i: both tables gain the other ONLINE),
// in batches so the exchanges in flight stay bounded. Structured path: this is set-up.
sim::world& discovered_world(std::uint32_t n) {
  cached_world& c = cache();
  if (c.peers == n && c.kind == 2 && c.world) return *c.world;
  c.world.reset();
  c.world = make_ring_world(n, /*text_codec=*/false);
  sim::world& w = *c.world;
  constexpr std::uint32_t batch = 64;
  for (std::uint32_t i = 0; i < n; ++i) {
    for (std::uint32_t j = i + 1; j < n; ++j) w.command(i, cmd_hello{w.address_id(j)});
    if (i % batch == batch - 1 || i + 1 == n) w.run_until(w.now() + std::chrono::seconds(3));
  }
  w.net().set_text_codec(true);
  c.peers = n;
  c.kind = 2;
  return w;
}

void BM_sim_gossip_round(benchmark::State& state) {
  const auto n = static_cast<std::uint32_t>(state.range(0));
  constexpr std::uint32_t fanout = 2;
  sim::world& w = discovered_world(n);
  if (!w.convergence().holds()) {
    state.SkipWithError("set-up did not reach full discovery");
    return;
  }
  entry_counter counter;
  for (sim::node_id i = 0; i < n; ++i) w.set_observer_tap(i, &counter);
  const std::uint64_t before = w.delivered_messages();
  for (auto _ : state) gossip_round(w, fanout);
  for (sim::node_id i = 0; i < n; ++i) w.set_observer_tap(i, nullptr);
  const auto rounds = static_cast<double>(state.iterations());
  const std::uint64_t delivered = w.delivered_messages() - before;
  state.SetItemsProcessed(static_cast<std::int64_t>(counter.entries));
  state.counters["messages"] = static_cast<double>(delivered) / rounds;
  state.counters["entries"] = static_cast<double>(counter.entries) / rounds;
  state.counters["replies"] = static_cast<double>(counter.replies) / rounds;
}
BENCHMARK(BM_sim_gossip_round)
    ->ArgName("peers")
    ->Arg(500)
    ->Arg(1000)
    ->Arg(2000)
    ->Arg(5000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace eachare::bench

BENCHMARK_MAIN();
