#include "sim/network.hpp"

#include <cassert>
#include <cmath>
#include <cstring>
#include <utility>

#include "node/core/errors.hpp"
#include "node/protocol/codec.hpp"

namespace eachare::sim {
namespace {

constexpr std::uint32_t gen_mask = 0x3FFFFFFFu;  // the low 2 bits of `b` carry the event kind
constexpr std::uint32_t no_body = 0xFFFFFFFFu;

duration ms_to_duration(std::uint64_t ms) {
  return std::chrono::milliseconds(ms);
}

// Size of a line when the structured fast path skips encoding: close enough for bandwidth.
std::size_t estimated_bytes(const message& m) {
  std::size_t n = m.origin.size() + 24;
  if (const auto* pl = std::get_if<peer_list_body>(&m.body)) n += pl->size() * 32;
  if (const auto* ls = std::get_if<ls_list_body>(&m.body)) n += ls->files.size() * 24;
  if (const auto* f = std::get_if<file_body>(&m.body)) n += (f->data.size() + 2) / 3 * 4;
  return n;
}

// Keeps small buffers for reuse, gives big ones (PEER_LIST, FILE lines) back to the allocator.
void release_text(std::string& s) {
  constexpr std::size_t keep_bytes = 512;
  if (s.capacity() > keep_bytes) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

bool constant(const link_faults& lf) {
  return lf.delay.dist == delay_distribution::kind::constant;
}

// Every line on such a link takes the same time: its events can use a FIFO lane of the queue.
bool fixed_line_delay(const link_faults& lf) {
  return constant(lf) && !(lf.reorder_jitter_ms > 0) && lf.bandwidth_bytes_per_s == 0;
}

std::string decode_reason(const decode_status& st) {
  std::string why(to_string(st.error));
  if (!st.detail.empty()) {
    why += ": ";
    why += st.detail;
  }
  return why;
}

}  // namespace

// --- short_line -----------------------------------------------------------------------------

network::short_line::~short_line() {
  if (tag_ == on_heap) delete[] heap().data;
}

network::short_line::heap_part network::short_line::heap() const {
  heap_part h;
  std::memcpy(&h, bytes_, sizeof h);
  return h;
}

void network::short_line::set_heap(const heap_part& h) {
  std::memcpy(bytes_, &h, sizeof h);
  tag_ = on_heap;
}

void network::short_line::assign(std::string_view s) {
  if (tag_ == on_heap) {
    heap_part h = heap();
    if (s.size() <= h.capacity) {
      if (!s.empty()) std::memcpy(h.data, s.data(), s.size());
      h.size = static_cast<std::uint32_t>(s.size());
      set_heap(h);
      return;
    }
    delete[] h.data;
    tag_ = 0;
  }
  if (s.size() <= local_capacity) {
    if (!s.empty()) std::memcpy(bytes_, s.data(), s.size());
    tag_ = static_cast<std::uint8_t>(s.size());
    return;
  }
  heap_part h{new char[s.size()], static_cast<std::uint32_t>(s.size()),
              static_cast<std::uint32_t>(s.size())};
  std::memcpy(h.data, s.data(), s.size());
  set_heap(h);
}

std::string_view network::short_line::view() const {
  if (tag_ != on_heap) return {bytes_, tag_};
  const heap_part h = heap();
  return {h.data, h.size};
}

void network::short_line::release() {
  if (tag_ != on_heap) {
    tag_ = 0;
    return;
  }
  heap_part h = heap();
  constexpr std::uint32_t keep_bytes = 512;
  if (h.capacity > keep_bytes) {
    delete[] h.data;
    tag_ = 0;
    return;
  }
  h.size = 0;
  set_heap(h);
}

// --- network --------------------------------------------------------------------------------

network::network(event_queue& queue, trace& tr, std::uint64_t seed)
    : queue_(queue), trace_(tr), rng_(seed), handler_(queue.register_handler(*this)) {}

network::~network() {
  // Jobs still with the decoder read this world's address book, which the world destroys right
  // after its network: take them back first (release waits for a job the helper is on).
  if (decoder_ == nullptr) return;
  for (std::size_t i = 0; i < replies_.size(); ++i) {
    if (replies_[i].ticket != reply_decoder::no_ticket) decoder_->release(replies_[i].ticket);
  }
}

// --- endpoints ------------------------------------------------------------------------------

void network::add_node(node_id n, peer_id address) {
  if (n >= endpoints_.size()) endpoints_.resize(static_cast<std::size_t>(n) + 1);
  endpoints_[n].address = address;
  if (address >= by_address_.size())
    by_address_.resize(static_cast<std::size_t>(address) + 1, no_node);
  by_address_[address] = n;
  queue_.ensure_owner(n);
}

void network::attach(node_id n, peer_node* node) {
  endpoints_[n].node = node;
}

void network::set_listening(node_id n, bool listening) {
  endpoints_[n].listening = listening;
}

node_id network::node_at(peer_id address) const {
  return address < by_address_.size() ? by_address_[address] : no_node;
}

// --- faults ---------------------------------------------------------------------------------

void network::configure(fault_model base) {
  base_ = std::move(base);
  set_faults(base_);
}

void network::set_faults(fault_model current) {
  current_ = std::move(current);
  has_overrides_ = !current_.group_overrides.empty() || !current_.link_overrides.empty();
}

void network::set_group(node_id n, group_id g) {
  endpoints_[n].group = g;
}

const link_faults& network::link(node_id from, node_id to) const {
  if (!has_overrides_ || from == no_node || to == no_node) return current_.defaults;
  if (!current_.link_overrides.empty()) {
    auto it = current_.link_overrides.find({from, to});
    if (it != current_.link_overrides.end()) return it->second;
  }
  if (!current_.group_overrides.empty()) {
    auto it = current_.group_overrides.find({endpoints_[from].group, endpoints_[to].group});
    if (it != current_.group_overrides.end()) return it->second;
  }
  return current_.defaults;
}

// --- partitions -----------------------------------------------------------------------------

std::size_t network::partition(const std::vector<std::vector<node_id>>& groups) {
  partition_state p;
  p.oneway = false;
  p.side.assign(endpoints_.size(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (node_id n : groups[g]) {
      if (n < p.side.size()) p.side[n] = static_cast<std::uint16_t>(g + 1);
    }
  }
  partitions_.push_back(std::move(p));
  return partitions_.size();
}

std::size_t network::partition_oneway(const std::vector<node_id>& from,
                                      const std::vector<node_id>& to) {
  partition_state p;
  p.oneway = true;
  p.side.assign(endpoints_.size(), 0);
  for (node_id n : from) {
    if (n < p.side.size()) p.side[n] = 1;
  }
  for (node_id n : to) {
    if (n < p.side.size()) p.side[n] = 2;
  }
  partitions_.push_back(std::move(p));
  return partitions_.size();
}

void network::heal() {
  partitions_.clear();
  set_faults(base_);
}

bool network::blocked(node_id from, node_id to) const {
  for (const partition_state& p : partitions_) {
    const std::uint16_t a = from < p.side.size() ? p.side[from] : 0;
    const std::uint16_t b = to < p.side.size() ? p.side[to] : 0;
    if (p.oneway) {
      if (a == 1 && b == 2) return true;
    } else if (a != 0 && b != 0 && a != b) {
      return true;
    }
  }
  return false;
}

// --- exchanges ------------------------------------------------------------------------------

std::uint32_t network::new_exchange() {
  std::uint32_t x;
  if (!free_exchanges_.empty()) {
    x = free_exchanges_.back();
    free_exchanges_.pop_back();
  } else {
    x = static_cast<std::uint32_t>(exchanges_.size());
    exchanges_.emplace_back();
  }
  std::uint32_t b;
  if (!free_bodies_.empty()) {
    b = free_bodies_.back();
    free_bodies_.pop_back();
  } else {
    b = static_cast<std::uint32_t>(bodies_.size());
    bodies_.emplace_back();
  }
  exchange& e = exchanges_[x];
  const std::uint32_t gen = e.gen;
  e = exchange{};
  e.gen = gen;
  e.body = b;
  ++live_exchanges_;
  return x;
}

void network::post(duration delay, bool fixed, ev kind, std::uint32_t x, owner_id owner) {
  exchange& e = exchanges_[x];
  // A timeout does not keep the exchange alive: once the requester completed, the header is
  // reused and the stale timeout, finding another generation, does nothing.
  if (kind != ev::timeout) ++e.refs;
  if (kind == ev::deliver_request) ++e.pending_deliveries;
  // Every line and completion of an exchange comes through here: one that would not come
  // strictly before the deadline means the timeout can fire (or tie and win on sequence).
  if (e.timeout == timeout_state::deferred && queue_.now().count() + delay.count() >= e.deadline_ns)
    arm_timeout(x);
  const std::uint32_t word = ((e.gen & gen_mask) << 2) | static_cast<std::uint32_t>(kind);
  // Events run under the incarnation that was there at send time, not whoever holds the owner
  // id when they are posted: a requester that crashed in between gets nothing, nor does its
  // restarted successor.
  const std::uint32_t gen = owner == e.from ? e.from_gen : e.to_gen;
  if (fixed) {
    queue_.post_after_fixed(delay, handler_, x, word, owner, gen);
  } else {
    queue_.post_for(queue_.now() + delay, handler_, x, word, owner, gen);
  }
}

void network::begin_deferral(std::uint32_t x) {
  exchange& e = exchanges_[x];
  e.timeout = timeout_state::deferred;
  for (int side = 0; side < 2; ++side) {
    std::uint32_t& head = endpoints_[side == 0 ? e.from : e.to].deferred[side];
    e.prev[side] = no_exchange;
    e.next[side] = head;
    if (head != no_exchange) exchanges_[head].prev[side] = x;
    head = x;
  }
}

void network::end_deferral(std::uint32_t x) {
  exchange& e = exchanges_[x];
  e.timeout = timeout_state::none;
  for (int side = 0; side < 2; ++side) {
    if (e.prev[side] != no_exchange) {
      exchanges_[e.prev[side]].next[side] = e.next[side];
    } else {
      endpoints_[side == 0 ? e.from : e.to].deferred[side] = e.next[side];
    }
    if (e.next[side] != no_exchange) exchanges_[e.next[side]].prev[side] = e.prev[side];
  }
}

void network::arm_timeout(std::uint32_t x) {
  exchange& e = exchanges_[x];
  if (e.timeout != timeout_state::deferred || e.done) return;
  end_deferral(x);
  e.timeout = timeout_state::armed;
  const std::uint32_t word = ((e.gen & gen_mask) << 2) | static_cast<std::uint32_t>(ev::timeout);
  queue_.post_reserved(duration{e.deadline_ns}, e.timeout_sequence, handler_, x, word, e.from,
                       e.from_gen);
}

void network::arm_timeouts_of(node_id n) {
  // Arming takes the exchange off both lists. Deferred exchanges are never done.
  for (int side = 0; side < 2; ++side) {
    while (endpoints_[n].deferred[side] != no_exchange) arm_timeout(endpoints_[n].deferred[side]);
  }
}

void network::free_body(std::uint32_t x) {
  exchange& e = exchanges_[x];
  if (e.body == no_body) return;
  body& bd = bodies_[e.body];
  bd.on_done = nullptr;
  bd.request_line.release();
  if (e.body < replies_.size()) {
    reply_text& rt = replies_[e.body];
    release_text(rt.line);
    rt.packed = false;
    if (rt.ticket != reply_decoder::no_ticket) {  // a reply that was never delivered
      give_back(rt.ticket);
      rt.ticket = reply_decoder::no_ticket;
    }
  }
  if (e.body < structured_.size()) {
    // Resetting an empty message still builds and moves a whole one.
    structured_body& sb = structured_[e.body];
    if (!sb.request.origin.empty() || sb.request.body.index() != 0) sb.request = message{};
    if (!sb.reply.origin.empty() || sb.reply.body.index() != 0) sb.reply = message{};
  }
  free_bodies_.push_back(e.body);
  e.body = no_body;
}

network::structured_body& network::structured_of(std::uint32_t body_index) {
  while (structured_.size() <= body_index) structured_.emplace_back();
  return structured_[body_index];
}

network::reply_text& network::reply_line_of(std::uint32_t body_index) {
  while (replies_.size() <= body_index) replies_.emplace_back();
  return replies_[body_index];
}

void network::release(std::uint32_t x) {
  exchange& e = exchanges_[x];
  assert(e.refs > 0);
  --e.refs;
  free_if_unused(x);
}

void network::free_if_unused(std::uint32_t x) {
  exchange& e = exchanges_[x];
  // Not done means the requester's timeout (which holds no reference) is still to come.
  if (e.refs != 0 || !e.done) return;
  free_body(x);
  e.gen = (e.gen + 1) & gen_mask;
  free_exchanges_.push_back(x);
  --live_exchanges_;
}

duration network::line_delay(const link_faults& lf, std::size_t bytes) {
  duration d = lf.delay.sample(rng_);
  if (lf.reorder_jitter_ms > 0) {
    d += duration{static_cast<std::int64_t>(
        std::llround(rng_.uniform_real(0.0, lf.reorder_jitter_ms) * 1e6))};
  }
  if (lf.bandwidth_bytes_per_s > 0) {
    d += duration{static_cast<std::int64_t>(std::llround(
        static_cast<double>(bytes) * 1e9 / static_cast<double>(lf.bandwidth_bytes_per_s)))};
  }
  return d;
}

void network::emit(trace_kind k, node_id n, peer_id p, const exchange& e, std::uint64_t value,
                   std::error_code ec, std::uint64_t sender_clock, std::string_view line) {
  trace_event t;
  t.time = queue_.now();
  t.kind = k;
  t.node = n;
  t.peer = p;
  t.has_type = true;
  t.type = e.type;
  t.message_id = e.id;
  t.sender_clock = sender_clock;
  t.clock = sender_clock;
  t.error = static_cast<std::uint32_t>(ec.value());
  t.value = value;
  t.line = line;
  trace_.emit(t);
}

send_id network::send(node_id from, peer_id to, const message& msg, send_handler on_done) {
  const std::uint32_t x = new_exchange();
  // Slot + 1 (never 0) and the slot's generation: a reused slot does not answer an old id.
  const send_id id =
      (static_cast<send_id>(exchanges_[x].gen) << 32) | (static_cast<send_id>(x) + 1);
  const node_id dest = node_at(to);
  {
    exchange& e = exchanges_[x];
    e.id = next_message_id_++;
    e.from = from;
    e.from_gen = queue_.generation(from);
    e.to = dest;
    e.to_address = to;
    e.type = msg.type();
    bodies_[e.body].on_done = std::move(on_done);
  }
  ++counters_.requests_sent;
  if (trace_.wants_lines()) {
    wire_scratch_.clear();
    encode_to(msg, wire_scratch_);
  }
  emit(trace_kind::sent, from, to, exchanges_[x], 0, {}, msg.clock,
       trace_.wants_lines() ? std::string_view(wire_scratch_) : std::string_view());

  if (const std::uint32_t limit = current_.max_outbound_connections; limit > 0) {
    connection_queue& q = connections_[from];
    if (q.active >= limit) {
      // Waits for a connection slot: the request is kept in the body, and the deadline runs
      // from now, armed at once (the wait may outlast it).
      exchange& e = exchanges_[x];
      body& bd = bodies_[e.body];
      if (text_codec_) {
        line_scratch_.clear();
        encode_to(msg, line_scratch_);
        bd.request_line.assign(line_scratch_);
      } else {
        structured_of(e.body).request = msg;
      }
      e.waited = true;
      e.deadline_ns = (queue_.now() + ms_to_duration(link(from, dest).timeout_ms)).count();
      e.timeout_sequence = queue_.reserve_sequence();
      begin_deferral(x);
      arm_timeout(x);
      q.waiting.emplace_back(x, e.gen);
      return id;
    }
    ++q.active;
    exchanges_[x].holds_connection = true;
  }
  start_exchange(x, &msg);
  return id;
}

void network::start_exchange(std::uint32_t x, const message* msg) {
  const node_id from = exchanges_[x].from;
  const node_id dest = exchanges_[x].to;
  const peer_id to = exchanges_[x].to_address;
  const link_faults& lf = link(from, dest);
  if (dest == no_node || !endpoints_[dest].listening) {
    ++counters_.refused;
    emit(trace_kind::refused, from, to, exchanges_[x]);
    exchanges_[x].complete_error = static_cast<std::uint8_t>(errc::connection_refused);
    post(lf.delay.sample(rng_), constant(lf), ev::complete, x, from);
    return;
  }
  exchanges_[x].to_gen = queue_.generation(dest);
  std::size_t bytes;
  body& bd = bodies_[exchanges_[x].body];
  if (msg == nullptr) {
    bytes = text_codec_ ? bd.request_line.size() + 1
                        : estimated_bytes(structured_of(exchanges_[x].body).request);
  } else if (text_codec_) {
    line_scratch_.clear();
    encode_to(*msg, line_scratch_);
    bd.request_line.assign(line_scratch_);
    bytes = line_scratch_.size() + 1;
  } else {
    structured_of(exchanges_[x].body).request = *msg;
    bytes = estimated_bytes(*msg);
  }
  if (!exchanges_[x].waited) {
    exchange& e = exchanges_[x];
    e.deadline_ns = (queue_.now() + ms_to_duration(lf.timeout_ms)).count();
    e.timeout_sequence = queue_.reserve_sequence();
    begin_deferral(x);
    // Nothing runs at a paused end until it resumes, which may be after the deadline.
    if (queue_.paused(from) || queue_.paused(dest)) arm_timeout(x);
  }
  transmit_line(x, from, dest, bytes, ev::deliver_request, 0);
}

void network::release_connection(std::uint32_t x) {
  exchange& e = exchanges_[x];
  if (!e.holds_connection) return;
  e.holds_connection = false;
  const auto it = connections_.find(e.from);
  if (it == connections_.end()) return;
  connection_queue& q = it->second;
  --q.active;
  while (q.active < current_.max_outbound_connections && !q.waiting.empty()) {
    const auto [next, gen] = q.waiting.front();
    q.waiting.pop_front();
    exchange& n = exchanges_[next];
    // Timed out or abandoned while it waited, or its requester crashed: it never connects.
    if (n.gen != gen || n.done || queue_.generation(n.from) != n.from_gen) continue;
    // Its deadline is this very instant: it times out now rather than connect for nothing.
    if (n.deadline_ns <= queue_.now().count()) continue;
    ++q.active;
    n.holds_connection = true;
    start_exchange(next, nullptr);
  }
  if (q.active == 0 && q.waiting.empty()) connections_.erase(it);
}

void network::abandon(send_id id) {
  if (id == 0) return;
  const auto x = static_cast<std::uint32_t>((id & 0xFFFFFFFFu) - 1);
  const auto gen = static_cast<std::uint32_t>(id >> 32);
  if (x >= exchanges_.size()) return;
  exchange& e = exchanges_[x];
  if (e.gen != gen || e.done) return;
  // What the network's own timeout event does, at the node's deadline.
  ++counters_.timed_out;
  emit(trace_kind::timed_out, e.from, e.to_address, e);
  finish(x, errc::timed_out, nullptr);
  free_if_unused(x);
}

std::int64_t network::transmit_line(std::uint32_t x, node_id src, node_id dst, std::size_t bytes,
                                    ev deliver, std::uint64_t leg) {
  const link_faults& lf = link(src, dst);
  const peer_id dst_address = endpoints_[dst].address;
  if (blocked(src, dst)) {
    ++counters_.partitioned;
    emit(trace_kind::partitioned, src, dst_address, exchanges_[x], leg);
    arm_timeout(x);
    return -1;
  }
  // Both draws always happen, so a change of one probability does not shift the other's stream.
  const bool drop = rng_.bernoulli(lf.drop_probability);
  const bool dup = rng_.bernoulli(lf.duplicate_probability);
  if (drop) {
    ++counters_.dropped;
    emit(trace_kind::dropped, src, dst_address, exchanges_[x], leg);
    arm_timeout(x);
    return -1;
  }
  const duration delay = line_delay(lf, bytes);
  post(delay, fixed_line_delay(lf), deliver, x, dst);
  if (dup) {
    ++counters_.duplicated;
    emit(trace_kind::duplicated, src, dst_address, exchanges_[x], leg);
    post(line_delay(lf, bytes), fixed_line_delay(lf), deliver, x, dst);
  }
  return queue_.now().count() + delay.count();
}

void network::inject(node_id to, std::string line) {
  const std::uint32_t x = new_exchange();
  exchange& e = exchanges_[x];
  e.id = next_message_id_++;
  e.from = no_node;
  e.to = to;
  e.to_gen = queue_.generation(to);
  e.done = true;  // nobody waits for a reply
  trace_event t;
  t.time = queue_.now();
  t.kind = trace_kind::injected;
  t.node = to;
  t.message_id = e.id;
  t.detail = line;
  trace_.emit(t);
  if (!endpoints_[to].listening) {
    ++counters_.refused;
    t.kind = trace_kind::refused;
    t.detail = {};
    trace_.emit(t);
    // Nothing names the exchange: release it straight away.
    ++exchanges_[x].refs;
    release(x);
    return;
  }
  bodies_[e.body].request_line.assign(line);
  post(duration{0}, true, ev::deliver_request, x, to);
}

// --- events ---------------------------------------------------------------------------------

bool network::current(std::uint32_t a, std::uint32_t b) const {
  return a < exchanges_.size() && (exchanges_[a].gen & gen_mask) == (b >> 2);
}

void network::on_event(std::uint32_t a, std::uint32_t b) {
  const auto kind = static_cast<ev>(b & 3u);
  if (kind == ev::timeout) {
    if (!current(a, b)) return;  // the exchange completed and its header was reused
    exchange& e = exchanges_[a];
    if (!e.done) {
      ++counters_.timed_out;
      emit(trace_kind::timed_out, e.from, e.to_address, e);
      finish(a, errc::timed_out, nullptr);
    }
    free_if_unused(a);
    return;
  }
  assert(current(a, b));
  switch (kind) {
    case ev::deliver_request: {
      handle_request(a);
      exchange& e = exchanges_[a];
      if (--e.pending_deliveries == 0 && e.done) free_body(a);
      break;
    }
    case ev::deliver_reply:
      handle_reply(a);
      break;
    case ev::complete: {
      exchange& e = exchanges_[a];
      if (!e.done)
        finish(a,
               e.complete_error ? make_error_code(static_cast<errc>(e.complete_error))
                                : std::error_code{},
               nullptr);
      break;
    }
    case ev::timeout:
      break;  // handled above
  }
  release(a);
}

void network::on_event_dropped(std::uint32_t a, std::uint32_t b) {
  if (static_cast<ev>(b & 3u) == ev::timeout) {
    if (!current(a, b)) return;
    // The requester is gone (crashed): nobody will complete this exchange.
    exchange& e = exchanges_[a];
    e.done = true;
    release_connection(a);
    if (e.pending_deliveries == 0) free_body(a);
    free_if_unused(a);
    return;
  }
  assert(current(a, b));
  if (static_cast<ev>(b & 3u) == ev::deliver_request) {
    exchange& e = exchanges_[a];
    if (--e.pending_deliveries == 0 && e.done) free_body(a);
  }
  release(a);
}

void network::handle_request(std::uint32_t x) {
  const node_id to = exchanges_[x].to;
  peer_node* node = endpoints_[to].node;
  if (node == nullptr) {
    arm_timeout(x);  // nothing will answer
    return;
  }
  const bool first = ++exchanges_[x].deliveries == 1;
  const node_id from = exchanges_[x].from;
  const peer_id from_address = from == no_node ? no_peer : endpoints_[from].address;
  body& bd = bodies_[exchanges_[x].body];  // stable: see stable_array
  ++counters_.delivered;

  const std::uint32_t body_index = exchanges_[x].body;
  const message* msg = nullptr;
  std::string_view line;
  message decoded;
  if (!(text_codec_ || from == no_node)) {
    msg = &structured_of(body_index).request;  // stable too
  } else {
    line = bd.request_line.view();
    const decode_status st = decode(line, decoded);
    if (!st.ok()) {
      ++counters_.bad_input;
      const std::string why = decode_reason(st);
      trace_event t;
      t.time = queue_.now();
      t.kind = trace_kind::bad_input;
      t.node = to;
      t.peer = from_address;
      t.message_id = exchanges_[x].id;
      t.detail = why;
      trace_.emit(t);
      current_message_id_ = exchanges_[x].id;
      node->on_bad_input(why);
      current_message_id_ = 0;
      if (first && from != no_node) {
        exchange& e = exchanges_[x];
        if (!expects_reply(e.type)) {
          post(duration{0}, true, ev::complete, x, from);
        } else {
          e.complete_error = static_cast<std::uint8_t>(errc::closed_without_reply);
          post(link(to, from).delay.sample(rng_), constant(link(to, from)), ev::complete, x, from);
        }
      }
      return;
    }
    msg = &decoded;
  }
  {
    trace_event t;
    t.time = queue_.now();
    t.kind = trace_kind::delivered;
    t.node = to;
    t.peer = from_address;
    t.has_type = true;
    t.type = msg->type();
    t.message_id = exchanges_[x].id;
    t.sender_clock = msg->clock;
    trace_.emit(t);
  }
  current_message_id_ = exchanges_[x].id;
  // A node's lines always carry its own address as ORIGIN, so the sender's interned id saves the
  // receiver a hash lookup per delivery; an injected line has no sender and is interned.
  // The reply goes into reply_spare_, whose buffers the next reply reuses (a large PEER_LIST's
  // list was a heap block per request).
  message* reply = nullptr;
  if (from == no_node) {
    if (std::optional<message> r = node->on_message(*msg, line)) {
      reply_spare_ = std::move(*r);
      reply = &reply_spare_;
    }
  } else if (node->on_message(*msg, line, from_address, reply_spare_)) {
    reply = &reply_spare_;
  }
  current_message_id_ = 0;

  exchange& e = exchanges_[x];  // the node may have sent meanwhile: exchanges_ may have grown
  if (from == no_node || !first) {
    // An injected client or the copy of a duplicated line: the reply has nowhere to go.
    if (reply) emit(trace_kind::late_reply, to, from_address, e, 0, {}, reply->clock);
    return;
  }
  if (!expects_reply(e.type)) {
    // HELLO / BYE: the write went through; the requester's completion follows right away.
    post(duration{0}, true, ev::complete, x, from);
    return;
  }
  if (!reply) {
    e.complete_error = static_cast<std::uint8_t>(errc::closed_without_reply);
    post(link(to, from).delay.sample(rng_), constant(link(to, from)), ev::complete, x, from);
    return;
  }
  ++counters_.replies_sent;
  {
    trace_event t;
    t.time = queue_.now();
    t.kind = trace_kind::reply_sent;
    t.node = to;
    t.peer = from_address;
    t.has_type = true;
    t.type = reply->type();
    t.message_id = e.id;
    t.sender_clock = reply->clock;
    t.clock = reply->clock;
    if (trace_.wants_lines()) {
      with_text(*reply);
      wire_scratch_.clear();
      encode_to(*reply, wire_scratch_);
      t.line = wire_scratch_;
    }
    trace_.emit(t);
  }
  std::size_t bytes = 0;
  reply_text* rt = nullptr;
  if (text_codec_) {
    rt = &reply_line_of(body_index);
    // The line's size matters only to a bandwidth limit (line_delay); without one the packer
    // leaves the counting to whoever writes the line, off this thread when a decoder does.
    std::size_t* sized = link(to, from).bandwidth_bytes_per_s > 0 ? &bytes : nullptr;
    if (rt->line.capacity() <= 64 && !spare_packed_.empty()) {
      rt->line.swap(spare_packed_.back());  // a buffer a delivered reply left
      spare_packed_.pop_back();
    }
    if (book_ != nullptr &&
        pack_peer_list(*reply, endpoints_[to].address, *book_, pack_scratch_, rt->line, sized)) {
      rt->packed = true;
    } else {
      with_text(*reply);
      encode_to(*reply, rt->line);
      bytes = rt->line.size() + 1;
    }
  } else {
    with_text(*reply);
    bytes = estimated_bytes(*reply);
    structured_of(body_index).reply = std::move(*reply);
  }
  const std::int64_t due_ns = transmit_line(x, to, from, bytes, ev::deliver_reply, 1);
  if (rt != nullptr && rt->packed && decoder_ != nullptr && due_ns >= 0 &&
      packed_entry_count(rt->line) >= decode_ahead_entries_) {
    packed_reply job;
    job.bytes = std::move(rt->line);
    job.names = names();
    job.due_ns = due_ns;
    rt->line = std::string();
    rt->ticket = decoder_->submit(std::move(job));
  }
}

void network::give_back(reply_decoder::ticket t) {
  std::string bytes;
  decoder_->release(t, bytes);
  if (spare_packed_.size() < spare_packed_max && bytes.capacity() > 64) {
    spare_packed_.push_back(std::move(bytes));
  }
}

const std::shared_ptr<const name_snapshot>& network::names() {
  if (names_ == nullptr || names_->chunk_count() < book_->chunk_count())
    names_ = std::make_shared<const name_snapshot>(*book_);
  return names_;
}

void network::handle_reply(std::uint32_t x) {
  exchange& e = exchanges_[x];
  const peer_id to_address = e.to_address;
  if (e.done) {
    emit(trace_kind::late_reply, e.from, to_address, e);
    return;
  }
  // A reply from a node that crashed after answering never arrives (the requester times out).
  if (queue_.generation(e.to) != e.to_gen) return;
  ++counters_.delivered;
  if (!text_codec_) {
    structured_body& sb = structured_of(e.body);
    count_peer_list(sb.reply);
    emit(trace_kind::reply_delivered, e.from, to_address, e, 0, {}, sb.reply.clock);
    finish(x, {}, &sb.reply);
    return;
  }
  reply_text& rt = reply_line_of(e.body);
  // The ticket leaves the body now: finish() may free the body while `line` is still in use.
  const reply_decoder::ticket ticket = rt.ticket;
  rt.ticket = reply_decoder::no_ticket;
  struct release_after {  // the decoder's result stays valid until this returns
    network& net;
    reply_decoder::ticket t;
    ~release_after() {
      if (t != reply_decoder::no_ticket) net.give_back(t);
    }
  } keep{*this, ticket};
  std::string_view line = rt.line;
  // A packed reply's message stays where it was decoded (the decoder's result, or reply_scratch_):
  // the requester's handler leaves it there, and the next decode into those buffers reuses its
  // entries instead of allocating a list and a string per entry again.
  message unpacked;
  message* reply_msg = &unpacked;
  decode_status st;
  if (rt.packed) {
    decoded_reply* whole = &reply_scratch_;
    if (ticket != reply_decoder::no_ticket) {
      whole = &decoder_->take(ticket);
    } else {
      decode_packed_reply(rt.line, *names(), reply_scratch_);
    }
    line = whole->line();
    st = std::move(whole->status);
    reply_msg = &whole->msg;
  } else {
    st = decode(line, unpacked);
  }
  message& reply = *reply_msg;
  if (!st.ok()) {
    ++counters_.bad_replies;
    emit(trace_kind::bad_reply, e.from, to_address, e, 0, errc::malformed_reply);
    finish(x, errc::malformed_reply, nullptr);
    return;
  }
  if (reply.type() != reply_type_for(e.type)) {
    ++counters_.bad_replies;
    emit(trace_kind::bad_reply, e.from, to_address, e, 0, errc::unexpected_reply);
    finish(x, errc::unexpected_reply, nullptr);
    return;
  }
  count_peer_list(reply);
  emit(trace_kind::reply_delivered, e.from, to_address, e, 0, {}, reply.clock);
  finish(x, {}, &reply, line);
}

void network::with_text(message& reply) const {
  if (book_ != nullptr) with_names(reply, *book_);
}

void network::count_peer_list(const message& reply) {
  if (const auto* list = std::get_if<peer_list_body>(&reply.body)) {
    ++peer_lists_.replies;
    peer_lists_.entries += list->size();
  }
}

void network::finish(std::uint32_t x, std::error_code ec, message* reply, std::string_view line) {
  exchange& e = exchanges_[x];
  if (e.timeout == timeout_state::deferred) end_deferral(x);
  e.done = true;
  release_connection(x);
  body& bd = bodies_[e.body];
  send_handler done = std::move(bd.on_done);
  bd.on_done = nullptr;
  const std::uint64_t id = e.id;
  const node_id from = e.from;
  {
    trace_event t;
    t.time = queue_.now();
    t.kind = trace_kind::completed;
    t.node = from;
    t.peer = e.to_address;
    t.has_type = true;
    t.type = e.type;
    t.message_id = id;
    t.error = static_cast<std::uint32_t>(ec.value());
    trace_.emit(t);
  }
  if (!done) return;
  current_message_id_ = id;
  // An optional only when there is a reply: GCC clears a default-constructed one whole (136
  // bytes, with `rep stosq`) before a HELLO's completion, which has none.
  if (reply != nullptr) {
    std::optional<message> handed(std::move(*reply));
    done(ec, std::move(handed), line);
    // What the handler left (send_handler: it may) goes back where the reply came from.
    if (handed) *reply = std::move(*handed);
  } else {
    done(ec, std::nullopt, line);
  }
  current_message_id_ = 0;
  // The exchange header may live on until its timeout event comes up, but the body (the reply
  // can be a large PEER_LIST or FILE) is not needed any more — unless a duplicated request line
  // is still on its way.
  if (exchanges_[x].pending_deliveries == 0) free_body(x);
}

}  // namespace eachare::sim
