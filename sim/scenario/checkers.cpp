#include "sim/scenario/checkers.hpp"

#include <algorithm>
#include <string_view>

#include "node/core/errors.hpp"

namespace eachare::scenario {

std::string seconds_text(duration d) {
  const auto ns = d.count();
  // Millisecond resolution is what people read; keep a decimal so "8.0 s" looks like a time.
  const auto ms = ns / 1'000'000;
  std::string out = std::to_string(ms / 1000) + ".";
  auto frac = std::to_string(ms % 1000);
  frac.insert(0, 3 - frac.size(), '0');
  while (frac.size() > 1 && frac.back() == '0') frac.pop_back();
  return out + frac + " s";
}

std::string peer_names::node(sim::node_id n) const {
  if (n < scenario_->peers.size()) return scenario_->peers[n].name;
  return n == sim::no_node ? "(outside client)" : "node " + std::to_string(n);
}

std::string peer_names::address(peer_id p) const {
  if (p == no_peer) return "(unknown)";
  const auto& text = world_->book().name(p);
  if (auto n = world_->find(text)) return node(*n);
  return text;
}

std::string peer_names::when_text(duration t) const {
  std::string text = seconds_text(t);
  if (world_->time_kind() == sim::virtual_time) text += " virtual";
  return text;
}

namespace {

std::string type_text(const sim::trace_event& e) {
  return e.has_type ? std::string(to_string(e.type)) : std::string("a message");
}

}  // namespace

// -- lamport_order --------------------------------------------------------------------------------

lamport_order_checker::lamport_order_checker(const scenario& s, const peer_names& names)
    : checker("lamport_order"),
      rule_(clock_rule_for_ep(s.ep)),
      names_(&names),
      last_(s.peers.size(), 0) {}

void lamport_order_checker::violate(const sim::trace_event& e, std::string what) {
  if (first_time_) return;
  first_time_ = e.time;
  first_ = "at " + names_->when_text(e.time) + ": " + what;
  first_node_ = e.node;
  first_message_id_ = e.message_id;
}

void lamport_order_checker::on_trace_event(const sim::trace_event& e) {
  if (e.node == sim::no_node) return;
  if (e.node >= last_.size()) last_.resize(e.node + 1, 0);
  auto& last = last_[e.node];
  switch (e.kind) {
    case sim::trace_kind::started:
    case sim::trace_kind::restarted:
      last = 0;  // a new incarnation starts its clock at 0
      break;
    case sim::trace_kind::late_reply:
      // At the responder (sender_clock set): the reply to a duplicate or an injected line,
      // which ticked its clock but goes nowhere. At the requester (no clock): nothing changed.
      if (e.sender_clock == 0) break;
      [[fallthrough]];
    case sim::trace_kind::sent:
    case sim::trace_kind::reply_sent: {
      ++sends_;
      const auto c = e.sender_clock;
      if (c != last + 1) {
        violate(e, names_->node(e.node) + " sent " + type_text(e) + " to " +
                       names_->address(e.peer) + " with clock " + std::to_string(c) +
                       " after clock " + std::to_string(last) +
                       " (a send adds exactly 1: " + std::to_string(last + 1) + ")");
      }
      last = std::max(last, c);
      break;
    }
    case sim::trace_kind::received:
    case sim::trace_kind::reply_received: {
      ++receives_;
      const auto s = e.sender_clock;
      const auto c = e.clock;
      const bool max_rule = rule_ == clock_rule::max_plus_one;
      const auto expected = (max_rule ? std::max(last, s) : last) + 1;
      if (c != expected || c <= last) {
        std::string why = max_rule ? "max(" + std::to_string(last) + ", " + std::to_string(s) +
                                         ") + 1 = " + std::to_string(expected)
                                   : std::to_string(last) + " + 1 = " + std::to_string(expected);
        violate(e, names_->node(e.node) + " received " + type_text(e) + " from " +
                       names_->address(e.peer) + " carrying clock " + std::to_string(s) +
                       "; its clock went " + std::to_string(last) + " -> " + std::to_string(c) +
                       " (the rule needs " + why + ")");
      }
      last = std::max(last, c);
      break;
    }
    default:
      break;
  }
}

check_result lamport_order_checker::finish(sim::peer_world& w) {
  check_result r;
  r.name = name_;
  r.kind = check_kind::lamport_order;
  r.figure =
      std::to_string(sends_) + " sends and " + std::to_string(receives_) + " receives checked";
  // A check with nothing to check does not pass: it says so and fails.
  if (!first_time_ && sends_ + receives_ == 0) {
    r.figure += ": nothing to check, no peer sent or received a message";
    first_time_ = w.now();
    first_ = "at " + names_->when_text(w.now()) +
             ": nothing to check: no peer sent or received a message";
  }
  r.passed = !first_time_;
  r.violation = first_;
  r.violation_time = first_time_;
  if (first_node_ != sim::no_node) r.violation_nodes.push_back(first_node_);
  r.violation_message_id = first_message_id_;
  return r;
}

// -- discovery_convergence -----------------------------------------------------------------------

discovery_convergence_checker::discovery_convergence_checker(const check_spec& c,
                                                             const peer_names& names)
    : checker("discovery_convergence"), within_(c.within), names_(&names) {}

check_result discovery_convergence_checker::finish(sim::peer_world& w) {
  check_result r;
  r.name = name_;
  r.kind = check_kind::discovery_convergence;
  const auto& t = w.convergence();
  const auto mark = t.mark_time();
  const std::string from =
      mark.count() == 0 ? std::string("the start") : "the last heal at " + seconds_text(mark);
  const auto first = t.first_since_mark();
  if (first && *first - mark <= within_) {
    r.passed = true;
    r.figure = "converged at " + names_->when_text(*first) + " (" + seconds_text(*first - mark) +
               " after " + from + ", bound " + seconds_text(within_) + ")";
    return r;
  }
  r.passed = false;
  if (first) {
    r.figure = "converged at " + names_->when_text(*first) + ", " + seconds_text(*first - mark) +
               " after " + from + ": over the bound of " + seconds_text(within_);
    r.violation = "at " + names_->when_text(mark + within_) +
                  ": the peers had not converged yet. Every live peer listed every other "
                  "live peer ONLINE only at " +
                  names_->when_text(*first) + ", " + seconds_text(*first - mark) + " after " +
                  from + ", but within_ms allows " + seconds_text(within_) + ".";
    r.violation_time = mark + within_;
    return r;
  }
  r.figure = "not converged: " + std::to_string(t.satisfied_count()) + " of " +
             std::to_string(t.live_count()) + " live peers list every other live peer ONLINE at " +
             seconds_text(w.now());
  // Name one live peer and one live peer it does not list ONLINE: the first gap in node order.
  std::string gap;
  for (sim::node_id n = 0; n < w.node_count() && gap.empty(); ++n) {
    if (!w.is_live(n)) continue;
    const auto* table = w.table(n);
    if (table == nullptr) continue;
    for (sim::node_id m = 0; m < w.node_count(); ++m) {
      if (m == n || !w.is_live(m)) continue;
      const auto* rec = table->find(w.address_id(m));
      if (rec == nullptr || rec->status != peer_status::online) {
        r.violation_nodes = {n, m};
        gap = names_->node(n) + " lists " + names_->node(m) + " as " +
              (rec == nullptr ? std::string("unknown") : std::string(to_string(rec->status)));
        break;
      }
    }
  }
  r.violation = "no moment within " + seconds_text(within_) + " of " + from +
                " when every live peer listed every other live peer ONLINE" +
                (gap.empty() ? std::string() : "; at the end " + gap);
  r.violation_time = mark + within_;
  return r;
}

// -- download_integrity ---------------------------------------------------------------------------

download_integrity_checker::download_integrity_checker(const scenario& s, const peer_names& names,
                                                       sim::peer_world& w)
    : checker("download_integrity"),
      scenario_(&s),
      names_(&names),
      world_(&w),
      pending_(s.peers.size()),
      last_command_was_download_(s.peers.size(), false),
      searches_(s.peers.size()) {}

namespace {
// Per-download notes in a summary: enough to read, bounded at scale.
constexpr std::size_t max_download_notes = 20;
}  // namespace

std::string download_integrity_checker::why_no_row(sim::node_id n) const {
  const auto who = names_->node(n);
  const auto& s = searches_[n];
  if (!s.searched) return "; " + who + " had not searched before it";
  if (s.online == 0) {
    return "; when " + who + " searched at " + names_->when_text(s.at) +
           " it knew no ONLINE peer, so its search asked nobody";
  }
  const std::string asked = "; " + who + "'s search at " + names_->when_text(s.at) + " asked " +
                            std::to_string(s.online) + " ONLINE peer" + (s.online == 1 ? "" : "s");
  if (!s.rows) return asked + " and had not finished";
  if (*s.rows == 0) return asked + " and found no file";
  return asked + " and found " + std::to_string(*s.rows) + " other file" +
         (*s.rows == 1 ? "" : "s");
}

void download_integrity_checker::note_download(sim::node_id n, const pending& p, bool completed) {
  if (notes_.size() >= max_download_notes) {
    ++notes_left_out_;
    return;
  }
  std::string text =
      names_->node(n) + " " + (completed ? "downloaded " : "failed to download ") + p.file + ": ";
  if (p.chunks_from.empty()) {
    text += "no chunk arrived";
  } else {
    for (std::size_t i = 0; i < p.chunks_from.size(); ++i) {
      const auto [holder, count] = p.chunks_from[i];
      text += (i > 0 ? ", " : "") + std::to_string(count) +
              (i == 0 ? (count == 1 ? " chunk from " : " chunks from ") : " from ") +
              names_->address(holder);
    }
  }
  notes_.push_back(std::move(text));
}

void download_integrity_checker::violate(duration t, std::string what, sim::node_id n) {
  if (first_time_) return;
  first_time_ = t;
  first_ = "at " + names_->when_text(t) + ": " + what;
  first_node_ = n;
}

void download_integrity_checker::requested(sim::node_id n, const std::string& file, duration at) {
  pending_[n].push_back({file, at, false, {}});
  ++requested_;
}

void download_integrity_checker::verify_file(sim::node_id n, const std::string& file, duration t,
                                             bool completed) {
  const file_spec* source = nullptr;
  for (const auto& f : scenario_->files) {
    if (f.name == file) source = &f;
  }
  const auto got = world_->shared_file(n, file);
  const bool held_initially =
      source != nullptr && std::find(source->on.begin(), source->on.end(), n) != source->on.end();
  if (!completed) {
    if (got && !held_initially) {
      violate(t,
              names_->node(n) + "'s failed download of " + file + " left a file of " +
                  std::to_string(got->size()) + " bytes under its name",
              n);
    }
    return;
  }
  if (!got) {
    violate(t, names_->node(n) + " finished downloading " + file + " but has no such file", n);
    return;
  }
  if (source == nullptr) {
    violate(t, names_->node(n) + " downloaded " + file + ", which no scenario peer shares", n);
    return;
  }
  const auto expected = world_->file_content_for(sim::file_spec{source->name, source->size});
  if (*got != *expected) {
    std::size_t at = 0;
    while (at < got->size() && at < expected->size() && (*got)[at] == (*expected)[at]) ++at;
    violate(t,
            names_->node(n) + "'s copy of " + file + " differs from the source: " +
                std::to_string(got->size()) + " bytes vs " + std::to_string(expected->size()) +
                ", first difference at byte " + std::to_string(at),
            n);
    return;
  }
  ++identical_;
  bytes_verified_ += got->size();
}

void download_integrity_checker::on_trace_event(const sim::trace_event& e) {
  if (e.node == sim::no_node || e.node >= pending_.size()) return;
  auto& q = pending_[e.node];
  switch (e.kind) {
    case sim::trace_kind::command:
      last_command_was_download_[e.node] = e.value == eachare::command(cmd_download{}).index();
      if (e.value == eachare::command(cmd_search{}).index()) {
        auto& s = searches_[e.node];
        s.searched = true;
        s.at = e.time;
        const auto* node = world_->node(e.node);
        s.online = node != nullptr ? node->peers().online_count() : 0;
        s.rows.reset();
      }
      break;
    case sim::trace_kind::search_results:
      searches_[e.node].rows = e.value;
      break;
    case sim::trace_kind::reply_received:
      if (e.has_type && e.type == message_type::file) {
        // Attributed to the node's oldest running download (one at a time in every scenario).
        auto it = std::find_if(q.begin(), q.end(), [](const pending& p) { return p.started; });
        if (it != q.end()) {
          auto from = std::find_if(it->chunks_from.begin(), it->chunks_from.end(),
                                   [&](const auto& c) { return c.first == e.peer; });
          if (from == it->chunks_from.end()) {
            it->chunks_from.emplace_back(e.peer, 1);
          } else {
            ++from->second;
          }
        }
      }
      break;
    case sim::trace_kind::command_refused:
      if (last_command_was_download_[e.node]) {
        auto it = std::find_if(q.begin(), q.end(), [](const pending& p) { return !p.started; });
        if (it != q.end()) {
          violate(e.time,
                  names_->node(e.node) + "'s download of " + it->file + " (requested at " +
                      seconds_text(it->requested_at) + ") was refused: " + std::string(e.detail) +
                      why_no_row(e.node),
                  e.node);
          q.erase(it);
        }
      }
      last_command_was_download_[e.node] = false;
      break;
    case sim::trace_kind::download_started: {
      auto it = std::find_if(q.begin(), q.end(),
                             [&](const pending& p) { return !p.started && p.file == e.detail; });
      if (it != q.end()) it->started = true;
      last_command_was_download_[e.node] = false;
      break;
    }
    case sim::trace_kind::download_finished: {
      const bool completed = e.value == 0;
      const std::string file(e.detail);
      auto it = std::find_if(q.begin(), q.end(),
                             [&](const pending& p) { return p.started && p.file == file; });
      if (it != q.end()) {
        note_download(e.node, *it, completed);
        q.erase(it);
      }
      if (completed) {
        ++completed_;
      } else {
        violate(e.time, names_->node(e.node) + "'s download of " + file + " failed", e.node);
      }
      verify_file(e.node, file, e.time, completed);
      break;
    }
    case sim::trace_kind::crashed:
    case sim::trace_kind::restarted:
      abandoned_ += q.size();
      q.clear();
      break;
    default:
      break;
  }
}

check_result download_integrity_checker::finish(sim::peer_world& w) {
  for (sim::node_id n = 0; n < pending_.size(); ++n) {
    for (const auto& p : pending_[n]) {
      violate(w.now(),
              names_->node(n) + "'s download of " + p.file + " (requested at " +
                  seconds_text(p.requested_at) + ") never finished",
              n);
    }
  }
  check_result r;
  r.name = name_;
  r.kind = check_kind::download_integrity;
  r.passed = !first_time_;
  // "complete and identical" only when both hold for every completed download: a completed
  // download whose bytes differ must not read as a good one in the figure.
  r.figure = identical_ == completed_
                 ? std::to_string(completed_) + " of " + std::to_string(requested_) +
                       " downloads complete and identical"
                 : std::to_string(completed_) + " of " + std::to_string(requested_) +
                       " downloads complete, " + std::to_string(identical_) + " identical";
  r.figure += " (" + std::to_string(bytes_verified_) + " bytes)";
  if (abandoned_ > 0) r.figure += ", " + std::to_string(abandoned_) + " abandoned by a crash";
  // A check with nothing to check does not pass: it says so and fails.
  if (!first_time_ && requested_ == abandoned_) {
    const std::string why = requested_ == 0 ? "no download reached a running peer"
                                            : "every requested download was abandoned by a crash";
    r.figure += ": nothing to check, " + why;
    first_time_ = w.now();
    first_ = "at " + names_->when_text(w.now()) + ": nothing to check: " + why;
  }
  r.passed = !first_time_;
  r.violation = first_;
  r.violation_time = first_time_;
  r.notes = notes_;
  if (notes_left_out_ > 0) {
    r.notes.push_back("(" + std::to_string(notes_left_out_) + " more downloads not listed)");
  }
  if (first_node_ != sim::no_node) r.violation_nodes.push_back(first_node_);
  return r;
}

// -- peer_state -----------------------------------------------------------------------------------

namespace {

std::string expected_text(expected_status s) {
  switch (s) {
    case expected_status::online:
      return "ONLINE";
    case expected_status::offline:
      return "OFFLINE";
    case expected_status::absent:
      return "ABSENT";
  }
  return "?";
}

std::string ms_label(duration d) {
  const auto ns = d.count();
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + " ms";
  return seconds_text(d);
}

}  // namespace

peer_state_checker::peer_state_checker(const check_spec& c, const scenario& s,
                                       const peer_names& names)
    : checker("peer_state " + s.peers[c.peer].name + " @ " + ms_label(c.at)),
      spec_(c),
      names_(&names) {}

void peer_state_checker::evaluate(const sim::peer_world& w) {
  evaluated_ = true;
  const auto* table = w.table(spec_.peer);
  const auto who = names_->node(spec_.peer);
  if (table == nullptr) {
    passed_ = false;
    violation_ = "at " + names_->when_text(w.now()) + ": " + who + " was never started";
    figure_ = who + " has no table";
    return;
  }
  std::size_t ok = 0;
  for (const auto& k : spec_.knows) {
    const auto* rec = table->find(w.address_id(k.peer));
    const expected_status got =
        rec == nullptr ? expected_status::absent
                       : (rec->status == peer_status::online ? expected_status::online
                                                             : expected_status::offline);
    if (got == k.status) {
      ++ok;
    } else if (violation_.empty()) {
      violation_nodes_ = {spec_.peer, k.peer};
      violation_ = "at " + names_->when_text(w.now()) + ": " + who + " lists " +
                   names_->node(k.peer) + " as " + expected_text(got) + ", expected " +
                   expected_text(k.status) + " (" + who + "'s clock " +
                   std::to_string(w.clock(spec_.peer)) + ", status " +
                   std::string(sim::to_string(w.status(spec_.peer))) + ")";
    }
  }
  passed_ = ok == spec_.knows.size();
  figure_ = std::to_string(ok) + " of " + std::to_string(spec_.knows.size()) +
            " entries as expected at " + seconds_text(spec_.at);
}

check_result peer_state_checker::finish(sim::peer_world& w) {
  if (!evaluated_) evaluate(w);
  check_result r;
  r.name = name_;
  r.kind = check_kind::peer_state;
  r.passed = passed_;
  r.figure = figure_;
  r.violation = violation_;
  if (!passed_) {
    r.violation_time = spec_.at;
    r.violation_nodes = violation_nodes_;
    if (r.violation_nodes.empty()) r.violation_nodes.push_back(spec_.peer);
  }
  return r;
}

}  // namespace eachare::scenario
