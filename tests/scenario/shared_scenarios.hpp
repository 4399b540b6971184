// Inline scenarios that more than one test file of tests/scenario runs: one copy each, so the
// runner's and the HTML report's tests keep looking at the same run.
//
// Threading rule: constants only.
#pragma once

#include <string>

namespace eachare::scenario::testing {

// a raises its clock with six HELLOs to b, then sends a HELLO to `old`, an ep 1 peer that
// ignores the carried clock: lamport_order fails at 0.501 s on `old` (node 2), exchange 7.
inline const std::string ep1_peer_in_ep3_network = R"(name: mixed
duration_ms: 3000
peers:
  - {name: a, address: "127.0.0.1:6000", neighbors: [b]}
  - {name: b, address: "127.0.0.1:6001", neighbors: [a]}
  - {name: old, address: "127.0.0.1:6002", ep: 1}
timeline:
  - {at_ms: 0, every_ms: 10, until_ms: 50, do: hello, peer: a, to: b}
  - {at_ms: 500, do: hello, peer: a, to: old}
checks:
  - lamport_order
)";

}  // namespace eachare::scenario::testing
