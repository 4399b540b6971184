// world: a whole simulated EACHare network in one object — peers (real peer_node instances over
// the simulated ports), the event queue and virtual clock, the network with its faults, the
// trace, and an incrementally maintained discovery-convergence signal. This is the facade the
// scenario runner drives: add and start peers, issue commands at the current virtual time,
// crash / restart / pause / resume, partition / heal / set faults, inject raw lines, schedule
// timeline callbacks, run until a time, and query node state.
//
// Threading rule: single-threaded. Everything — the runner's callbacks, every peer_node, every
// completion — runs on the thread that calls run_until(). Nothing here waits on a wall clock.
//
// Memory: per node the world keeps a peer_node plus about two hundred bytes (one ports object
// of 48 bytes, a file store whose contents are shared buffers, what a restart needs with the
// neighbours as interned ids, the convergence bits of its table): docs/benchmarks.md §9b and
// §9c have the per-peer breakdown. Addresses are interned once in one shared address_book.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/command.hpp"
#include "node/core/peer_node.hpp"
#include "node/core/ports.hpp"
#include "sim/event_queue.hpp"
#include "sim/fault_model.hpp"
#include "sim/memory_file_store.hpp"
#include "sim/network.hpp"
#include "sim/peer_world.hpp"
#include "sim/rng.hpp"
#include "sim/trace.hpp"

namespace eachare::sim {

struct world_config {
  std::uint64_t seed = 1;
  fault_model network;     // the base faults (what heal() returns to)
  bool text_codec = true;  // false: structured fast path, no encode/decode (benchmarks)
  // Where large packed PEER_LIST replies are made whole ahead of delivery
  // (network::set_reply_decoder; sim/threaded/decode_thread.hpp does it on another core).
  // nullptr: by the network, at delivery. The run is the same either way.
  std::shared_ptr<reply_decoder> decoder;
  std::uint32_t decode_ahead_entries = network::default_decode_ahead_entries;  // the smallest
};

// The virtual-time implementation of peer_world (peer_world.hpp documents the interface).
class world final : public peer_world {
 public:
  explicit world(world_config config = {});
  ~world() override;
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  // --- building ---
  // Adds a peer (not started). Throws std::invalid_argument for a malformed or duplicate
  // address. Neighbour addresses are interned too (absent ones simply never answer).
  node_id add_peer(peer_spec spec) override;
  std::size_t node_count() const override { return nodes_.size(); }
  // The node listening at `address`, if any (O(1)).
  std::optional<node_id> find(std::string_view address) const override;
  peer_id address_id(node_id n) const override { return nodes_[n].address; }
  const std::string& address(node_id n) const override { return book_.name(nodes_[n].address); }

  // --- lifecycle (all at the current virtual time) ---
  // Creates the peer_node (clock 0, neighbours OFFLINE, initial files) and calls start().
  void start(node_id n) override;
  // The node stops: pending timers, completions and deliveries to it are dropped; connects are
  // refused. Its last peer_node stays readable through node() until restart.
  void crash(node_id n) override;
  // A NEW peer_node for `n` (clock 0, neighbours again, the initial shared files again), started.
  // Crashes it first when it is still running.
  void restart(node_id n) override;
  void pause(node_id n) override;
  void resume(node_id n) override;

  // --- driving ---
  // Runs `cmd` on node n now (a paused node gets it when it resumes). cmd_bye also takes n out
  // of the live set (status leaving, then left on exit_ready, when it stops listening). A node
  // that is not running or paused ignores it (trace `command_refused`).
  void command(node_id n, const eachare::command& cmd) override;
  // Delivers a raw line to n as if from a client connection (see network::inject).
  void inject(node_id n, std::string line) override;
  // Runs fn at virtual time t (>= now) / after a delay; equal times in scheduling order.
  event_id at(duration t, std::function<void()> fn) override;
  event_id after(duration delay, std::function<void()> fn);
  void cancel(event_id id) { queue_.cancel(id); }
  // Runs every event up to t; now() == t afterwards (unless stop() was called).
  void run_until(duration t) override;
  void stop() { queue_.stop(); }
  duration now() const override { return queue_.now(); }

  // --- network faults (the runner's partition / heal / set_network steps) ---
  std::size_t partition(const std::vector<std::vector<node_id>>& groups) override;
  std::size_t partition_oneway(const std::vector<node_id>& from,
                               const std::vector<node_id>& to) override;
  // Ends every partition, reverts faults to the base model, and marks the convergence clock.
  void heal() override;
  // Replaces the default link faults (overrides kept) until heal().
  void set_network(const link_faults& defaults) override;
  const fault_model& faults() const override { return network_.faults(); }
  // Replaces the whole current fault model until heal().
  void set_faults(fault_model faults);
  network& net() { return network_; }
  const network& net() const { return network_; }

  // --- queries ---
  node_status status(node_id n) const override { return nodes_[n].status; }
  // Hides peer_world::is_live with a non-virtual one (the convergence bookkeeping calls it per
  // table event).
  bool is_live(node_id n) const;
  // The node's current (or, when crashed/left, last) peer_node; nullptr before the first start.
  const peer_node* node(node_id n) const override { return nodes_[n].node.get(); }
  // Shortcuts over node(): 0 / empty when never started.
  std::uint64_t clock(node_id n) const override;
  // The node's shared directory (initial files plus completed downloads).
  const memory_file_store& files(node_id n) const { return nodes_[n].files; }
  // Content of an initial scenario file, as every holder has it (shared, generated once).
  file_content file_content_for(const file_spec& f) override;
  file_content shared_file(node_id n, std::string_view name) const override {
    return nodes_[n].files.get(name);
  }
  std::vector<std::pair<std::string, file_content>> shared_files(node_id n) const override;
  std::uint32_t incarnation(node_id n) const { return queue_.generation(n); }

  const discovery_tracker& convergence() const override { return tracker_; }
  network_counters counters() const override { return network_.counters(); }
  // Lines delivered to nodes so far (requests, replies, duplicates, injected).
  std::uint64_t delivered_messages() const { return network_.counters().delivered; }
  const network::peer_list_counters& peer_lists_delivered() const {
    return network_.peer_lists_delivered();
  }

  address_book& book() { return book_; }
  const address_book& book() const override { return book_; }
  sim::trace& events() override { return trace_; }
  std::uint64_t trace_hash() const { return trace_.hash(); }
  event_queue& queue() { return queue_; }
  std::uint64_t seed() const { return config_.seed; }

  // An extra observer for one node, called after the world's own handling of each event (e.g.
  // a console printer for a transcript). Non-owning; nullptr removes it.
  void set_observer_tap(node_id n, observer* tap) override { nodes_[n].ports.tap = tap; }

 private:
  // The ports of one node, in one object (48 bytes; three adapters, each with its own copy of
  // the node id and a pointer to the world, network or queue, were 80): the transport (the
  // world's network, as sim_transport), the scheduler (the event queue under the node's owner
  // id, as node_scheduler) and the observer, which turns node events into trace events and
  // feeds the convergence tracker.
  class node_ports final : public transport, public scheduler, public observer {
   public:
    node_ports(world& w, node_id n) : world_(&w), node_(n) {}
    send_id send(peer_id to, const message& msg, send_handler on_done) override;
    void abandon(send_id id) override;
    bool shares_address_book() const override;
    duration now() const override;
    timer_id schedule_after(duration delay, std::function<void()> fn) override;
    void cancel(timer_id id) override;
    void on_clock_changed(std::uint64_t value) override;
    void on_sending(peer_id to, const message& msg) override;
    void on_request_received(peer_id from, const message& msg, std::string_view line) override;
    void on_reply_received(peer_id from, const message& msg, std::string_view line) override;
    void on_send_failed(peer_id to, std::error_code ec) override;
    void on_peer_added(peer_id p, peer_status s, std::uint64_t clock) override;
    void on_peer_updated(peer_id p, peer_status s, std::uint64_t clock) override;
    void on_peers_changed(std::span<const peer_change> changes) override;
    void on_warning(std::string_view text) override;
    void on_peer_listing(const std::vector<peer_row>& rows) override;
    void on_local_files(const std::vector<stored_file>& files) override;
    void on_search_results(const std::vector<search_row>& rows) override;
    void on_download_started(std::string_view name) override;
    void on_download_summary(std::string_view name, std::uint64_t retries,
                             std::uint32_t holders_dropped) override;
    void on_download_finished(std::string_view name, download_outcome outcome,
                              std::string_view why) override;
    void on_statistics(const std::vector<stats_row>& rows) override;
    void on_chunk_size_changed(std::uint64_t size) override;
    void on_command_refused(std::string_view why) override;
    void on_get_peers_done() override;
    void on_leaving() override;
    void on_exit_ready() override;

    observer* tap = nullptr;

   private:
    world* world_;
    node_id node_;
  };

  struct node_slot {
    node_slot(world& w, node_id n);
    // What a (re)start needs of the peer_spec, compact: addresses are interned in the book (the
    // whole spec with its strings was ~200 bytes of a simulated peer's ~2 KB), the neighbours
    // are neighbour_ids_[neighbours_begin, + neighbours_count) and the files, if any, are in
    // initial_files_ (a vector of each here was 48 bytes plus a heap block per peer).
    std::uint32_t neighbours_begin = 0;
    std::uint32_t neighbours_count = 0;
    std::uint64_t chunk_size = 256;
    std::uint32_t max_chunks_in_flight = 16;
    int ep = 3;
    peer_id address = no_peer;
    node_status status = node_status::added;
    // A received message whose clock update has not been reported yet (on_clock_changed
    // completes the `received` / `reply_received` trace event).
    bool receive_pending = false;
    bool receive_is_reply = false;
    message_type receive_type = message_type::hello;
    peer_id receive_from = no_peer;
    std::uint64_t receive_sender_clock = 0;
    std::uint64_t receive_message_id = 0;
    node_ports ports;
    memory_file_store files;
    std::unique_ptr<peer_node> node;
  };

  // The slots by value, in chunks of 256 that never move (the node and the ports hold references
  // into a slot): one heap block each cost a malloc header and a pointer per peer.
  template <class T>
  class chunked_slots {
   public:
    chunked_slots() = default;
    ~chunked_slots() { clear(); }
    chunked_slots(const chunked_slots&) = delete;
    chunked_slots& operator=(const chunked_slots&) = delete;
    T& operator[](std::size_t i) { return chunks_[i / chunk_size][i % chunk_size]; }
    const T& operator[](std::size_t i) const { return chunks_[i / chunk_size][i % chunk_size]; }
    std::size_t size() const { return size_; }
    template <class... Args>
    T& emplace_back(Args&&... args) {
      if (size_ == chunks_.size() * chunk_size) {
        chunks_.push_back(std::allocator<T>{}.allocate(chunk_size));
      }
      T* p = std::construct_at(chunks_.back() + size_ % chunk_size, std::forward<Args>(args)...);
      ++size_;
      return *p;
    }
    // Destroys the slots in order, first to last.
    void clear() {
      for (std::size_t i = 0; i < size_; ++i) std::destroy_at(&(*this)[i]);
      size_ = 0;
      for (T* c : chunks_) std::allocator<T>{}.deallocate(c, chunk_size);
      chunks_.clear();
    }

   private:
    static constexpr std::size_t chunk_size = 256;
    std::vector<T*> chunks_;
    std::size_t size_ = 0;
  };

  void emit_world(trace_kind k, node_id n, std::uint64_t value = 0);
  // Every node's reply deadline := the default link's timeout_ms (a set_network step or a heal
  // may change it; per-link and per-group overrides do not reach the nodes, see network.hpp).
  void follow_reply_timeout();
  void emit_partition(std::size_t active, const std::string& sides);
  void create_node(node_id n);
  void set_status(node_id n, node_status s);
  // Convergence bookkeeping.
  void on_table_event(node_id n, peer_id p, peer_status s);
  // The same for the record in row k of n's table, n live and no recount scheduled.
  void count_table_event(node_id n, std::size_t k, peer_id p, peer_status s);
  void schedule_recount();
  void recount();
  void update_holds();

  world_config config_;
  address_book book_;
  event_queue queue_;
  sim::trace trace_;
  network network_;
  chunked_slots<node_slot> nodes_;
  std::vector<peer_id> neighbour_ids_;                       // every node's, back to back
  std::map<node_id, std::vector<file_spec>> initial_files_;  // only nodes that have some
  std::map<std::pair<std::string, std::uint64_t>, file_content> contents_;
  discovery_tracker tracker_;
  bool recount_scheduled_ = false;  // the tracker is stale until the scheduled recount runs
};

}  // namespace eachare::sim
