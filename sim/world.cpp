#include "sim/world.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_set>

#include "node/core/errors.hpp"
#include "node/protocol/peer_address.hpp"
#include "sim/packed_peer_list.hpp"

namespace eachare::sim {
namespace {

// Stream numbers for derive_seed: the network's fault draws and each node's own RNG.
constexpr std::uint64_t network_stream = 0x6E6574776F726Bull;  // "network"
constexpr std::uint64_t node_stream_base = 0x100000000ull;

}  // namespace

std::string_view to_string(node_status s) {
  switch (s) {
    case node_status::added:
      return "added";
    case node_status::running:
      return "running";
    case node_status::paused:
      return "paused";
    case node_status::crashed:
      return "crashed";
    case node_status::leaving:
      return "leaving";
    case node_status::left:
      return "left";
  }
  return "unknown";
}

std::vector<std::pair<std::string, file_content>> world::shared_files(node_id n) const {
  std::vector<std::pair<std::string, file_content>> out;
  for (const auto& [name, content] : nodes_[n].files.take_snapshot())
    out.emplace_back(name, content);
  return out;
}

world::node_slot::node_slot(world& w, node_id n) : ports(w, n) {}

world::world(world_config config)
    : config_(std::move(config)),
      network_(queue_, trace_, derive_seed(config_.seed, network_stream)) {
  network_.configure(config_.network);
  network_.set_text_codec(config_.text_codec);
  network_.set_book(book_);
  network_.set_reply_decoder(config_.decoder, config_.decode_ahead_entries);
}

world::~world() {
  // Nodes go first: their destructors may drop callbacks that reference the queue's slab.
  nodes_.clear();
}

// --- building -------------------------------------------------------------------------------

node_id world::add_peer(peer_spec spec) {
  if (!is_valid_peer_address(spec.address)) {
    throw std::invalid_argument("peer '" + spec.name + "': bad address '" + spec.address + "'");
  }
  if (find(spec.address)) {
    throw std::invalid_argument("peer '" + spec.name + "': address " + spec.address +
                                " is already used");
  }
  // The node gets what parse_neighbours() would give it: valid, not itself, no duplicates.
  std::vector<std::string> neighbours;
  std::unordered_set<std::string_view> seen;
  for (const std::string& a : spec.neighbours) {
    if (a == spec.address || !is_valid_peer_address(a) || !seen.insert(a).second) continue;
    neighbours.push_back(a);
  }
  spec.neighbours = std::move(neighbours);

  const auto n = static_cast<node_id>(nodes_.size());
  node_slot& slot = nodes_.emplace_back(*this, n);
  slot.address = book_.intern(spec.address);
  slot.neighbours_begin = static_cast<std::uint32_t>(neighbour_ids_.size());
  slot.neighbours_count = static_cast<std::uint32_t>(spec.neighbours.size());
  for (const std::string& a : spec.neighbours) neighbour_ids_.push_back(book_.intern(a));
  if (!spec.files.empty()) initial_files_.emplace(n, std::move(spec.files));
  slot.chunk_size = spec.chunk_size;
  slot.max_chunks_in_flight = spec.max_chunks_in_flight;
  slot.ep = spec.ep;
  network_.add_node(n, slot.address);
  tracker_.nodes_.resize(nodes_.size());
  return n;
}

std::optional<node_id> world::find(std::string_view address) const {
  const peer_id id = book_.find(address);
  if (id == no_peer) return std::nullopt;
  const node_id n = network_.node_at(id);
  if (n == no_node) return std::nullopt;
  return n;
}

file_content world::file_content_for(const file_spec& f) {
  auto key = std::make_pair(f.name, f.size);
  auto it = contents_.find(key);
  if (it != contents_.end()) return it->second;
  auto content =
      std::make_shared<const std::string>(generate_file_content(config_.seed, f.name, f.size));
  contents_.emplace(std::move(key), content);
  return content;
}

// --- lifecycle ------------------------------------------------------------------------------

void world::emit_world(trace_kind k, node_id n, std::uint64_t value) {
  trace_event t;
  t.time = queue_.now();
  t.kind = k;
  t.node = n;
  if (n != no_node) {
    t.peer = nodes_[n].address;
    t.clock = clock(n);
  }
  t.value = value;
  trace_.emit(t);
}

void world::create_node(node_id n) {
  node_slot& s = nodes_[n];
  s.files.restore({});
  if (const auto files = initial_files_.find(n); files != initial_files_.end()) {
    for (const file_spec& f : files->second) s.files.put(f.name, file_content_for(f));
  }
  node_config cfg;
  cfg.self = book_.name(s.address);
  cfg.ep = s.ep;
  cfg.chunk_size = s.chunk_size;
  cfg.max_chunks_in_flight = s.max_chunks_in_flight;
  cfg.rng_seed = derive_seed(derive_seed(config_.seed, node_stream_base + n), queue_.generation(n));
  cfg.neighbours.reserve(s.neighbours_count);
  for (std::uint32_t i = 0; i < s.neighbours_count; ++i)
    cfg.neighbours.push_back(book_.name(neighbour_ids_[s.neighbours_begin + i]));
  // The node keeps the requester's reply deadline (ports.hpp): the network's timeout_ms.
  cfg.reply_timeout = duration{std::chrono::milliseconds(network_.faults().defaults.timeout_ms)};
  s.receive_pending = false;
  network_.attach(n, nullptr);
  s.node.reset();
  s.node = std::make_unique<peer_node>(std::move(cfg), book_, s.ports, s.ports, s.files, s.ports);
  network_.attach(n, s.node.get());
}

bool world::is_live(node_id n) const {
  const node_status s = nodes_[n].status;
  return s == node_status::running || s == node_status::paused;
}

void world::set_status(node_id n, node_status s) {
  const bool was_live = is_live(n);
  nodes_[n].status = s;
  if (was_live != is_live(n)) schedule_recount();
}

void world::start(node_id n) {
  node_slot& s = nodes_[n];
  if (s.status != node_status::added) {
    if (s.status == node_status::crashed || s.status == node_status::left) restart(n);
    return;
  }
  create_node(n);
  set_status(n, node_status::running);
  network_.set_listening(n, true);
  emit_world(trace_kind::started, n);
  s.node->start();
}

void world::crash(node_id n) {
  node_slot& s = nodes_[n];
  if (s.status == node_status::added || s.status == node_status::crashed ||
      s.status == node_status::left) {
    return;
  }
  network_.arm_timeouts_of(n);
  queue_.retire(n);
  network_.set_listening(n, false);
  s.receive_pending = false;
  set_status(n, node_status::crashed);
  emit_world(trace_kind::crashed, n);
}

void world::restart(node_id n) {
  node_slot& s = nodes_[n];
  if (s.status == node_status::added) {
    start(n);
    return;
  }
  if (is_live(n) || s.status == node_status::leaving) crash(n);
  create_node(n);
  set_status(n, node_status::running);
  network_.set_listening(n, true);
  emit_world(trace_kind::restarted, n);
  s.node->start();
}

void world::pause(node_id n) {
  node_slot& s = nodes_[n];
  if (s.status != node_status::running) return;
  network_.arm_timeouts_of(n);
  queue_.pause(n);
  set_status(n, node_status::paused);
  emit_world(trace_kind::paused, n);
}

void world::resume(node_id n) {
  node_slot& s = nodes_[n];
  if (s.status != node_status::paused) return;
  set_status(n, node_status::running);
  emit_world(trace_kind::resumed, n);
  queue_.resume(n);
}

// --- driving --------------------------------------------------------------------------------

void world::command(node_id n, const eachare::command& cmd) {
  node_slot& s = nodes_[n];
  if (s.status == node_status::paused) {
    // A stopped process reads its stdin when it continues.
    queue_.schedule_at(
        queue_.now(), [this, n, cmd] { command(n, cmd); }, n);
    return;
  }
  if (s.status != node_status::running || !s.node) {
    trace_event t;
    t.time = queue_.now();
    t.kind = trace_kind::command_refused;
    t.node = n;
    t.peer = s.address;
    t.value = cmd.index();
    t.detail = "node is not running";
    trace_.emit(t);
    return;
  }
  emit_world(trace_kind::command, n, cmd.index());
  if (std::holds_alternative<cmd_bye>(cmd)) set_status(n, node_status::leaving);
  s.node->on_command(cmd);
}

void world::inject(node_id n, std::string line) {
  network_.inject(n, std::move(line));
}

event_id world::at(duration t, std::function<void()> fn) {
  return queue_.schedule_at(t, std::move(fn));
}

event_id world::after(duration delay, std::function<void()> fn) {
  return queue_.schedule_after(delay, std::move(fn));
}

void world::run_until(duration t) {
  queue_.run_until(t);
}

std::uint64_t world::clock(node_id n) const {
  const peer_node* p = nodes_[n].node.get();
  return p ? p->clock() : 0;
}

// --- faults ---------------------------------------------------------------------------------

namespace {

// "0-4,7" for {0,1,2,3,4,7}: a partition's side in a few bytes even at thousands of peers.
void append_ranges(std::string& out, std::vector<node_id> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (std::size_t i = 0; i < ids.size();) {
    std::size_t j = i;
    while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
    if (i != 0) out.push_back(',');
    out += std::to_string(ids[i]);
    if (j != i) out += "-" + std::to_string(ids[j]);
    i = j + 1;
  }
}

}  // namespace

void world::emit_partition(std::size_t active, const std::string& sides) {
  trace_event t;
  t.time = queue_.now();
  t.kind = trace_kind::partition;
  t.value = active;
  t.detail = sides;
  trace_.emit(t);
}

std::size_t world::partition(const std::vector<std::vector<node_id>>& groups) {
  const std::size_t k = network_.partition(groups);
  std::string sides;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (g != 0) sides.push_back('|');
    append_ranges(sides, groups[g]);
  }
  emit_partition(k, sides);
  return k;
}

std::size_t world::partition_oneway(const std::vector<node_id>& from,
                                    const std::vector<node_id>& to) {
  const std::size_t k = network_.partition_oneway(from, to);
  std::string sides;
  append_ranges(sides, from);
  sides.push_back('>');
  append_ranges(sides, to);
  emit_partition(k, sides);
  return k;
}

void world::follow_reply_timeout() {
  const duration timeout =
      duration{std::chrono::milliseconds(network_.faults().defaults.timeout_ms)};
  for (std::size_t n = 0; n < nodes_.size(); ++n) {
    const node_slot& slot = nodes_[n];
    if (slot.node && slot.node->reply_timeout() != timeout) slot.node->set_reply_timeout(timeout);
  }
}

void world::heal() {
  network_.heal();
  follow_reply_timeout();
  emit_world(trace_kind::heal, no_node);
  tracker_.mark_time_ = queue_.now();
  tracker_.first_since_mark_.reset();
  // A live-set change at this same instant has its recount still queued; the signal must be
  // current before we record whether it already holds at the heal (the scheduled recount still
  // runs and covers table events in between; recounting twice is harmless).
  if (recount_scheduled_) recount();
  if (tracker_.holds_) tracker_.first_since_mark_ = queue_.now();
}

void world::set_network(const link_faults& defaults) {
  fault_model f = network_.faults();
  f.defaults = defaults;
  set_faults(std::move(f));
}

void world::set_faults(fault_model faults) {
  network_.set_faults(std::move(faults));
  follow_reply_timeout();
  emit_world(trace_kind::network_change, no_node);
}

// --- convergence ----------------------------------------------------------------------------

void world::schedule_recount() {
  if (recount_scheduled_) return;
  recount_scheduled_ = true;
  queue_.schedule_at(queue_.now(), [this] {
    recount_scheduled_ = false;
    recount();
  });
}

void world::recount() {
  auto& tn = tracker_.nodes_;
  tn.resize(nodes_.size());
  std::size_t live = 0;
  for (node_id n = 0; n < nodes_.size(); ++n) {
    tn[n].live = is_live(n);
    if (tn[n].live) ++live;
  }
  tracker_.live_count_ = live;
  std::size_t satisfied = 0;
  for (node_id n = 0; n < nodes_.size(); ++n) {
    auto& pn = tn[n];
    pn.count = 0;
    pn.counted.reset_all();
    const peer_node* node = nodes_[n].node.get();
    if (!pn.live || node == nullptr) continue;
    const auto& records = node->peers().records();
    const peer_id self = nodes_[n].address;
    for (std::size_t k = 0; k < records.size(); ++k) {
      const peer_record& r = records[k];
      if (r.status != peer_status::online || r.id == self) continue;
      const node_id other = network_.node_at(r.id);
      if (other == no_node || !tn[other].live) continue;
      pn.counted.word(k) |= 1ull << (k % 64);
      ++pn.count;
    }
    if (pn.count + 1 == live) ++satisfied;
  }
  tracker_.satisfied_ = satisfied;
  update_holds();
}

void world::on_table_event(node_id n, peer_id p, peer_status s) {
  if (recount_scheduled_) return;  // the recount will see this change
  if (!tracker_.nodes_[n].live) return;
  const peer_node* node = nodes_[n].node.get();
  const peer_record* r = node->peers().find(p);
  if (r == nullptr) return;
  count_table_event(n, static_cast<std::size_t>(r - node->peers().records().data()), p, s);
}

void world::count_table_event(node_id n, std::size_t k, peer_id p, peer_status s) {
  auto& pn = tracker_.nodes_[n];
  std::uint64_t& word = pn.counted.word(k);
  const std::uint64_t bit = 1ull << (k % 64);
  const bool was = (word & bit) != 0;
  bool now = false;
  if (was) {
    // The bit was set with p ONLINE, not us, and p's node live, and no node's liveness has
    // changed since (a change schedules a recount, and we return above until it ran): only the
    // status can differ now. Skipping the address -> node and liveness lookups saves two cache
    // misses per table event in a large run, where nearly every update keeps its bit.
    now = s == peer_status::online;
  } else if (s == peer_status::online && p != nodes_[n].address) {
    const node_id other = network_.node_at(p);
    now = other != no_node && tracker_.nodes_[other].live;
  }
  if (was == now) return;
  const std::size_t target = tracker_.live_count_ - 1;
  const bool sat_before = pn.count == target;
  if (now) {
    word |= bit;
    ++pn.count;
  } else {
    word &= ~bit;
    --pn.count;
  }
  const bool sat_after = pn.count == target;
  if (sat_before != sat_after) {
    if (sat_after) {
      ++tracker_.satisfied_;
    } else {
      --tracker_.satisfied_;
    }
    update_holds();
  }
}

void world::update_holds() {
  const bool holds = tracker_.live_count_ > 0 && tracker_.satisfied_ == tracker_.live_count_;
  if (holds == tracker_.holds_) return;
  tracker_.holds_ = holds;
  tracker_.since_ = queue_.now();
  if (holds && !tracker_.first_since_mark_) tracker_.first_since_mark_ = queue_.now();
  emit_world(holds ? trace_kind::converged : trace_kind::diverged, no_node, tracker_.live_count_);
}

// --- ports adapter --------------------------------------------------------------------------

send_id world::node_ports::send(peer_id to, const message& msg, send_handler on_done) {
  return world_->network_.send(node_, to, msg, std::move(on_done));
}

void world::node_ports::abandon(send_id id) {
  world_->network_.abandon(id);
}

duration world::node_ports::now() const {
  return world_->queue_.now();
}

timer_id world::node_ports::schedule_after(duration delay, std::function<void()> fn) {
  return world_->queue_.schedule_after(delay, std::move(fn), node_);
}

void world::node_ports::cancel(timer_id id) {
  world_->queue_.cancel(id);
}

namespace {

trace_event node_event(duration now, trace_kind k, node_id n, peer_id p) {
  trace_event t;
  t.time = now;
  t.kind = k;
  t.node = n;
  t.peer = p;
  return t;
}

}  // namespace

void world::node_ports::on_clock_changed(std::uint64_t value) {
  node_slot& s = world_->nodes_[node_];
  if (s.receive_pending) {
    s.receive_pending = false;
    trace_event t =
        node_event(world_->queue_.now(),
                   s.receive_is_reply ? trace_kind::reply_received : trace_kind::received, node_,
                   s.receive_from);
    t.has_type = true;
    t.type = s.receive_type;
    t.message_id = s.receive_message_id;
    t.sender_clock = s.receive_sender_clock;
    t.clock = value;
    world_->trace_.emit(t);
  }
  if (tap) tap->on_clock_changed(value);
}

void world::node_ports::on_sending(peer_id to, const message& msg) {
  if (tap == nullptr) return;
  const auto* list = std::get_if<peer_list_body>(&msg.body);
  if (list == nullptr || list->by_id.empty()) {
    tap->on_sending(to, msg);
    return;
  }
  // A reply built by id (shares_address_book): the tap sees it with text, like any observer.
  message named = msg;
  with_names(named, world_->book_);
  tap->on_sending(to, named);
}

bool world::node_ports::shares_address_book() const {
  return world_->network_.text_codec();
}

void world::node_ports::on_request_received(peer_id from, const message& msg,
                                            std::string_view line) {
  node_slot& s = world_->nodes_[node_];
  s.receive_pending = true;
  s.receive_is_reply = false;
  s.receive_type = msg.type();
  s.receive_from = from;
  s.receive_sender_clock = msg.clock;
  s.receive_message_id = world_->network_.current_message_id();
  if (tap) tap->on_request_received(from, msg, line);
}

void world::node_ports::on_reply_received(peer_id from, const message& msg, std::string_view line) {
  node_slot& s = world_->nodes_[node_];
  s.receive_pending = true;
  s.receive_is_reply = true;
  s.receive_type = msg.type();
  s.receive_from = from;
  s.receive_sender_clock = msg.clock;
  s.receive_message_id = world_->network_.current_message_id();
  if (tap) tap->on_reply_received(from, msg, line);
}

void world::node_ports::on_send_failed(peer_id to, std::error_code ec) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::send_failed, node_, to);
  t.error = static_cast<std::uint32_t>(ec.value());
  t.message_id = world_->network_.current_message_id();
  world_->trace_.emit(t);
  if (tap) tap->on_send_failed(to, ec);
}

void world::node_ports::on_peer_added(peer_id p, peer_status st, std::uint64_t clock) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::peer_added, node_, p);
  t.status = st;
  t.clock = clock;
  world_->trace_.emit(t);
  world_->on_table_event(node_, p, st);
  if (tap) tap->on_peer_added(p, st, clock);
}

void world::node_ports::on_peer_updated(peer_id p, peer_status st, std::uint64_t clock) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::peer_updated, node_, p);
  t.status = st;
  t.clock = clock;
  world_->trace_.emit(t);
  world_->on_table_event(node_, p, st);
  if (tap) tap->on_peer_updated(p, st, clock);
}

void world::node_ports::on_peers_changed(std::span<const peer_change> changes) {
  world& w = *world_;
  const duration now = w.queue_.now();
  // Nothing in this loop changes liveness or schedules a recount (only the trace's listeners
  // run, and they emit nothing).
  const bool counted = !w.recount_scheduled_ && w.tracker_.nodes_[node_].live;
  for (const peer_change& c : changes) {
    trace_event t =
        node_event(now, c.added ? trace_kind::peer_added : trace_kind::peer_updated, node_, c.peer);
    t.status = c.status;
    t.clock = c.clock;
    w.trace_.emit(t);
    if (counted) w.count_table_event(node_, c.row, c.peer, c.status);
    if (tap == nullptr) continue;
    if (c.added) {
      tap->on_peer_added(c.peer, c.status, c.clock);
    } else {
      tap->on_peer_updated(c.peer, c.status, c.clock);
    }
  }
}

void world::node_ports::on_warning(std::string_view text) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::warning, node_, no_peer);
  t.detail = text;
  world_->trace_.emit(t);
  if (tap) tap->on_warning(text);
}

void world::node_ports::on_peer_listing(const std::vector<peer_row>& rows) {
  if (tap) tap->on_peer_listing(rows);
}

void world::node_ports::on_local_files(const std::vector<stored_file>& files) {
  if (tap) tap->on_local_files(files);
}

void world::node_ports::on_search_results(const std::vector<search_row>& rows) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::search_results, node_, no_peer);
  t.value = rows.size();
  world_->trace_.emit(t);
  if (tap) tap->on_search_results(rows);
}

void world::node_ports::on_download_started(std::string_view name) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::download_started, node_, no_peer);
  t.detail = name;
  world_->trace_.emit(t);
  if (tap) tap->on_download_started(name);
}

void world::node_ports::on_download_summary(std::string_view name, std::uint64_t retries,
                                            std::uint32_t holders_dropped) {
  if (tap) tap->on_download_summary(name, retries, holders_dropped);
}

void world::node_ports::on_download_finished(std::string_view name, download_outcome outcome,
                                             std::string_view why) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::download_finished, node_, no_peer);
  t.detail = name;
  t.value = outcome == download_outcome::completed ? 0 : 1;
  world_->trace_.emit(t);
  if (tap) tap->on_download_finished(name, outcome, why);
}

void world::node_ports::on_statistics(const std::vector<stats_row>& rows) {
  if (tap) tap->on_statistics(rows);
}

void world::node_ports::on_chunk_size_changed(std::uint64_t size) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::chunk_size_changed, node_, no_peer);
  t.value = size;
  world_->trace_.emit(t);
  if (tap) tap->on_chunk_size_changed(size);
}

void world::node_ports::on_command_refused(std::string_view why) {
  trace_event t = node_event(world_->queue_.now(), trace_kind::command_refused, node_, no_peer);
  t.detail = why;
  world_->trace_.emit(t);
  if (tap) tap->on_command_refused(why);
}

void world::node_ports::on_get_peers_done() {
  world_->trace_.emit(node_event(world_->queue_.now(), trace_kind::get_peers_done, node_, no_peer));
  if (tap) tap->on_get_peers_done();
}

void world::node_ports::on_leaving() {
  world_->trace_.emit(node_event(world_->queue_.now(), trace_kind::leaving, node_, no_peer));
  if (tap) tap->on_leaving();
}

void world::node_ports::on_exit_ready() {
  world_->trace_.emit(node_event(world_->queue_.now(), trace_kind::exit_ready, node_, no_peer));
  // The process exits: nothing more reaches it, and connects to it are refused.
  world_->network_.arm_timeouts_of(node_);
  world_->queue_.retire(node_);
  world_->network_.set_listening(node_, false);
  world_->set_status(node_, node_status::left);
  if (tap) tap->on_exit_ready();
}

}  // namespace eachare::sim
