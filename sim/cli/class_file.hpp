// class_file: the file `eachare-sim grade --class FILE` reads — which students' submissions to
// grade, each as a command template (the `--impl` of `grade`), a working directory and extra
// environment variables, plus the part (`ep`) and the wall-clock bound per graded scenario. The
// format is in docs/scenarios.md ("A class at once"). Every error is one line, `file:line:col:
// <what was expected>`, like the scenario loader's (it throws the same scenario_error).
//
// Stateless free functions (they read the file and stat the working directories it names); safe
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eachare::cli {

// One submission.
struct class_student {
  std::string name;  // letters, digits, '_', '-', '.' (not first): also its evidence directory
  std::string cmd;   // the command template as written, e.g. "python3 peer.py {addr} ..."
  std::string cwd;  // absolute (relative ones are taken from the class file's directory); "" = ours
  std::vector<std::pair<std::string, std::string>> env;  // set on top of eachare-sim's
  int line = 1;  // where the student's entry starts (1-based), for messages
};

struct class_file {
  std::string path;                     // as given
  std::optional<int> ep;                // `ep:` (1, 2 or 3)
  std::optional<double> timeout_s;      // `timeout_s:`, per (student, scenario file)
  std::vector<class_student> students;  // in file order
};

// The largest class file read, and the most students in one (far above any course).
inline constexpr std::uintmax_t max_class_file_bytes = 4u << 20;
inline constexpr std::size_t max_class_students = 100'000;

// Reads and checks `path`. Throws scenario::scenario_error (one line) on any problem: a file that
// cannot be read, invalid YAML, a missing `students`, an unknown key, a student without `cmd`, a
// template without {addr} or with an unclosed quote, a `cwd` that is not a directory, a bad `env`.
class_file load_class_file(const std::string& path);

}  // namespace eachare::cli
