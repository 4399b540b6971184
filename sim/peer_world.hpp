// peer_world: the one interface through which the scenario runner (sim/scenario/runner.*) and the
// checkers drive and observe a network of EACHare peers, whatever runs it (shared/design.md §6,
// "one runner, several worlds"). Two implementations:
//   - sim::world (sim/world.hpp): every peer a peer_node over the simulated network, in virtual
//     time; deterministic; no Asio (the seam lint holds for it).
//   - real::real_world (real/world/real_world.hpp): every peer a peer_node on the Asio transport
//   with
//     its own listener on 127.0.0.1, in one process, timeline in wall-clock milliseconds, faults
//     applied by a user-space decorator around our transport's sending and accepting sides.
// The runner, loader, checkers and reports never learn which one ran.
//
// How an external program (another person's EACHare submission) plugs in: it is not a third
// world but a third kind of PEER inside the real world. real_world keeps one `real::peer_host`
// per node (real/world/peer_host.hpp): start / crash / restart / pause / resume / command / inject
// plus the queries below (table, clock, stored files). Our own peers are `real::local_peer`
// (real/world/local_peer.hpp, a peer_node on asio_transport); an external program implements the
// same peer_host by spawning the process, driving its menu over stdin, parsing its console into the
// trace (node events), and reading its shared directory. Wire events of lines between an external
// program and our peers come from our side (sending decorator and acceptor). For such a peer node()
// returns nullptr; checkers therefore read tables through table()/clock() (which a peer_host
// answers from its parsed console), never through node().
//
// Threading rule: single-threaded. Every call, every callback scheduled with at(), every trace
// listener runs on the thread that calls run_until().
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/command.hpp"
#include "node/core/peer_node.hpp"
#include "node/core/peer_table.hpp"
#include "node/core/ports.hpp"
#include "sim/fault_model.hpp"
#include "sim/memory_file_store.hpp"
#include "sim/trace.hpp"

namespace eachare::sim {

struct file_spec {
  std::string name;
  std::uint64_t size = 0;
};

struct peer_spec {
  std::string name;                     // free word (p0, alice); for reports only
  std::string address;                  // own `host:port`, unique in the world
  int ep = 3;                           // 1, 2 or 3
  std::vector<std::string> neighbours;  // addresses, in file order; may name absent peers
  std::vector<file_spec> files;         // initial shared files, content from the world seed
  std::uint64_t chunk_size = 256;
  std::uint32_t max_chunks_in_flight = 16;
};

enum class node_status : std::uint8_t {
  added,    // never started: in others' tables maybe, but connects are refused
  running,  // started (live)
  paused,   // live, but handles nothing until resumed (connects are accepted)
  crashed,  // not live; connects refused; its last peer_node is kept for queries
  leaving,  // bye issued: not live any more, BYEs still going out
  left,     // bye done (exit_ready): not live, connects refused
};
std::string_view to_string(node_status s);

// What a world counted on the wire (the simulated network, or the real world's fault layer).
struct network_counters {
  std::uint64_t requests_sent = 0;
  std::uint64_t replies_sent = 0;
  std::uint64_t delivered = 0;  // lines handed to a node: requests, duplicates, replies, injected
  std::uint64_t dropped = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t partitioned = 0;
  std::uint64_t refused = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t bad_input = 0;  // lines a node could not decode (requests and injected)
  std::uint64_t bad_replies = 0;
};

// "Every live peer lists every other live peer ONLINE". sim::world keeps it up to date in O(1)
// per table event (one bit per table record; friend access below); other worlds, with dozens of
// peers, recount and report through update().
class discovery_tracker {
 public:
  bool holds() const { return holds_; }
  // Start of the current stretch in which it holds.
  std::optional<duration> holding_since() const {
    return holds_ ? std::optional<duration>(since_) : std::nullopt;
  }
  // The first moment at or after the last mark() (world: the last heal, else time 0) at which it
  // held. Stays set once found, even if it later stops holding.
  std::optional<duration> first_since_mark() const { return first_since_mark_; }
  duration mark_time() const { return mark_time_; }
  std::size_t live_count() const { return live_count_; }
  // Live nodes that already list every other live node ONLINE.
  std::size_t satisfied_count() const { return satisfied_; }
  // How many other live nodes `n` lists ONLINE (0 for a node that is not live; only sim::world
  // keeps this per node).
  std::uint32_t online_live_peers(node_id n) const {
    return n < nodes_.size() ? nodes_[n].count : 0;
  }

  // For worlds that recount: the new counts at `now`. Returns +1 when it starts holding, -1 when
  // it stops, 0 when unchanged (the world then emits `converged` / `diverged`).
  int update(duration now, std::size_t live, std::size_t satisfied) {
    live_count_ = live;
    satisfied_ = satisfied;
    const bool h = live > 0 && satisfied == live;
    if (h == holds_) return 0;
    holds_ = h;
    since_ = now;
    if (h && !first_since_mark_) first_since_mark_ = now;
    return h ? 1 : -1;
  }
  // The convergence clock restarts at `now` (a heal).
  void mark(duration now) {
    mark_time_ = now;
    first_since_mark_.reset();
    if (holds_) first_since_mark_ = now;
  }

 private:
  friend class world;
  // Bit k: table record k counts (ONLINE, live, not self). The first 64 bits are kept inline,
  // the rest in a vector allocated when a table grows past 64 records: a ring peer lists two,
  // and a million of them paid a vector and its heap block (~64 bytes) each.
  class record_bits {
   public:
    // Every bit 0 (the heap part, if any, is kept).
    void reset_all() {
      first_ = 0;
      if (rest_) std::fill(rest_->begin(), rest_->end(), 0);
    }
    // The word holding bit k, grown as needed (new words 0).
    std::uint64_t& word(std::size_t k) {
      const std::size_t w = k / 64;
      if (w == 0) return first_;
      if (!rest_) rest_ = std::make_unique<std::vector<std::uint64_t>>();
      if (rest_->size() < w) rest_->resize(w, 0);
      return (*rest_)[w - 1];
    }

   private:
    std::uint64_t first_ = 0;
    std::unique_ptr<std::vector<std::uint64_t>> rest_;
  };
  struct per_node {
    record_bits counted;
    std::uint32_t count = 0;
    bool live = false;
  };
  std::vector<per_node> nodes_;
  std::size_t live_count_ = 0;
  std::size_t satisfied_ = 0;
  bool holds_ = false;
  duration since_{0};
  duration mark_time_{0};
  std::optional<duration> first_since_mark_;
};

class peer_world {
 public:
  virtual ~peer_world() = default;

  // --- building ---
  // Adds a peer (not started). Throws std::invalid_argument for a malformed or duplicate address.
  virtual node_id add_peer(peer_spec spec) = 0;
  virtual std::size_t node_count() const = 0;
  // The node listening at `address` (as this world spells it), if any.
  virtual std::optional<node_id> find(std::string_view address) const = 0;
  virtual peer_id address_id(node_id n) const = 0;
  virtual const std::string& address(node_id n) const = 0;

  // --- lifecycle, at the current time (see sim::world for the exact meaning of each) ---
  virtual void start(node_id n) = 0;
  virtual void crash(node_id n) = 0;
  virtual void restart(node_id n) = 0;
  virtual void pause(node_id n) = 0;
  virtual void resume(node_id n) = 0;
  virtual node_status status(node_id n) const = 0;
  bool is_live(node_id n) const {
    const node_status s = status(n);
    return s == node_status::running || s == node_status::paused;
  }

  // --- driving ---
  virtual void command(node_id n, const eachare::command& cmd) = 0;
  // A raw line to n as if from an outside client connection.
  virtual void inject(node_id n, std::string line) = 0;

  // --- faults (the same plain data in every world) ---
  virtual std::size_t partition(const std::vector<std::vector<node_id>>& groups) = 0;
  virtual std::size_t partition_oneway(const std::vector<node_id>& from,
                                       const std::vector<node_id>& to) = 0;
  // Ends every partition, reverts faults to the base model, restarts the convergence clock.
  virtual void heal() = 0;
  // Replaces the default link faults until heal().
  virtual void set_network(const link_faults& defaults) = 0;
  // The current fault model.
  virtual const fault_model& faults() const = 0;

  // --- time: the scenario's milliseconds (virtual, or wall clock since the run began) ---
  // Runs fn at time t (>= now); equal times in scheduling order.
  virtual std::uint64_t at(duration t, std::function<void()> fn) = 0;
  // Runs everything due up to t; now() == t afterwards.
  virtual void run_until(duration t) = 0;
  virtual duration now() const = 0;
  // What now() measures, for reports: virtual_time or wall_clock_time (below the class).
  virtual std::string_view time_kind() const;

  // --- observation ---
  // An extra observer for one of our peers, called after the world's own handling of each node
  // event (the runner's console transcripts). Non-owning; nullptr removes it. A peer that is not
  // one of ours ignores it.
  virtual void set_observer_tap(node_id n, observer* tap) = 0;
  virtual sim::trace& events() = 0;
  virtual const address_book& book() const = 0;
  virtual const discovery_tracker& convergence() const = 0;
  virtual network_counters counters() const = 0;
  std::uint64_t trace_hash() { return events().hash(); }
  // The node's current (or last) peer_node; nullptr before the first start, and for a peer that
  // is not one of ours (an external program).
  virtual const peer_node* node(node_id n) const = 0;
  // The node's peer table and clock (nullptr / 0 when it has none to show).
  virtual const peer_table* table(node_id n) const {
    const peer_node* p = node(n);
    return p ? &p->peers() : nullptr;
  }
  virtual std::uint64_t clock(node_id n) const {
    const peer_node* p = node(n);
    return p ? p->clock() : 0;
  }
  // A file in the node's shared directory (initial files plus completed downloads), or nullptr.
  virtual file_content shared_file(node_id n, std::string_view name) const = 0;
  // Every file of the node's shared directory, by name.
  virtual std::vector<std::pair<std::string, file_content>> shared_files(node_id n) const = 0;
  // Content of an initial scenario file, as every holder has it (generated from the seed).
  virtual file_content file_content_for(const file_spec& f) = 0;
};

// The two spellings of peer_world::time_kind(), one place for every report, check text and
// progress line that says which clock a time was read from.
inline constexpr std::string_view virtual_time = "virtual";
inline constexpr std::string_view wall_clock_time = "wall-clock";

inline std::string_view peer_world::time_kind() const {
  return virtual_time;
}

}  // namespace eachare::sim
