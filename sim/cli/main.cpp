// eachare-sim: the command line of the simulated test bench — `validate` checks scenario files,
// `run` plays them in virtual time and reports every check, over many seeds and threads for a
// sweep (`--seeds`, `--jobs`, `--shard`), and `merge` joins the JSON reports of a sweep's shards.
//
// Threading: the main thread loads files, prints and writes reports; with --jobs N > 1 the runs
// themselves happen on N pool threads (ordered_pool.hpp), one whole world per run and nothing
// shared between runs but the loaded scenarios, which runs only read (run() copies its scenario).
//
// Exit codes (docs/scenarios.md): 0 every scenario as expected; 1 a check failed, an
// `expect: fail` scenario passed, or a run was not deterministic; 2 a scenario file is invalid
// (nothing runs) or the command line is wrong.
#include <sys/resource.h>
#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/grade.hpp"
#include "sim/cli/grade_class.hpp"
#include "sim/cli/html_output.hpp"
#include "sim/cli/ordered_pool.hpp"
#include "sim/cli/output_file.hpp"
#include "sim/cli/progress_bar.hpp"
#include "sim/cli/real_mode.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"
#include "sim/scenario/sweep.hpp"
#include "sim/scenario/sweep_report.hpp"
#include "sim/threaded/decode_thread.hpp"

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
  std::string seeds;                   // --seeds N or A..B
  std::string shard;                   // --shard I/N
  unsigned jobs = 0;                   // --jobs; 0: one per core
  std::string decode_thread = "auto";  // --decode-thread auto|on|off
  // Real sockets (sim/cli/real_mode.hpp): --real, --compare-sim, --ports, --time-scale.
  bool real = false;
  bool compare_sim = false;
  std::string ports = "fixed";
  std::string port_range;  // --port-range LO-HI
  double time_scale = 1.0;
  eachare::sim_cli::html_flags html;  // --report-html, --diagram-peers
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

// A progress line on a terminal for runs that take more than half a second of wall time.
class progress_line {
 public:
  // time_kind: sim::virtual_time, or sim::wall_clock_time for a --real run.
  progress_line(std::string name, bool enabled, std::string_view time_kind)
      : name_(std::move(name)), time_kind_(time_kind), enabled_(enabled), started_(clock::now()) {}
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
    std::fprintf(stderr, "\r\033[K  %s: %3d%% (%s of %s %s)", name_.c_str(), pct,
                 scn::seconds_text(now).c_str(), scn::seconds_text(end).c_str(),
                 time_kind_.c_str());
    std::fflush(stderr);
  }

 private:
  using clock = std::chrono::steady_clock;
  std::string name_;
  std::string time_kind_;
  bool enabled_;
  bool shown_ = false;
  clock::time_point started_;
  clock::time_point last_{};
};

// One run's summary as it is delivered: the full text for a plain run (only the ones that went
// wrong with --quiet); nothing for runs of a seed sweep, whose failures the sweep summary lists.
void print_entry(std::ostream& out, const scn::report_entry& e, const scn::sweep_info& sweep,
                 bool quiet) {
  if (sweep.swept()) return;
  const auto text = quiet ? scn::quiet_summary(e) : scn::text_summary(e);
  out << text;
  if (!quiet) out << '\n';
  out.flush();
}

// After every run: the tally (per file for sweeps) and every run that did not go as expected with
// its replay command. Only with more than one run, and with --quiet only when something failed.
void print_summary(std::ostream& out, const std::vector<scn::report_entry>& entries,
                   const scn::sweep_info& sweep, bool quiet) {
  if (entries.size() <= 1 && !sweep.swept()) return;
  if (quiet && scn::exit_code_of(entries) == 0) return;
  out << scn::sweep_summary(entries, sweep);
  out.flush();
}

// `["p0","p1",...]`: the trace header names the peers (lane labels of a redrawn report).
std::string peer_names_json(const scn::scenario& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.peers.size(); ++i) {
    if (i > 0) out += ',';
    out += nlohmann::json(s.peers[i].name).dump();
  }
  return out + "]";
}

// What one run of a sweep produced on its pool thread.
struct run_output {
  scn::report_entry entry;
  std::string trace;  // JSON lines, when --trace is given and runs are parallel
  std::vector<std::vector<std::string>> transcripts;  // --console-dir: every peer's lines
  std::string compare;                                // --compare-sim: what it printed
  bool differs = false;                               // --compare-sim: the outcomes differ
  std::string real_error;                 // real time: a port that could not be chosen or bound
  eachare::sim_cli::run_picture picture;  // --report-html: this run's section
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
  if (f.ports != "auto" && f.ports != "fixed") {
    std::cerr << "eachare-sim: --ports expects auto or fixed, got '" << f.ports << "'\n";
    return exit_invalid;
  }
  const bool real_time = f.real || f.compare_sim;
  std::uint16_t port_lo = 0;
  std::uint16_t port_hi = 0;
  if (!f.port_range.empty()) {
    std::string range_error;
    if (!eachare::cli::parse_port_range(f.port_range, port_lo, port_hi, range_error)) {
      std::cerr << "eachare-sim: " << range_error << '\n';
      return exit_invalid;
    }
  }
  if (real_time && f.check_determinism) {
    std::cerr << "eachare-sim: --check-determinism is for virtual time only (real time is not "
                 "deterministic)\n";
    return exit_invalid;
  }
  std::optional<scn::seed_range> seeds;
  std::optional<scn::shard_spec> shard;
  std::string error;
  if (!f.seeds.empty() && !(seeds = scn::parse_seed_range(f.seeds, error))) {
    std::cerr << "eachare-sim: " << error << '\n';
    return exit_invalid;
  }
  if (!f.shard.empty() && !(shard = scn::parse_shard(f.shard, error))) {
    std::cerr << "eachare-sim: " << error << '\n';
    return exit_invalid;
  }
  const auto size = scn::sweep_size(f.files.size(), seeds);
  if (!size) {
    std::cerr << "eachare-sim: " << f.files.size() << " files x " << seeds->count()
              << " seeds is more than " << scn::max_sweep_runs << " runs\n";
    return exit_invalid;
  }
  // The HTML report's file: checked before anything runs.
  if (!f.html.path.empty()) {
    if (const auto err = eachare::sim_cli::check_html_path(f.html.path); !err.empty()) {
      std::cerr << err << '\n';
      return exit_invalid;
    }
  }
  eachare::sim_cli::html_output html(f.html);
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
  if (consoles && seeds && seeds->count() > 1) {
    std::cerr << "eachare-sim: --console and --console-dir take exactly one run, got --seeds "
              << seeds->text() << " (use --seed)\n";
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

  scn::sweep_info sweep;
  sweep.files = f.files;
  sweep.seeds = seeds ? seeds->text() : f.seed;
  sweep.seeds_per_file = seeds ? seeds->count() : 1;
  sweep.runs = static_cast<std::size_t>(*size);
  sweep.shard = shard.value_or(scn::shard_spec{});
  const auto plan = scn::plan_sweep(f.files.size(), seeds, seed, sweep.shard);
  const unsigned jobs = f.jobs > 0 ? f.jobs : eachare::cli::default_jobs();
  // Real-time runs take wall-clock time and ports: one at a time.
  const bool parallel = jobs > 1 && plan.size() > 1 && !real_time;
  // A helper thread per simulated run for large PEER_LIST replies (sim/threaded/decode_thread.hpp;
  // started only when a run has one): the other core's work when runs go one at a time.
  const bool decode_helper = f.decode_thread == "on" || (f.decode_thread == "auto" && !parallel);

  std::ofstream trace;
  if (!f.trace.empty()) {
    trace.open(f.trace, std::ios::binary | std::ios::trunc);
    if (!trace) {
      std::cerr << "eachare-sim: cannot write " << f.trace << '\n';
      return exit_invalid;
    }
  }
  const bool tty = isatty(STDERR_FILENO) == 1 && !f.quiet;
  // One run: the progress line in scenario time; several: the sweep's bar.
  std::optional<progress_line> single_progress;
  if (plan.size() == 1) {
    single_progress.emplace((*all)[plan.front().file].name, tty,
                            real_time ? eachare::sim::wall_clock_time : eachare::sim::virtual_time);
  }
  eachare::cli::progress_bar bar(plan.size(), tty && plan.size() > 1, "runs", "not as expected");

  // Runs on a pool thread (or this one): everything it touches is its own but the scenario, which
  // run() only reads. Sequential runs stream their trace; parallel ones buffer it for ordering.
  const std::function<run_output(std::size_t)> work = [&](std::size_t i) {
    const auto& s = (*all)[plan[i].file];
    const auto run_seed = plan[i].seed;
    run_output out;
    scn::run_options options;
    options.seed = run_seed;
    if (decode_helper) options.decoder = std::make_shared<eachare::sim::decode_thread>();
    // Consoles come with exactly one run, which runs on this thread.
    if (consoles) {
      if (!f.console_dir.empty()) {
        out.transcripts.resize(s.peers.size());
        for (std::size_t p = 0; p < s.peers.size(); ++p) {
          options.console_peers.push_back(static_cast<scn::peer_index>(p));
        }
      } else {
        options.console_peers.push_back(*console_peer);
      }
      options.console_sink = [&](scn::peer_index p, std::string_view line) {
        if (console_peer && p == *console_peer) {
          std::cout.write(line.data(), static_cast<std::streamsize>(line.size()));
          std::cout.put('\n');
        }
        if (!out.transcripts.empty()) out.transcripts[p].emplace_back(line);
      };
    }
    auto write_trace_line = [&trace](std::string_view line) {
      trace.write(line.data(), static_cast<std::streamsize>(line.size()));
      trace.put('\n');
    };
    auto buffer_trace_line = [&out](std::string_view line) {
      out.trace.append(line);
      out.trace.push_back('\n');
    };
    if (trace.is_open()) {
      // A header line per scenario, so one file can hold the traces of several.
      const std::string header = "{\"scenario\":" + nlohmann::json(s.name).dump() +
                                 ",\"file\":" + nlohmann::json(s.file).dump() +
                                 ",\"seed\":" + std::to_string(run_seed.value_or(s.seed)) +
                                 ",\"peer_names\":" + peer_names_json(s) + "}";
      if (parallel) {
        buffer_trace_line(header);
        options.trace_sink = buffer_trace_line;
      } else {
        write_trace_line(header);
        options.trace_sink = write_trace_line;
      }
    }
    if (single_progress) {
      options.progress = [&single_progress](scn::duration now, scn::duration end) {
        single_progress->update(now, end);
      };
    }
    out.picture = html.picture();
    out.picture.begin(s, options);
    auto& e = out.entry;
    e.program = f.program;
    const auto t0 = std::chrono::steady_clock::now();
    std::ostringstream addresses;
    if (real_time) {
      eachare::cli::real_flags rf;
      rf.ports_auto = f.ports == "auto";
      rf.time_scale = f.time_scale;
      rf.port_lo = port_lo;
      rf.port_hi = port_hi;
      if (!f.quiet) rf.address_map = &addresses;
      options.make_world = eachare::cli::real_world_factory(rf);
      options.collect_outcome = f.compare_sim;
      try {
        e.result = scn::run(s, options);
      } catch (const std::exception& ex) {
        out.real_error = s.file + ": " + ex.what();
        return out;
      }
      if (rf.ports_auto && !f.quiet) out.compare = s.name + ": addresses\n" + addresses.str();
    } else {
      e.result = scn::run(s, options);
    }
    if (f.compare_sim) {
      scn::run_options virt;
      virt.seed = run_seed;
      virt.collect_outcome = true;
      const auto diffs = eachare::cli::compare_outcomes(scn::run(s, virt), e.result);
      out.differs = !diffs.empty();
      out.compare += s.name + ": virtual vs real time: " +
                     (diffs.empty() ? std::string("same observable outcome")
                                    : std::to_string(diffs.size()) + " difference(s)") +
                     "\n";
      for (const auto& d : diffs) out.compare += "  differs: " + d + "\n";
    }
    e.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    e.peak_rss_bytes = peak_rss_bytes();
    e.run_index = plan[i].index;
    if (f.check_determinism) {
      scn::run_options again;
      again.seed = run_seed;
      again.progress = options.progress;
      e.second_trace_hash = scn::run(s, again).trace_hash;
    }
    // The trace ends with the run's result, so a report can be redrawn from the file alone.
    if (trace.is_open()) {
      const std::string result = "{\"result\":" + eachare::sim_cli::stable_entry_json(e) + "}";
      if (parallel) {
        buffer_trace_line(result);
      } else {
        write_trace_line(result);
      }
    }
    out.picture.end(e);
    return out;
  };

  std::vector<scn::report_entry> entries;
  std::size_t not_ok = 0;
  bool transcript_failed = false;
  std::size_t differing = 0;  // --compare-sim: runs whose outcomes differ
  bool real_failed = false;
  const std::function<void(std::size_t, run_output &&)> deliver = [&](std::size_t i,
                                                                      run_output&& out) {
    if (!out.trace.empty())
      trace.write(out.trace.data(), static_cast<std::streamsize>(out.trace.size()));
    if (single_progress) single_progress.reset();  // clears its line before the summary
    std::cout.flush();
    const auto& s = (*all)[plan[i].file];
    for (std::size_t p = 0; p < out.transcripts.size(); ++p) {
      std::string text;
      for (const auto& l : out.transcripts[p]) text += l + '\n';
      const auto path =
          (std::filesystem::path(f.console_dir) / (s.peers[p].name + ".txt")).string();
      if (!eachare::cli::write_output_file(path, text)) transcript_failed = true;
    }
    if (!out.real_error.empty()) {
      std::cerr << "eachare-sim: " << out.real_error << '\n';
      real_failed = true;
      return;
    }
    not_ok += out.entry.ok() && !out.differs ? 0 : 1;
    differing += out.differs ? 1 : 0;
    if (!sweep.swept()) bar.clear();
    print_entry(summary, out.entry, sweep, f.quiet);
    if (!f.quiet || out.differs) summary << out.compare;
    html.add(std::move(out.picture));
    entries.push_back(std::move(out.entry));
  };
  const std::function<void(std::size_t)> tick = [&](std::size_t done) { bar.update(done, not_ok); };
  const auto t0 = std::chrono::steady_clock::now();
  try {
    eachare::cli::run_ordered<run_output>(plan.size(), parallel ? jobs : 1, work, deliver, tick);
  } catch (const std::exception& e) {
    bar.clear();
    std::cerr << "eachare-sim: a run stopped with an error: " << e.what() << '\n';
    return exit_failed;
  }
  bar.clear();
  if (transcript_failed || real_failed) return exit_invalid;
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  int rc = scn::exit_code_of(entries);
  if (rc == exit_ok && differing > 0) rc = exit_failed;
  print_summary(summary, entries, sweep, f.quiet);
  if (plan.size() > 1 && !f.quiet) {
    char line[160];
    std::snprintf(line, sizeof line,
                  "%zu runs in %.2f s of wall time with --jobs %u, peak RSS %llu MiB\n",
                  plan.size(), wall, parallel ? jobs : 1u,
                  static_cast<unsigned long long>(peak_rss_bytes() >> 20));
    summary << line;
    summary.flush();
  }
  if (html.enabled()) {
    if (!html.write(entries.size() == 1 ? entries.front().result.name : "eachare-sim run")) {
      return exit_invalid;
    }
    if (!f.quiet) {
      std::cerr << "eachare-sim: wrote " << f.html.path << " (" << html.bytes() << " bytes in "
                << html.seconds() << " s)\n";
    }
  }
  if (!f.report_json.empty() &&
      !eachare::cli::write_output_file(f.report_json, scn::json_report(entries, rc, sweep))) {
    return exit_invalid;
  }
  if (!f.report_junit.empty() &&
      !eachare::cli::write_output_file(f.report_junit, scn::junit_report(entries, sweep))) {
    return exit_invalid;
  }
  return rc;
}

struct merge_flags {
  std::string program = "eachare-sim";  // argv[0], for the replay lines
  std::vector<std::string> reports;
  std::string report_json;
  std::string report_junit;
  std::string report_html;
  bool quiet = false;
  std::string out;  // class reports: where class.csv/.html/.json go
};

// `merge`: the shard reports of one sweep back into what the unsharded run prints and writes.
int merge(const merge_flags& f) {
  // The HTML report's file: checked before any report is read.
  if (!f.report_html.empty()) {
    if (const auto err = eachare::sim_cli::check_html_path(f.report_html); !err.empty()) {
      std::cerr << err << '\n';
      return exit_invalid;
    }
  }
  std::vector<scn::report_file> files;
  for (const auto& path : f.reports) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "eachare-sim: cannot read " << path << '\n';
      return exit_invalid;
    }
    std::ostringstream text;
    text << in.rdbuf();
    files.push_back({path, text.str()});
  }
  // The reports of a class's shards (`grade --class --shard`) merge into a class table.
  if (eachare::cli::is_class_report(files.front().text)) {
    if (!f.report_html.empty()) {
      std::cerr << "eachare-sim merge: --report-html is for run reports; class reports merge into "
                   "--out DIR, class.html included\n";
      return exit_invalid;
    }
    return eachare::cli::merge_class(f.reports, f.out, f.quiet);
  }
  std::vector<std::string> errors;
  const auto merged = scn::merge_reports(files, errors);
  if (!merged) {
    for (const auto& e : errors) std::cerr << "eachare-sim merge: " << e << '\n';
    return exit_invalid;
  }
  // The replay lines name this program, as the shards' own summaries did theirs.
  auto entries = merged->entries;
  for (auto& e : entries) e.program = f.program;
  for (const auto& e : entries) print_entry(std::cout, e, merged->sweep, f.quiet);
  print_summary(std::cout, entries, merged->sweep, f.quiet);
  if (!f.report_html.empty() &&
      !eachare::sim_cli::write_summary_report(
          f.report_html, entries,
          merged->sweep.swept() ? scn::sweep_summary(entries, merged->sweep) : std::string())) {
    return exit_invalid;
  }
  if (!f.report_json.empty() && !eachare::cli::write_output_file(f.report_json, merged->json))
    return exit_invalid;
  if (!f.report_junit.empty() &&
      !eachare::cli::write_output_file(f.report_junit, scn::junit_report(entries, merged->sweep))) {
    return exit_invalid;
  }
  return merged->exit_code;
}

// Edit distance between two short words (for "did you mean").
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The subcommand the user most likely meant by `word`, or "" when none is close.
std::string closest_subcommand(std::string_view word, const std::vector<std::string>& names) {
  std::string best;
  std::size_t best_distance = 3;  // more than two edits away is not a typo
  for (const auto& n : names) {
    const auto d = edit_distance(word, n);
    if (d < best_distance || (!word.empty() && n.starts_with(word) && best.empty())) {
      best = n;
      best_distance = std::min(d, best_distance);
    }
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eachare-sim: run EACHare peers in virtual time from scenario files"};
  app.set_version_flag("--version", std::string("eachare-sim ") + EACHARE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 every scenario as expected; 1 a check failed (or an expect: fail scenario "
      "passed); 2 a scenario file is invalid (nothing runs), a flag is wrong, or merge refused its "
      "reports.\nScenario format and flags: docs/scenarios.md; sweeps and shards: docs/sweeps.md");

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
  run_cmd->add_flag("--real", flags.real,
                    "run over real loopback sockets: every peer a peer_node on the Asio transport "
                    "with its own listener on 127.0.0.1, in this process, in wall-clock time");
  run_cmd->add_flag("--compare-sim", flags.compare_sim,
                    "run each scenario in real time and in virtual time and print where the "
                    "observable outcomes differ (verdicts, tables, files, statistics counts); "
                    "exit 1 when they do");
  run_cmd
      ->add_option("--ports", flags.ports,
                   "real time: `fixed` listens on the scenario's addresses (127.0.0.1 only); "
                   "`auto` maps every address to a free port and prints the map")
      ->default_str("fixed");
  run_cmd->add_option("--port-range", flags.port_range,
                      "real time with --ports auto: choose ports only in LO-HI (e.g. 20000-20999), "
                      "so processes run side by side never pick the same port");
  run_cmd
      ->add_option("--time-scale", flags.time_scale,
                   "real time: wall-clock ms per scenario ms (0.1 plays 30 s in 3 s; delays, "
                   "timeouts and the timeline scale alike)")
      ->check(CLI::PositiveNumber)
      ->default_str("1");
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
  eachare::sim_cli::add_html_flags(run_cmd, flags.html);

  std::vector<std::string> report_traces;
  eachare::sim_cli::html_flags report_html;
  auto* report_cmd = app.add_subcommand(
      "report", "redraw the HTML report from trace files written by run --trace");
  report_cmd->add_option("TRACE", report_traces, "trace files (JSON lines)")->required();
  eachare::sim_cli::add_html_flags(report_cmd, report_html);
  auto* seeds_opt = run_cmd->add_option(
      "--seeds", flags.seeds,
      "run every file at every seed: N (seeds 1..N) or A..B; prints a sweep summary listing each "
      "run that did not go as expected with its replay command");
  run_cmd->get_option("--seed")->excludes(seeds_opt);
  run_cmd
      ->add_option("--jobs,-j", flags.jobs,
                   "runs at once, one thread each (default: the number of cores); output and "
                   "reports are the same whatever N is")
      ->check(CLI::PositiveNumber);
  run_cmd
      ->add_option("--decode-thread", flags.decode_thread,
                   "make large PEER_LIST replies whole (line written, then decoded) on a helper "
                   "thread ahead of their delivery: auto (default) when runs go one at a time, "
                   "on, or off; the runs and their traces are the same in every mode")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  run_cmd->add_option("--shard", flags.shard,
                      "run only the I-th of N shares of the (file, seed) runs, I counted from 1 "
                      "(run k belongs to shard k mod N + 1); join the shards' --report-json "
                      "files with `eachare-sim merge`");

  merge_flags mflags;
  mflags.program = flags.program;
  auto* merge_cmd = app.add_subcommand(
      "merge",
      "join the JSON reports of a sweep's shards into the summary and reports of the "
      "whole sweep");
  merge_cmd->add_option("REPORT", mflags.reports, "JSON reports written by run --report-json")
      ->required();
  merge_cmd->add_option("--report-json", mflags.report_json,
                        "write the merged JSON report to this file");
  merge_cmd->add_option("--report-junit", mflags.report_junit,
                        "write the merged JUnit XML report to this file");
  merge_cmd->add_option("--report-html", mflags.report_html,
                        "write an HTML report with every run's summary (checks, figures, replay "
                        "command; no pictures: JSON reports carry no trace) to this file");
  merge_cmd->add_flag("-q,--quiet", mflags.quiet, "print only runs that did not go as expected");
  merge_cmd->add_option("--out", mflags.out,
                        "class reports (grade --class --shard): directory for the merged "
                        "class.csv, class.html and class.json (default: the first report's)");

  eachare::grading::grade_flags gflags;
  gflags.program = flags.program;
  auto* grade_cmd = app.add_subcommand(
      "grade",
      "put an external EACHare program through the grading set over real loopback sockets and "
      "print its grade sheet (docs/grading.md); --class: a whole class at once");
  grade_cmd->add_option(
      "--impl", gflags.impl,
      "the program's command template; {addr} (required), {neighbours} and "
      "{shared} are filled in per peer, e.g. 'python3 peer.py {addr} {neighbours} "
      "{shared}' (required unless --class)");
  grade_cmd->add_option("--cwd", gflags.cwd, "the program's working directory (default: ours)");
  grade_cmd->add_option("--ep", gflags.ep, "grading set scenarios/grading/ep<N>/ when no FILE")
      ->check(CLI::Range(1, 3))
      ->default_str("3");
  grade_cmd->add_option("FILE", gflags.files,
                        "scenario files instead of the grading set (peers with graded: true run "
                        "the program)");
  grade_cmd->add_option("--report-json", gflags.report_json,
                        "write the JSON report (run's shape plus \"implementation\", \"grade\", "
                        "\"errors\") to this file");
  grade_cmd->add_option("--report-junit", gflags.report_junit,
                        "write a JUnit XML report (one testcase per check) to this file");
  eachare::sim_cli::add_html_flags(grade_cmd, gflags.html);
  grade_cmd->add_flag("--keep", gflags.keep,
                      "keep the temporary directories (neighbours files, shared directories) and "
                      "print where they are");
  grade_cmd->add_flag("--pipes", gflags.pipes,
                      "give the program pipes instead of a pseudo-terminal");
  grade_cmd
      ->add_option(
          "--ports", gflags.ports,
          "`auto` (default) gives every peer a free 127.0.0.1 port we choose; `fixed` uses "
          "the scenario's addresses")
      ->default_str("auto");
  grade_cmd->add_option("--port-range", gflags.port_range,
                        "with --ports auto: choose ports only in LO-HI (disjoint ranges keep "
                        "grades run side by side apart)");
  grade_cmd
      ->add_option("--bound-scale", gflags.bound_scale,
                   "multiply every wait bound of the menu driver (startup 10 s, step 20 s, "
                   "download 60 s, stdin 5 s, exit 10 s) by this factor")
      ->check(CLI::PositiveNumber)
      ->default_str("1");
  grade_cmd->add_flag("-q,--quiet", gflags.quiet,
                      "print only the scenarios that failed and the grade table");
  // `grade --class`: a whole class of submissions (sim/cli/grade_class.hpp, docs/scenarios.md).
  eachare::cli::class_flags cflags;
  cflags.program = flags.program;
  eachare::cli::add_class_flags(grade_cmd, cflags);
  grade_cmd->footer(
      "Exit codes: 0 every check passed; 1 some check failed; 2 bad input (a template without "
      "{addr}, a scenario file that does not load, a bad flag, an unwritable report).\n"
      "Grading: docs/grading.md; scenario keys: docs/scenarios.md");

  std::vector<std::string> validate_files;
  std::uint64_t validate_max_bytes = scn::default_max_scenario_bytes;
  auto* validate_cmd = app.add_subcommand("validate", "check scenario files without running them");
  validate_cmd->add_option("FILE", validate_files, "scenario files (YAML)")->required();
  validate_cmd->add_option("--max-scenario-bytes", validate_max_bytes, max_bytes_help)
      ->check(CLI::PositiveNumber);

  run_cmd->footer(
      "Exit codes: 0 every scenario as expected; 1 a check failed, an expect: fail scenario "
      "passed, or a run was not deterministic; 2 a scenario file is invalid (nothing runs) or a "
      "flag is wrong.\nScenario format and flags: docs/scenarios.md");
  validate_cmd->footer(
      "Exit codes: 0 every file is valid; 2 a file is invalid or unreadable (its errors on "
      "stderr, file:line:col each) or a flag is wrong.\nScenario format: docs/scenarios.md");

  // An unknown first word is a mistyped subcommand: name it and suggest the closest one (CLI11
  // alone would only say that a subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    const std::string word = argv[1];
    if (std::find(names.begin(), names.end(), word) == names.end()) {
      std::string known;
      for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
      std::cerr << "eachare-sim: unknown subcommand '" << word << "'";
      const auto guess = closest_subcommand(word, names);
      if (!guess.empty()) std::cerr << "; did you mean '" << guess << "'?";
      std::cerr << " (subcommands: " << known << "; see eachare-sim --help)\n";
      return exit_invalid;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? exit_ok : exit_invalid;
  }
  if (*validate_cmd) return validate(validate_files, validate_max_bytes);
  if (*run_cmd) return run(flags);
  if (*report_cmd) return eachare::sim_cli::report_from_traces(report_traces, report_html);
  if (*merge_cmd) return merge(mflags);
  if (*grade_cmd) {
    if (const auto why = eachare::cli::check_class_flags(*grade_cmd, cflags); !why.empty()) {
      std::cerr << why << '\n';
      return exit_invalid;
    }
    if (!cflags.class_file.empty()) {
      cflags.files = gflags.files;
      cflags.keep = gflags.keep;
      cflags.quiet = gflags.quiet;
      if (grade_cmd->get_option("--ep")->count() > 0) cflags.ep = gflags.ep;
      return eachare::cli::run_class(cflags);
    }
    if (gflags.impl.empty()) {
      std::cerr << "eachare-sim grade: give --impl 'TEMPLATE' (or --class FILE)\n";
      return exit_invalid;
    }
    return eachare::grading::grade(gflags);
  }
  return exit_invalid;
}
