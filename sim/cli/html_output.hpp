// html_output: the command line's side of the HTML report (`--report-html F`, `--diagram-peers`)
// — checks that F can be written before anything runs, hooks a picture_collector into each
// scenario's run, and writes the one self-contained file at the end. Any subcommand that runs
// scenarios (run, and later grade) adds the flags with add_html_flags(), makes a run_picture per
// run, and hands the finished pictures to write() in report order.
//
// Threading rule: a run_picture lives on the thread that runs its scenario (the sweep's pool
// threads included); html_output itself is used on one thread (the one that delivers results).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sim/scenario/html_report.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"
#include "sim/scenario/scenario.hpp"

// Declared, not included: CLI11's header costs ~5 s of compile time in every file that includes
// this one, and only the .cpp adds flags.
namespace CLI {
class App;
}  // namespace CLI

namespace eachare::sim_cli {

struct html_flags {
  std::string path;           // --report-html
  std::string diagram_peers;  // --diagram-peers p1,p7,...
  scenario::html_options options() const;
};

// Adds --report-html and --diagram-peers to `cmd`.
void add_html_flags(CLI::App* cmd, html_flags& f);

// "" when `path` can be written (an existing file is left untouched, a new one is not left
// behind), else the one-line reason, e.g. "eachare-sim: --report-html: no directory /x for
// /x/r.html".
std::string check_html_path(const std::string& path);

// The scenario's JSON report entry without what depends on the machine (wall time, peak RSS): the
// trace's `{"result": ...}` line and the HTML summary, so both are the same for the same run
// whatever the machine or --jobs.
std::string stable_entry_json(const scenario::report_entry& e);

// One run's picture: begin() before the run hooks a collector into its options, end() after it
// renders the section. Does nothing when the report is off.
class run_picture {
 public:
  run_picture() = default;
  explicit run_picture(scenario::html_options o) : on_(true), options_(std::move(o)) {}
  void begin(const scenario::scenario& s, scenario::run_options& options);
  void end(const scenario::report_entry& e);
  std::string section;
  double seconds = 0;  // spent rendering

 private:
  bool on_ = false;
  scenario::html_options options_;
  std::unique_ptr<scenario::picture_collector> collector_;
};

class html_output {
 public:
  explicit html_output(const html_flags& f) : flags_(f) {}
  bool enabled() const { return !flags_.path.empty(); }
  // A picture for one more run (safe to call from any thread: reads only the flags).
  run_picture picture() const { return enabled() ? run_picture(flags_.options()) : run_picture(); }
  // A finished picture, in report order.
  void add(run_picture&& p);
  // Writes the document; false (and one line on stderr) when it cannot. Reports the size and the
  // time spent rendering and writing in bytes() and seconds().
  bool write(const std::string& title);
  std::size_t bytes() const { return bytes_; }
  double seconds() const { return seconds_; }

 private:
  html_flags flags_;
  std::vector<std::string> sections_;
  double render_seconds_ = 0;
  std::size_t bytes_ = 0;
  double seconds_ = 0;
};

// `eachare-sim merge REPORT.json... --report-html F`: the JSON reports hold no trace, so the file
// has every run's summary (checks, figures, replay command) and, for a sweep, the sweep summary
// `sweep_text` on top, but no pictures. False (and one line on stderr) when F cannot be written.
bool write_summary_report(const std::string& path, const std::vector<scenario::report_entry>& runs,
                          const std::string& sweep_text);

// `eachare-sim report TRACE... --report-html F`: redraws the report from saved traces (each
// scenario's header line, its events and its `{"result": ...}` line). Returns the exit code.
int report_from_traces(const std::vector<std::string>& traces, const html_flags& f);

}  // namespace eachare::sim_cli
