// loader: reads a scenario file (YAML) into a scenario value, checking everything a run would
// trip over — unknown keys, wrong types, missing keys, unknown peers, bad times, probabilities,
// addresses, commands, checks — before anything runs. The only yaml-cpp user in the project.
// Stateless free functions; safe to call from any thread.
//
// Every error is one line, `file:line:col: <what was expected>`, the position 1-based and
// pointing at the offending key or value (or the enclosing mapping for a missing key).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "sim/scenario/scenario.hpp"

namespace eachare::scenario {

// A scenario file that cannot run. what() is the whole one-line message.
class scenario_error : public std::runtime_error {
 public:
  scenario_error(std::string file, int line, int column, std::string expected);

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  // The part after `file:line:col: `.
  const std::string& expected() const { return expected_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string expected_;
};

// Loads and checks `path`. Throws scenario_error (also for a file that cannot be read).
scenario load_file(const std::string& path);

// Same, from text; `file` names it in messages.
scenario load_string(std::string_view text, const std::string& file);

}  // namespace eachare::scenario
