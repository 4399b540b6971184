// Parsing of the neighbours file (protocol.md §1 step 2). Pure; no threading concerns.
// The caller reads the file (node/cli) or builds the text (sim); this only interprets it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace eachare {

struct neighbours_result {
  std::vector<std::string> addresses;  // in file order, without self and duplicates
  std::vector<std::string> warnings;   // one line each, e.g. "neighbours file line 3: ..."
};

// One `host:port` per line; blank lines, surrounding whitespace and '\r' skipped; the peer's own
// address and duplicates skipped silently; a malformed line skipped with a warning naming its
// line number.
neighbours_result parse_neighbours(std::string_view text, std::string_view self);

}  // namespace eachare
