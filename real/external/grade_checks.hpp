// grade_checks: what the grader checks about ONE external program, from the evidence it leaves —
// the lines it exchanged with our peers on the wire, and its console. Each check returns every
// violation with its time and the line that shows it (quoted), so a student sees what went
// wrong without reading our code; a check whose evidence the program never printed says
// "not observable" instead of passing.
//
// Pure functions over recorded text; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "real/external/console_parser.hpp"
#include "real/external/external_process.hpp"

namespace eachare::external {

// One line that crossed a socket between the graded program and one of our peers.
struct wire_line {
  duration time{0};     // when our side wrote it (to the program) or read it (from it)
  std::string from;     // sender's address (the program's, or our peer's)
  std::string to;       // receiver's address
  std::string line;     // without '\n'
  bool reply = false;   // a reply on the requester's connection
  std::string request;  // reply: the request line it answers
  // Lines TO the program: when the program had certainly handled it (our side read its reply,
  // or the menu step whose reply this was had ended). Unset: unknown.
  std::optional<duration> handled_by;
  // Lines FROM the program: a time it certainly sent the line after (a reply: when it had
  // handled the request; a line it started: when the menu step that sent it began). Unset:
  // unknown (then only lines observed long before are compared).
  std::optional<duration> sent_after;
};

struct grade_violation {
  duration time{0};
  std::string what;  // one sentence with the quoted line and its time
};

struct grade_check {
  std::string name;        // "wire: syntax", "console: clock", ...
  bool observable = true;  // false: the evidence needed was never printed
  std::uint64_t examined = 0;
  std::vector<grade_violation> violations;
  std::string note;  // e.g. why not observable
  bool passed() const { return observable && violations.empty(); }
};

// On the wire, for the program at `self` under part `ep`:
// - syntax: every line it sent decodes (ORIGIN CLOCK TYPE args), its ORIGIN is `self`;
// - clock rising: each line it sent carries a clock above every line of its we saw before it
//   certainly sent this one (lines on concurrent connections arrive in any order);
// - max+1 (ep 2/3): a line it sent after it had handled a line carrying clock c carries more
//   than c (a reply more than its request's clock + 1);
// "Certainly before" allows a skew margin of 250 ms between the program's console stamps and
// ours; the grading scenarios space their steps wider than that.
// - reply matches request: GET_PEERS -> PEER_LIST, LS -> LS_LIST, DL -> FILE for the same name
//   and chunk index; HELLO and BYE get none.
std::vector<grade_check> check_wire(const std::vector<wire_line>& lines, const std::string& self,
                                    int ep);

// On its console: the clock sequence (check_console_clock), and the peer-table line after each
// received message (the sender ONLINE, OFFLINE for BYE), every line well-formed UTF-8.
std::vector<grade_check> check_console(const std::vector<console_line>& lines, int ep);

// The program's table at time `at` as its console tells it (neighbours added, then every
// "Adicionando" / "Atualizando" line up to `at`): address -> status, in insertion order.
std::vector<std::pair<std::string, std::string>> console_table_at(
    const std::vector<console_line>& lines, duration at);

}  // namespace eachare::external
