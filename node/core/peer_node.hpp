// peer_node: one EACHare peer's whole logic — clock, peer table, replies, discovery, search,
// chunked download, statistics — as a single-threaded, event-driven object that reaches the world
// only through the four ports of ports.hpp. The same class runs behind the console over Asio and
// by the thousand inside the simulator.
//
// Threading rule: every public member is called on the node's one executor, and ports call back
// on it too; nothing here locks. A node can be destroyed only when its ports will deliver no more
// callbacks into it (the simulator drops a crashed node's pending completions).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/command.hpp"
#include "node/core/peer_table.hpp"
#include "node/core/ports.hpp"
#include "node/core/stats.hpp"
#include "node/protocol/lamport_clock.hpp"

namespace eachare {

namespace limits {
// Peers a node keeps in its table. Every entry is a target of menu 2 and an entry of every
// PEER_LIST we send, so one reply listing 200,000 unreachable addresses once made the next
// menu 2 take over an hour. Peers beyond it are not added, with a warning.
inline constexpr std::size_t max_known_peers = 10'000;
// Longest a get_peers round (menu 2) may take: past it the round ends with a warning naming the
// peers that had not answered, and their late replies still update the table.
inline constexpr std::chrono::seconds max_get_peers_round{30};
// The requester's reply deadline unless configured otherwise (eachare --reply-timeout-ms; a
// scenario's network timeout_ms).
inline constexpr std::chrono::seconds default_reply_timeout{10};
}  // namespace limits

struct node_config {
  std::string self;                         // own listening address, `host:port`
  int ep = 3;                               // 1, 2 or 3: clock rule and features
  std::uint64_t chunk_size = 256;           // option 6 changes it; ignored (0) in ep 2
  std::uint64_t rng_seed = 1;               // the node's only randomness (gossip fanout)
  std::uint32_t max_chunks_in_flight = 16;  // per download, across all holders
  std::vector<std::string> neighbours;  // from parse_neighbours(): valid, no self, no duplicates
  std::size_t max_known_peers = limits::max_known_peers;
  std::chrono::nanoseconds get_peers_round_limit = limits::max_get_peers_round;
  // The one meaning of "timed out": a GET_PEERS, LS or DL whose reply has not come this long
  // after the send fails with errc::timed_out (the peer goes OFFLINE, as for any failed send),
  // the transport is told to abandon it, and a reply after it is ignored. Counted from the send,
  // so it covers waiting for a connection slot, the connect and the reply alike. 0: no deadline
  // of the node's own (only the transport's bounds).
  std::chrono::nanoseconds reply_timeout = limits::default_reply_timeout;
};

class peer_node {
 public:
  peer_node(node_config config, address_book& book, transport& net, scheduler& sched,
            file_store& files, observer& obs);
  ~peer_node();
  peer_node(const peer_node&) = delete;
  peer_node& operator=(const peer_node&) = delete;

  // Adds the neighbours (on_peer_added ... OFFLINE each). Call once, before anything else.
  void start();

  // A command from the menu or a scenario timeline.
  void on_command(const command& cmd);

  // An inbound request that decoded. `line` is the raw line ('\n' stripped) for the console.
  // Returns the reply to write on the same connection (PEER_LIST, LS_LIST, FILE), or nothing
  // (HELLO, BYE, a refused DL, a stray reply type). Reply types arriving here are the quirk of
  // protocol.md §7 and are handled by the transport before they reach the node; if one still
  // arrives it is treated as a direct message (clock and status) with no reply.
  std::optional<message> on_message(const message& msg, std::string_view line);
  // The same, for a caller that already knows the origin's interned id (the simulator knows its
  // sender): saves hashing the address on every delivery. `origin` must be the id of msg.origin.
  std::optional<message> on_message(const message& msg, std::string_view line, peer_id origin);
  // The same, writing the reply into `reply` and returning whether there is one: a transport
  // that keeps one reply message from request to request (the simulator) lets a PEER_LIST reuse
  // the last one's list instead of allocating its own. `reply` is overwritten when there is a
  // reply and left alone otherwise.
  bool on_message(const message& msg, std::string_view line, peer_id origin, message& reply);

  // Transport-level bad input (malformed line, over-long line, stalled client): one warning,
  // no state change.
  void on_bad_input(std::string_view what);

  peer_id self() const { return self_; }
  int ep() const { return config_.ep; }
  std::uint64_t clock() const { return clock_.value(); }
  std::uint64_t chunk_size() const { return chunk_size_; }
  const peer_table& peers() const { return table_; }
  const std::vector<search_row>& last_search() const;
  const download_stats& stats() const { return stats_; }
  // Operations (get_peers rounds, searches, downloads, byes) still waiting for completions.
  std::size_t operations_in_flight() const;
  // Requests whose reply deadline is armed (their timers are pending).
  std::size_t replies_awaited() const;
  // Changes the reply deadline for requests sent from now on (the simulator follows a
  // set_network step that changes timeout_ms).
  void set_reply_timeout(std::chrono::nanoseconds timeout) { config_.reply_timeout = timeout; }
  std::chrono::nanoseconds reply_timeout() const { return config_.reply_timeout; }

 private:
  struct impl;  // operation state (rounds, searches, downloads), kept out of the header

  // What the node reads of its node_config after construction (64 bytes; the whole config was
  // 112, for a million simulated peers): the seed, the chunk size and the table limit went
  // into impl_, chunk_size_ and table_; the neighbours live only until start().
  struct settings {
    std::string self;
    std::unique_ptr<std::vector<std::string>> neighbours;
    std::chrono::nanoseconds get_peers_round_limit;
    std::chrono::nanoseconds reply_timeout;
    std::uint32_t max_chunks_in_flight;
    int ep;
  };
  // Moves the strings out of `c`; its other fields stay readable.
  static settings keep_settings(node_config& c);

  settings config_;
  address_book& book_;
  transport& net_;
  scheduler& sched_;
  file_store& files_;
  observer& obs_;

  peer_id self_;
  lamport_clock clock_;
  std::uint64_t chunk_size_;
  peer_table table_;
  download_stats stats_;
  // Allocated by the first search that found something (16 bytes less per simulated peer).
  std::unique_ptr<std::vector<search_row>> last_search_;
  std::unique_ptr<impl> impl_;
};

}  // namespace eachare
