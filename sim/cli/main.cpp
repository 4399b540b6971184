// eachare-sim: the command line of the simulated test bench — `validate` checks scenario files,
// `run` plays them in virtual time and reports every check. Single-threaded.
//
// Exit codes (docs/scenarios.md): 0 every scenario as expected; 1 a check failed, an
// `expect: fail` scenario passed, or a run was not deterministic; 2 a scenario file is invalid
// (nothing runs) or the command line is wrong.
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"

#ifndef EACHARE_VERSION
#define EACHARE_VERSION "0.0.0"
#endif

namespace {

// Peak resident set size of this process so far (Linux reports ru_maxrss in KiB).
std::uint64_t peak_rss_bytes() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

namespace scn = eachare::scenario;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_invalid = 2;

// Loads every file; prints one line per invalid one. Empty optional when any is invalid.
std::optional<std::vector<scn::scenario>> load_all(const std::vector<std::string>& files) {
  std::vector<scn::scenario> out;
  bool bad = false;
  for (const auto& f : files) {
    try {
      out.push_back(scn::load_file(f));
    } catch (const scn::scenario_error& e) {
      std::cerr << e.what() << '\n';
      bad = true;
    }
  }
  if (bad) return std::nullopt;
  return out;
}

int validate(const std::vector<std::string>& files) {
  const auto all = load_all(files);
  if (!all) return exit_invalid;
  for (const auto& s : *all) {
    std::cout << s.file << ": ok (" << s.name << ", " << s.peers.size() << " peers, "
              << s.timeline.size() << " steps, " << s.checks.size() << " checks)\n";
  }
  return exit_ok;
}

struct run_flags {
  std::vector<std::string> files;
  std::string seed;
  std::string trace;
  std::string report_json;
  std::string report_junit;
  bool check_determinism = false;
  bool quiet = false;
};

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "eachare-sim: cannot write " << path << '\n';
    return false;
  }
  return true;
}

// A progress line on a terminal for runs that take more than half a second of wall time.
class progress_line {
 public:
  progress_line(std::string name, bool enabled)
      : name_(std::move(name)), enabled_(enabled), started_(clock::now()) {}
  ~progress_line() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  void update(scn::duration now, scn::duration end) {
    if (!enabled_) return;
    const auto t = clock::now();
    if (t - started_ < std::chrono::milliseconds(500) ||
        t - last_ < std::chrono::milliseconds(200)) {
      return;
    }
    last_ = t;
    shown_ = true;
    const auto pct = end.count() == 0 ? 100 : static_cast<int>(now.count() * 100 / end.count());
    std::fprintf(stderr, "\r\033[K  %s: %3d%% (%s of %s virtual)", name_.c_str(), pct,
                 scn::seconds_text(now).c_str(), scn::seconds_text(end).c_str());
    std::fflush(stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string name_;
  bool enabled_;
  bool shown_ = false;
  clock::time_point started_;
  clock::time_point last_{};
};

int run(const run_flags& f) {
  std::optional<std::uint64_t> seed;
  if (!f.seed.empty()) {
    seed = scn::parse_seed(f.seed);
    if (!seed) {
      std::cerr << "eachare-sim: --seed expects a decimal number or 40 hex digits, got '" << f.seed
                << "'\n";
      return exit_invalid;
    }
  }
  const auto all = load_all(f.files);
  if (!all) return exit_invalid;

  std::ofstream trace;
  if (!f.trace.empty()) {
    trace.open(f.trace, std::ios::binary | std::ios::trunc);
    if (!trace) {
      std::cerr << "eachare-sim: cannot write " << f.trace << '\n';
      return exit_invalid;
    }
  }
  const bool tty = isatty(STDERR_FILENO) == 1 && !f.quiet;

  std::vector<scn::report_entry> entries;
  for (const auto& s : *all) {
    scn::run_options options;
    options.seed = seed;
    if (trace.is_open()) {
      // A header line per scenario, so one file can hold the traces of several.
      trace << "{\"scenario\":" << nlohmann::json(s.name).dump()
            << ",\"file\":" << nlohmann::json(s.file).dump()
            << ",\"seed\":" << seed.value_or(s.seed) << "}\n";
      options.trace_sink = [&trace](std::string_view line) {
        trace.write(line.data(), static_cast<std::streamsize>(line.size()));
        trace.put('\n');
      };
    }
    scn::report_entry e;
    {
      progress_line progress(s.name, tty);
      options.progress = [&progress](scn::duration now, scn::duration end) {
        progress.update(now, end);
      };
      const auto t0 = std::chrono::steady_clock::now();
      e.result = scn::run(s, options);
      e.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      e.peak_rss_bytes = peak_rss_bytes();
      if (f.check_determinism) {
        scn::run_options again;
        again.seed = seed;
        again.progress = options.progress;
        e.second_trace_hash = scn::run(s, again).trace_hash;
      }
    }
    const auto text = f.quiet ? scn::quiet_summary(e) : scn::text_summary(e);
    std::cout << text;
    if (!f.quiet) std::cout << '\n';
    std::cout.flush();
    entries.push_back(std::move(e));
  }

  std::size_t ok = 0;
  for (const auto& e : entries) ok += e.ok() ? 1 : 0;
  const int rc = ok == entries.size() ? exit_ok : exit_failed;
  if (entries.size() > 1 && !f.quiet) {
    std::cout << entries.size() << " scenarios: " << ok << " as expected";
    if (ok != entries.size()) std::cout << ", " << entries.size() - ok << " not";
    std::cout << '\n';
  }
  if (!f.report_json.empty() && !write_file(f.report_json, scn::json_report(entries, rc))) {
    return exit_invalid;
  }
  if (!f.report_junit.empty() && !write_file(f.report_junit, scn::junit_report(entries))) {
    return exit_invalid;
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eachare-sim: run EACHare peers in virtual time from scenario files"};
  app.set_version_flag("--version", std::string("eachare-sim ") + EACHARE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 every scenario as expected; 1 a check failed (or an expect: fail scenario "
      "passed); 2 a scenario file is invalid (nothing runs).\nScenario format: docs/scenarios.md");

  run_flags flags;
  auto* run_cmd = app.add_subcommand("run", "run scenario files in virtual time and check them");
  run_cmd->add_option("FILE", flags.files, "scenario files (YAML)")->required();
  run_cmd->add_option("--seed", flags.seed,
                      "seed for every scenario (a number or 40 hex digits); overrides `seed:`");
  run_cmd->add_option("--trace", flags.trace, "write every trace event as JSON lines to this file");
  run_cmd->add_option("--report-json", flags.report_json, "write a JSON report to this file");
  run_cmd->add_option("--report-junit", flags.report_junit,
                      "write a JUnit XML report (one testcase per check) to this file");
  run_cmd->add_flag("--check-determinism", flags.check_determinism,
                    "run each scenario twice and compare the trace hashes");
  run_cmd->add_flag("-q,--quiet", flags.quiet, "print only scenarios that did not go as expected");

  std::vector<std::string> validate_files;
  auto* validate_cmd = app.add_subcommand("validate", "check scenario files without running them");
  validate_cmd->add_option("FILE", validate_files, "scenario files (YAML)")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_invalid;
  }
  if (*validate_cmd) return validate(validate_files);
  if (*run_cmd) return run(flags);
  return exit_invalid;
}
