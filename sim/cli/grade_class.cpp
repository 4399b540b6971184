#include "sim/cli/grade_class.hpp"

#include <CLI/CLI.hpp>

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "real/external/external_process.hpp"
#include "sim/cli/class_file.hpp"
#include "sim/cli/ordered_pool.hpp"
#include "sim/cli/progress_bar.hpp"
#include "sim/scenario/loader.hpp"

#ifndef EACHARE_SOURCE_DIR
#define EACHARE_SOURCE_DIR ""
#endif

namespace eachare::cli {

namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

constexpr int exit_ok = 0;
constexpr int exit_invalid = 2;

// Set by SIGINT/SIGTERM while a class runs: every grading in flight is killed, none starts.
std::atomic<bool> interrupted{false};
extern "C" void on_interrupt(int /*signal*/) {
  interrupted.store(true);
}

// The children this process started itself. Everything else whose parent is this process was
// re-parented to it (it is a child subreaper) because the grader that started it is gone: it is
// left over from a killed or crashed grading and is killed with its process group.
class children {
 public:
  // Holds the lock while `start` forks, so a scan never sees a child not yet registered.
  template <typename F>
  auto spawn(F&& start) {
    std::lock_guard lock(mutex_);
    auto p = start();
    ours_.insert(p->pid());
    return p;
  }
  void forget(pid_t pid) {
    std::lock_guard lock(mutex_);
    ours_.erase(pid);
  }
  // Kills and reaps every leftover; rescans until none is left (their own children come back to
  // us as they are orphaned in turn), at most `bound`. Returns how many were killed.
  std::size_t sweep(std::chrono::milliseconds bound) {
    std::size_t killed = 0;
    const auto until = steady::now() + bound;
    for (;;) {
      std::size_t found = 0;
      {
        std::lock_guard lock(mutex_);
        for (const auto& [pid, pgrp] : leftovers()) {
          ++found;
          if (pgrp > 1 && pgrp != ::getpgrp()) ::kill(-pgrp, SIGKILL);
          ::kill(pid, SIGKILL);
          if (::waitpid(pid, nullptr, WNOHANG) == pid) ++killed;
        }
      }
      if (found == 0 || steady::now() >= until) return killed;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  // (pid, process group) of every process whose parent is us and that we did not start.
  std::vector<std::pair<pid_t, pid_t>> leftovers() const {
    std::vector<std::pair<pid_t, pid_t>> out;
    const pid_t self = ::getpid();
    DIR* proc = ::opendir("/proc");
    if (proc == nullptr) return out;
    while (const dirent* e = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(e->d_name, &end, 10);
      if (pid <= 0 || *end != '\0') continue;
      std::ifstream in("/proc/" + std::string(e->d_name) + "/stat");
      std::string stat;
      std::getline(in, stat);
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses; the last ')'
      // ends it.
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(stat.substr(close + 1));
      char state = 0;
      long ppid = 0;
      long pgrp = 0;
      if (!(rest >> state >> ppid >> pgrp) || ppid != self) continue;
      if (ours_.count(static_cast<pid_t>(pid)) != 0) continue;
      out.emplace_back(static_cast<pid_t>(pid), static_cast<pid_t>(pgrp));
    }
    ::closedir(proc);
    return out;
  }

  std::mutex mutex_;
  std::set<pid_t> ours_;
};

// Port ranges for the children running at once: a child takes a free slot for its whole grading,
// so two children never share a port, whatever --jobs is.
class port_slots {
 public:
  explicit port_slots(unsigned n) {
    for (unsigned i = 0; i < n; ++i) free_.push_back(n - 1 - i);
  }
  unsigned take() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return !free_.empty(); });
    const auto s = free_.back();
    free_.pop_back();
    return s;
  }
  void give(unsigned s) {
    {
      std::lock_guard lock(mutex_);
      free_.push_back(s);
    }
    ready_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<unsigned> free_;
};

bool write_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "eachare-sim: cannot write " << path.string() << '\n';
    return false;
  }
  return true;
}

std::string read_file(const fs::path& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream text;
  if (ok) text << in.rdbuf();
  return text.str();
}

// The last line of the grader's output that says something, cut for a table cell.
std::string last_words(const std::vector<external::console_line>& lines) {
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    if (it->text.find_first_not_of(" \t\r") == std::string::npos) continue;
    return external::escape_bytes(it->text, 300);
  }
  return "no output";
}

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

// Everything one grading needs, shared read-only by the pool threads.
struct class_run {
  const class_file* file = nullptr;
  class_info info;
  std::vector<std::size_t> pairs;  // of this shard
  fs::path out;                    // absolute
  fs::path scratch;                // per-grading TMPDIRs live under it
  std::string grader;
  const class_flags* flags = nullptr;
  children* kids = nullptr;
  port_slots* slots = nullptr;
};

grading_result grade_one(const class_run& run, std::size_t i) {
  const auto pair = run.pairs[i];
  const auto nfiles = run.info.scenarios.size();
  const auto& student = run.file->students[pair / nfiles];
  grading_result r;
  r.pair = pair;
  r.student = student.name;
  r.scenario = pair % nfiles;
  std::string stem = run.info.labels[r.scenario];
  std::replace(stem.begin(), stem.end(), '/', '-');
  const std::string rel = student.name + "/" + stem;
  const fs::path json = run.out / (rel + ".json");
  const fs::path html = run.out / (rel + ".html");
  const fs::path log = run.out / (rel + ".log");
  std::error_code ec;
  fs::create_directories(run.out / student.name, ec);
  // A report left from an earlier run must not pass for this one's.
  fs::remove(json, ec);
  fs::remove(html, ec);
  const fs::path tmp = run.scratch / std::to_string(pair);
  fs::create_directories(tmp, ec);

  const auto& f = *run.flags;
  const unsigned slot = run.slots->take();
  const unsigned first_port = f.port_base + slot * f.ports_per_job;
  external::spawn_options o;
  o.argv = {run.grader, "grade", "--impl", student.cmd};
  if (!student.cwd.empty()) o.argv.insert(o.argv.end(), {"--cwd", student.cwd});
  o.argv.insert(o.argv.end(), {"--ep", std::to_string(run.info.ep), "--report-json", json.string(),
                               "--report-html", html.string(), "--port-range",
                               std::to_string(first_port) + "-" +
                                   std::to_string(first_port + f.ports_per_job - 1)});
  if (f.keep) o.argv.emplace_back("--keep");
  o.argv.push_back(run.info.scenarios[r.scenario]);
  o.env = student.env;
  o.env.emplace_back("TMPDIR", tmp.string());
  o.use_pty = false;
  o.max_output_bytes = 8u << 20;

  const auto t0 = steady::now();
  const auto bound = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::duration<double>(run.info.timeout_s));
  std::unique_ptr<external::external_process> child;
  std::optional<int> status;
  bool timed_out = false;
  std::vector<external::console_line> lines;
  try {
    child = run.kids->spawn([&] { return std::make_unique<external::external_process>(o, t0); });
    // Waits in short steps so an interrupt (Ctrl-C) stops it promptly.
    while (!status) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(t0 + bound - steady::now());
      if (left.count() <= 0 || interrupted.load()) break;
      status = child->wait_exit(std::min(left, std::chrono::milliseconds(250)));
    }
    if (!status) {
      timed_out = true;
      child->kill_group(std::chrono::milliseconds(2000));
    }
    lines = child->lines();
    const auto pid = child->pid();
    child.reset();
    run.kids->forget(pid);
  } catch (const external::spawn_error& e) {
    r.status = grading_status::error;
    r.reason = std::string("cannot start the grader: ") + e.what();
  }
  // Whatever the grader started and left behind (a killed grader cannot clean up) goes now,
  // before its ports are handed to the next grading.
  run.kids->sweep(std::chrono::milliseconds(5000));
  run.slots->give(slot);
  r.wall_seconds = std::chrono::duration<double>(steady::now() - t0).count();

  std::string log_text;
  for (const auto& l : lines) log_text += l.text + "\n";
  if (r.reason.empty()) {
    if (timed_out) {
      r.status = grading_status::timeout;
      r.reason = interrupted.load()
                     ? "interrupted; the grader and everything it started were killed"
                     : "no result within " + seconds_text(run.info.timeout_s) +
                           " s; the grader and everything it started were killed";
    } else if (WIFSIGNALED(*status)) {
      r.status = grading_status::crashed;
      r.reason = "the grader was " + external::describe_status(*status);
    } else if (WIFEXITED(*status)) {
      r.grade_exit = WEXITSTATUS(*status);
      if (r.grade_exit == 0 || r.grade_exit == 1) {
        bool ok = false;
        const auto text = read_file(json, ok);
        std::string error;
        const auto checks = ok ? checks_of_grade_report(text, error) : std::nullopt;
        if (checks) {
          r.checks = *checks;
        } else {
          r.status = grading_status::error;
          r.reason = ok ? "the grader's report is unreadable: " + error
                        : "the grader exited with code " + std::to_string(r.grade_exit) +
                              " but wrote no report";
        }
      } else if (r.grade_exit == 2) {
        r.status = grading_status::error;
        r.reason = "the grader refused (exit 2): " + last_words(lines);
      } else {
        r.status = grading_status::crashed;
        r.reason = "the grader exited with code " + std::to_string(r.grade_exit) + ": " +
                   last_words(lines);
      }
    }
  }
  log_text +=
      "[grade --class] " +
      (r.status == grading_status::graded ? "graded, exit code " + std::to_string(r.grade_exit)
                                          : to_string(r.status) + ": " + r.reason) +
      "\n";
  if (write_file(log, log_text)) r.evidence_log = rel + ".log";
  if (fs::is_regular_file(json, ec)) r.evidence_json = rel + ".json";
  if (fs::is_regular_file(html, ec)) r.evidence_html = rel + ".html";
  if (!f.keep) fs::remove_all(tmp, ec);
  return r;
}

// The first of the ports the kernel hands out for outgoing connections (Linux), 32768 if unknown.
unsigned ephemeral_start() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned first = 32768;
  if (!(in >> first)) first = 32768;
  return first;
}

std::string this_program() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("eachare-sim") : p.string();
}

// The report's file names: class.* for a whole class, class-I-of-N.* for a shard.
std::string report_stem(const scenario::shard_spec& shard) {
  if (shard.whole()) return "class";
  return "class-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count);
}

bool write_outputs(const fs::path& dir, const std::string& stem, const class_report& rep,
                   const class_table& t) {
  return write_file(dir / (stem + ".json"), class_report_json(rep)) &&
         write_file(dir / (stem + ".csv"), table_csv(t)) &&
         write_file(dir / (stem + ".html"), table_html(t, rep));
}

void print_summary(const class_table& t, bool quiet) {
  if (!quiet) {
    std::cout << class_summary(t);
    return;
  }
  for (const auto& line : {class_summary(t)}) {
    std::istringstream in(line);
    std::string l;
    while (std::getline(in, l)) {
      if (l.rfind("  ", 0) == 0 && l.find(": pass,") != std::string::npos) continue;
      std::cout << l << '\n';
    }
  }
}

}  // namespace

std::vector<std::string> grading_set(int ep) {
  const std::string part = "scenarios/grading/ep" + std::to_string(ep);
  for (const fs::path& root : {fs::current_path(), fs::path(EACHARE_SOURCE_DIR)}) {
    if (root.empty()) continue;
    std::error_code ec;
    const auto dir = root / part;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".yaml") out.push_back(fs::absolute(e.path()).string());
    }
    std::sort(out.begin(), out.end());
    if (!out.empty()) return out;
  }
  return {};
}

void add_class_flags(CLI::App* grade, class_flags& f) {
  grade->add_option(
      "--class", f.class_file,
      "grade every submission of this class file (docs/scenarios.md, A class at once: "
      "each a command template, cwd and env) and write the class table");
  grade
      ->add_option("--jobs,-j", f.jobs,
                   "--class: gradings at once, each a child process with its own ports "
                   "(default: the number of cores)")
      ->check(CLI::PositiveNumber);
  grade->add_option("--shard", f.shard,
                    "--class: grade only the I-th of N shares of the (student, file) pairs "
                    "(pair k belongs to shard k mod N + 1); join the shards' class-I-of-N.json "
                    "with `eachare-sim merge`");
  grade
      ->add_option("--out", f.out,
                   "--class: directory for the class table (class.csv, class.html, "
                   "class.json) and each student's evidence (created if missing)")
      ->default_str(f.out);
  grade
      ->add_option("--timeout", f.timeout_s,
                   "--class: wall-clock seconds one (student, file) grading may take before it "
                   "is killed with everything it started (default: the class file's "
                   "timeout_s, else 600)")
      ->check(CLI::PositiveNumber);
  grade->add_option("--grader", f.grader,
                    "--class: the program run as `PROGRAM grade --impl ...` per grading "
                    "(default: this eachare-sim)");
  grade
      ->add_option("--port-base", f.port_base,
                   "--class: the first port of the children's ranges; child slot s gets "
                   "[base + s*ports-per-job, +ports-per-job)")
      ->check(CLI::Range(1024u, 65000u))
      ->default_str(std::to_string(f.port_base));
  grade
      ->add_option("--ports-per-job", f.ports_per_job,
                   "--class: ports in each child's range (at least the peers of a scenario)")
      ->check(CLI::Range(2u, 10000u))
      ->default_str(std::to_string(f.ports_per_job));
}

std::string check_class_flags(const CLI::App& grade, const class_flags& f) {
  auto given = [&](const char* name) {
    const auto* o = grade.get_option_no_throw(name);
    return o != nullptr && o->count() > 0;
  };
  if (f.class_file.empty()) {
    for (const char* name : {"--jobs", "--shard", "--out", "--timeout", "--grader", "--port-base",
                             "--ports-per-job"}) {
      if (given(name)) {
        return std::string("eachare-sim grade: ") + name +
               " is for --class (a class of submissions); one --impl is graded in this process";
      }
    }
    return "";
  }
  for (const char* name : {"--impl", "--cwd", "--report-json", "--report-junit", "--report-html",
                           "--diagram-peers", "--pipes", "--ports", "--port-range"}) {
    if (given(name)) {
      return std::string("eachare-sim grade --class: ") + name +
             " is for one --impl; with --class each student's command is in the class file and "
             "every report goes to --out";
    }
  }
  return "";
}

int run_class(const class_flags& f) {
  class_file cf;
  try {
    cf = load_class_file(f.class_file);
  } catch (const scenario::scenario_error& e) {
    std::cerr << e.what() << '\n';
    return exit_invalid;
  }
  std::string error;
  scenario::shard_spec shard;
  if (!f.shard.empty()) {
    const auto s = scenario::parse_shard(f.shard, error);
    if (!s) {
      std::cerr << "eachare-sim: " << error << '\n';
      return exit_invalid;
    }
    shard = *s;
  }
  class_run run;
  run.file = &cf;
  run.flags = &f;
  run.info.class_file = f.class_file;
  run.info.ep = f.ep != 0 ? f.ep : cf.ep.value_or(3);
  run.info.timeout_s = f.timeout_s > 0 ? f.timeout_s : cf.timeout_s.value_or(default_timeout_s);
  run.info.shard = shard;
  for (const auto& s : cf.students) run.info.students.push_back(s.name);
  if (f.files.empty()) {
    run.info.scenarios = grading_set(run.info.ep);
    if (run.info.scenarios.empty()) {
      std::cerr << "eachare-sim: no grading set scenarios/grading/ep" << run.info.ep
                << " in the working directory or the source tree; give scenario files\n";
      return exit_invalid;
    }
  } else {
    bool bad = false;
    for (const auto& file : f.files) {
      try {
        (void)scenario::load_file(file);
      } catch (const scenario::scenario_error& e) {
        std::cerr << e.what() << '\n';
        bad = true;
      }
      run.info.scenarios.push_back(fs::absolute(file).lexically_normal().string());
    }
    if (bad) return exit_invalid;
  }
  run.info.labels = scenario_labels(run.info.scenarios);
  run.pairs = class_pairs(run.info.students.size(), run.info.scenarios.size(), shard);
  const unsigned jobs = std::max<unsigned>(
      1, std::min<unsigned>(f.jobs > 0 ? f.jobs : default_jobs(),
                            static_cast<unsigned>(std::max<std::size_t>(1, run.pairs.size()))));
  const unsigned long last_port = static_cast<unsigned long>(f.port_base) +
                                  static_cast<unsigned long>(jobs) * f.ports_per_job - 1;
  if (last_port > 65535) {
    std::cerr << "eachare-sim: --jobs " << jobs << " x --ports-per-job " << f.ports_per_job
              << " ports from --port-base " << f.port_base << " go past port 65535\n";
    return exit_invalid;
  }
  if (last_port >= ephemeral_start() && !f.quiet) {
    std::cerr << "eachare-sim: warning: the children's ports (" << f.port_base << "-" << last_port
              << ") reach the range the kernel gives outgoing connections (from "
              << ephemeral_start() << "), so a port may be busy at times\n";
  }
  std::error_code ec;
  fs::create_directories(f.out, ec);
  if (ec || !fs::is_directory(f.out)) {
    std::cerr << "eachare-sim: cannot create the directory " << f.out
              << (ec ? " (" + ec.message() + ")" : std::string(" (not a directory)")) << '\n';
    return exit_invalid;
  }
  run.out = fs::absolute(f.out).lexically_normal();
  run.grader = f.grader.empty() ? this_program() : f.grader;
  {
    std::string pattern = (fs::temp_directory_path(ec) / "eachare-class-XXXXXX").string();
    if (ec || ::mkdtemp(pattern.data()) == nullptr) {
      std::cerr << "eachare-sim: cannot create a temporary directory like " << pattern << '\n';
      return exit_invalid;
    }
    run.scratch = pattern;
  }

  // Leftovers of a killed grader come back to this process, to be killed (children::sweep).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  interrupted.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {};
  struct sigaction old_term {};
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);

  children kids;
  port_slots slots(jobs);
  run.kids = &kids;
  run.slots = &slots;
  class_report rep;
  rep.info = run.info;
  rep.jobs = jobs;
  std::size_t not_graded = 0;
  progress_bar bar(run.pairs.size(), ::isatty(STDERR_FILENO) == 1 && !f.quiet, "gradings",
                   "not graded");
  if (!f.quiet) {
    std::cout << "grading " << cf.students.size() << " submissions x " << run.info.scenarios.size()
              << " scenario files = " << run.info.pairs() << " gradings"
              << (shard.whole()
                      ? std::string()
                      : ", shard " + shard.text() + ": " + std::to_string(run.pairs.size()))
              << ", --jobs " << jobs << ", at most " << seconds_text(run.info.timeout_s)
              << " s each\n";
    std::cout.flush();
  }
  const auto t0 = steady::now();
  const std::function<grading_result(std::size_t)> work = [&](std::size_t i) {
    return grade_one(run, i);
  };
  const std::function<void(std::size_t, grading_result &&)> deliver = [&](std::size_t,
                                                                          grading_result&& r) {
    not_graded += r.status == grading_status::graded ? 0 : 1;
    rep.results.push_back(std::move(r));
  };
  const std::function<void(std::size_t)> tick = [&](std::size_t done) {
    bar.update(done, not_graded);
  };
  int rc = exit_ok;
  try {
    run_ordered<grading_result>(run.pairs.size(), jobs, work, deliver, tick);
  } catch (const std::exception& e) {
    bar.clear();
    std::cerr << "eachare-sim: grading stopped with an error: " << e.what() << '\n';
    rc = exit_invalid;
  }
  bar.clear();
  kids.sweep(std::chrono::milliseconds(5000));
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  if (f.keep) {
    std::cerr << "eachare-sim: kept the graders' temporary directories in " << run.scratch.string()
              << '\n';
  } else {
    fs::remove_all(run.scratch, ec);
  }
  if (rc != exit_ok) return rc;
  rep.wall_seconds = std::chrono::duration<double>(steady::now() - t0).count();

  const auto table = build_table(rep);
  print_summary(table, f.quiet);
  const auto stem = report_stem(shard);
  if (!write_outputs(run.out, stem, rep, table)) return exit_invalid;
  if (!f.quiet) {
    char line[200];
    std::snprintf(line, sizeof line, "%zu gradings in %.1f s of wall time with --jobs %u\n",
                  run.pairs.size(), rep.wall_seconds, jobs);
    std::cout << line << "wrote " << (run.out / (stem + ".csv")).string() << ", "
              << (run.out / (stem + ".html")).string() << ", "
              << (run.out / (stem + ".json")).string() << '\n';
  }
  if (interrupted.load()) {
    std::cerr << "eachare-sim: interrupted\n";
    return 1;
  }
  // A shard's verdict is its rows' so far; the merged table gives the class's.
  return class_exit_code(table);
}

int merge_class(const std::vector<std::string>& reports, const std::string& out_dir, bool quiet) {
  std::vector<class_report_file> files;
  for (const auto& path : reports) {
    bool ok = false;
    auto text = read_file(path, ok);
    if (!ok) {
      std::cerr << "eachare-sim: cannot read " << path << '\n';
      return exit_invalid;
    }
    files.push_back({path, std::move(text)});
  }
  const std::string dir =
      !out_dir.empty() ? out_dir : fs::absolute(fs::path(reports.front())).parent_path().string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    std::cerr << "eachare-sim: cannot create the directory " << dir << '\n';
    return exit_invalid;
  }
  std::vector<std::string> errors;
  const auto merged = merge_class_reports(files, dir, errors);
  if (!merged) {
    for (const auto& e : errors) std::cerr << "eachare-sim merge: " << e << '\n';
    return exit_invalid;
  }
  const auto table = build_table(*merged);
  print_summary(table, quiet);
  if (!write_outputs(dir, "class", *merged, table)) return exit_invalid;
  if (!quiet) {
    std::cout << "wrote " << (fs::path(dir) / "class.csv").string() << ", "
              << (fs::path(dir) / "class.html").string() << ", "
              << (fs::path(dir) / "class.json").string() << '\n';
  }
  return class_exit_code(table);
}

}  // namespace eachare::cli
