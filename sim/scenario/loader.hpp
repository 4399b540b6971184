// loader: reads a scenario file (YAML) into a scenario value, checking everything a run would
// trip over — unknown keys, wrong types, missing keys, unknown peers, bad times, probabilities,
// addresses, commands, checks — before anything runs. The only yaml-cpp user in the project.
// Stateless free functions; safe to call from any thread.
//
// Every error is one line, `file:line:col: <what was expected>`, the position 1-based and
// pointing at the offending key or value (or the enclosing mapping for a missing key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/scenario.hpp"

namespace eachare::scenario {

// The loader's bounds: whatever a file says, loading it stays small and finite, and so does the
// run it describes (docs/scenarios.md, "Bounds").
// Largest scenario file read by default (eachare-sim --max-scenario-bytes raises it); checked
// before anything is parsed.
inline constexpr std::uint64_t default_max_scenario_bytes = 16ull << 20;
// Peers named by every selector of the file together, after expansion (`all`, ranges, and YAML
// aliases that repeat a list), plus the entries of every peer_state `knows`.
inline constexpr std::uint64_t max_selected_peers = 10'000'000;
// Timeline step occurrences of the whole run, repetitions of `every_ms` counted.
inline constexpr std::uint64_t max_step_occurrences = 1'000'000;
// Bytes the simulated shared directories may hold in all: every file at start (stored once) plus
// one copy per peer that the timeline makes download it.
inline constexpr std::uint64_t max_stored_bytes = 1ull << 30;
// YAML documents in a file: a second one is an error. yaml-cpp is asked for at most one more, so
// input on which its parser yields endless empty documents (yaml-cpp 0.7) still ends.
inline constexpr std::size_t max_yaml_documents = 1;
// Independent errors reported for one file before the loader stops.
inline constexpr std::size_t max_reported_errors = 20;

// One error in a scenario file: 1-based position and what was expected there.
struct scenario_problem {
  int line = 1;
  int column = 1;
  std::string expected;
};

// A scenario file that cannot run: one error or several independent ones (in file order).
// what() is every error, one `file:line:col: <expected>` line each, joined by '\n'; file(),
// line(), column() and expected() describe the first.
class scenario_error : public std::runtime_error {
 public:
  scenario_error(std::string file, int line, int column, std::string expected);
  scenario_error(std::string file, std::vector<scenario_problem> problems);  // at least one

  const std::string& file() const { return file_; }
  int line() const { return problems_.front().line; }
  int column() const { return problems_.front().column; }
  // The part after `file:line:col: ` of the first error.
  const std::string& expected() const { return problems_.front().expected; }
  const std::vector<scenario_problem>& problems() const { return problems_; }

 private:
  std::string file_;
  std::vector<scenario_problem> problems_;
};

// Loads and checks `path`. Throws scenario_error (also for a file that cannot be read, is not a
// regular file — a directory, a FIFO, a device — or is larger than `max_bytes`).
scenario load_file(const std::string& path, std::uint64_t max_bytes = default_max_scenario_bytes);

// Same, from text; `file` names it in messages.
scenario load_string(std::string_view text, const std::string& file);

}  // namespace eachare::scenario
