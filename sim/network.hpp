// network: the simulated wire between the nodes of a world, shaped like the Asio transport
// (protocol.md §2 connection model): the requester connects (refused if nobody listens at the
// address or the node there is crashed), writes one request line, and for GET_PEERS / LS / DL
// waits for one reply line on the same connection, up to its timeout. Faults come from a
// fault_model (delay, loss, duplication, jitter, bandwidth, timeout) plus partitions. Every line
// is encoded with eachare::encode at the sender and decoded with eachare::decode at the receiver
// unless the structured fast path is switched on (benchmarks only); a PEER_LIST reply travels
// packed (book ids and clocks) and its line is written by the codec when it is delivered (or just
// before, on a reply_decoder), so the receiver decodes the same bytes (sim/packed_peer_list.hpp).
// sim_transport is the per-node eachare::transport that forwards to it.
//
// Threading rule: single-threaded (simulation thread). Every completion runs later, as an event
// of the shared event_queue — never synchronously inside send(). Deliveries run under the
// receiver's owner id and completions under the requester's, so a crashed node gets nothing and
// a paused node's share waits until it resumes.
//
// Timeline of one exchange A -> B (d = a delay draw on the line's link, incl. jitter and the
// bandwidth's transmission time):
//   t0            A sends: `sent`; nobody listening at B's address (never started, crashed,
//                 exited) -> errc::connection_refused at t0 + d(A->B).
//   t0 + d(A->B)  the request line reaches B (held while B is paused). Lost (drop or partition
//                 on A->B) -> A gets errc::timed_out at t0 + timeout. Does not decode ->
//                 B.on_bad_input(reason), A gets errc::closed_without_reply at t1 + d(B->A).
//                 HELLO / BYE: A's completion (success) follows at the same virtual time.
//   t1 + d(B->A)  the reply line reaches A (lost -> A times out; B crashed meanwhile -> lost).
//                 It decodes and has the expected type -> success with the reply;
//                 errc::malformed_reply / unexpected_reply otherwise; B returned no reply ->
//                 errc::closed_without_reply.
//   t0 + timeout  if nothing completed the exchange by then: errc::timed_out. For GET_PEERS /
//                 LS / DL the requesting node's own deadline (node_config::reply_timeout, the
//                 same value) comes first and calls abandon(), which ends the exchange the same
//                 way without calling the node back; the network's timeout then only covers
//                 HELLO / BYE.
// With fault_model::max_outbound_connections = K, a node's (K+1)-th concurrent request waits in
// a FIFO queue until one of its K exchanges completes, and only then connects (t0 above is the
// moment it leaves the queue; its deadline still runs from the send).
// Partitions block lines like a loss does (the requester times out, like the real transport when
// packets vanish); a one-way partition from X to Y blocks lines X -> Y only, so a request Y -> X
// arrives but its reply is lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/peer_node.hpp"
#include "node/core/ports.hpp"
#include "sim/event_queue.hpp"
#include "sim/fault_model.hpp"
#include "sim/packed_peer_list.hpp"
#include "sim/peer_world.hpp"
#include "sim/reply_decoder.hpp"
#include "sim/rng.hpp"
#include "sim/trace.hpp"

namespace eachare::sim {

class network final : private event_handler {
 public:
  // `seed` drives every fault draw (its own stream; nodes have theirs).
  network(event_queue& queue, trace& tr, std::uint64_t seed);
  ~network() override;
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  // --- endpoints (the world keeps these up to date) ---
  // Registers node `n` (its owner id in the queue is `n` too) at interned `address`.
  void add_node(node_id n, peer_id address);
  // The peer_node that lines for `n` are handed to (nullptr while it has none).
  void attach(node_id n, peer_node* node);
  // Whether connects to n's address are accepted (started and not crashed / exited). A paused
  // node keeps listening.
  void set_listening(node_id n, bool listening);
  bool listening(node_id n) const { return endpoints_[n].listening; }
  // The node registered at `address`, or no_node. O(1): a vector indexed by peer_id.
  node_id node_at(peer_id address) const;
  peer_id address_of(node_id n) const { return endpoints_[n].address; }
  std::size_t node_count() const { return endpoints_.size(); }

  // --- faults ---
  // The base model: what heal() returns to. Also makes it the current model.
  void configure(fault_model base);
  // Replaces the current model (set_network); heal() reverts it to the base.
  void set_faults(fault_model current);
  const fault_model& faults() const { return current_; }
  const fault_model& base_faults() const { return base_; }
  void set_group(node_id n, group_id g);
  group_id group_of(node_id n) const { return endpoints_[n].group; }
  // The data that applies to a line from -> to (link, then group pair, then defaults).
  const link_faults& link(node_id from, node_id to) const;

  // --- partitions (stack up until heal) ---
  // Symmetric: nodes in different groups cannot exchange lines; nodes in no group are not
  // affected by this partition. Returns the number of active partitions.
  std::size_t partition(const std::vector<std::vector<node_id>>& groups);
  // One-way: lines from any node of `from` to any node of `to` are lost; the reverse direction
  // stays open.
  std::size_t partition_oneway(const std::vector<node_id>& from, const std::vector<node_id>& to);
  // Ends every partition and reverts the current fault model to the base.
  void heal();
  bool blocked(node_id from, node_id to) const;
  std::size_t partitions_active() const { return partitions_.size(); }

  // --- traffic ---
  // Text mode (default): every line goes through eachare::encode / eachare::decode. Off: the
  // message value is handed over as is (no text, empty `line` arguments; sizes estimated).
  void set_text_codec(bool on) { text_codec_ = on; }
  // The address book every node of the world interns in (PEER_LIST ids are its ids). Without
  // one, replies travel as text.
  void set_book(const address_book& book) { book_ = &book; }
  // Where packed PEER_LIST replies of at least `min_entries` entries are made whole ahead of their
  // delivery (sim/reply_decoder.hpp); nullptr: at delivery, by the network. The trace is the same
  // either way. Set it before the first send. The decoder may outlive the network (and serve
  // others): the destructor releases every job it still has there, and must run before the
  // address book those jobs read is destroyed. Below the default, handing a reply over costs more
  // than its decoding (tests lower it to cover the path with small worlds).
  static constexpr std::uint32_t default_decode_ahead_entries = 128;
  void set_reply_decoder(std::shared_ptr<reply_decoder> decoder,
                         std::uint32_t min_entries = default_decode_ahead_entries) {
    decoder_ = std::move(decoder);
    decode_ahead_entries_ = min_entries;
  }
  bool text_codec() const { return text_codec_; }
  // A request from node `from` to interned address `to`. `on_done` runs later as an event.
  // Returns the id abandon() takes.
  send_id send(node_id from, peer_id to, const message& msg, send_handler on_done);
  // The requester's reply deadline passed (peer_node keeps it): if the exchange is still open,
  // it ends now exactly as the network's own timeout would — trace `timed_out`, `completed`,
  // counted in timed_out, `on_done` called with errc::timed_out before this returns. A reply
  // still on its way arrives as a late reply.
  void abandon(send_id id);
  // Delivers `line` to node `to` at the current time (as the next event) as if a client had
  // connected and written it: decoded (failure -> on_bad_input), handled, any reply discarded.
  // Refused (trace `refused`, nothing delivered) when `to` is not listening.
  void inject(node_id to, std::string line);

  // The id of the exchange whose line is being handed to a node right now (0 outside a
  // delivery). The world's observer adapter stamps `received` events with it.
  std::uint64_t current_message_id() const { return current_message_id_; }
  const network_counters& counters() const { return counters_; }
  // PEER_LIST replies handed to their requesters, and the entries they held (the scale programs'
  // measure of a discovery's work).
  struct peer_list_counters {
    std::uint64_t replies = 0;
    std::uint64_t entries = 0;
  };
  const peer_list_counters& peer_lists_delivered() const { return peer_lists_; }
  // Exchanges not yet finished: the requester still waits, or a duplicate / reply line naming it
  // is still queued. 0 once a run is quiet (tests use it to check nothing leaks).
  std::size_t exchanges_in_flight() const { return live_exchanges_; }

  // The world calls this when node `n` crashes, exits or pauses, before anything else happens to
  // it: every exchange in flight from or to `n` gets its timeout posted (see `exchange`).
  void arm_timeouts_of(node_id n);

 private:
  static constexpr std::uint32_t no_exchange = 0xFFFFFFFFu;
  struct endpoint {
    peer_node* node = nullptr;
    peer_id address = no_peer;
    group_id group = 0;
    bool listening = false;
    // Heads of the lists of exchanges with a deferred timeout (never done) that this node sent
    // ([0]) or is the receiver of ([1]): arm_timeouts_of visits just those.
    std::uint32_t deferred[2] = {no_exchange, no_exchange};
  };
  struct partition_state {
    bool oneway = false;
    std::vector<std::uint16_t> side;  // per node: 0 not involved; symmetric: group + 1;
                                      // one-way: 1 from, 2 to
  };
  enum class timeout_state : std::uint8_t {
    none,      // no timeout (refused, injected)
    deferred,  // reserved, not posted: the exchange completes before its deadline
    armed,     // posted
  };
  // Small header, alive until the requester completed and every delivery / completion event
  // naming it has run or been dropped (a pending timeout does not keep it: it checks `gen`).
  //
  // The requester's timeout is not posted when the request is sent, only when it can matter: its
  // sequence number is reserved at send time and the event is posted (at the same deadline, with
  // that sequence, so it runs exactly where it would have) as soon as the exchange might not
  // complete strictly before the deadline — a line lost or blocked, a delay reaching the
  // deadline, a receiver without a node, or either end crashing, exiting or pausing
  // (arm_timeouts_of). Otherwise the exchange completes first and the timeout would have popped
  // as a no-op: skipping it spares a queue push, a pop and a dispatch per exchange.
  struct exchange {
    std::uint64_t id = 0;
    std::int64_t deadline_ns = 0;        // the requester's timeout: send time + timeout
    std::uint64_t timeout_sequence = 0;  // reserved in the event queue at send time
    std::uint32_t gen = 1;
    std::uint32_t body = 0;  // index into bodies_
    node_id from = no_node;  // no_node: an injected line
    node_id to = no_node;
    std::uint32_t from_gen = 0;  // requester / responder incarnations at send time
    std::uint32_t to_gen = 0;
    peer_id to_address = no_peer;
    std::uint16_t refs = 0;  // delivery / completion events still naming this exchange
    std::uint8_t deliveries = 0;
    std::uint8_t pending_deliveries = 0;  // request-line deliveries still queued (duplicates)
    std::uint8_t complete_error = 0;      // errc for a `complete` event (0: success)
    message_type type = message_type::hello;
    bool done = false;  // the requester's completion has run (or the requester is gone)
    timeout_state timeout = timeout_state::none;
    bool holds_connection = false;  // counts against the requester's max_outbound_connections
    bool waited = false;            // waited in the connection queue (its deadline is armed)
    // Links in the requester's ([0]) and the receiver's ([1]) deferred lists.
    std::uint32_t prev[2] = {no_exchange, no_exchange};
    std::uint32_t next[2] = {no_exchange, no_exchange};
  };
  // A request line: up to 31 characters kept inline (a HELLO or BYE line is 21-25, past
  // std::string's 15-character buffer, so each used to cost a 32-byte heap block besides the
  // 32-byte string), longer ones on the heap. 32 bytes. Its heap buffer, when small, is kept
  // for the next line (as release_text does for std::string).
  class short_line {
   public:
    short_line() = default;
    ~short_line();
    short_line(const short_line&) = delete;
    short_line& operator=(const short_line&) = delete;
    void assign(std::string_view s);
    std::string_view view() const;
    std::size_t size() const { return view().size(); }
    // Empty again; a heap buffer over 512 bytes goes back to the allocator.
    void release();

   private:
    static constexpr std::uint8_t on_heap = 0xFF;
    static constexpr std::size_t local_capacity = 31;
    struct heap_part {
      char* data;
      std::uint32_t size;
      std::uint32_t capacity;
    };
    heap_part heap() const;
    void set_heap(const heap_part& h);
    // Inline: the characters; on the heap: a heap_part (copied in and out: no type punning).
    alignas(8) char bytes_[local_capacity] = {};
    std::uint8_t tag_ = 0;  // the inline length, or on_heap
  };
  // The heavy part, freed as soon as the requester's completion ran and no copy of the request
  // line is still to be delivered.
  // Only what every exchange touches (64 bytes): with 2,000,000 exchanges in flight (a million
  // peers saying BYE) every byte here counts twice per peer. Reply lines (GET_PEERS, LS, DL
  // only) sit in replies_ and the structured messages in structured_, indexed like bodies_.
  struct body {
    send_handler on_done;
    short_line request_line;
  };
  // The structured fast path's messages, indexed like bodies_; grown on first use.
  struct structured_body {
    message request;
    message reply;
  };
  enum class ev : std::uint32_t { deliver_request, deliver_reply, complete, timeout };

  void on_event(std::uint32_t a, std::uint32_t b) override;
  void on_event_dropped(std::uint32_t a, std::uint32_t b) override;

  std::uint32_t new_exchange();
  // An event `delay` from now for exchange x, run under `owner` (the requester or the responder,
  // as the incarnation recorded at send time). `fixed`: a delay that recurs (timeout, constant
  // link), which the queue keeps in a FIFO lane.
  void post(duration delay, bool fixed, ev kind, std::uint32_t x, owner_id owner);
  // Posts x's deferred timeout (no-op when there is none, it is posted, or x is done).
  void arm_timeout(std::uint32_t x);
  // Arms x's timeout if an event `delay` from now would not come strictly before the deadline.
  // x's timeout becomes deferred / stops being deferred (posted, or the exchange is done).
  void begin_deferral(std::uint32_t x);
  void end_deferral(std::uint32_t x);
  void release(std::uint32_t x);
  // Puts exchange x on the wire: connect (or refused), then the request line. `msg` is the
  // request when it is sent at once; nullptr when it comes out of the connection queue (the
  // body holds it).
  void start_exchange(std::uint32_t x, const message* msg);
  // x is done: its connection slot goes to the next request waiting in its requester's queue.
  void release_connection(std::uint32_t x);
  void free_body(std::uint32_t x);
  structured_body& structured_of(std::uint32_t body_index);
  // A reply in flight: its text, or a packed PEER_LIST (sim/packed_peer_list.hpp), or the
  // ticket of a packed one handed to the reply decoder.
  struct reply_text {
    std::string line;
    bool packed = false;
    reply_decoder::ticket ticket = reply_decoder::no_ticket;
  };
  // The reply slot of a body (replies_ grows on first use).
  reply_text& reply_line_of(std::uint32_t body_index);
  void free_if_unused(std::uint32_t x);
  bool current(std::uint32_t a, std::uint32_t b) const;
  duration line_delay(const link_faults& lf, std::size_t bytes);
  void handle_request(std::uint32_t x);
  void handle_reply(std::uint32_t x);
  void count_peer_list(const message& reply);
  // A reply built by id given its entries' text (sim::with_names), where text is needed: a trace
  // line, the unpacked text path, the structured codec.
  void with_text(message& reply) const;
  // `line`: the reply's text, handed to the requester with it.
  void finish(std::uint32_t x, std::error_code ec, message* reply, std::string_view line = {});
  // The book's names for packed replies: refreshed when the book has grown a chunk.
  const std::shared_ptr<const name_snapshot>& names();
  // One line of exchange x on the src -> dst link: partition, drop and duplicate faults, then its
  // delivery event(s) `deliver` owned by dst. A lost line arms the requester's timeout. `leg` is
  // the trace value: 0 for the request, 1 for the reply. Returns the virtual time (ns) of the
  // first delivery posted, or -1 when the line is lost.
  std::int64_t transmit_line(std::uint32_t x, node_id src, node_id dst, std::size_t bytes,
                             ev deliver, std::uint64_t leg);
  void emit(trace_kind k, node_id n, peer_id p, const exchange& e, std::uint64_t value = 0,
            std::error_code ec = {}, std::uint64_t sender_clock = 0, std::string_view line = {});

  event_queue& queue_;
  trace& trace_;
  rng rng_;
  std::uint8_t handler_;
  bool text_codec_ = true;
  fault_model base_;
  fault_model current_;
  bool has_overrides_ = false;
  std::vector<endpoint> endpoints_;
  std::vector<node_id> by_address_;  // peer_id -> node
  std::vector<partition_state> partitions_;
  std::vector<exchange> exchanges_;
  std::vector<std::uint32_t> free_exchanges_;
  // Growable arrays whose elements never move (a node may send, and add bodies, while it reads
  // one): fixed chunks of 256 elements. A std::deque did the same with 512-byte blocks, whose
  // block map, at 200,000 exchanges in flight, was one more cache miss per access.
  template <class T>
  class stable_array {
   public:
    T& operator[](std::size_t i) { return chunks_[i >> chunk_bits][i & (chunk_size - 1)]; }
    std::size_t size() const { return size_; }
    void emplace_back() {  // the chunk's elements are constructed with it
      if (size_ == chunks_.size() * chunk_size)
        chunks_.push_back(std::make_unique<T[]>(chunk_size));
      ++size_;
    }

   private:
    static constexpr std::size_t chunk_bits = 8;
    static constexpr std::size_t chunk_size = std::size_t{1} << chunk_bits;
    std::vector<std::unique_ptr<T[]>> chunks_;
    std::size_t size_ = 0;
  };
  stable_array<body> bodies_;
  std::vector<std::uint32_t> free_bodies_;
  stable_array<structured_body> structured_;
  stable_array<reply_text> replies_;  // reply lines, indexed like bodies_; grown on first use
  std::string line_scratch_;          // a request line is encoded here, then kept in the body
  std::size_t live_exchanges_ = 0;
  // Connection queues (max_outbound_connections), only for requesters with requests open under
  // the limit: an unlimited network keeps nothing per node. Waiting entries are (slot, gen).
  struct connection_queue {
    std::uint32_t active = 0;
    std::deque<std::pair<std::uint32_t, std::uint32_t>> waiting;
  };
  std::map<node_id, connection_queue> connections_;
  std::uint64_t next_message_id_ = 1;
  const address_book* book_ = nullptr;
  // Text mode keeps a PEER_LIST reply in flight packed (a few bytes per entry, not its ~25
  // characters of text: at 5,000 peers the replies in flight were most of the memory) when the
  // book is known and every entry carries its book id. The delivery decodes the very line
  // encode() would have written, as any line (decode_packed_reply), here or on decoder_.
  decoded_reply reply_scratch_;  // a packed reply made whole at its delivery
  std::shared_ptr<const name_snapshot> names_;
  std::shared_ptr<reply_decoder> decoder_;
  std::uint32_t decode_ahead_entries_ = default_decode_ahead_entries;
  std::string pack_scratch_;  // pack_peer_list's buffer, sized for the widest reply so far
  // Buffers of packed replies the decoder gave back (reply_decoder::release), reused for the
  // next packings instead of a new heap block per reply. At most spare_packed_max of them.
  static constexpr std::size_t spare_packed_max = 1024;
  std::vector<std::string> spare_packed_;
  void give_back(reply_decoder::ticket t);  // releases t, keeping its bytes' buffer
  std::string wire_scratch_;  // the line of the event being emitted, when the trace wants lines
  message reply_spare_;       // a node's reply while it is sent (peer_node::on_message)
  std::uint64_t current_message_id_ = 0;
  network_counters counters_;
  peer_list_counters peer_lists_;
};

// eachare::transport for one simulated node. 24 bytes.
class sim_transport final : public transport {
 public:
  sim_transport(network& net, node_id self) : net_(&net), self_(self) {}
  send_id send(peer_id to, const message& msg, send_handler on_done) override {
    return net_->send(self_, to, msg, std::move(on_done));
  }
  void abandon(send_id id) override { net_->abandon(id); }

 private:
  network* net_;
  node_id self_;
};

}  // namespace eachare::sim
