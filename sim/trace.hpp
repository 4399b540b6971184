// trace: the stream of structured events of a simulation — what the network did with every line
// (sent, delivered, dropped, duplicated, refused, timed out, partitioned, injected), what each
// node reported through its observer (received with clocks, peer added/updated, downloads,
// warnings), and what the world did (start, crash, restart, pause, partition, heal, ...).
// Events are not stored: each is folded into a running 64-bit hash (same seed twice => same hash)
// and handed to listeners, so checkers run online and a 100,000-peer run keeps memory small.
//
// Threading rule: single-threaded (simulation thread). Listeners are called synchronously inside
// emit(), in registration order; they must not emit events themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/message.hpp"

namespace eachare::sim {

// Index of a node in the world, in add_peer order (dense from 0).
using node_id = std::uint32_t;
inline constexpr node_id no_node = 0xFFFFFFFFu;

enum class trace_kind : std::uint8_t {
  // --- network (wire-observable) ---
  sent,                  // node sent a request to peer: message_id, type, sender_clock
  delivered,             // the request line reached `node` (from `peer`) and was handed to it
  reply_sent,            // node answered the request message_id to peer: type, sender_clock
  reply_delivered,       // the reply line reached the requester `node` (from `peer`)
  dropped,               // a line was lost on node -> peer (value: 0 request, 1 reply)
  duplicated,            // a line on node -> peer will be delivered twice (value as `dropped`)
  partitioned,           // a line on node -> peer was blocked by a partition (value as `dropped`)
  refused,               // node's connect to peer was refused (nobody listening / crashed)
  timed_out,             // node's request message_id to peer hit its timeout
  closed_without_reply,  // node's request got no reply line (responder refused or sent none)
  bad_reply,             // node's reply line did not decode or had the wrong type (error set)
  late_reply,            // a reply / duplicate came back after the requester gave up: ignored
  injected,              // a raw line (detail) was delivered to node from an outside client
  bad_input,             // node received a line that did not decode (detail = reason)
  completed,             // node's send of message_id to peer completed (error = errc value)
  // --- node observer ---
  received,            // node handled a request from peer: sender_clock, clock (after receive)
  reply_received,      // node handled a reply from peer: sender_clock, clock (after receive)
  send_failed,         // node's send to peer failed (error)
  peer_added,          // node added peer: status, clock (stored clock of the entry)
  peer_updated,        // node updated peer: status, clock
  warning,             // detail = text
  search_results,      // value = number of rows
  download_started,    // detail = file name
  download_finished,   // detail = file name, value = 0 completed / 1 failed
  get_peers_done,      //
  command_refused,     // detail = why
  chunk_size_changed,  // value = new size
  leaving,             // node started bye
  exit_ready,          // node's BYEs are done; it stops listening
  // --- world ---
  started,         // node started (clock 0, neighbours and initial files)
  crashed,         //
  restarted,       // a new incarnation started (clock 0)
  paused,          //
  resumed,         //
  command,         // a command was issued to node; value = command index in eachare::command
  partition,       // value = number of partitions now active; detail = this partition's sides
                   // as node-id ranges: groups "0-4|5,7", one-way "0,1>3" (lines 0,1 -> 3 cut)
  heal,            //
  network_change,  // set_network / set_faults
  converged,       // every live peer lists every other live peer ONLINE (from now); value = live
                   // peers
  diverged,        // it no longer holds; value = live peers
};

std::string_view to_string(trace_kind k);
// Whether `value` means something for events of kind k (then it is written even when 0).
bool kind_has_value(trace_kind k);

// The fields are ordered widest first so the struct has no holes (88 bytes): every emitter builds
// one on the stack and GCC clears it with a few vector stores. With the holes (120 bytes) GCC 12
// cleared it with `rep stosq`, which took ~13 ns per clear on our 2-core Xeon against ~3.5 ns for
// plain stores (docs/benchmarks.md §9e); a HELLO storm builds six events per message.
struct trace_event {
  duration time{0};
  std::uint64_t message_id = 0;    // the network's id of the exchange (0 when none)
  std::uint64_t sender_clock = 0;  // clock carried by the message
  std::uint64_t clock = 0;         // the node's clock after the event (received: after receive)
  std::uint64_t value = 0;         // kind-specific (see trace_kind)
  std::string_view detail;         // kind-specific text; valid only during the listener call
  // The wire line of a sent request (sent) or reply (reply_sent), for pictures; filled only when
  // the trace wants lines (trace::set_wants_lines) and NOT hashed, so writing a trace file does
  // not change the hash. Valid only during the listener call.
  std::string_view line;
  node_id node = no_node;   // the node the event happened at
  peer_id peer = no_peer;   // the other end (an interned address), when there is one
  std::uint32_t error = 0;  // an eachare::errc value, 0 = none
  trace_kind kind = trace_kind::sent;
  bool has_type = false;  // `type` is meaningful
  message_type type = message_type::hello;
  peer_status status = peer_status::offline;
};
static_assert(sizeof(trace_event) <= 88, "keep trace_event free of holes (see above)");

class trace_listener {
 public:
  virtual ~trace_listener() = default;
  virtual void on_trace_event(const trace_event& e) = 0;
};

// A 64-bit hash over a canonical encoding of every field (detail included): the fields as fixed
// 64-bit words in a fixed order, mixed pairwise with 128-bit multiplies, plus an FNV-1a of the
// detail's bytes; each event folds into the running value, so the order of events counts.
class trace_hash {
 public:
  // Inline: every call site fills most fields with constants (zeros, its kind), which the
  // compiler then folds into the mixing; out of line, the call and the generic code were a
  // tenth of a HELLO storm's instructions.
  void add(const trace_event& e) {
    // The eight words are mixed in four independent multiplies, then folded into the running
    // hash with one dependent step. Distinct keys per position keep the fields from commuting.
    const std::uint64_t w0 = static_cast<std::uint64_t>(e.time.count());
    const std::uint64_t w1 =
        static_cast<std::uint64_t>(e.kind) | (static_cast<std::uint64_t>(e.has_type) << 8) |
        (static_cast<std::uint64_t>(e.type) << 16) | (static_cast<std::uint64_t>(e.status) << 24) |
        (static_cast<std::uint64_t>(e.error) << 32);
    const std::uint64_t w2 = (static_cast<std::uint64_t>(e.node) << 32) | e.peer;
    std::uint64_t folded =
        mum(w0 ^ 0xa0761d6478bd642full, w1 ^ 0xe7037ed1a0b428dbull) +
        mum(w2 ^ 0x8ebc6af09c88c6e3ull, e.message_id ^ 0x589965cc75374cc3ull) +
        mum(e.sender_clock ^ 0x1d8e4e27c47d124full, e.clock ^ 0xa0761d6478bd642full) +
        mum(e.value ^ 0xe7037ed1a0b428dbull, e.detail.size() ^ 0x8ebc6af09c88c6e3ull);
    if (!e.detail.empty()) folded ^= fold_detail(e.detail);
    hash_ = mum(hash_ ^ folded, 0x589965cc75374cc3ull);
  }
  std::uint64_t value() const { return hash_; }

 private:
  // 64x64 -> 128 multiply folded to 64 bits (the "mum" of wyhash): one multiply mixes two words.
  static std::uint64_t mum(std::uint64_t a, std::uint64_t b) {
    __extension__ using u128 = unsigned __int128;
    const u128 p = static_cast<u128>(a) * b;
    return static_cast<std::uint64_t>(p) ^ static_cast<std::uint64_t>(p >> 64);
  }
  // FNV-1a of the detail's bytes.
  static std::uint64_t fold_detail(std::string_view detail);

  std::uint64_t hash_ = 14695981039346656037ull;
};

class trace {
 public:
  // Folds `e` into the hash and hands it to every listener.
  void emit(const trace_event& e) {
    hash_.add(e);
    ++count_;
    for (trace_listener* l : listeners_) l->on_trace_event(e);
  }

  // Non-owning; the listener must outlive the trace or be removed first.
  void add_listener(trace_listener& l);
  void remove_listener(trace_listener& l);
  bool has_listeners() const { return !listeners_.empty(); }

  std::uint64_t hash() const { return hash_.value(); }
  std::uint64_t event_count() const { return count_; }

  // Whether emitters fill trace_event::line (they encode the message again for it, which only a
  // trace file or a picture needs).
  void set_wants_lines(bool on) { wants_lines_ = on; }
  bool wants_lines() const { return wants_lines_; }

 private:
  trace_hash hash_;
  std::uint64_t count_ = 0;
  bool wants_lines_ = false;
  std::vector<trace_listener*> listeners_;
};

// One JSON object per event, handed to `sink` without a trailing newline. Addresses are printed
// as text through the book. "t_ns" and "kind" are always there, "node" whenever the event
// happened at a node (node 0 included), "status" for peer_added/peer_updated, "value" for the
// kinds that define one (0 included: kind_has_value), "command" (the command's name) for command
// events; every other field only when it is not zero or empty. docs/scenarios.md lists them all.
// sim/ does no file I/O: the runner's sink writes the lines. Example:
// {"t_ns":1000000,"kind":"delivered","node":3,"peer":"127.0.0.1:9002","type":"HELLO",
//           "id":7,"sender_clock":4,"clock":5}
// Scenario names for the writer: `node` names a node id, `peer` the node listening at an
// interned address ("" when the address is nobody's, e.g. an injected origin).
struct trace_names {
  std::function<std::string_view(node_id)> node;
  std::function<std::string_view(peer_id)> peer;
};

class trace_jsonl_writer final : public trace_listener {
 public:
  trace_jsonl_writer(const address_book& book, std::function<void(std::string_view line)> sink,
                     trace_names names = {})
      : book_(book), sink_(std::move(sink)), names_(std::move(names)) {}
  void on_trace_event(const trace_event& e) override;
  // The line for one event (no newline); exposed for tests and for the runner's own use. With
  // names, "name" (the node's) and "peer_name" (the other end's) follow "node" and "peer".
  static std::string format(const trace_event& e, const address_book& book,
                            const trace_names* names = nullptr);

 private:
  const address_book& book_;
  std::function<void(std::string_view)> sink_;
  trace_names names_;
  std::string line_;
};

}  // namespace eachare::sim
