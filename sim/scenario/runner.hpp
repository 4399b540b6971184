// runner: plays one scenario in a world (sim/peer_world.hpp: virtual time by default, or the
// real-socket world the command line plugs in through run_options::make_world) — builds the peers
// (generated topology or the explicit list, files, per-peer ep), schedules the timeline in virtual
// time (every_ms/until_ms repetitions, commands through the same peer_node code the menu drives,
// faults), feeds the checkers from the trace while it runs, and returns what happened. No I/O:
// traces and progress go to callbacks the command line supplies.
//
// Threading rule: single-threaded; run() drives the world on the calling thread and returns when
// the world's time reaches duration_ms.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/peer_world.hpp"
#include "sim/reply_decoder.hpp"
#include "sim/scenario/checkers.hpp"
#include "sim/scenario/scenario.hpp"

namespace eachare::scenario {

// What a world is built from: the scenario (with this run's topology), the run's seed and the
// scenario's network as the base fault model.
struct world_setup {
  const scenario* source = nullptr;
  std::uint64_t seed = 1;
  sim::fault_model network;
};
using world_factory = std::function<std::unique_ptr<sim::peer_world>(const world_setup&)>;

// The observable outcome of a run that --compare-sim puts side by side (no timing): per peer,
// its final table (status per known peer, by scenario name or address), the files it holds
// with a hash of each, and its statistics rows' counts.
struct peer_outcome {
  std::string name;
  std::string status;                                        // node_status
  std::vector<std::pair<std::string, std::string>> table;    // (peer, ONLINE/OFFLINE)
  std::vector<std::pair<std::string, std::uint64_t>> files;  // (name, FNV-1a of the bytes)
  std::vector<std::string> stats;                            // "chunk C, holders H, size S: N"
};

struct run_options {
  // Builds the world; unset: the simulated world (sim::world) in virtual time.
  world_factory make_world;
  // The simulated world's sim::world_config::decoder (large PEER_LIST replies made whole ahead
  // of delivery, e.g. on sim::decode_thread); the run is the same with or without one.
  std::shared_ptr<sim::reply_decoder> decoder;
  // Fill run_result::outcome at the end (tables, files, statistics of every peer).
  bool collect_outcome = false;
  // Replaces the scenario's seed (the command line's --seed).
  std::optional<std::uint64_t> seed;
  // Each trace event as one JSON line (no '\n'); unset: no trace is written.
  std::function<void(std::string_view line)> trace_sink;
  // Every trace event in-process, with the world's address book to name its peers (pictures:
  // html_report.hpp). Either this or trace_sink makes sends carry their wire line.
  std::function<void(const sim::trace_event& e, const address_book& book)> trace_events;
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
  duration virtual_time{0};                  // the world's time at the end (see time_kind)
  std::string time_kind{sim::virtual_time};  // peer_world::time_kind()
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
  std::vector<peer_outcome> outcome;  // when run_options::collect_outcome
  // Set by `eachare-sim grade`: the command that grades this file again, printed instead of the
  // `run ... --seed N` replay line (which would run the file with our peers only).
  std::string replay;

  bool all_checks_passed() const;
  // Passed and expected to pass, or failed and expected to fail.
  bool as_expected() const { return all_checks_passed() == expect_pass; }
};

// Runs `s` to its duration_ms. Scenario problems were all caught by the loader, so this does
// not throw for a valid scenario.
run_result run(const scenario& s, const run_options& options = {});

}  // namespace eachare::scenario
