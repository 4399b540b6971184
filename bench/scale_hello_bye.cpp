// scale_hello_bye: 100,000 peers (by default) in one process on the simulated network, text codec
// on every delivery. Every peer sends HELLO to both ring neighbours, then every peer leaves
// with BYE (to every peer it lists ONLINE). Prints wall time, delivered messages, messages per
// wall second and peak RSS (getrusage ru_maxrss). Exit 1 when a peer did not leave cleanly or
// peak RSS is over the 1 GiB target; wall time is reported, not enforced (CI machines vary).
// Usage: scale_hello_bye [peers=100000] [--fast]   (--fast: structured path, no codec)
// Wall-clock use is fine here: a measuring program in bench/, not simulation code.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/sim_world.hpp"

int main(int argc, char** argv) {
  using namespace eachare;
  std::uint32_t n = 100000;
  bool fast = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fast") == 0) {
      fast = true;
    } else {
      n = static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10));
    }
  }
  if (n < 3) n = 3;
  constexpr double rss_target_mib = 1024.0;

  const auto wall0 = std::chrono::steady_clock::now();
  auto w = bench::make_ring_world(n, !fast);
  const double build_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  bench::hello_ring_round(*w);
  const std::uint64_t after_hello = w->delivered_messages();
  for (sim::node_id i = 0; i < n; ++i) w->command(i, cmd_bye{});
  w->run_until(w->now() + std::chrono::seconds(5));
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  std::uint32_t left = 0;
  for (sim::node_id i = 0; i < n; ++i) left += w->status(i) == sim::node_status::left ? 1u : 0u;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  const std::uint64_t delivered = w->delivered_messages();
  std::printf("scale_hello_bye peers=%u codec=%s\n", n, fast ? "structured" : "text");
  std::printf("build_s=%.3f wall_s=%.3f delivered=%llu (hello %llu, bye %llu) msgs_per_s=%.0f\n",
              build_s, wall_s, static_cast<unsigned long long>(delivered),
              static_cast<unsigned long long>(after_hello),
              static_cast<unsigned long long>(delivered - after_hello),
              static_cast<double>(delivered) / (wall_s - build_s));
  std::printf("left=%u/%u peak_rss_mib=%.1f (target <= %.0f) trace_hash=%016llx\n", left, n,
              rss_mib, rss_target_mib, static_cast<unsigned long long>(w->trace_hash()));
  // BYEs to a neighbour that has already left are refused (it stopped listening), so only the
  // HELLO count is exact.
  const bool ok = left == n && after_hello == 2ull * n && rss_mib <= rss_target_mib;
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
