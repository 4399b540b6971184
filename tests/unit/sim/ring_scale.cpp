// sim_ring_scale: N peers in a ring discover each other by gossip (get_peers with fanout 2 every
// 500 virtual ms) until every live peer lists every other ONLINE. Prints wall time, virtual time
// of convergence, delivered messages, messages per wall second and peak RSS.
// Usage: sim_ring_scale [peers=1000] [--fast] [--hello] [--rounds=R]
//   --fast: structured path, no encode/decode.
//   --hello: raw throughput instead: every peer sends HELLO to both ring neighbours every 10
//            virtual ms for R rounds (default 100; small lines, no table growth).
// Wall-clock use is fine here: this is a measuring tool under tests/, not simulation code.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/world.hpp"

int main(int argc, char** argv) {
  using namespace eachare;
  using namespace eachare::sim;
  int n = 1000;
  bool fast = false;
  bool hello = false;
  int rounds = 100;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fast") == 0) {
      fast = true;
    } else if (std::strcmp(argv[i], "--hello") == 0) {
      hello = true;
    } else if (std::strncmp(argv[i], "--rounds=", 9) == 0) {
      rounds = std::atoi(argv[i] + 9);
    } else {
      n = std::atoi(argv[i]);
    }
  }
  if (n < 3) n = 3;

  world_config cfg;
  cfg.seed = 1;
  cfg.text_codec = !fast;
  cfg.network.defaults.delay = delay_distribution::exponential(1, 10);
  world w(cfg);
  auto addr = [](int i) {
    return std::to_string(10 + i / 60000) + ".0.0.1:" + std::to_string(1024 + i % 60000);
  };
  for (int i = 0; i < n; ++i) {
    peer_spec s;
    s.name = "p" + std::to_string(i);
    s.address = addr(i);
    s.neighbours = {addr((i + n - 1) % n), addr((i + 1) % n)};
    w.add_peer(std::move(s));
  }
  const auto wall0 = std::chrono::steady_clock::now();
  for (node_id i = 0; i < static_cast<node_id>(n); ++i) w.start(i);

  if (hello) {
    duration th{0};
    for (int r = 0; r < rounds; ++r) {
      for (node_id i = 0; i < static_cast<node_id>(n); ++i) {
        w.command(i, cmd_hello{w.address_id((i + 1) % static_cast<node_id>(n))});
        w.command(i, cmd_hello{w.address_id((i + static_cast<node_id>(n) - 1) %
                                            static_cast<node_id>(n))});
      }
      th += std::chrono::milliseconds(10);
      w.run_until(th);
    }
    w.run_until(th + std::chrono::seconds(3));
    const double wall_h =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf(
        "hello peers=%d codec=%s wall_s=%.3f delivered=%llu msgs_per_s=%.0f "
        "peak_rss_mib=%.1f\n",
        n, fast ? "structured" : "text", wall_h,
        static_cast<unsigned long long>(w.delivered_messages()),
        static_cast<double>(w.delivered_messages()) / wall_h,
        static_cast<double>(ru.ru_maxrss) / 1024.0);
    return 0;
  }

  const auto round = std::chrono::milliseconds(500);
  const auto bound = std::chrono::seconds(120);
  duration t{0};
  while (t < bound && !w.convergence().holds()) {
    for (node_id i = 0; i < static_cast<node_id>(n); ++i) w.command(i, cmd_get_peers{2});
    t += round;
    w.run_until(t);
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto conv = w.convergence().first_since_mark();
  const std::uint64_t delivered = w.delivered_messages();
  std::printf("peers=%d codec=%s converged=%s at_virtual_ms=%lld\n", n,
              fast ? "structured" : "text", conv ? "yes" : "no",
              conv ? static_cast<long long>(
                         std::chrono::duration_cast<std::chrono::milliseconds>(*conv).count())
                   : -1LL);
  std::printf("wall_s=%.3f delivered=%llu msgs_per_s=%.0f events=%llu trace_events=%llu\n", wall,
              static_cast<unsigned long long>(delivered), static_cast<double>(delivered) / wall,
              static_cast<unsigned long long>(w.queue().executed()),
              static_cast<unsigned long long>(w.events().event_count()));
  std::printf("peak_rss_mib=%.1f trace_hash=%016llx\n", static_cast<double>(ru.ru_maxrss) / 1024.0,
              static_cast<unsigned long long>(w.trace_hash()));
  return conv ? 0 : 1;
}
