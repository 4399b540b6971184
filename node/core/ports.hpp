// The seam (docs/architecture.md, "The seam"): the four interfaces through which a peer_node
// reaches the world. peer_node includes no Asio, no clock, no filesystem, no iostream; real
// implementations live in node/asio, simulated ones in sim/, fakes in tests/support.
//
// Threading rule: every call into a port and every callback out of it happens on the node's
// single executor (the Asio strand/io_context thread, or the simulation thread). Ports never call
// back synchronously from inside the call that started the operation (transport::send,
// scheduler::schedule_after): completions are always posted, so node code never re-enters itself.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/protocol/codec.hpp"
#include "node/protocol/message.hpp"

namespace eachare {

// Monotonic time since the scheduler's origin (virtual in the simulator).
using duration = std::chrono::nanoseconds;

// ---------------------------------------------------------------------------------------------
// transport: one request line to one peer, at most one reply line back on the same connection.
//
// `on_done(ec, reply)`: ec is empty on success; `reply` holds the decoded reply when the request
// type expects one (expects_reply()), and is empty otherwise. Expected failures are errc values:
// connection_refused, timed_out, connection_reset, closed_without_reply, malformed_reply,
// unexpected_reply, line_too_long. `reply_line` is the raw reply line ('\n' stripped) for the
// console's `Resposta recebida: "<line>"`; empty when there is no reply.
//
// Inbound requests are delivered by the transport to peer_node::on_message (see peer_node.hpp).
//
// "Timed out" has one meaning in every world: the requester's reply deadline, kept by peer_node
// on its scheduler (node_config::reply_timeout, counted from the send). When it passes, the node
// calls abandon() and the request fails with errc::timed_out. Transports keep only
// socket-level bounds (connect, reading one line, connection queues); they may still report
// timed_out themselves (a connect that does not finish, a HELLO whose line is lost).
//
// `reply` is an rvalue the handler may move from or leave: the transport may reuse what is left
// after the handler returns (the simulator gives a decoded PEER_LIST back to the buffers it was
// decoded into, so the next one allocates nothing).
using send_handler = std::function<void(std::error_code ec, std::optional<message>&& reply,
                                        std::string_view reply_line)>;

// Names one send for abandon(). 0 names nothing.
using send_id = std::uint64_t;

class transport {
 public:
  virtual ~transport() = default;
  // `to` was interned in the node's address_book. The transport encodes `msg`; the request's
  // clock increment has already happened in the node. Returns an id for abandon() (0 when the
  // send cannot be abandoned).
  virtual send_id send(peer_id to, const message& msg, send_handler on_done) = 0;
  // The requester's reply deadline for send `id` passed: the transport drops the send if it is
  // still queued and releases its connection. It either completes the send right here, calling
  // its handler with errc::timed_out before returning (the simulator does, so the network's
  // trace and the node's failure name one exchange), or never calls that handler at all; the
  // node reports the timeout itself in the second case. An id that is unknown, 0 or already
  // completed is ignored.
  virtual void abandon(send_id /*id*/) {}
  // True when this transport writes lines with the node's own address_book (the simulator's
  // text codec: its nodes and network share one book). The node may then build a PEER_LIST
  // reply by id (peer_list_body::by_id), which spares a string copy per entry; everything
  // outside the transport still sees entries with text.
  virtual bool shares_address_book() const { return false; }
};

// ---------------------------------------------------------------------------------------------
// scheduler: time and timers.
using timer_id = std::uint64_t;

class scheduler {
 public:
  virtual ~scheduler() = default;
  virtual duration now() const = 0;
  // Runs `fn` on the node's executor after `delay` (never synchronously inside this call).
  virtual timer_id schedule_after(duration delay, std::function<void()> fn) = 0;
  // A timer that already ran or was cancelled is ignored.
  virtual void cancel(timer_id id) = 0;
};

// ---------------------------------------------------------------------------------------------
// file_store: the shared directory. Every name is checked with is_safe_file_name() first; only
// regular files directly inside the shared directory are ever listed, read or written.
//
// A download is written as a *part*: a hidden temporary file that chunks go into at their
// offsets as they arrive (so memory holds only the chunks in flight), made durable and renamed
// to its name by commit_part. Nothing appears under the name before that. Errors of the system
// keep their errno (std::generic_category), so "no space left" and "permission denied" differ.
struct stored_file {
  std::string name;
  std::uint64_t size = 0;
  friend bool operator==(const stored_file&, const stored_file&) = default;
};

using part_id = std::uint64_t;

class file_store {
 public:
  virtual ~file_store() = default;
  // Regular files of the shared directory, sorted by name (byte order). Names that are not
  // is_safe_file_name() (e.g. containing a space) are left out.
  virtual std::vector<stored_file> list() = 0;
  // Size of a regular file; errc::not_found / invalid_name / not_regular_file otherwise.
  virtual std::error_code size_of(std::string_view name, std::uint64_t& size) = 0;
  // Appends up to `length` bytes from `offset` to `out` (fewer at the end of the file; none past
  // it). Same errors as size_of, plus the system's.
  virtual std::error_code read(std::string_view name, std::uint64_t offset, std::uint64_t length,
                               std::string& out) = 0;

  // Starts the part of a download of `size` bytes to be committed as `name`.
  virtual std::error_code open_part(std::string_view name, std::uint64_t size, part_id& part) = 0;
  // Writes `data` at `offset` of the part.
  virtual std::error_code write_part(part_id part, std::uint64_t offset, std::string_view data) = 0;
  // Makes the part durable (the file, then its directory entry) under its name, replacing any
  // file there. On failure the part is kept as it was, so the commit can be tried again.
  virtual std::error_code commit_part(part_id part) = 0;
  // Drops a part that will not be committed; an unknown id is ignored.
  virtual void discard_part(part_id part) = 0;

  // The whole file at once, through a part (set-up and tests): nothing is left behind on failure.
  std::error_code write(std::string_view name, std::string_view content) {
    part_id part = 0;
    if (auto ec = open_part(name, content.size(), part)) return ec;
    std::error_code ec = write_part(part, 0, content);
    if (!ec) ec = commit_part(part);
    if (ec) discard_part(part);
    return ec;
  }
};

// ---------------------------------------------------------------------------------------------
// observer: structured events out of the node. The console observer turns them into the exact EP
// strings (protocol.md §4-§5); the simulator's trace records them for checkers. Node logic never
// prints. Default implementations ignore the event, so an observer overrides what it needs.

// One row of the search table: (name, size) and its holders in first-seen order.
struct search_row {
  std::string name;
  std::uint64_t size = 0;
  std::vector<peer_id> holders;
};

// One row of the statistics table (protocol.md §5, option 5).
struct stats_row {
  std::uint64_t chunk_size = 0;
  std::uint32_t holders = 0;
  std::uint64_t file_size = 0;
  std::uint32_t count = 0;
  double mean_seconds = 0;
  double stddev_seconds = 0;  // sample standard deviation (n-1); 0 when count == 1
};

// One row of the peer listing (option 1), in insertion order.
struct peer_row {
  peer_id id = no_peer;
  peer_status status = peer_status::offline;
  std::uint64_t clock = 0;
};

enum class download_outcome : std::uint8_t { completed, failed };

// One change a PEER_LIST made to the table (observer::on_peers_changed).
struct peer_change {
  peer_id peer = no_peer;
  std::uint32_t row = 0;  // the peer's record in the table (peer_table::records() position)
  peer_status status = peer_status::offline;
  bool added = false;  // else updated
  std::uint64_t clock = 0;
};

class observer {
 public:
  virtual ~observer() = default;

  // "=> Atualizando relogio para <n>": every change of the clock.
  virtual void on_clock_changed(std::uint64_t /*value*/) {}
  // "Encaminhando mensagem "<line>" para <to>": every send attempt, after its clock tick.
  virtual void on_sending(peer_id /*to*/, const message& /*msg*/) {}
  // "Mensagem recebida: "<line>"": an inbound request, before its clock update. `from` is the
  // interned origin.
  virtual void on_request_received(peer_id /*from*/, const message& /*msg*/,
                                   std::string_view /*line*/) {}
  // "Resposta recebida: "<line>"": a reply, before its clock update.
  virtual void on_reply_received(peer_id /*from*/, const message& /*msg*/,
                                 std::string_view /*line*/) {}
  // A send failed with `ec` (the status update follows as on_peer_updated).
  virtual void on_send_failed(peer_id /*to*/, std::error_code /*ec*/) {}
  // "Adicionando novo peer <p> status <S>".
  virtual void on_peer_added(peer_id /*p*/, peer_status /*s*/, std::uint64_t /*clock*/) {}
  // "Atualizando peer <p> status <S>" (printed even when the status did not change).
  virtual void on_peer_updated(peer_id /*p*/, peer_status /*s*/, std::uint64_t /*clock*/) {}
  // The changes one PEER_LIST made to the table, in list order, once the list is applied: for
  // each, what on_peer_added / on_peer_updated would have said then, which is what this default
  // does. An observer with per-node state (the simulator) overrides it to look that state up once
  // per list: a 5,000-peer discovery reports ~140 million changes.
  virtual void on_peers_changed(std::span<const peer_change> changes) {
    for (const peer_change& c : changes) {
      if (c.added) {
        on_peer_added(c.peer, c.status, c.clock);
      } else {
        on_peer_updated(c.peer, c.status, c.clock);
      }
    }
  }
  // A one-line warning: malformed input, refused DL, failed chunk, ...
  virtual void on_warning(std::string_view /*text*/) {}

  // Results of menu commands.
  virtual void on_peer_listing(const std::vector<peer_row>& /*rows*/) {}
  virtual void on_local_files(const std::vector<stored_file>& /*files*/) {}
  virtual void on_search_results(const std::vector<search_row>& /*rows*/) {}
  virtual void on_download_started(std::string_view /*name*/) {}
  // Just before on_download_finished, whatever the outcome: how many DL requests were sent again
  // after a failure, and how many holders were given up for this download.
  virtual void on_download_summary(std::string_view /*name*/, std::uint64_t /*retries*/,
                                   std::uint32_t /*holders_dropped*/) {}
  virtual void on_download_finished(std::string_view /*name*/, download_outcome /*outcome*/,
                                    std::string_view /*why*/) {}
  virtual void on_statistics(const std::vector<stats_row>& /*rows*/) {}
  virtual void on_chunk_size_changed(std::uint64_t /*size*/) {}
  virtual void on_command_refused(std::string_view /*why*/) {}
  // A get_peers round has had every reply or failure (menu 2 is done).
  virtual void on_get_peers_done() {}
  // A HELLO (menu 1 then k) completed or failed; its status update came first.
  virtual void on_hello_done(peer_id /*to*/) {}
  // "Saindo...": bye started; on_exit_ready once every BYE completed or failed.
  virtual void on_leaving() {}
  virtual void on_exit_ready() {}
};

}  // namespace eachare
