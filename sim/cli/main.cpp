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
#include <filesystem>
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
// Warnings go to stderr too, one line each.
std::optional<std::vector<scn::scenario>> load_all(const std::vector<std::string>& files,
                                                   std::uint64_t max_bytes) {
  std::vector<scn::scenario> out;
  bool bad = false;
  for (const auto& f : files) {
    try {
      out.push_back(scn::load_file(f, max_bytes));
      for (const auto& w : out.back().warnings) std::cerr << w << '\n';
    } catch (const scn::scenario_error& e) {
      std::cerr << e.what() << '\n';
      bad = true;
    }
  }
  if (bad) return std::nullopt;
  return out;
}

int validate(const std::vector<std::string>& files, std::uint64_t max_bytes) {
  const auto all = load_all(files, max_bytes);
  if (!all) return exit_invalid;
  for (const auto& s : *all) {
    // Occurrences are what `run` counts as timeline steps; lines are the entries of `timeline:`.
    std::cout << s.file << ": ok (" << s.name << ", " << s.peers.size() << " peers, "
              << scn::step_occurrences(s) << " timeline steps from " << s.timeline.size()
              << (s.timeline.size() == 1 ? " line, " : " lines, ") << s.checks.size()
              << " checks)\n";
  }
  return exit_ok;
}

struct run_flags {
  std::vector<std::string> files;
  std::string seed;
  std::string trace;
  std::string report_json;
  std::string report_junit;
  std::string console_peer;
  std::string console_dir;
  bool check_determinism = false;
  bool quiet = false;
  std::string program = "eachare-sim";  // argv[0], for the replay line
  std::uint64_t max_scenario_bytes = scn::default_max_scenario_bytes;
};

// --console-dir keeps every peer's transcript in memory until the run ends; past this many peers
// that is no longer a transcript anyone reads, so it is refused.
constexpr std::size_t console_dir_max_peers = 1000;

// The peer called `name` in `s`, or nullopt.
std::optional<scn::peer_index> peer_named(const scn::scenario& s, const std::string& name) {
  for (std::size_t i = 0; i < s.peers.size(); ++i) {
    if (s.peers[i].name == name) return static_cast<scn::peer_index>(i);
  }
  return std::nullopt;
}

std::string some_peer_names(const scn::scenario& s) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(s.peers.size(), 8);
  for (std::size_t i = 0; i < shown; ++i) out += (i > 0 ? ", " : "") + s.peers[i].name;
  if (shown < s.peers.size()) out += ", ... " + s.peers.back().name;
  return out;
}

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
  const auto all = load_all(f.files, f.max_scenario_bytes);
  if (!all) return exit_invalid;

  // Console transcripts: checked before anything runs.
  const bool consoles = !f.console_peer.empty() || !f.console_dir.empty();
  std::optional<scn::peer_index> console_peer;
  if (consoles && all->size() != 1) {
    std::cerr << "eachare-sim: --console and --console-dir take exactly one scenario file, got "
              << all->size() << '\n';
    return exit_invalid;
  }
  if (!f.console_peer.empty()) {
    console_peer = peer_named(all->front(), f.console_peer);
    if (!console_peer) {
      std::cerr << "eachare-sim: --console: no peer '" << f.console_peer << "' in "
                << all->front().file << " (peers: " << some_peer_names(all->front()) << ")\n";
      return exit_invalid;
    }
  }
  if (!f.console_dir.empty()) {
    if (all->front().peers.size() > console_dir_max_peers) {
      std::cerr << "eachare-sim: --console-dir writes one file per peer, at most "
                << console_dir_max_peers << " peers; " << all->front().file << " has "
                << all->front().peers.size() << " (use --console PEER)\n";
      return exit_invalid;
    }
    std::error_code ec;
    std::filesystem::create_directories(f.console_dir, ec);
    if (ec || !std::filesystem::is_directory(f.console_dir)) {
      std::cerr << "eachare-sim: cannot create the directory " << f.console_dir
                << (ec ? " (" + ec.message() + ")" : std::string(" (not a directory)")) << '\n';
      return exit_invalid;
    }
  }
  // With --console the transcript is stdout, so the summary moves to stderr.
  std::ostream& summary = console_peer ? std::cerr : std::cout;

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
    std::vector<std::vector<std::string>> transcripts;
    if (consoles) {
      if (!f.console_dir.empty()) {
        transcripts.resize(s.peers.size());
        for (std::size_t i = 0; i < s.peers.size(); ++i) {
          options.console_peers.push_back(static_cast<scn::peer_index>(i));
        }
      } else {
        options.console_peers.push_back(*console_peer);
      }
      options.console_sink = [&](scn::peer_index p, std::string_view line) {
        if (console_peer && p == *console_peer) {
          std::cout.write(line.data(), static_cast<std::streamsize>(line.size()));
          std::cout.put('\n');
        }
        if (!transcripts.empty()) transcripts[p].emplace_back(line);
      };
    }
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
    e.program = f.program;
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
    std::cout.flush();
    for (std::size_t i = 0; i < transcripts.size(); ++i) {
      std::string text;
      for (const auto& l : transcripts[i]) text += l + '\n';
      const auto path =
          (std::filesystem::path(f.console_dir) / (s.peers[i].name + ".txt")).string();
      if (!write_file(path, text)) return exit_invalid;
    }
    const auto text = f.quiet ? scn::quiet_summary(e) : scn::text_summary(e);
    summary << text;
    if (!f.quiet) summary << '\n';
    summary.flush();
    entries.push_back(std::move(e));
  }

  std::size_t ok = 0;
  for (const auto& e : entries) ok += e.ok() ? 1 : 0;
  const int rc = ok == entries.size() ? exit_ok : exit_failed;
  if (entries.size() > 1 && !f.quiet) {
    summary << entries.size() << " scenarios: " << ok << " as expected";
    if (ok != entries.size()) summary << ", " << entries.size() - ok << " not";
    summary << '\n';
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
  if (argc > 0 && argv[0] != nullptr && argv[0][0] != '\0') flags.program = argv[0];
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
  run_cmd->add_option("--console", flags.console_peer,
                      "print the console lines this peer's eachare would print (stdout; the "
                      "summary goes to stderr)");
  run_cmd->add_option("--console-dir", flags.console_dir,
                      "write every peer's console lines to DIR/<peer>.txt (created if missing)");
  const std::string max_bytes_help = "largest scenario file to read, in bytes (default " +
                                     std::to_string(scn::default_max_scenario_bytes) + " = 16 MiB)";
  run_cmd->add_option("--max-scenario-bytes", flags.max_scenario_bytes, max_bytes_help)
      ->check(CLI::PositiveNumber);

  std::vector<std::string> validate_files;
  std::uint64_t validate_max_bytes = scn::default_max_scenario_bytes;
  auto* validate_cmd = app.add_subcommand("validate", "check scenario files without running them");
  validate_cmd->add_option("FILE", validate_files, "scenario files (YAML)")->required();
  validate_cmd->add_option("--max-scenario-bytes", validate_max_bytes, max_bytes_help)
      ->check(CLI::PositiveNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_invalid;
  }
  if (*validate_cmd) return validate(validate_files, validate_max_bytes);
  if (*run_cmd) return run(flags);
  return exit_invalid;
}
