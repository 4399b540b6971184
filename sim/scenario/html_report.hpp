// html_report: pictures of a run drawn from its trace alone — one self-contained HTML file (inline
// SVG, inline CSS, a few lines of script for hovering; no network fetches) with, per scenario, the
// summary, a space-time diagram, the failing window of the first violation, the convergence plot,
// messages per interval and, for downloads, chunks per holder over time.
//
// A picture_collector is fed one scenario's trace events, either in-process while the scenario
// runs (add(trace_event, address_book)) or from a saved JSON-lines trace (add_json_line), and keeps
// only bounded aggregates: the exchanges (for arrows), per-node markers, a sampled convergence
// curve and counters. Both paths produce the same picture, so a report can be redrawn from a trace
// file without re-running (`eachare-sim report TRACE --report-html F`). The summary comes from the
// scenario's entry of the JSON report (the trace file carries it as its `{"result": ...}` line).
//
// Threading rule: single-threaded; a collector is fed on the simulation thread (it is a trace
// listener's callee) and rendered after the run. Rendering is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "sim/trace.hpp"

namespace eachare::scenario {

struct html_options {
  // Lanes of the space-time diagram chosen by the user (`--diagram-peers`): scenario peer names
  // or addresses. Empty: every peer when there are at most max_lanes, otherwise the peers of the
  // first violation, then the busiest.
  std::vector<std::string> diagram_peers;
  std::size_t max_lanes = 20;
  // Arrows (message legs) drawn in one diagram; a longer run shows the window of this many legs
  // around the first violation (or from the start) and says so.
  std::size_t max_arrows = 2500;
  // Peers beyond which the convergence plot is not computed (it keeps a status per pair).
  std::size_t max_plot_peers = 5000;
};

class picture_collector {
 public:
  explicit picture_collector(html_options options = {});
  ~picture_collector();
  picture_collector(const picture_collector&) = delete;
  picture_collector& operator=(const picture_collector&) = delete;

  // Scenario peer names by node id (lane labels); optional.
  void set_peer_names(std::vector<std::string> names);
  // One event of the running world; `book` names its interned addresses.
  void add(const sim::trace_event& e, const address_book& book);
  // One line of a saved trace (an event object). False when the line is not a trace event.
  bool add_json_line(std::string_view line);

  // The scenario's <section>: `entry_json` is its object of the JSON report (json_report), or
  // "{}" when unknown (a trace without its result line).
  std::string html_section(const std::string& entry_json) const;

 private:
  struct state;
  std::unique_ptr<state> s_;
};

// A scenario's <section> with its summary only, for when there is no trace to draw from
// (`eachare-sim merge` joins JSON reports): `entry_json` as for html_section, `note` (plain text)
// under the summary.
std::string html_summary_section(const std::string& entry_json, const std::string& note);

// The whole document around the sections (title, style, script, table of contents).
std::string html_document(const std::string& title, const std::vector<std::string>& sections);

}  // namespace eachare::scenario
