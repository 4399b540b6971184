// asio_transport: eachare::transport over real TCP, plus the listener that feeds inbound lines to
// the node (protocol.md §2 connection model): every outbound message opens a NEW connection,
// writes one line and, for GET_PEERS / LS / DL, reads one reply line on the same socket; the
// listener reads one line per connection, hands it to the node, writes at most one reply, closes.
// It also accepts the quirk of protocol.md §7: a reply arriving on a new connection to our
// listener completes the matching request that is still waiting.
//
// Threading rule: everything runs on the one thread that runs the io_context (the node's
// executor). send(), listen() and close() must be called there (or before the io_context runs);
// other threads only post into it. Completions are always posted, never called inside send().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "node/asio/asio.hpp"
#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/codec.hpp"
#include "node/protocol/message.hpp"

namespace eachare {

class peer_node;

struct transport_options {
  // Outbound: resolve + connect must finish within this.
  std::chrono::milliseconds connect_timeout{3000};
  // Outbound, socket level: from the request written to the whole reply line read. This only
  // bounds how long a connection is held; "timed out" for the requester is peer_node's reply
  // deadline (node_config::reply_timeout, from the send), which abandons the request first when
  // both are equal. Keep it at least that deadline, or the socket cuts the wait short.
  std::chrono::milliseconds reply_timeout{10000};
  // Inbound: a client must deliver its whole line within this, and read our reply within it.
  std::chrono::milliseconds read_timeout{10000};
  // A peer that closes our request socket without a reply may still answer on a new connection
  // to our listener (quirk §7); the request waits this long for that before failing.
  std::chrono::milliseconds late_reply_grace{500};
  // The tolerance of protocol.md §3 for peers that reply on a new connection to our listener: a
  // PEER_LIST, LS_LIST or FILE whose ORIGIN names a peer with a request of ours waiting for it
  // completes that request, but only when the connection comes from the IP we sent the request
  // to (ORIGIN is only text: anyone could claim it). Off (eachare --no-late-replies): such a line
  // is an ordinary inbound message. Every use and every refusal is one warning.
  bool late_replies = true;
  // Outbound connections open at once; further sends wait in a FIFO queue and start (with their
  // own connect timeout) as earlier ones finish. Menu 2 asks every known peer, and a PEER_LIST
  // may name up to limits::max_peer_list_entries of them: without a bound one round would try
  // to open that many sockets, run out of descriptors, and blame the peers (marking them
  // OFFLINE) for our own EMFILE, while the listener and file reads starve too.
  std::size_t max_outbound_connections = 128;
  // Inbound connections handled at once; beyond it we stop accepting (the kernel backlog holds
  // the rest) until one finishes.
  std::size_t max_inbound_connections = 256;
  // Bytes of replies being written to inbound clients at once. A client may ask for a 32 MiB
  // chunk (a 45 MB FILE line) on every connection and never read it; past this budget a reply
  // is dropped (connection closed, warning) instead of held. One reply is always allowed, so
  // the budget never refuses a chunk outright.
  std::size_t max_reply_bytes_in_flight = std::size_t{1} << 30;
  // Longest line read in either direction, '\n' excluded.
  std::size_t max_line_bytes = limits::max_line_bytes;
  // Longest inbound line that is not an awaited reply. Requests are short; only a reply type
  // (PEER_LIST, LS_LIST, FILE) from a peer whose request of ours is still waiting (quirk §7) may
  // grow to max_line_bytes, one such line per waiting request. Without this, any client could
  // make us buffer max_inbound_connections x max_line_bytes (256 x ~45 MB).
  std::size_t max_request_line_bytes = 64 * 1024;
};

// Where inbound traffic goes. peer_node has exactly these members; tests provide fakes.
class inbound_handler {
 public:
  virtual ~inbound_handler() = default;
  // A decoded request; returns the reply to write on the same connection, if any.
  virtual std::optional<message> on_message(const message& msg, std::string_view line) = 0;
  // A one-line description of bad input (malformed, over-long or stalled line).
  virtual void on_bad_input(std::string_view what) = 0;
};

// Forwards inbound traffic to a peer_node.
class node_inbound_handler final : public inbound_handler {
 public:
  explicit node_inbound_handler(peer_node& node) : node_(node) {}
  std::optional<message> on_message(const message& msg, std::string_view line) override;
  void on_bad_input(std::string_view what) override;

 private:
  peer_node& node_;
};

namespace detail {
struct transport_state;
}

class asio_transport final : public transport {
 public:
  asio_transport(boost::asio::io_context& io, address_book& book, transport_options options = {});
  ~asio_transport() override;
  asio_transport(const asio_transport&) = delete;
  asio_transport& operator=(const asio_transport&) = delete;

  // Where inbound messages go. Set before listen(); the handler must outlive the transport or
  // close().
  void set_inbound_handler(inbound_handler* handler);

  // Binds `host:port` (an IPv4 literal or a name resolving to one; port 0 picks a free port) and
  // starts accepting. Errors: the OS's (e.g. address_in_use), or errc::unreachable when the host
  // does not resolve.
  std::error_code listen(std::string_view host, std::uint16_t port);
  // The bound port (useful after listen(host, 0)); 0 when not listening.
  std::uint16_t local_port() const;

  // Stops accepting and abandons every connection: pending requests complete with
  // errc::cancelled. Idempotent.
  void close();

  send_id send(peer_id to, const message& msg, send_handler on_done) override;
  // Drops the send (from the queue, or closes its connection) without calling its handler.
  void abandon(send_id id) override;

  // Counters, for tests and measurements.
  std::size_t inbound_active() const;
  std::size_t outbound_active() const;
  // Of outbound_active(), the sends still waiting for a connection slot.
  std::size_t outbound_queued() const;
  std::uint64_t inbound_accepted() const;

  // Maps an Asio/system error of an outbound exchange to errc.
  static std::error_code map_error(const boost::system::error_code& ec);

 private:
  std::shared_ptr<detail::transport_state> state_;
};

}  // namespace eachare
