// checkers: the scenario checks as online state machines fed by the world's trace —
// lamport_order, discovery_convergence, download_integrity, peer_state. Each keeps only what it
// needs (a clock per node, pending downloads), so a 100,000-peer run checks without storing its
// trace, and each remembers the FIRST violation with its virtual time, peers and clocks.
//
// Threading rule: single-threaded; listeners run inside trace::emit() on the simulation thread,
// and finish() after the run.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/protocol/lamport_clock.hpp"
#include "sim/peer_world.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/trace.hpp"

namespace eachare::scenario {

struct check_result {
  std::string name;  // "lamport_order", "peer_state p0 @ 8000 ms", ...
  check_kind kind = check_kind::lamport_order;
  bool passed = true;
  std::string figure;     // the headline number, e.g. "converged at 8.4 s virtual"
  std::string violation;  // the first violation, one line (empty when passed)
  std::optional<duration> violation_time;
  // Where the first violation happened, for pictures (sim/scenario/html_report.hpp): the node it
  // happened at first, then any other node it names; and the exchange it happened on (0: none).
  std::vector<sim::node_id> violation_nodes;
  std::uint64_t violation_message_id = 0;
  // Further lines for people, printed under the check (download_integrity: per download, which
  // holders supplied how many chunks).
  std::vector<std::string> notes;
};

// "12.345 s" (trailing zeros trimmed, at least one decimal).
std::string seconds_text(duration d);

// Peer names for messages: node ids are scenario peer indexes (the runner adds peers in order);
// an address that belongs to no scenario peer (e.g. an injected origin) prints as itself.
class peer_names {
 public:
  peer_names(const scenario& s, const sim::peer_world& w) : scenario_(&s), world_(&w) {}
  std::string node(sim::node_id n) const;
  std::string address(peer_id p) const;
  // A time as check texts print it: "2.9 s virtual" in virtual time, "2.9 s" in a real-time run
  // (peer_world::time_kind() "wall-clock", where the time is the wall clock since the start).
  std::string when_text(duration t) const;

 private:
  const scenario* scenario_;
  const sim::peer_world* world_;
};

class checker : public sim::trace_listener {
 public:
  explicit checker(std::string name) : name_(std::move(name)) {}
  const std::string& name() const { return name_; }
  void on_trace_event(const sim::trace_event&) override {}
  // After the run (world at duration_ms).
  virtual check_result finish(sim::peer_world& w) = 0;

 protected:
  std::string name_;
};

// Every receive obeys the scenario's clock rule (ep 2/3: max(local, received) + 1, which also
// puts the receiver's clock above the send clock; ep 1: local + 1), every send is local + 1, and
// each node's clock strictly increases from event to event (reset to 0 on restart).
class lamport_order_checker final : public checker {
 public:
  lamport_order_checker(const scenario& s, const peer_names& names);
  void on_trace_event(const sim::trace_event& e) override;
  check_result finish(sim::peer_world& w) override;

 private:
  void violate(const sim::trace_event& e, std::string what);

  clock_rule rule_;
  const peer_names* names_;
  std::vector<std::uint64_t> last_;  // per node: clock after its last traced clock change
  std::uint64_t sends_ = 0;
  std::uint64_t receives_ = 0;
  std::optional<duration> first_time_;
  std::string first_;
  sim::node_id first_node_ = sim::no_node;
  std::uint64_t first_message_id_ = 0;
};

// Within `within` of the last heal (or of 0), a moment when every live peer lists every other
// live peer ONLINE. Reads the world's O(1) tracker; on failure names a peer and what it misses.
class discovery_convergence_checker final : public checker {
 public:
  discovery_convergence_checker(const check_spec& c, const peer_names& names);
  check_result finish(sim::peer_world& w) override;

 private:
  duration within_;
  const peer_names* names_;
};

// Every requested download completes, byte-identical to the scenario file; a failed one leaves
// nothing under its name. Downloads of a node that crashes before they finish are abandoned (not
// counted). The runner reports each download it issues with requested().
class download_integrity_checker final : public checker {
 public:
  download_integrity_checker(const scenario& s, const peer_names& names, sim::peer_world& w);
  void requested(sim::node_id n, const std::string& file, duration at);
  void on_trace_event(const sim::trace_event& e) override;
  check_result finish(sim::peer_world& w) override;

 private:
  struct pending {
    std::string file;
    duration requested_at{0};
    bool started = false;
    std::vector<std::pair<peer_id, std::uint64_t>> chunks_from;  // FILE replies, per holder
  };
  // A node's last search, to say why a later download found no row.
  struct last_search {
    bool searched = false;
    duration at{0};
    std::size_t online = 0;  // ONLINE peers in its table when it searched
    std::optional<std::uint64_t> rows;
  };
  void violate(duration t, std::string what, sim::node_id n);
  void verify_file(sim::node_id n, const std::string& file, duration t, bool completed);
  std::string why_no_row(sim::node_id n) const;
  void note_download(sim::node_id n, const pending& p, bool completed);

  const scenario* scenario_;
  const peer_names* names_;
  sim::peer_world* world_;
  std::vector<std::deque<pending>> pending_;  // per node, in request order
  std::vector<bool> last_command_was_download_;
  std::vector<last_search> searches_;
  std::vector<std::string> notes_;
  std::uint64_t notes_left_out_ = 0;
  std::uint64_t requested_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t identical_ = 0;  // completed and byte-identical to the source
  std::uint64_t abandoned_ = 0;
  std::uint64_t bytes_verified_ = 0;
  std::optional<duration> first_time_;
  std::string first_;
  sim::node_id first_node_ = sim::no_node;
};

// At `at`, `peer`'s table lists each named peer with the expected status (or not at all for
// ABSENT). The runner calls evaluate() at that virtual time.
class peer_state_checker final : public checker {
 public:
  peer_state_checker(const check_spec& c, const scenario& s, const peer_names& names);
  void evaluate(const sim::peer_world& w);
  check_result finish(sim::peer_world& w) override;
  duration at() const { return spec_.at; }

 private:
  check_spec spec_;
  const peer_names* names_;
  bool evaluated_ = false;
  bool passed_ = false;
  std::string figure_;
  std::string violation_;
  std::vector<sim::node_id> violation_nodes_;
};

}  // namespace eachare::scenario
