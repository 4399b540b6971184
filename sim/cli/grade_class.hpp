// grade_class: `eachare-sim grade --class FILE` — grades every submission of a class file
// (sim/cli/class_file.hpp) on the grading set, each (student, scenario file) pair as a child
// process `eachare-sim grade --impl ... FILE` with its own range of ports, a wall-clock bound and
// its own temporary directory; --jobs of them at once, --shard I/N of the pairs; then writes the
// class table (sim/cli/class_table.hpp) and the class report into --out. A child that hangs is
// killed with its process group, and whatever it started that outlives it is found and killed
// too (this process is a child subreaper), so a submission that hangs or crashes costs its own
// row, never the run. `eachare-sim merge` joins the class reports of shards (merge_class).
//
// Threading rule: run_class and merge_class are called from the main thread; run_class runs the
// gradings on --jobs pool threads (ordered_pool.hpp), each owning its child process, and writes
// every file from the main thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/cli/class_table.hpp"

// Declared, not included: CLI11's header costs ~5 s of compile time in every file that includes
// this one, and only the .cpp adds flags.
namespace CLI {
class App;
}  // namespace CLI

namespace eachare::cli {

struct class_flags {
  std::string class_file;               // --class
  std::vector<std::string> files;       // scenario files; none: the grading set of the part
  int ep = 0;                           // --ep; 0: the class file's, else 3
  unsigned jobs = 0;                    // --jobs; 0: one per core
  std::string shard;                    // --shard I/N
  std::string out = "class-grades";     // --out
  double timeout_s = 0;                 // --timeout; 0: the class file's, else default_timeout_s
  std::string grader;                   // --grader; "": this program
  unsigned port_base = 20000;           // --port-base
  unsigned ports_per_job = 100;         // --ports-per-job
  bool keep = false;                    // --keep
  bool quiet = false;                   // -q
  std::string program = "eachare-sim";  // argv[0]
};

inline constexpr double default_timeout_s = 600;

// Adds --class, --jobs, --shard, --out, --timeout, --grader, --port-base and --ports-per-job to
// the `grade` subcommand (its FILE, --ep, --keep and -q are the grade command's own).
void add_class_flags(CLI::App* grade, class_flags& f);

// "" when the flags given to `grade` fit together, else the one line saying why not: a class-only
// flag (--jobs, --shard, ...) without --class, or a flag of one program's grading (--impl,
// --report-json, --port-range, ...) with --class, whose students' commands are in the class file
// and whose reports go to --out.
std::string check_class_flags(const CLI::App& grade, const class_flags& f);

// Grades the class; returns the exit code (0 every submission passed every check, 1 not, 2 a bad
// class file, scenario file or flag: nothing runs).
int run_class(const class_flags& f);

// `eachare-sim merge CLASS-REPORT.json...`: joins a class's shard reports into DIR's class.json,
// class.csv and class.html (DIR: --out, else the first report's directory). Returns the exit code.
int merge_class(const std::vector<std::string>& reports, const std::string& out_dir, bool quiet);

// The grading set of part `ep`: scenarios/grading/ep<N>/*.yaml under the working directory, else
// under the source tree this program was built from; sorted. Empty when neither exists.
std::vector<std::string> grading_set(int ep);

}  // namespace eachare::cli
