// real_world: the scenario runner's world over real loopback sockets (shared/design.md §6). Every
// peer is a peer_node on our Asio transport with its own listener on 127.0.0.1, all in this one
// process on one io_context; the timeline runs in wall-clock milliseconds since the run began
// (times a time scale). Faults are the simulator's plain data (sim::fault_model, partitions,
// crash / restart / pause, inject), applied in user space by the fault layer (fault_layer.hpp):
// a decorator around each peer's sending side and its acceptor side. Kernel netem is not used.
//
// It implements sim::peer_world (sim/peer_world.hpp), so the runner, the checkers and the
// reports are the ones of virtual time. Unlike sim::world it is not deterministic: the wall
// clock and the kernel schedule the lines, so only the observable outcome (verdicts, tables,
// files, statistics counts) is expected to agree with virtual time, not the trace.
//
// Peers plug in as `peer_host`s (peer_host.hpp). Our own peers are local_peer (a peer_node on
// asio_transport, memory_file_store); an external program is another peer_host the factory in
// real_world_options::make_host returns for the peers it wants (see peer_host.hpp).
//
// Threading rule: single-threaded. Every peer, every socket, every timer and every runner callback
// runs on the thread that calls run_until() (the io_context runs only inside it).
//
// This folder may use Asio, clocks and sockets: it is the real world, beside the runner, and
// tools/lint_seam.sh says so (real/ is not scanned; nothing in node/ or sim/ but sim/cli may
// include it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "node/asio/asio.hpp"
#include "node/core/address_book.hpp"
#include "real/world/peer_host.hpp"
#include "sim/fault_model.hpp"
#include "sim/peer_world.hpp"
#include "sim/rng.hpp"
#include "sim/trace.hpp"

namespace eachare::real {

using sim::node_id;

struct real_world_options {
  std::uint64_t seed = 1;  // the fault layer's draws and the generated files' contents
  sim::fault_model network;
  // Wall-clock milliseconds per scenario millisecond: 0.1 plays a 30 s scenario in 3 s, with
  // every delay, timeout and timeline step scaled alike.
  double time_scale = 1.0;
  // true: every address of the scenario (peers and the absent ones they name) is mapped to
  // 127.0.0.1 and a free port chosen now; false: addresses are used as written and must be
  // 127.0.0.1 (or `localhost`).
  bool ports_auto = false;
  // With ports_auto: choose only ports in [port_lo, port_hi] (0, 0: any free port the kernel
  // gives). Processes run side by side (grade --class) get disjoint ranges, so they never pick
  // the same port between choosing it and listening on it.
  std::uint16_t port_lo = 0;
  std::uint16_t port_hi = 0;
  // Called with (scenario address, address used) for every address, once, as it is mapped.
  std::function<void(const std::string& from, const std::string& to)> on_address;
  // External programs: returns a peer_host for a peer that is not ours, nullptr for our own.
  std::function<std::unique_ptr<peer_host>(real_world& w, node_id n, const sim::peer_spec& spec)>
      make_host;
};

class real_world final : public sim::peer_world {
 public:
  explicit real_world(real_world_options options);
  ~real_world() override;
  real_world(const real_world&) = delete;
  real_world& operator=(const real_world&) = delete;

  // --- sim::peer_world ---
  // Throws std::invalid_argument for a malformed or duplicate address, or (ports_auto off) an
  // address not on 127.0.0.1.
  node_id add_peer(sim::peer_spec spec) override;
  std::size_t node_count() const override { return hosts_.size(); }
  std::optional<node_id> find(std::string_view address) const override;
  peer_id address_id(node_id n) const override { return addresses_[n]; }
  const std::string& address(node_id n) const override { return book_.name(addresses_[n]); }

  // start / restart throw std::runtime_error when the listener cannot be bound.
  void start(node_id n) override { hosts_[n]->start(); }
  void crash(node_id n) override { hosts_[n]->crash(); }
  void restart(node_id n) override { hosts_[n]->restart(); }
  void pause(node_id n) override { hosts_[n]->pause(); }
  void resume(node_id n) override { hosts_[n]->resume(); }
  sim::node_status status(node_id n) const override { return hosts_[n]->status(); }

  void command(node_id n, const eachare::command& cmd) override { hosts_[n]->command(cmd); }
  void inject(node_id n, std::string line) override;

  std::size_t partition(const std::vector<std::vector<node_id>>& groups) override;
  std::size_t partition_oneway(const std::vector<node_id>& from,
                               const std::vector<node_id>& to) override;
  void heal() override;
  void set_network(const sim::link_faults& defaults) override;
  const sim::fault_model& faults() const override { return current_; }

  std::uint64_t at(duration t, std::function<void()> fn) override;
  void run_until(duration t) override;
  duration now() const override;
  std::string_view time_kind() const override { return sim::wall_clock_time; }

  sim::trace& events() override { return trace_; }
  const address_book& book() const override { return book_; }
  const sim::discovery_tracker& convergence() const override { return tracker_; }
  sim::network_counters counters() const override { return counters_; }
  const peer_node* node(node_id n) const override { return hosts_[n]->node(); }
  const peer_table* table(node_id n) const override { return hosts_[n]->table(); }
  std::uint64_t clock(node_id n) const override { return hosts_[n]->clock(); }
  sim::file_content shared_file(node_id n, std::string_view name) const override {
    return hosts_[n]->shared_file(name);
  }
  std::vector<std::pair<std::string, sim::file_content>> shared_files(node_id n) const override {
    return hosts_[n]->shared_files();
  }
  sim::file_content file_content_for(const sim::file_spec& f) override;
  void set_observer_tap(node_id n, observer* tap) override { hosts_[n]->set_tap(tap); }

  // --- for peer hosts and the fault layer ---
  boost::asio::io_context& io() { return io_; }
  address_book& mutable_book() { return book_; }
  const real_world_options& options() const { return options_; }
  peer_host& host(node_id n) { return *hosts_[n]; }
  // The node registered at `address`, or sim::no_node.
  node_id node_at(peer_id address) const;
  // Scenario milliseconds -> wall clock, with the time scale.
  std::chrono::nanoseconds wall(duration scenario_time) const;
  // Link data and partitions, as the simulated network reads them.
  const sim::link_faults& link(node_id from, node_id to) const;
  bool blocked(node_id from, node_id to) const;
  sim::rng& draws() { return rng_; }
  sim::network_counters& counters_mut() { return counters_; }
  std::uint64_t next_message_id() { return next_message_id_++; }
  // Emits a trace event stamped with now().
  void emit(sim::trace_event e);
  // A world event (started, crashed, ...) for node n (or no_node).
  void emit_world(sim::trace_kind k, node_id n, std::uint64_t value = 0);
  // A node's table changed: recount the convergence signal (unless a recount is queued).
  void table_changed();
  // The live set changed (start, crash, bye, ...): recount once every change of this instant is
  // in, as sim::world does, so starting many peers never looks like a one-peer network.
  void live_set_changed();

 private:
  // Our peers' reply deadlines follow the current default link timeout_ms.
  void follow_reply_timeout();
  std::string map_address(const std::string& address);
  void recount();

  real_world_options options_;
  boost::asio::io_context io_;
  std::chrono::steady_clock::time_point origin_;
  address_book book_;
  sim::trace trace_;
  sim::rng rng_;
  sim::fault_model base_;
  sim::fault_model current_;
  struct partition_state {
    bool oneway = false;
    std::vector<std::uint16_t> side;  // as in sim::network
  };
  std::vector<partition_state> partitions_;
  std::vector<std::unique_ptr<peer_host>> hosts_;
  std::vector<peer_id> addresses_;
  std::vector<node_id> by_address_;            // peer_id -> node
  std::map<std::string, std::string> mapped_;  // scenario address -> address used
  std::set<std::uint16_t> ports_taken_;
  std::map<std::pair<std::string, std::uint64_t>, sim::file_content> contents_;
  sim::discovery_tracker tracker_;
  sim::network_counters counters_;
  std::uint64_t next_message_id_ = 1;
  bool recount_queued_ = false;
  std::uint64_t next_timer_ = 1;
  std::map<std::uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace eachare::real
