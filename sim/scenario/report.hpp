// report: what a run of scenarios looks like to people and to tools — the human summary, the JSON
// report (nlohmann-json) and the JUnit XML report (one testcase per check). Pure functions from
// run results to text; the command line writes the text where it belongs. Safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/runner.hpp"
#include "sim/scenario/sweep.hpp"

namespace eachare::scenario {

// One scenario's run as reported.
struct report_entry {
  run_result result;
  double wall_seconds = 0;
  // Peak resident set size of the whole process so far (getrusage), measured by the command line
  // after the run; 0 when not measured. With several scenarios in one process it only grows.
  std::uint64_t peak_rss_bytes = 0;
  // The program as invoked (argv[0]), so the replay line can be pasted.
  std::string program = "eachare-sim";
  // --check-determinism: the second run's trace hash (compared with result.trace_hash).
  std::optional<std::uint64_t> second_trace_hash;
  // Position of this run in its whole sweep (every shard counted): reports of shards merge in
  // this order. A plain `run a.yaml b.yaml` numbers its scenarios 0, 1, ...
  std::size_t run_index = 0;

  bool deterministic() const {
    return !second_trace_hash || *second_trace_hash == result.trace_hash;
  }
  // As expected and (when checked) deterministic.
  bool ok() const { return result.as_expected() && deterministic(); }
};

// The one command that replays a run: `<program> run <file> --seed <n>`, shell-quoted, where
// program is the eachare-sim as it was invoked (e.g. build/sim/cli/eachare-sim).
std::string replay_command(const run_result& r, const std::string& program = "eachare-sim");

// "0x0123456789abcdef".
std::string hash_text(std::uint64_t h);

// The human summary of one scenario: name, peers, virtual time, messages, each check with its
// figure, wall time; on failure the first violation, the seed and the replay command.
std::string text_summary(const report_entry& e);

// One line for --quiet runs that went as expected (empty) or the full summary otherwise.
std::string quiet_summary(const report_entry& e);

std::string json_report(const std::vector<report_entry>& entries, int exit_code);
// One scenario's object of json_report, on one line (a trace file's `{"result": ...}` line, and
// the summary of an HTML report).
std::string json_entry(const report_entry& e);
std::string junit_report(const std::vector<report_entry>& entries);

// What a report covers: the whole sweep it belongs to and the share of it this report holds. The
// JSON report carries it (`"sweep"`), so `eachare-sim merge` can tell shards of one sweep apart
// from other reports and find missing runs.
struct sweep_info {
  std::vector<std::string> files;  // as given on the command line, in order
  std::string seeds;               // "1..1000" (--seeds), "7" (--seed), "" (each file's own)
  std::uint64_t seeds_per_file = 1;
  std::size_t runs = 0;  // in the whole sweep
  shard_spec shard;

  // More than one seed per file: run names in JUnit carry the seed to stay distinct.
  bool swept() const { return seeds_per_file > 1; }
};

// The same reports with the sweep described; entries are written in the order given.
std::string json_report(const std::vector<report_entry>& entries, int exit_code,
                        const sweep_info& sweep);
std::string junit_report(const std::vector<report_entry>& entries, const sweep_info& sweep);

}  // namespace eachare::scenario
