// scale_discovery: 5,000 peers (by default) on a ring reach full discovery — every peer lists
// every other ONLINE — by gossip rounds (every peer sends GET_PEERS to `fanout` peers of its
// table, 5 virtual seconds apart). Text codec on every delivery.
// Prints rounds, virtual time of convergence, wall time, delivered messages, PEER_LIST entries
// processed, the simulation thread's CPU time and sleeps, peak RSS (getrusage ru_maxrss), and the
// trace's hash and event count.
// Exit 1 when it does not converge within the round bound; wall time is reported against the
// 120 s target, not enforced (CI machines vary).
// Usage: scale_discovery [peers=5000] [--fanout=F (default 4)] [--fast] [--one-thread]
//        [--window=N (results the helper may have ready, default 64)]
// Replies are made whole (line written, line decoded) on a helper thread ahead of their delivery
// (sim/threaded/decode_thread.hpp) unless --one-thread; the run, its trace hash included, is the
// same either way.
// Wall-clock use is fine here: a measuring program in bench/, not simulation code.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/sim_world.hpp"
#include "sim/threaded/decode_thread.hpp"

int main(int argc, char** argv) {
  using namespace eachare;
  std::uint32_t n = 5000;
  std::uint32_t fanout = 4;
  bool fast = false;
  bool one_thread = false;
  std::size_t window = 64;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--fast") == 0) {
      fast = true;
    } else if (std::strcmp(argv[i], "--one-thread") == 0) {
      one_thread = true;
    } else if (std::strncmp(argv[i], "--window=", 9) == 0) {
      window = std::strtoul(argv[i] + 9, nullptr, 10);
    } else if (std::strncmp(argv[i], "--fanout=", 9) == 0) {
      fanout = static_cast<std::uint32_t>(std::strtoul(argv[i] + 9, nullptr, 10));
    } else {
      n = static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10));
    }
  }
  if (n < 3) n = 3;
  if (fanout < 1) fanout = 1;
  constexpr double wall_target_s = 120.0;
  constexpr int max_rounds = 200;

  const auto wall0 = std::chrono::steady_clock::now();
  std::shared_ptr<sim::decode_thread> decoder;
  if (!one_thread) decoder = std::make_shared<sim::decode_thread>(window);
  auto w = bench::make_ring_world(n, !fast, 1, decoder);
  int rounds = 0;
  while (rounds < max_rounds && !w->convergence().holds()) {
    bench::gossip_round(*w, fanout);
    ++rounds;
    const double t =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    std::printf("round %d wall_s=%.2f satisfied=%zu/%zu entries=%llu\n", rounds, t,
                w->convergence().satisfied_count(), w->convergence().live_count(),
                static_cast<unsigned long long>(w->peer_lists_delivered().entries));
    std::fflush(stdout);
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  rusage own{};  // this thread's: what the simulation thread ran, and how often it slept
  getrusage(RUSAGE_THREAD, &own);
  const auto conv = w->convergence().first_since_mark();
  const std::uint64_t delivered = w->delivered_messages();
  std::printf("scale_discovery peers=%u fanout=%u codec=%s decode=%s\n", n, fanout,
              fast ? "structured" : "text", decoder ? "helper thread" : "simulation thread");
  if (decoder) {
    const auto st = decoder->stats();
    std::printf(
        "replies_ahead=%llu by_helper=%llu by_caller=%llu waited=%llu ahead_by_caller=%llu "
        "never_taken=%llu results=%llu\n",
        static_cast<unsigned long long>(st.submitted),
        static_cast<unsigned long long>(st.by_helper),
        static_cast<unsigned long long>(st.by_caller), static_cast<unsigned long long>(st.waited),
        static_cast<unsigned long long>(st.ahead_by_caller),
        static_cast<unsigned long long>(st.never_taken),
        static_cast<unsigned long long>(st.results));
  }
  std::printf("converged=%s rounds=%d at_virtual_ms=%lld\n", conv ? "yes" : "no", rounds,
              conv ? static_cast<long long>(
                         std::chrono::duration_cast<std::chrono::milliseconds>(*conv).count())
                   : -1LL);
  std::printf("wall_s=%.3f (target <= %.0f) delivered=%llu entries=%llu msgs_per_s=%.0f\n", wall_s,
              wall_target_s, static_cast<unsigned long long>(delivered),
              static_cast<unsigned long long>(w->peer_lists_delivered().entries),
              static_cast<double>(delivered) / wall_s);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  std::printf("simulation_thread cpu_s=%.2f sleeps=%ld involuntary_switches=%ld\n",
              seconds(own.ru_utime) + seconds(own.ru_stime), own.ru_nvcsw, own.ru_nivcsw);
  std::printf("peak_rss_mib=%.1f trace_hash=%016llx\n", static_cast<double>(ru.ru_maxrss) / 1024.0,
              static_cast<unsigned long long>(w->trace_hash()));
  std::printf("trace_events=%llu\n", static_cast<unsigned long long>(w->events().event_count()));
  std::printf("%s\n", conv ? "PASS" : "FAIL");
  return conv ? 0 : 1;
}
