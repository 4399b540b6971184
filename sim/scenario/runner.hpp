// runner: plays one scenario in a simulated world — builds the peers (generated topology or the
// explicit list, files, per-peer ep), schedules the timeline in virtual time (every_ms/until_ms
// repetitions, commands through the same peer_node code the menu drives, faults), feeds the
// checkers from the trace while it runs, and returns what happened. No I/O: traces and progress
// go to callbacks the command line supplies.
//
// Threading rule: single-threaded; run() drives the world on the calling thread and returns when
// virtual time reaches duration_ms.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/checkers.hpp"
#include "sim/scenario/scenario.hpp"

namespace eachare::scenario {

struct run_options {
  // Replaces the scenario's seed (the command line's --seed).
  std::optional<std::uint64_t> seed;
  // Each trace event as one JSON line (no '\n'); unset: no trace is written.
  std::function<void(std::string_view line)> trace_sink;
  // Called about a hundred times per run with the virtual time reached.
  std::function<void(duration now, duration end)> progress;
  // Console transcripts (`eachare-sim run --console`): every line the real console of each peer
  // in `console_peers` would print, produced by the console's own formatter
  // (node/console/console_printer.hpp), handed to `console_sink` as it happens (no '\n').
  std::vector<peer_index> console_peers;
  std::function<void(peer_index peer, std::string_view line)> console_sink;
};

struct run_result {
  std::string name;
  std::string description;
  std::string file;
  std::uint64_t seed = 0;
  bool expect_pass = true;
  std::size_t peers = 0;
  duration virtual_time{0};
  std::uint64_t messages_delivered = 0;
  std::uint64_t messages_dropped = 0;
  std::uint64_t messages_duplicated = 0;
  std::uint64_t messages_partitioned = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t bad_input = 0;
  std::uint64_t trace_events = 0;
  std::uint64_t trace_hash = 0;
  std::uint64_t steps_run = 0;         // timeline step occurrences (repetitions counted)
  std::uint64_t commands_issued = 0;   // commands handed to a peer
  std::uint64_t commands_skipped = 0;  // commands for a peer that was not running
  std::vector<check_result> checks;

  bool all_checks_passed() const;
  // Passed and expected to pass, or failed and expected to fail.
  bool as_expected() const { return all_checks_passed() == expect_pass; }
};

// Runs `s` to its duration_ms. Scenario problems were all caught by the loader, so this does
// not throw for a valid scenario.
run_result run(const scenario& s, const run_options& options = {});

}  // namespace eachare::scenario
