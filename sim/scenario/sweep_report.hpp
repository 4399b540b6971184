// sweep_report: what a sweep of many runs looks like to people, and how shard reports join back
// into one — the per-file tally and the list of runs that did not go as expected (each with its
// replay command), reading back the JSON reports `eachare-sim run --report-json` writes, and
// merging the reports of a sweep's shards into the report the whole sweep would have written.
// Pure functions from values and text to values and text; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/report.hpp"

namespace eachare::scenario {

// One line on why a run did not go as expected: the first failing check and its first
// violation, an unexpected pass, or differing trace hashes. Empty when the run is ok.
std::string failure_reason(const report_entry& e);

// The tally of a sweep: one line per file (runs, as expected, not), then every run that did not go
// as expected with its file, seed, reason and replay command, then the total. Wall-clock figures
// are left to the caller, so a merged report prints exactly what the unsharded run printed.
std::string sweep_summary(const std::vector<report_entry>& entries, const sweep_info& sweep);

// 0 when every entry is ok, else 1 (the exit code `run` uses).
int exit_code_of(const std::vector<report_entry>& entries);

// A JSON report read back. `entry_json` holds each entry's JSON text as written, so a merge
// keeps every field, including ones this reader does not know.
struct parsed_report {
  sweep_info sweep;
  std::vector<report_entry> entries;
  std::vector<std::string> entry_json;
};

// Reads a report `run --report-json` wrote. On failure returns nothing and sets `error` to one
// line (without the file name) saying what is wrong.
std::optional<parsed_report> parse_json_report(std::string_view text, std::string& error);

struct report_file {
  std::string path;  // for messages only
  std::string text;
};

struct merged_report {
  sweep_info sweep;                   // the whole sweep, shard 1/1
  std::vector<report_entry> entries;  // every run, in sweep order
  std::string json;                   // what the unsharded run's --report-json would hold
  int exit_code = 0;
};

// Joins shard reports of one sweep. Refuses (nothing returned, one line per problem in `errors`)
// a report that is not one, reports of different sweeps, a run present twice, and runs missing
// (naming the missing shards when the reports agree on N).
std::optional<merged_report> merge_reports(const std::vector<report_file>& files,
                                           std::vector<std::string>& errors);

}  // namespace eachare::scenario
