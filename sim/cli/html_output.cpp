#include "sim/cli/html_output.hpp"

#include <CLI/CLI.hpp>
#include "sim/cli/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/scenario/markup.hpp"

namespace eachare::sim_cli {

namespace {

constexpr int exit_ok = 0;
constexpr int exit_invalid = 2;

using wall = std::chrono::steady_clock;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

scenario::html_options html_flags::options() const {
  scenario::html_options o;
  o.diagram_peers = split_commas(diagram_peers);
  return o;
}

void add_html_flags(CLI::App* cmd, html_flags& f) {
  cmd->add_option("--report-html", f.path,
                  "write one self-contained HTML report (summary, space-time diagram, failing "
                  "window, convergence plot, message rates, downloads) to this file");
  cmd->add_option("--diagram-peers", f.diagram_peers,
                  "peers (names or addresses, comma-separated) drawn as lanes of the space-time "
                  "diagram; default: all up to 20, else the first violation's and the busiest");
}

std::string check_html_path(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string head = "eachare-sim: --report-html: ";
  std::error_code ec;
  if (fs::is_directory(path, ec)) return head + path + " is a directory";
  fs::path parent = fs::path(path).parent_path();
  if (parent.empty()) parent = ".";
  if (!fs::is_directory(parent, ec)) {
    return head + "no directory " + parent.string() + " for " + path;
  }
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return head + "cannot write " + path + " (" + std::strerror(errno) + ")";
  ::close(fd);
  if (!existed) ::unlink(path.c_str());
  return "";
}

std::string stable_entry_json(const scenario::report_entry& e) {
  scenario::report_entry stable = e;
  stable.wall_seconds = 0;
  stable.peak_rss_bytes = 0;
  return scenario::json_entry(stable);
}

void run_picture::begin(const scenario::scenario& s, scenario::run_options& options) {
  if (!on_) return;
  collector_ = std::make_unique<scenario::picture_collector>(options_);
  std::vector<std::string> names;
  names.reserve(s.peers.size());
  for (const auto& p : s.peers) names.push_back(p.name);
  collector_->set_peer_names(std::move(names));
  options.trace_events = [c = collector_.get()](const sim::trace_event& e,
                                                const address_book& book) { c->add(e, book); };
}

void run_picture::end(const scenario::report_entry& e) {
  if (!on_ || !collector_) return;
  const auto t0 = wall::now();
  section = collector_->html_section(stable_entry_json(e));
  collector_.reset();  // its exchanges can be large: freed before the next run
  seconds = std::chrono::duration<double>(wall::now() - t0).count();
}

void html_output::add(run_picture&& p) {
  if (!enabled()) return;
  sections_.push_back(std::move(p.section));
  render_seconds_ += p.seconds;
}

bool html_output::write(const std::string& title) {
  if (!enabled()) return true;
  const auto t0 = wall::now();
  const std::string doc = scenario::html_document(title, sections_);
  const bool ok = eachare::cli::write_output_file(flags_.path, doc);
  bytes_ = doc.size();
  seconds_ = render_seconds_ + std::chrono::duration<double>(wall::now() - t0).count();
  return ok;
}

bool write_summary_report(const std::string& path, const std::vector<scenario::report_entry>& runs,
                          const std::string& sweep_text) {
  const std::string note =
      "No pictures: the JSON reports that merge joins carry no trace. Draw them with the replay "
      "command and --report-html F, or with `eachare-sim report TRACE --report-html F` from a "
      "shard's --trace file.";
  std::vector<std::string> sections;
  sections.reserve(runs.size());
  for (const auto& e : runs) {
    sections.push_back(scenario::html_summary_section(stable_entry_json(e), note));
  }
  if (!sweep_text.empty() && !sections.empty()) {
    sections.front().insert(0,
                            "<section class=\"sweep\"><h2>Sweep</h2>\n<pre class=\"lines\">" +
                                scenario::markup_escape(sweep_text, scenario::control_chars::keep) +
                                "</pre></section>\n");
  }
  return eachare::cli::write_output_file(path,
                                         scenario::html_document("eachare-sim merge", sections));
}

int report_from_traces(const std::vector<std::string>& traces, const html_flags& f) {
  if (f.path.empty()) {
    std::cerr << "eachare-sim: report needs --report-html FILE\n";
    return exit_invalid;
  }
  if (const auto err = check_html_path(f.path); !err.empty()) {
    std::cerr << err << '\n';
    return exit_invalid;
  }
  const auto t0 = wall::now();
  std::vector<std::string> sections;
  std::unique_ptr<scenario::picture_collector> c;
  std::string result = "{}";
  std::vector<std::string> names;
  std::vector<std::string> scenario_names;
  auto flush = [&] {
    if (c) sections.push_back(c->html_section(result));
    c.reset();
    result = "{}";
  };
  for (const auto& path : traces) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "eachare-sim: cannot read " << path << " (" << std::strerror(errno) << ")\n";
      return exit_invalid;
    }
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      if (line.rfind("{\"t_ns\":", 0) == 0) {
        if (!c) c = std::make_unique<scenario::picture_collector>(f.options());
        if (!c->add_json_line(line)) {
          std::cerr << "eachare-sim: " << path << ":" << number << ": not a trace event\n";
          return exit_invalid;
        }
        continue;
      }
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.contains("scenario")) {
        flush();
        scenario_names.push_back(j["scenario"].is_string() ? j["scenario"].get<std::string>() : "");
        c = std::make_unique<scenario::picture_collector>(f.options());
        if (j.contains("peer_names") && j["peer_names"].is_array()) {
          names.clear();
          for (const auto& n : j["peer_names"])
            names.push_back(n.is_string() ? n.get<std::string>() : "");
          c->set_peer_names(names);
        }
      } else if (j.is_object() && j.contains("result") && j["result"].is_object()) {
        result = j["result"].dump();
      } else {
        std::cerr << "eachare-sim: " << path << ":" << number
                  << ": not a line of an eachare-sim trace\n";
        return exit_invalid;
      }
    }
  }
  flush();
  // The same title as `run --report-html` gives, so a redraw is the same file.
  const std::string doc = scenario::html_document(sections.size() == 1 && scenario_names.size() == 1
                                                      ? scenario_names.front()
                                                      : std::string("eachare-sim run"),
                                                  sections);
  if (!eachare::cli::write_output_file(f.path, doc)) return exit_invalid;
  std::cerr << "eachare-sim: wrote " << f.path << " (" << doc.size() << " bytes, "
            << sections.size() << " scenarios, "
            << std::chrono::duration<double>(wall::now() - t0).count() << " s)\n";
  return exit_ok;
}

}  // namespace eachare::sim_cli
