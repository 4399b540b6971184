// fault_layer: the real world's faults, applied in user space around our own transport — the
// same plain data (sim::fault_model, partitions, pause) that drives the simulated network:
//   - fault_transport decorates a local peer's SENDING side (eachare::transport over
//     asio_transport): per request line, on the link sender -> receiver, partition / drop (the
//     line is never written; the requester times out), delay + jitter + bandwidth time (the line
//     is written later), duplicate (written twice; the copy's reply goes nowhere); per reply
//     line, on the link receiver -> sender, the same (a lost reply: the requester times out; a
//     delayed one completes later). A request for a paused local peer waits until it resumes.
//     The requester's reply deadline is the node's (node_config::reply_timeout, the link
//     timeout_ms), as in the simulator: abandon() ends the exchange as a timeout (trace
//     `timed_out`, the requester's handler called with errc::timed_out) and abandons the real
//     connection. Only a HELLO or BYE, which waits for no
//     reply, still times out here, at the link's timeout_ms (the simulator's network does the
//     same).
//   - fault_acceptor decorates a local peer's ACCEPTING side (the inbound handler between
//     asio_transport and the peer_node): it traces every line that reaches the node and the reply
//     it writes, and applies partition / drop to lines from senders that are not our own peers
//     (external programs), whose sending side we do not control: such a line is read and
//     discarded, the connection closed without a reply.
// Both emit the wire events of the trace (sent, delivered, reply_sent, reply_delivered, dropped,
// duplicated, partitioned, refused, timed_out, late_reply, completed).
//
// Threading rule: the world's thread only (the io_context's).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "node/asio/asio_transport.hpp"
#include "node/core/ports.hpp"
#include "sim/trace.hpp"

namespace eachare::real {

class real_world;
using sim::node_id;
class local_peer;

struct fault_exchange;

class fault_transport final : public transport {
 public:
  fault_transport(real_world& w, local_peer& self, asio_transport& net, std::uint32_t incarnation)
      : world_(w), self_(self), net_(net), incarnation_(incarnation) {}
  send_id send(peer_id to, const message& msg, send_handler on_done) override;
  void abandon(send_id id) override;

 private:
  real_world& world_;
  local_peer& self_;
  asio_transport& net_;
  std::uint32_t incarnation_;
  // Requests that may still be abandoned, by id. Strong: a request whose line or reply was lost
  // has nothing else holding it until its node's deadline. Finished ones are purged as it grows.
  std::map<send_id, std::shared_ptr<fault_exchange>> open_;
  std::size_t purge_at_ = 64;
};

class fault_acceptor final : public inbound_handler {
 public:
  fault_acceptor(real_world& w, local_peer& self, peer_node& node)
      : world_(w), self_(self), node_(node) {}
  std::optional<message> on_message(const message& msg, std::string_view line) override;
  void on_bad_input(std::string_view what) override;

 private:
  real_world& world_;
  local_peer& self_;
  peer_node& node_;
};

}  // namespace eachare::real
