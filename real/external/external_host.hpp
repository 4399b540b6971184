// external_host: an external EACHare program as a peer of the real-socket world (the peer_host
// of real/world/peer_host.hpp). It runs the program through external_peer (files,
// pseudo-terminal, menu steps on a worker thread), turns the program's console into the trace
// the checkers read (clock changes with the receive they belong to, sends, table changes,
// downloads), answers table() / clock() from that console and shared_file() from its directory.
// At the end (destruction) it types 9, waits, kills the process group, and hands what it saw to
// the grade's evidence (console lines, step failures).
//
// Threading rule: the world's thread only; a steady timer on the world's io_context polls the
// program's console every few milliseconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "node/asio/asio.hpp"
#include "node/core/peer_table.hpp"
#include "real/external/console_parser.hpp"
#include "real/external/external_peer.hpp"
#include "real/world/peer_host.hpp"
#include "real/world/real_world.hpp"

namespace eachare::external {

// What one external peer left behind, collected when its host goes away.
struct peer_evidence {
  std::string peer;
  std::string address;
  bool graded = false;
  int ep = 3;
  std::vector<console_line> console;
  std::vector<peer_failure> failures;
  std::vector<step_record> steps;
  std::filesystem::path shared;  // its (last incarnation's) shared directory, still on disk
  std::uint64_t seed = 1;        // the world's seed: the files' contents
};

struct host_setup {
  std::string peer;  // scenario name
  bool graded = false;
  implementation impl;
  driver_bounds bounds;
  workspace* ws = nullptr;
  clock::time_point epoch;
  std::function<void(peer_evidence)> on_done;
};

class external_host final : public real::peer_host {
 public:
  external_host(real::real_world& w, real::node_id n, sim::peer_spec spec, host_setup setup);
  ~external_host() override;

  void start() override;
  void crash() override;
  void restart() override;
  void pause() override;
  void resume() override;
  sim::node_status status() const override { return status_; }
  void command(const eachare::command& cmd) override;

  const peer_table* table() const override { return &table_; }
  std::uint64_t clock() const override { return clock_; }
  sim::file_content shared_file(std::string_view name) const override;
  std::vector<std::pair<std::string, sim::file_content>> shared_files() const override;

 private:
  void launch(sim::trace_kind how);
  void finish();
  void poll();
  void schedule_poll();
  void consume(const console_line& l);
  void set_status(sim::node_status s);
  void emit(sim::trace_kind k, peer_id peer = no_peer);

  real::real_world& world_;
  real::node_id id_;
  sim::peer_spec spec_;
  host_setup setup_;
  sim::node_status status_ = sim::node_status::added;
  std::unique_ptr<external_peer> peer_;
  std::filesystem::path shared_;  // the current (or last) incarnation's shared directory
  std::uint32_t incarnation_ = 0;
  std::vector<console_line> console_;  // every incarnation's lines, in order
  std::vector<peer_failure> failures_;
  std::vector<step_record> steps_;
  std::size_t failures_seen_ = 0;
  peer_table table_;
  std::uint64_t clock_ = 0;
  // A received line waiting for its clock line (then one received / reply_received event).
  std::optional<console_event> receive_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  bool leaving_ = false;
};

}  // namespace eachare::external
