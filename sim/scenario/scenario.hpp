// scenario: one scenario file as plain values — peers, files, network defaults, timeline steps
// and checks (docs/scenarios.md). The loader fills it and has already
// checked every name and range, so the runner never has to report a bad input. Plain values; no
// threading concerns.
//
// Peers are referred to by their index in `scenario::peers` everywhere below (selectors are
// resolved at load time); `source_mark`s keep where each item was written, for messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/protocol/message.hpp"

namespace eachare::scenario {

using duration = std::chrono::nanoseconds;
using peer_index = std::uint32_t;

// 1-based line and column in the scenario file (0 = unknown).
struct source_mark {
  int line = 0;
  int column = 0;
};

// -- peers ----------------------------------------------------------------------------------------

enum class topology_kind : std::uint8_t { ring, line, star, complete, none, random };

struct topology {
  topology_kind kind = topology_kind::ring;
  std::uint32_t k = 0;  // random: neighbours drawn per peer
};

// `peers: {count, base_port, topology}`: names p0 .. p{count-1}.
struct generated_peers {
  std::uint32_t count = 0;
  std::uint16_t base_port = 9000;
  std::string host = "127.0.0.1";
  topology shape;
};

struct peer_spec {
  std::string name;
  std::string address;  // `host:port`, validated
  // Explicit peers: from `neighbors`. Generated peers: empty until topology_neighbours() fills it
  // (it depends on the seed, which the command line may change).
  std::vector<peer_index> neighbours;
  std::optional<int> ep;  // per-peer override of scenario::ep
  bool start = true;      // false: an address others know, never started (unless a step starts it)
  // An external program runs this peer: index into scenario::implementations.
  std::optional<std::size_t> impl;
  // `graded: true`: under `eachare-sim grade` this peer runs the implementation being graded.
  bool graded = false;
  source_mark where;
};

// `implementations: {NAME: {cmd: [...], cwd: DIR, env: {...}, pty: true}}`: how to start an
// external EACHare program. The words of cmd may hold {addr}, {neighbours} and {shared}, filled in
// per peer; some word holds {addr} (the loader checks it).
struct implementation_spec {
  std::string name;
  std::vector<std::string> cmd;
  std::string cwd;  // empty: the working directory of eachare-sim
  std::vector<std::pair<std::string, std::string>> env;
  bool pty = true;  // false: pipes instead of a pseudo-terminal
  source_mark where;
};

// -- files ----------------------------------------------------------------------------------------

struct file_spec {
  std::string name;
  std::uint64_t size = 0;
  std::vector<peer_index> on;  // holders at start (and again after a restart)
  source_mark where;
};

// -- network --------------------------------------------------------------------------------------

enum class delay_dist : std::uint8_t { constant, uniform, exponential };

struct delay_spec {
  delay_dist dist = delay_dist::constant;
  duration ms{std::chrono::milliseconds(1)};  // constant
  duration min{0};                            // uniform, exponential (shift)
  duration max{0};                            // uniform
  duration mean{0};                           // exponential (mean of the whole delay)
};

struct network_spec {
  delay_spec delay;
  double drop_probability = 0.0;
  double duplicate_probability = 0.0;
  duration reorder_jitter{0};  // extension: extra uniform delay in [0, jitter) per line
  std::uint64_t bandwidth_bytes_per_s = 0;  // 0 = unlimited
  duration timeout{std::chrono::milliseconds(2000)};
  // extension: the connection queue (network: only, not set_network); 0 = no limit
  std::uint32_t max_outbound_connections = 0;
};

// set_network: only the keys the step names change.
struct network_patch {
  std::optional<delay_spec> delay;
  std::optional<double> drop_probability;
  std::optional<double> duplicate_probability;
  std::optional<duration> reorder_jitter;
  std::optional<std::uint64_t> bandwidth_bytes_per_s;
  std::optional<duration> timeout;
};

// -- timeline -------------------------------------------------------------------------------------

enum class action : std::uint8_t {
  // commands (the menu)
  hello,
  get_peers,
  list_peers,
  list_local,
  search,
  download,
  show_stats,
  set_chunk_size,
  bye,
  // faults and world changes
  partition,
  heal,
  crash,
  restart,
  start,
  pause,
  resume,
  set_network,
  inject,
};

bool is_command(action a);
const char* to_string(action a);

struct step {
  source_mark where;
  duration at{0};
  std::optional<duration> every;  // repeat every `every` ...
  std::optional<duration> until;  // ... while at + k*every <= until (default: duration_ms)
  action what = action::heal;

  std::vector<peer_index> peers;      // `peer`/`peers`: who acts (commands, crash, pause, ...)
  std::vector<peer_index> to;         // hello: destinations; inject: receivers
  std::uint32_t fanout = 0;           // get_peers
  std::string file;                   // download
  std::optional<std::uint64_t> size;  // download: which row, when names repeat
  std::int64_t chunk_size = 0;        // set_chunk_size `size` (<= 0 allowed: the node refuses it)
  // partition: either groups (symmetric, every pair of distinct groups is cut) or from/to.
  std::vector<std::vector<peer_index>> groups;
  std::vector<peer_index> from;
  bool oneway = false;
  network_patch network;  // set_network
  std::string line;       // inject (without '\n')
};

// -- checks ---------------------------------------------------------------------------------------

enum class check_kind : std::uint8_t {
  lamport_order,
  discovery_convergence,
  download_integrity,
  peer_state,
  grade,  // `eachare-sim grade`'s checks of an external program (never written in a file)
};

const char* to_string(check_kind k);

enum class expected_status : std::uint8_t { online, offline, absent };

struct peer_state_expectation {
  peer_index peer = 0;
  expected_status status = expected_status::online;
};

struct check_spec {
  source_mark where;
  check_kind kind = check_kind::lamport_order;
  duration within{0};                         // discovery_convergence
  duration at{0};                             // peer_state
  peer_index peer = 0;                        // peer_state
  std::vector<peer_state_expectation> knows;  // peer_state
};

// -- the scenario
// -----------------------------------------------------------------------------------

struct scenario {
  std::string file;  // path it was loaded from (for messages and the replay command)
  std::string name;
  std::string description;
  std::uint64_t seed = 1;
  int ep = 3;
  duration length{0};  // duration_ms
  bool expect_pass = true;

  std::optional<generated_peers> generated;  // set when `peers:` was a mapping
  std::vector<peer_spec> peers;              // always filled (generated ones expanded)
  std::vector<implementation_spec> implementations;
  std::vector<file_spec> files;
  network_spec network;
  std::vector<step> timeline;
  std::vector<check_spec> checks;
  // What the loader found suspicious but runnable, one whole line each
  // (`file:line:col: warning: ...`); `validate` and `run` print them on stderr.
  std::vector<std::string> warnings;

  int ep_of(peer_index p) const { return peers[p].ep.value_or(ep); }
  std::optional<peer_index> find_peer(const std::string& name) const;
};

// How many times `st` runs in a scenario of `length`: once, or for a repeating step every
// at + k*every <= min(until, length) — the count the runner reports as "timeline steps".
std::uint64_t occurrences(const step& st, duration length);
// The sum over the whole timeline.
std::uint64_t step_occurrences(const scenario& s);

// Neighbours of every generated peer for `shape` (ring, line, star, complete, none, random k —
// the random one drawn from `seed`). Explicit peers are left as written.
void fill_topology(scenario& s, std::uint64_t seed);

// A seed as typed: a decimal number or 40 hex digits (e.g. a commit id), folded to 64 bits.
std::optional<std::uint64_t> parse_seed(const std::string& text);

}  // namespace eachare::scenario
