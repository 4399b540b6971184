// real_mode: what `eachare-sim run --real` and `--compare-sim` add to the command line — the
// factory that builds the real-socket world (real/world) for the runner, and the comparison of two
// runs' observable outcomes (check verdicts, final tables, downloaded files' hashes, statistics
// rows' counts; never timing). Single-threaded, like the runner.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/scenario/runner.hpp"

namespace eachare::cli {

struct real_flags {
  bool ports_auto = false;
  double time_scale = 1.0;
  // --port-range LO-HI: with ports_auto, only ports in [port_lo, port_hi] (0: any free port).
  std::uint16_t port_lo = 0;
  std::uint16_t port_hi = 0;
  // Where the name -> address map goes (with ports_auto); nullptr: nowhere.
  std::ostream* address_map = nullptr;
};

// A world factory for run_options::make_world: our peers on the Asio transport over loopback.
scenario::world_factory real_world_factory(const real_flags& flags);

// Parses --port-range "LO-HI" (1 <= LO <= HI <= 65535). False, with one line in `error`, otherwise.
bool parse_port_range(const std::string& text, std::uint16_t& lo, std::uint16_t& hi,
                      std::string& error);

// One line per observable difference between a virtual-time run and a real-time run of the same
// scenario (both run with collect_outcome); empty when they agree.
std::vector<std::string> compare_outcomes(const scenario::run_result& virtual_run,
                                          const scenario::run_result& real_run);

}  // namespace eachare::cli
