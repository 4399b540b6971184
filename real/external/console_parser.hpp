// console_parser: reads an EACHare program's console (shared/protocol.md §4, §5) — the lines
// that show its clock, what it sends and receives, its peer-table changes and its downloads —
// into structured events, and checks the clock sequence those lines tell. It is how node events
// (clock updates, table changes), which only the program itself knows, reach the grader.
// Pure functions over text; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "real/external/external_process.hpp"

namespace eachare::external {

enum class console_kind : std::uint8_t {
  clock_update,      // => Atualizando relogio para <n>
  sending,           // Encaminhando mensagem "<line>" para <addr>
  request_received,  // Mensagem recebida: "<line>"
  reply_received,    // Resposta recebida: "<line>"
  peer_added,        // Adicionando novo peer <addr> status <S>
  peer_updated,      // Atualizando peer <addr> status <S>
  download_chosen,   // arquivo escolhido <name>
  download_done,     // Download do arquivo <name> finalizado.
};

struct console_event {
  console_kind kind = console_kind::clock_update;
  std::size_t line = 0;  // index of the console line
  duration time{0};
  std::uint64_t clock = 0;  // clock: the new value; sending/received: the message's CLOCK field
  bool has_clock = false;   // sending/received: CLOCK parsed (a FILE preview keeps it)
  std::string message;      // sending/received: the quoted line
  std::string type;         // sending/received: the TYPE field
  std::string origin;       // sending/received: the ORIGIN field
  std::string address;      // sending: destination; peer_*: the peer
  std::string status;       // peer_*: ONLINE / OFFLINE
  std::string name;         // download_*: file name
};

// The event one console line shows, if any (menus, prompts, tables and warnings show none).
std::optional<console_event> parse_console_line(std::string_view text);

// Every event of a console, in order.
std::vector<console_event> parse_console(const std::vector<console_line>& lines);

// One broken rule found on a console, quoting the line that shows it.
struct console_violation {
  duration time{0};
  std::size_t line = 0;
  std::string what;  // one sentence, with the quoted console line
};

// The clock the console tells, under the part's rule (ep 1: +1 on receive, the received value
// ignored; ep 2/3: max(clock, received) + 1), starting from 0:
// - every clock line is previous + 1 or, right after a received line, the receive rule's value;
// - every "Encaminhando" line carries the clock of the clock line just before it, which is
//   previous + 1;
// - every received line is followed by its clock line before the next message line.
// Returns every violation in console order (empty: consistent). `clock_checks` counts the
// clock lines examined.
std::vector<console_violation> check_console_clock(const std::vector<console_line>& lines, int ep,
                                                   std::uint64_t* clock_checks = nullptr);

// "1.234 s" (wall time since the run started).
std::string seconds(duration d);

// "at 1.234 s, console line 17: \"...\"" — how a violation quotes a console line.
std::string quote_console(const console_line& l, std::size_t index);

}  // namespace eachare::external
