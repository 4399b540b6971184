// grade: `eachare-sim grade` — puts an external EACHare program (a command template) through the
// grading set (scenarios/grading/ep<N>/) or given scenario files over real loopback sockets: the
// peers marked `graded: true` run the program (real/external/external_host.hpp), the others are
// our peers in the real-socket world (real/world). Besides each scenario's own checks, every
// graded peer gets the grade checks of real/external/grade_checks.hpp (driver, wire, console,
// statistics, serving after garbage), each violation quoting the line that shows it, with its
// time. A problem with the program itself (it does not exist, exits at once, never shows its menu,
// stops reading stdin, floods stdout) is one line on stderr naming the implementation and the
// scenario; the run goes on with the next scenario and the grade sheet says why.
//
// Exit codes: 0 every check passed; 1 some check failed; 2 bad input (a template without {addr},
// a scenario file that does not load, a bad flag, an unwritable report).
//
// Threading rule: single-threaded (the runner's thread), plus each external peer's own worker and
// reader threads (real/external/external_peer.hpp).
#pragma once

#include <string>
#include <vector>

#include "sim/cli/html_output.hpp"

namespace eachare::grading {

struct grade_flags {
  std::string impl;  // the command template, e.g. "python3 peer.py {addr} {neighbours} {shared}"
  std::string cwd;   // its working directory (empty: ours)
  int ep = 3;        // which grading set when no FILE is given
  std::vector<std::string> files;
  std::string report_json;
  std::string report_junit;
  sim_cli::html_flags html;  // --report-html, --diagram-peers
  bool keep = false;         // keep the temporary directories (neighbours files, shared dirs)
  bool pipes = false;        // pipes instead of a pseudo-terminal
  bool quiet = false;
  std::string ports = "auto";  // auto: free ports chosen by us; fixed: the scenario's addresses
  std::string port_range;      // "LO-HI": --ports auto picks only from these ports
  double bound_scale = 1.0;    // multiplies every wait bound of the menu driver
  std::string program = "eachare-sim";
};

int grade(const grade_flags& flags);

}  // namespace eachare::grading
