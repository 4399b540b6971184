#include "sim/cli/grade.hpp"
#include "sim/cli/output_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "real/external/cleanup.hpp"
#include "real/external/evidence.hpp"
#include "real/external/external_host.hpp"
#include "real/external/grade_checks.hpp"
#include "real/external/workspace.hpp"
#include "real/world/real_world.hpp"
#include "sim/cli/real_mode.hpp"
#include "sim/memory_file_store.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"

#ifndef EACHARE_GRADING_DIR
#define EACHARE_GRADING_DIR ""
#endif

namespace eachare::grading {

namespace {

namespace scn = eachare::scenario;
namespace ext = eachare::external;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_invalid = 2;

// How many violations of one check the grade sheet lists under it (the count says the rest).
constexpr std::size_t violations_listed = 20;

// The grading set of part `ep`, sorted: scenarios/grading/ep<N>/ under the working directory,
// else under the source tree this binary was built from. nullopt with `error` when neither has it.
std::optional<std::vector<std::string>> grading_set(int ep, std::string& error) {
  const std::string sub = "ep" + std::to_string(ep);
  std::vector<std::filesystem::path> dirs = {std::filesystem::path("scenarios/grading") / sub};
  if (std::string(EACHARE_GRADING_DIR) != "") {
    dirs.push_back(std::filesystem::path(EACHARE_GRADING_DIR) / sub);
  }
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".yaml") files.push_back(e.path().string());
    }
    if (ec || files.empty()) continue;
    std::sort(files.begin(), files.end());
    return files;
  }
  error = "no grading set at " + dirs.front().string() +
          " (run from the repository's root, or give scenario files)";
  return std::nullopt;
}

scn::check_result to_result(const std::string& peer, const ext::grade_check& c) {
  scn::check_result r;
  r.name = peer + ": " + c.name;
  r.kind = scn::check_kind::grade;
  r.passed = c.passed();
  if (!c.observable) {
    r.figure = c.note;
    r.violation = c.note;
    return r;
  }
  r.figure = std::to_string(c.examined) + " examined";
  if (!c.violations.empty()) {
    r.figure += ", " + std::to_string(c.violations.size()) + " violation" +
                (c.violations.size() == 1 ? "" : "s");
    r.violation_time = c.violations.front().time;
    r.violation = c.violations.front().what;
    // The rest under the check, each quoting its line; the count says how many more there were.
    const std::size_t shown = std::min(c.violations.size(), violations_listed);
    for (std::size_t i = 1; i < shown; ++i) r.notes.push_back(c.violations[i].what);
    if (c.violations.size() > shown) {
      r.notes.push_back("and " + std::to_string(c.violations.size() - shown) + " more");
    }
  }
  return r;
}

// The driver's own verdict: every menu step ended as the menu promised, within its bound.
ext::grade_check driver_check(const ext::peer_evidence& e) {
  ext::grade_check c{
      "driver: every menu step ended within its bound", true, e.steps.size(), {}, {}};
  for (const auto& f : e.failures) c.violations.push_back({f.time, f.what});
  if (c.examined == 0 && c.violations.empty()) {
    c.observable = false;
    c.note = "not observable: the program ran no menu step";
  }
  return c;
}

// Statistics (option 5) against the downloads the program finished before it.
ext::grade_check stats_check(const ext::peer_evidence& e) {
  ext::grade_check c{
      "statistics: one row per chunk size and file size, N downloads", true, 0, {}, {}};
  std::int64_t chunk = 256;
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::uint64_t> done;  // (chunk, size) -> n
  bool shown = false;
  for (const auto& s : e.steps) {
    using k = ext::menu_step::kind;
    if (s.step.what == k::set_chunk_size && s.outcome.ok && s.step.chunk > 0) {
      chunk = s.step.chunk;
    }
    if (s.step.what == k::download && s.outcome.ok) {
      // The file's size: as the step asked, or from the search table the download chose from.
      std::optional<std::uint64_t> size = s.step.size;
      for (const auto& row : s.search) {
        if (!size && row.name == s.step.file) size = row.size;
      }
      if (size) ++done[{e.ep == 2 ? 0 : static_cast<std::uint64_t>(chunk), *size}];
    }
    if (s.step.what != k::show_stats || !s.outcome.ok) continue;
    shown = true;
    for (const auto& [key, n] : done) {
      ++c.examined;
      const auto row = std::find_if(s.stats.begin(), s.stats.end(), [&](const ext::stats_entry& r) {
        return r.file_size == key.second && (e.ep == 2 || r.chunk_size == key.first);
      });
      const std::string what =
          "chunk " + std::to_string(key.first) + ", file size " + std::to_string(key.second);
      if (row == s.stats.end()) {
        c.violations.push_back({s.ended, "at " + ext::seconds(s.ended) +
                                             ", option 5 shows no row for " + what + " after " +
                                             std::to_string(n) + " finished download(s)"});
      } else if (row->count != n) {
        c.violations.push_back({s.ended, "at " + ext::seconds(s.ended) + ", option 5 row \"" +
                                             row->text + "\" counts " + std::to_string(row->count) +
                                             " downloads of " + what + ", expected " +
                                             std::to_string(n)});
      }
    }
  }
  if (!shown || c.examined == 0) {
    c.observable = false;
    c.note = "not observable: no statistics shown after a finished download in this scenario";
  }
  return c;
}

// Each download the program said it finished left the source's bytes in its shared directory;
// a violation quotes the console line that announced it.
ext::grade_check downloads_check(const ext::peer_evidence& e) {
  ext::grade_check c{"downloads: the file on disk is the source's", true, 0, {}, {}};
  for (const auto& s : e.steps) {
    if (s.step.what != ext::menu_step::kind::download || !s.outcome.ok) continue;
    std::optional<std::uint64_t> size = s.step.size;
    for (const auto& row : s.search) {
      if (!size && row.name == s.step.file) size = row.size;
    }
    if (!size) continue;
    // The line that announced it: within the step's console lines.
    const std::string done = "Download do arquivo " + s.step.file + " finalizado.";
    std::optional<std::size_t> at;
    for (std::size_t i = 0; i < e.console.size(); ++i) {
      if (e.console[i].time < s.started) continue;
      if (e.console[i].text.find(done) != std::string::npos) {
        at = i;
        break;
      }
    }
    if (!at) continue;
    ++c.examined;
    const auto quote = ext::quote_console(e.console[*at], *at);
    std::ifstream in(e.shared / s.step.file, std::ios::binary);
    if (!in) {
      c.violations.push_back(
          {e.console[*at].time, quote + " but its shared directory has no " + s.step.file});
      continue;
    }
    std::ostringstream got;
    got << in.rdbuf();
    const std::string have = got.str();
    const std::string want = sim::generate_file_content(e.seed, s.step.file, *size);
    if (have == want) continue;
    std::size_t first = 0;
    while (first < have.size() && first < want.size() && have[first] == want[first]) ++first;
    c.violations.push_back(
        {e.console[*at].time, quote + " but " + s.step.file + " on disk differs from the source (" +
                                  std::to_string(have.size()) + " bytes, expected " +
                                  std::to_string(want.size()) + "; first difference at byte " +
                                  std::to_string(first) + ")"});
  }
  if (c.examined == 0) {
    c.observable = false;
    c.note = "not observable: it announced no finished download";
  }
  return c;
}

// After each line injected into the program, it still answers our requests.
ext::grade_check serving_check(const scn::scenario& s, scn::peer_index peer,
                               const std::vector<ext::wire_line>& wire, const std::string& address,
                               ext::duration scenario_origin) {
  ext::grade_check c{"serving: still answers after injected garbage", true, 0, {}, {}};
  for (const auto& st : s.timeline) {
    if (st.what != scn::action::inject) continue;
    if (std::find(st.to.begin(), st.to.end(), peer) == st.to.end()) continue;
    const auto at = scenario_origin + st.at;
    bool asked = false;
    bool answered = false;
    for (const auto& w : wire) {
      if (w.time <= at) continue;
      if (w.to == address && !w.reply &&
          (w.line.find(" GET_PEERS") != std::string::npos ||
           w.line.find(" LS") != std::string::npos || w.line.find(" DL ") != std::string::npos)) {
        asked = true;
      }
      if (w.from == address && w.reply) answered = true;
    }
    if (!asked && !answered) continue;
    ++c.examined;
    if (answered) continue;
    c.violations.push_back({at, "after \"" + ext::escape_bytes(st.line, 80) +
                                    "\" was sent to it at " + ext::seconds(at) +
                                    ", it answered none of our later requests"});
  }
  if (c.examined == 0) {
    c.observable = false;
    c.note = "not observable: no request of ours followed an injected line";
  }
  return c;
}

// A scenario that could not run the program at all (the template is unusable): its grade sheet
// is one failed check saying why.
scn::report_entry not_run(const scn::scenario& s, const std::string& why,
                          const std::string& program) {
  scn::report_entry e;
  e.program = program;
  e.result.name = s.name;
  e.result.description = s.description;
  e.result.file = s.file;
  e.result.seed = s.seed;
  e.result.peers = s.peers.size();
  e.result.time_kind = sim::wall_clock_time;
  scn::check_result c;
  c.name = "implementation: the program can be started";
  c.kind = scn::check_kind::grade;
  c.passed = false;
  c.figure = "not run";
  c.violation = why;
  e.result.checks.push_back(std::move(c));
  return e;
}

// `word` as one shell word ('...' unless it is plain).
std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789_-./:=+,@") == std::string::npos) {
    return word;
  }
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The command that grades `file` again with the same program.
std::string grade_again(const grade_flags& f, const std::string& file) {
  std::string out = shell_word(f.program) + " grade --impl " + shell_word(f.impl);
  if (!f.cwd.empty()) out += " --cwd " + shell_word(f.cwd);
  if (f.pipes) out += " --pipes";
  return out + " " + shell_word(file);
}

struct tally {
  std::size_t passed_checks = 0;
  std::size_t total_checks = 0;
  std::size_t passed_scenarios = 0;
  double percent() const {
    return total_checks == 0
               ? 0.0
               : 100.0 * static_cast<double>(passed_checks) / static_cast<double>(total_checks);
  }
};

tally count(const std::vector<scn::report_entry>& entries) {
  tally t;
  for (const auto& e : entries) {
    for (const auto& c : e.result.checks) t.passed_checks += c.passed ? 1 : 0;
    t.total_checks += e.result.checks.size();
    t.passed_scenarios += e.result.all_checks_passed() ? 1 : 0;
  }
  return t;
}

// The grade table: one row per scenario, then the total.
void print_table(std::ostream& out, const grade_flags& f,
                 const std::vector<scn::report_entry>& entries, double wall) {
  const auto t = count(entries);
  out << "grade of '" << f.impl << "':\n";
  for (const auto& e : entries) {
    std::size_t p = 0;
    for (const auto& c : e.result.checks) p += c.passed ? 1 : 0;
    out << "  " << e.result.name << ": " << p << " of " << e.result.checks.size()
        << " checks passed\n";
  }
  char line[200];
  std::snprintf(line, sizeof line,
                "  total: %zu of %zu checks (%.1f %%), %zu of %zu scenarios, %.1f s wall time\n",
                t.passed_checks, t.total_checks, t.percent(), t.passed_scenarios, entries.size(),
                wall);
  out << line;
  out.flush();
}

bool write_reports(const grade_flags& f, const std::vector<scn::report_entry>& entries, int rc,
                   double wall, const std::vector<std::string>& errors) {
  if (!f.report_json.empty()) {
    auto j = nlohmann::ordered_json::parse(scn::json_report(entries, rc));
    j["implementation"] = f.impl;
    const auto t = count(entries);
    j["grade"] = {{"checks_passed", t.passed_checks},
                  {"checks_total", t.total_checks},
                  {"percent", t.percent()},
                  {"scenarios_passed", t.passed_scenarios},
                  {"scenarios_total", entries.size()},
                  {"wall_seconds", wall}};
    j["errors"] = errors;
    if (!eachare::cli::write_output_file(f.report_json, j.dump(2) + "\n")) return false;
  }
  if (!f.report_junit.empty() &&
      !eachare::cli::write_output_file(f.report_junit, scn::junit_report(entries))) {
    return false;
  }
  return true;
}

}  // namespace

int grade(const grade_flags& f) {
  const auto grade_started = std::chrono::steady_clock::now();
  // SIGTERM (grade --class's wall-clock bound), Ctrl-C, SIGHUP: the programs' process groups and
  // the temporary directories go with us (real/external/cleanup.hpp).
  ext::cleanup::on_termination();
  if (f.ports != "auto" && f.ports != "fixed") {
    std::cerr << "eachare-sim: --ports expects auto or fixed, got '" << f.ports << "'\n";
    return exit_invalid;
  }
  if (f.ep < 1 || f.ep > 3) {
    std::cerr << "eachare-sim: --ep expects 1, 2 or 3, got " << f.ep << '\n';
    return exit_invalid;
  }
  std::uint16_t port_lo = 0;
  std::uint16_t port_hi = 0;
  if (!f.port_range.empty()) {
    std::string error;
    if (!cli::parse_port_range(f.port_range, port_lo, port_hi, error)) {
      std::cerr << "eachare-sim: " << error << '\n';
      return exit_invalid;
    }
  }
  if (!f.html.path.empty()) {
    if (const auto err = sim_cli::check_html_path(f.html.path); !err.empty()) {
      std::cerr << err << '\n';
      return exit_invalid;
    }
  }
  auto files = f.files;
  if (files.empty()) {
    std::string error;
    auto set = grading_set(f.ep, error);
    if (!set) {
      std::cerr << "eachare-sim grade: " << error << '\n';
      return exit_invalid;
    }
    files = *set;
  }
  std::vector<scn::scenario> all;
  bool bad = false;
  for (const auto& file : files) {
    try {
      all.push_back(scn::load_file(file));
      for (const auto& w : all.back().warnings) std::cerr << w << '\n';
    } catch (const scn::scenario_error& e) {
      std::cerr << e.what() << '\n';
      bad = true;
    }
  }
  if (bad) return exit_invalid;

  // A template the program cannot be run from: one line, and every scenario's grade sheet says
  // why (so a class's table shows it), then exit 2.
  std::vector<std::string> cmd;
  try {
    cmd = ext::split_template(f.impl);
  } catch (const ext::template_error& bad_template) {
    const std::string why =
        std::string("the template '") + f.impl + "' cannot be run: " + bad_template.what();
    std::cerr << "eachare-sim grade: implementation '" << f.impl << "': " << bad_template.what()
              << "; no scenario ran\n";
    std::vector<scn::report_entry> entries;
    for (const auto& s : all) entries.push_back(not_run(s, why, f.program));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - grade_started).count();
    if (!f.quiet) print_table(std::cout, f, entries, wall);
    sim_cli::html_output html(f.html);
    for (const auto& e : entries) {
      auto p = html.picture();
      p.end(e);
      html.add(std::move(p));
    }
    if (html.enabled() && !html.write("grade of " + f.impl)) return exit_invalid;
    write_reports(f, entries, exit_invalid, wall, {why});
    return exit_invalid;
  }

  sim_cli::html_output html(f.html);
  std::vector<scn::report_entry> entries;
  std::vector<std::string> errors;  // one line per problem with the program, for the report
  for (auto s : all) {
    scn::implementation_spec graded;
    graded.name = "graded";
    graded.cmd = cmd;
    graded.cwd = f.cwd;
    graded.pty = !f.pipes;
    s.implementations.push_back(graded);
    const std::size_t graded_index = s.implementations.size() - 1;
    bool any = false;
    for (auto& p : s.peers) {
      if (p.graded) {
        p.impl = graded_index;
        any = true;
      }
    }
    if (!any) {
      std::cerr << "eachare-sim grade: " << s.file
                << ": no peer is marked graded: true; it runs with our peers only\n";
    }

    const auto epoch = ext::clock::now();
    auto stamp = [epoch] { return ext::clock::now() - epoch; };
    std::unique_ptr<ext::workspace> ws;
    try {
      ws = std::make_unique<ext::workspace>("grade", f.keep);
    } catch (const std::exception& e) {
      std::cerr << "eachare-sim grade: " << e.what() << '\n';
      return exit_invalid;
    }
    if (f.keep) {
      std::cerr << "eachare-sim grade: " << s.name << ": files kept in " << ws->root().string()
                << '\n';
    }
    std::vector<ext::peer_evidence> evidence;
    std::map<scn::peer_index, std::vector<ext::console_line>> consoles;
    std::map<std::string, std::string> mapped;  // scenario address -> address used
    ext::duration origin{0};                    // when the world's timeline began, on `epoch`

    scn::run_options o;
    for (scn::peer_index i = 0; i < s.peers.size(); ++i) {
      if (!s.peers[i].impl) o.console_peers.push_back(i);
    }
    o.console_sink = [&](scn::peer_index p, std::string_view line) {
      consoles[p].push_back({stamp(), std::string(line), false});
    };
    ext::driver_bounds bounds;
    const auto scaled = [&](std::chrono::milliseconds b) {
      return std::chrono::milliseconds(
          static_cast<std::int64_t>(static_cast<double>(b.count()) * f.bound_scale));
    };
    bounds.startup = scaled(bounds.startup);
    bounds.step = scaled(bounds.step);
    bounds.download = scaled(bounds.download);
    bounds.stdin_write = scaled(bounds.stdin_write);
    bounds.exit = scaled(bounds.exit);
    const scn::scenario* source = &s;
    o.make_world = [&, source](const scn::world_setup& setup) -> std::unique_ptr<sim::peer_world> {
      real::real_world_options ro;
      ro.seed = setup.seed;
      ro.network = setup.network;
      ro.ports_auto = f.ports == "auto";
      ro.port_lo = port_lo;
      ro.port_hi = port_hi;
      ro.on_address = [&mapped](const std::string& from, const std::string& to) {
        mapped[from] = to;
      };
      ro.make_host = [&, source](real::real_world& w, real::node_id n,
                                 const sim::peer_spec& spec) -> std::unique_ptr<real::peer_host> {
        if (n >= source->peers.size() || !source->peers[n].impl) return nullptr;
        const auto& is = source->implementations[*source->peers[n].impl];
        ext::host_setup h;
        h.peer = source->peers[n].name;
        h.graded = source->peers[n].graded;
        // Failure lines read "the graded program as g: ..." (the template is named once, in front).
        h.impl.name = h.graded ? std::string("the graded program") : is.name;
        h.impl.cmd = is.cmd;
        h.impl.cwd = is.cwd;
        h.impl.env = is.env;
        h.impl.use_pty = is.pty;
        h.bounds = bounds;
        h.ws = ws.get();
        h.epoch = epoch;
        h.on_done = [&evidence](ext::peer_evidence e) { evidence.push_back(std::move(e)); };
        return std::make_unique<ext::external_host>(w, n, spec, std::move(h));
      };
      origin = stamp();
      return std::make_unique<real::real_world>(std::move(ro));
    };

    scn::report_entry entry;
    entry.program = f.program;
    auto picture = html.picture();
    picture.begin(s, o);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      entry.result = scn::run(s, o);
    } catch (const std::exception& ex) {
      // A port that could not be chosen or bound: this scenario is not graded, the next runs.
      const std::string why = s.file + ": " + ex.what();
      std::cerr << "eachare-sim grade: '" << f.impl << "' in " << s.name << ": " << ex.what()
                << '\n';
      errors.push_back("'" + f.impl + "' in " + s.name + ": " + ex.what());
      entry = not_run(s, why, f.program);
    }
    entry.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    entry.result.replay = grade_again(f, s.file);
    // The scenario's own checkers print times as the world keeps them: here the wall clock since
    // the scenario began ("at 2.9 s: ..."), the same as the grade checks' times.

    // The grade checks of every graded peer, after the scenario's own.
    const auto used = [&mapped](const std::string& a) {
      auto it = mapped.find(a);
      return it == mapped.end() ? a : it->second;
    };
    for (const auto& e : evidence) {
      if (!e.graded) continue;
      std::vector<ext::peer_console> ours;
      for (const auto& [p, lines] : consoles) ours.push_back({used(s.peers[p].address), lines});
      std::vector<ext::duration> starts;
      for (const auto& st : e.steps) starts.push_back(st.started);
      const auto wire = ext::wire_from_consoles(ours, e.address, e.console, starts);
      std::vector<ext::grade_check> checks;
      checks.push_back(driver_check(e));
      for (auto& c : ext::check_wire(wire, e.address, e.ep)) checks.push_back(std::move(c));
      for (auto& c : ext::check_console(e.console, e.ep)) checks.push_back(std::move(c));
      // Statistics and serving-after-garbage are checked where the scenario asks for them (a
      // show_stats step, an inject into the program).
      const auto index = s.find_peer(e.peer);
      bool shows_stats = false;
      bool injected = false;
      for (const auto& st : s.timeline) {
        const auto has = [&](const std::vector<scn::peer_index>& v) {
          return index && std::find(v.begin(), v.end(), *index) != v.end();
        };
        shows_stats = shows_stats || (st.what == scn::action::show_stats && has(st.peers));
        injected = injected || (st.what == scn::action::inject && has(st.to));
      }
      bool downloads = false;
      for (const auto& st : s.timeline) {
        downloads =
            downloads || (st.what == scn::action::download && index &&
                          std::find(st.peers.begin(), st.peers.end(), *index) != st.peers.end());
      }
      if (downloads) checks.push_back(downloads_check(e));
      if (shows_stats) checks.push_back(stats_check(e));
      if (injected) checks.push_back(serving_check(s, *index, wire, e.address, origin));
      for (const auto& c : checks) entry.result.checks.push_back(to_result(e.peer, c));
      if (!e.failures.empty()) {
        const std::string line = "'" + f.impl + "' in " + s.name + ": " + e.failures.front().what;
        std::cerr << "eachare-sim grade: " << line << '\n';
        errors.push_back(line);
      }
    }
    if (!f.quiet) {
      std::cout << scn::text_summary(entry) << '\n';
    } else {
      std::cout << scn::quiet_summary(entry);
    }
    std::cout.flush();
    picture.end(entry);
    html.add(std::move(picture));
    entries.push_back(std::move(entry));
  }

  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - grade_started).count();
  print_table(std::cout, f, entries, wall);
  const auto t = count(entries);
  const int rc = t.passed_scenarios == entries.size() ? exit_ok : exit_failed;
  if (html.enabled() && !html.write("grade of " + f.impl)) return exit_invalid;
  if (!write_reports(f, entries, rc, wall, errors)) return exit_invalid;
  return rc;
}

}  // namespace eachare::grading
