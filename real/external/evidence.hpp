// evidence: the wire lines between a graded program and our peers, rebuilt from our peers'
// console transcripts (they print every line they send and receive, exactly: "Encaminhando
// mensagem", "Mensagem recebida", "Resposta recebida"), with the program's own console telling
// when it had handled each line it was sent. The grade checks (grade_checks.hpp) read the result.
//
// Pure functions over recorded text; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "real/external/external_process.hpp"
#include "real/external/grade_checks.hpp"

namespace eachare::external {

// One of our peers' console, stamped on the same clock as the program's console.
struct peer_console {
  std::string address;
  std::vector<console_line> lines;
};

// Every line our peers exchanged with `program` (its address), in time order. A reply to a
// request is matched to the oldest unanswered request of its kind from the same peer (a FILE to
// the DL of the same chunk index). A line to the program is marked handled at the time the
// program's console printed it as received (followed by its clock line); failing that, for a
// request, when our peer read the program's reply.
// A line from the program is known to be sent after: for a reply, the time it handled the request
// (or our send time); for a line it started, the latest of `step_starts` (the times the menu steps
// that make it send began) before we saw it.
std::vector<wire_line> wire_from_consoles(const std::vector<peer_console>& ours,
                                          const std::string& program,
                                          const std::vector<console_line>& program_console,
                                          const std::vector<duration>& step_starts = {});

// A FILE line as a console shows it (base64 cut, "..." appended) made decodable: the base64 is
// dropped when it was cut. Other lines are returned unchanged.
std::string without_file_preview(const std::string& line);

}  // namespace eachare::external
