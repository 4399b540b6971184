// local_peer: one of our own peers in the real world — a peer_node on asio_transport (its own
// listener on 127.0.0.1), behind the fault layer (fault_layer.hpp), with an in-memory shared
// directory (the scenario's generated files), a scheduler in the world's scaled wall-clock time,
// and an observer that turns node events into the trace, like sim::world's.
//
// Crash closes the transport (the listener goes, every connection is abandoned) and keeps the last
// peer_node for queries; restart builds new ports and a new node on the same port. Every callback
// into the node (timers, completions) is tagged with the incarnation that asked for it: a stale
// one is dropped, and while the peer is paused it is held and runs at resume, like a stopped
// process that continues.
//
// Threading rule: the world's thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "node/asio/asio_scheduler.hpp"
#include "node/asio/asio_transport.hpp"
#include "node/core/peer_node.hpp"
#include "real/world/fault_layer.hpp"
#include "real/world/peer_host.hpp"
#include "sim/memory_file_store.hpp"

namespace eachare::real {

class local_peer final : public peer_host {
 public:
  local_peer(real_world& w, node_id n, sim::peer_spec spec);
  ~local_peer() override;

  void start() override;
  void crash() override;
  void restart() override;
  void pause() override;
  void resume() override;
  sim::node_status status() const override { return status_; }
  void command(const eachare::command& cmd) override;
  bool holds_while_paused() const override { return true; }
  void when_resumed(std::function<void()> fn) override { held_.push_back(std::move(fn)); }

  const peer_node* node() const override { return node_.get(); }
  const peer_table* table() const override { return node_ ? &node_->peers() : nullptr; }
  std::uint64_t clock() const override { return node_ ? node_->clock() : 0; }
  sim::file_content shared_file(std::string_view name) const override { return files_.get(name); }
  std::vector<std::pair<std::string, sim::file_content>> shared_files() const override;
  void set_tap(observer* tap) override { tap_ = tap; }

  // --- for the fault layer ---
  node_id id() const { return id_; }
  std::uint32_t incarnation() const { return incarnation_; }
  // The node's reply deadline := the world's default link timeout_ms (after set_network/heal).
  void follow_reply_timeout();
  // Runs fn for incarnation `inc`: now, or at resume while paused; never once it is stale.
  void deliver(std::uint32_t inc, std::function<void()> fn);

 private:
  class scheduler_port;
  class observer_port;
  struct ports {
    std::unique_ptr<asio_transport> net;
    std::unique_ptr<fault_transport> faulty;
    std::unique_ptr<fault_acceptor> acceptor;
    std::unique_ptr<scheduler_port> sched;
    std::unique_ptr<observer_port> obs;
  };
  void create(sim::trace_kind how);
  void stop(sim::node_status becomes);
  void set_status(sim::node_status s);
  friend class observer_port;

  real_world& world_;
  node_id id_;
  sim::peer_spec spec_;
  sim::node_status status_ = sim::node_status::added;
  std::uint32_t incarnation_ = 0;
  sim::memory_file_store files_;
  ports current_;
  // Ports of earlier incarnations: the last peer_node keeps references to its ports, and their
  // late callbacks check the incarnation, so they are freed with the peer only.
  std::vector<ports> retired_;
  std::unique_ptr<peer_node> node_;
  std::vector<std::function<void()>> held_;
  observer* tap_ = nullptr;
};

}  // namespace eachare::real
