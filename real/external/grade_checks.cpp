#include "real/external/grade_checks.hpp"

#include <algorithm>
#include <map>

#include "node/protocol/codec.hpp"
#include "node/protocol/message.hpp"

namespace eachare::external {

namespace {

// A wire line as quoted in a violation: cut, bytes escaped.
std::string quote_wire(const wire_line& w) {
  return "at " + seconds(w.time) + ", " + w.from + " -> " + w.to + ": \"" +
         escape_bytes(w.line, 160) + "\"";
}

// How far apart two stamps on different consoles must be to be ordered for sure.
constexpr duration clock_skew_margin = std::chrono::milliseconds(250);

std::string expected_reply(const message& req) {
  return std::string(to_string(reply_type_for(req.type())));
}

}  // namespace

std::vector<grade_check> check_wire(const std::vector<wire_line>& lines, const std::string& self,
                                    int ep) {
  grade_check syntax{"wire: syntax", true, 0, {}, {}};
  grade_check rising{"wire: clock rising", true, 0, {}, {}};
  grade_check maxplus{"wire: max+1 after what it received", true, 0, {}, {}};
  grade_check matches{"wire: reply matches request", true, 0, {}, {}};

  std::vector<const wire_line*> sorted;
  for (const auto& w : lines) sorted.push_back(&w);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const wire_line* a, const wire_line* b) { return a->time < b->time; });

  // Lines from the program, by observation time, for "certainly sent before" comparisons.
  std::vector<const wire_line*> from_self;
  for (const wire_line* w : sorted) {
    if (w->from == self) from_self.push_back(w);
  }
  for (const wire_line* w : sorted) {
    if (w->from != self) continue;
    ++syntax.examined;
    message m;
    const auto st = decode(w->line, m);
    if (!st.ok()) {
      syntax.violations.push_back({w->time, "does not parse (" + std::string(to_string(st.error)) +
                                                (st.detail.empty() ? "" : ": " + st.detail) +
                                                "): " + quote_wire(*w)});
      continue;
    }
    if (m.origin != self) {
      syntax.violations.push_back(
          {w->time, "ORIGIN is " + m.origin + ", not its address " + self + ": " + quote_wire(*w)});
    }
    // Clock rising: above every line of its we had seen before it certainly sent this one
    // (lines on concurrent connections may arrive in another order than they were sent).
    // Its console and ours are stamped by different threads (a pseudo-terminal read, our own
    // print): only what happened a skew margin before counts as certainly before.
    const duration after =
        w->sent_after.value_or(w->time - std::chrono::seconds(1)) - clock_skew_margin;
    ++rising.examined;
    {
      const wire_line* worst = nullptr;
      std::uint64_t worst_clock = 0;
      for (const wire_line* prev : from_self) {
        if (prev->time >= after || prev == w) continue;
        message pm;
        if (!decode(prev->line, pm).ok()) continue;
        if (pm.clock >= m.clock && (worst == nullptr || pm.clock > worst_clock)) {
          worst = prev;
          worst_clock = pm.clock;
        }
      }
      if (worst != nullptr) {
        rising.violations.push_back(
            {w->time, "clock " + std::to_string(m.clock) + " is not above the " +
                          std::to_string(worst_clock) + " of an earlier line (" +
                          quote_wire(*worst) + "): " + quote_wire(*w)});
      }
    }
    // Reply matches request.
    if (w->reply) {
      ++matches.examined;
      message req;
      if (!decode(w->request, req).ok()) {
        // Our request always decodes; nothing to compare against otherwise.
      } else if (!expects_reply(req.type())) {
        matches.violations.push_back({w->time, "a reply to " + std::string(to_string(req.type())) +
                                                   ", which takes none: " + quote_wire(*w)});
      } else if (m.type() != reply_type_for(req.type())) {
        matches.violations.push_back({w->time, "answered \"" + escape_bytes(w->request, 120) +
                                                   "\" with " + std::string(to_string(m.type())) +
                                                   " instead of " + expected_reply(req) + ": " +
                                                   quote_wire(*w)});
      } else if (req.type() == message_type::dl) {
        const auto& d = std::get<dl_body>(req.body);
        const auto& f = std::get<file_body>(m.body);
        if (f.name != d.name || f.chunk_index != d.chunk_index) {
          matches.violations.push_back(
              {w->time, "answered DL " + d.name + " chunk " + std::to_string(d.chunk_index) +
                            " with FILE " + f.name + " chunk " + std::to_string(f.chunk_index) +
                            ": " + quote_wire(*w)});
        }
      }
      // Part 2/3: the reply's clock is above the request's + 1 (max+1 on receive, +1 to send).
      if (ep != 1) {
        message req2;
        if (decode(w->request, req2).ok()) {
          ++maxplus.examined;
          if (m.clock < req2.clock + 2) {
            maxplus.violations.push_back(
                {w->time, "its reply carries clock " + std::to_string(m.clock) +
                              " but the request it answers carried " + std::to_string(req2.clock) +
                              " (max+1 on receive, +1 to send: at " + "least " +
                              std::to_string(req2.clock + 2) + "): " + quote_wire(*w)});
            continue;
          }
        }
      }
    }
    // Part 2/3: above every clock it had certainly handled before sending this line.
    if (ep != 1) {
      const wire_line* worst = nullptr;
      std::uint64_t worst_clock = 0;
      for (const wire_line* in : sorted) {
        if (in->to != self || !in->handled_by || *in->handled_by >= after) continue;
        message got;
        if (!decode(in->line, got).ok()) continue;
        if (got.clock >= m.clock && (worst == nullptr || got.clock > worst_clock)) {
          worst = in;
          worst_clock = got.clock;
        }
      }
      ++maxplus.examined;
      if (worst != nullptr) {
        maxplus.violations.push_back(
            {w->time, "sent clock " + std::to_string(m.clock) + " after it had received clock " +
                          std::to_string(worst_clock) + " (" + quote_wire(*worst) +
                          "); max+1 makes it at least " + std::to_string(worst_clock + 2) + ": " +
                          quote_wire(*w)});
      }
    }
  }
  if (ep == 1) {
    maxplus.observable = true;
    maxplus.note = "part 1: the received clock is ignored";
  }
  if (syntax.examined == 0) {
    for (auto* c : {&syntax, &rising}) {
      c->observable = false;
      c->note = "not observable: it sent our peers no line";
    }
  }
  if (matches.examined == 0) {
    matches.observable = false;
    matches.note = "not observable: it answered no request of ours";
  }
  return {syntax, rising, maxplus, matches};
}

std::vector<grade_check> check_console(const std::vector<console_line>& lines, int ep) {
  grade_check clockc{"console: clock per send and receive", true, 0, {}, {}};
  for (auto& v : check_console_clock(lines, ep, &clockc.examined)) {
    clockc.violations.push_back({v.time, v.what});
  }
  if (clockc.examined == 0) {
    clockc.observable = false;
    clockc.note = "not observable: it printed no \"=> Atualizando relogio para\" line";
  }

  grade_check table{"console: peer-table change after each message", true, 0, {}, {}};
  const auto events = parse_console(lines);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.kind != console_kind::request_received && e.kind != console_kind::reply_received) {
      continue;
    }
    ++table.examined;
    // The sender of a request is its ORIGIN; of a reply, the peer the request went to (also its
    // ORIGIN on every well-behaved peer).
    const std::string want = e.type == "BYE" ? "OFFLINE" : "ONLINE";
    const console_event* status = nullptr;
    for (std::size_t j = i + 1; j < events.size(); ++j) {
      const auto& n = events[j];
      if (n.kind == console_kind::request_received || n.kind == console_kind::reply_received ||
          n.kind == console_kind::sending) {
        break;
      }
      if ((n.kind == console_kind::peer_added || n.kind == console_kind::peer_updated) &&
          n.address == e.origin) {
        status = &n;
        break;
      }
    }
    if (status == nullptr) {
      table.violations.push_back(
          {e.time, "no \"Atualizando peer " + e.origin + " status " + want +
                       "\" (or \"Adicionando novo peer\") after the message (" +
                       quote_console(lines[e.line], e.line) + ")"});
    } else if (status->status != want) {
      table.violations.push_back(
          {status->time, "after \"" + e.message + "\" the peer became " + status->status +
                             ", not " + want + " (" +
                             quote_console(lines[status->line], status->line) + ")"});
    }
  }
  if (table.examined == 0) {
    table.observable = false;
    table.note =
        "not observable: it printed no \"Mensagem recebida\" or \"Resposta recebida\" line";
  }

  grade_check utf8{"console: well-formed text", true, 0, {}, {}};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    ++utf8.examined;
    if (!valid_utf8(lines[i].text)) {
      utf8.violations.push_back(
          {lines[i].time, "invalid UTF-8 (" + quote_console(lines[i], i) + ")"});
    } else if (lines[i].cut) {
      utf8.violations.push_back({lines[i].time, "a console line longer than the line bound, cut (" +
                                                    quote_console(lines[i], i) + ")"});
    }
  }
  return {clockc, table, utf8};
}

std::vector<std::pair<std::string, std::string>> console_table_at(
    const std::vector<console_line>& lines, duration at) {
  std::vector<std::pair<std::string, std::string>> table;
  for (const auto& e : parse_console(lines)) {
    if (e.time > at) break;
    if (e.kind != console_kind::peer_added && e.kind != console_kind::peer_updated) continue;
    auto it = std::find_if(table.begin(), table.end(),
                           [&](const auto& r) { return r.first == e.address; });
    if (it == table.end()) {
      table.emplace_back(e.address, e.status);
    } else {
      it->second = e.status;
    }
  }
  return table;
}

}  // namespace eachare::external
