#include "real/world/local_peer.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "node/protocol/peer_address.hpp"
#include "real/world/real_world.hpp"

namespace eachare::real {

using sim::node_status;
using sim::trace_event;
using sim::trace_kind;

// The node's scheduler: now() in the world's (scaled) time, timers on the io_context, each
// firing through deliver() so a paused peer's timers wait and a crashed one's never run.
class local_peer::scheduler_port final : public scheduler {
 public:
  scheduler_port(real_world& w, local_peer& p, std::uint32_t inc)
      : world_(w), peer_(p), inc_(inc), timers_(w.io()) {}
  duration now() const override { return world_.now(); }
  timer_id schedule_after(duration delay, std::function<void()> fn) override {
    return timers_.schedule_after(world_.wall(delay), [this, fn = std::move(fn)]() mutable {
      peer_.deliver(inc_, std::move(fn));
    });
  }
  void cancel(timer_id id) override { timers_.cancel(id); }

 private:
  real_world& world_;
  local_peer& peer_;
  std::uint32_t inc_;
  asio_scheduler timers_;
};

// Node events -> trace events (as sim::world's observer does), then the tap.
class local_peer::observer_port final : public observer {
 public:
  observer_port(real_world& w, local_peer& p) : world_(w), peer_(p) {}

  void on_clock_changed(std::uint64_t value) override {
    if (pending_) {
      pending_ = false;
      trace_event t = event(is_reply_ ? trace_kind::reply_received : trace_kind::received, from_);
      t.has_type = true;
      t.type = type_;
      t.sender_clock = sender_clock_;
      t.clock = value;
      world_.emit(t);
    }
    if (peer_.tap_) peer_.tap_->on_clock_changed(value);
  }
  void on_sending(peer_id to, const message& msg) override {
    if (peer_.tap_) peer_.tap_->on_sending(to, msg);
  }
  void on_request_received(peer_id from, const message& msg, std::string_view line) override {
    receive(from, msg, false);
    if (peer_.tap_) peer_.tap_->on_request_received(from, msg, line);
  }
  void on_reply_received(peer_id from, const message& msg, std::string_view line) override {
    receive(from, msg, true);
    if (peer_.tap_) peer_.tap_->on_reply_received(from, msg, line);
  }
  void on_send_failed(peer_id to, std::error_code ec) override {
    trace_event t = event(trace_kind::send_failed, to);
    t.error = static_cast<std::uint32_t>(ec.value());
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_send_failed(to, ec);
  }
  void on_peer_added(peer_id p, peer_status s, std::uint64_t clock) override {
    trace_event t = event(trace_kind::peer_added, p);
    t.status = s;
    t.clock = clock;
    world_.emit(t);
    world_.table_changed();
    if (peer_.tap_) peer_.tap_->on_peer_added(p, s, clock);
  }
  void on_peer_updated(peer_id p, peer_status s, std::uint64_t clock) override {
    trace_event t = event(trace_kind::peer_updated, p);
    t.status = s;
    t.clock = clock;
    world_.emit(t);
    world_.table_changed();
    if (peer_.tap_) peer_.tap_->on_peer_updated(p, s, clock);
  }
  void on_warning(std::string_view text) override {
    trace_event t = event(trace_kind::warning, no_peer);
    t.detail = text;
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_warning(text);
  }
  void on_peer_listing(const std::vector<peer_row>& rows) override {
    if (peer_.tap_) peer_.tap_->on_peer_listing(rows);
  }
  void on_local_files(const std::vector<stored_file>& files) override {
    if (peer_.tap_) peer_.tap_->on_local_files(files);
  }
  void on_search_results(const std::vector<search_row>& rows) override {
    trace_event t = event(trace_kind::search_results, no_peer);
    t.value = rows.size();
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_search_results(rows);
  }
  void on_download_started(std::string_view name) override {
    trace_event t = event(trace_kind::download_started, no_peer);
    t.detail = name;
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_download_started(name);
  }
  void on_download_finished(std::string_view name, download_outcome outcome,
                            std::string_view why) override {
    trace_event t = event(trace_kind::download_finished, no_peer);
    t.detail = name;
    t.value = outcome == download_outcome::completed ? 0 : 1;
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_download_finished(name, outcome, why);
  }
  void on_statistics(const std::vector<stats_row>& rows) override {
    if (peer_.tap_) peer_.tap_->on_statistics(rows);
  }
  void on_chunk_size_changed(std::uint64_t size) override {
    trace_event t = event(trace_kind::chunk_size_changed, no_peer);
    t.value = size;
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_chunk_size_changed(size);
  }
  void on_command_refused(std::string_view why) override {
    trace_event t = event(trace_kind::command_refused, no_peer);
    t.detail = why;
    world_.emit(t);
    if (peer_.tap_) peer_.tap_->on_command_refused(why);
  }
  void on_get_peers_done() override {
    world_.emit(event(trace_kind::get_peers_done, no_peer));
    if (peer_.tap_) peer_.tap_->on_get_peers_done();
  }
  void on_hello_done(peer_id to) override {
    if (peer_.tap_) peer_.tap_->on_hello_done(to);
  }
  void on_leaving() override {
    world_.emit(event(trace_kind::leaving, no_peer));
    if (peer_.tap_) peer_.tap_->on_leaving();
  }
  void on_exit_ready() override {
    world_.emit(event(trace_kind::exit_ready, no_peer));
    // The process exits: it stops listening, nothing more reaches it. Not from inside the
    // node's own call stack: the transport it would close is the one calling back.
    const std::uint32_t inc = peer_.incarnation_;
    local_peer* p = &peer_;
    boost::asio::post(world_.io(), [p, inc] {
      if (p->incarnation_ == inc) p->stop(node_status::left);
    });
    if (peer_.tap_) peer_.tap_->on_exit_ready();
  }

 private:
  trace_event event(trace_kind k, peer_id p) const {
    trace_event t;
    t.kind = k;
    t.node = peer_.id_;
    t.peer = p;
    return t;
  }
  void receive(peer_id from, const message& msg, bool reply) {
    pending_ = true;
    is_reply_ = reply;
    type_ = msg.type();
    from_ = from;
    sender_clock_ = msg.clock;
  }

  real_world& world_;
  local_peer& peer_;
  bool pending_ = false;
  bool is_reply_ = false;
  message_type type_ = message_type::hello;
  peer_id from_ = no_peer;
  std::uint64_t sender_clock_ = 0;
};

local_peer::local_peer(real_world& w, node_id n, sim::peer_spec spec)
    : world_(w), id_(n), spec_(std::move(spec)) {}

local_peer::~local_peer() {
  // The node first (it may cancel timers in its ports), then every transport closes.
  node_.reset();
  if (current_.net) current_.net->close();
  for (auto& r : retired_) r.net->close();
}

std::vector<std::pair<std::string, sim::file_content>> local_peer::shared_files() const {
  std::vector<std::pair<std::string, sim::file_content>> out;
  for (const auto& [name, content] : files_.take_snapshot()) out.emplace_back(name, content);
  return out;
}

void local_peer::set_status(node_status s) {
  const bool was_live = status_ == node_status::running || status_ == node_status::paused;
  status_ = s;
  const bool live = s == node_status::running || s == node_status::paused;
  if (was_live != live) world_.live_set_changed();
}

void local_peer::create(trace_kind how) {
  if (current_.net) retired_.push_back(std::move(current_));
  node_.reset();
  held_.clear();
  ++incarnation_;
  files_.restore({});
  for (const auto& f : spec_.files) files_.put(f.name, world_.file_content_for(f));

  ports p;
  // The reply deadline is the node's (the link timeout_ms, in scenario time); the socket's own
  // bound on a reply line stays well behind it, so it never decides a timeout.
  const duration reply_timeout{std::chrono::milliseconds(world_.faults().defaults.timeout_ms)};
  transport_options topt;
  topt.reply_timeout = std::max(
      topt.reply_timeout,
      std::chrono::duration_cast<std::chrono::milliseconds>(world_.wall(reply_timeout) * 2));
  // The scenario's connection queue, when it names one (else the transport's own 128).
  if (const auto limit = world_.faults().max_outbound_connections; limit > 0) {
    topt.max_outbound_connections = limit;
  }
  p.net = std::make_unique<asio_transport>(world_.io(), world_.mutable_book(), topt);
  p.faulty = std::make_unique<fault_transport>(world_, *this, *p.net, incarnation_);
  p.sched = std::make_unique<scheduler_port>(world_, *this, incarnation_);
  p.obs = std::make_unique<observer_port>(world_, *this);
  node_config cfg;
  cfg.self = world_.address(id_);
  cfg.ep = spec_.ep;
  cfg.chunk_size = spec_.chunk_size;
  cfg.max_chunks_in_flight = spec_.max_chunks_in_flight;
  cfg.rng_seed = world_.options().seed * 1000003u + id_ * 7919u + incarnation_;
  cfg.neighbours = spec_.neighbours;
  cfg.reply_timeout = reply_timeout;
  node_ = std::make_unique<peer_node>(std::move(cfg), world_.mutable_book(), *p.faulty, *p.sched,
                                      files_, *p.obs);
  p.acceptor = std::make_unique<fault_acceptor>(world_, *this, *node_);
  p.net->set_inbound_handler(p.acceptor.get());
  const std::string& address = world_.address(id_);
  const auto colon = address.rfind(':');
  const auto port = static_cast<std::uint16_t>(std::stoul(address.substr(colon + 1)));
  if (const auto ec = p.net->listen("127.0.0.1", port)) {
    throw std::runtime_error("cannot listen on " + address + " for peer " + spec_.name + ": " +
                             ec.message());
  }
  current_ = std::move(p);
  set_status(node_status::running);
  world_.emit_world(how, id_);
  node_->start();
}

void local_peer::stop(node_status becomes) {
  ++incarnation_;  // every pending callback of the old incarnation is now stale
  held_.clear();
  if (current_.net) current_.net->close();
  set_status(becomes);
}

void local_peer::start() {
  if (status_ != node_status::added) {
    if (status_ == node_status::crashed || status_ == node_status::left) restart();
    return;
  }
  create(trace_kind::started);
}

void local_peer::crash() {
  if (status_ == node_status::added || status_ == node_status::crashed ||
      status_ == node_status::left) {
    return;
  }
  stop(node_status::crashed);
  world_.emit_world(trace_kind::crashed, id_);
}

void local_peer::restart() {
  if (status_ == node_status::added) {
    start();
    return;
  }
  if (status_ == node_status::running || status_ == node_status::paused ||
      status_ == node_status::leaving) {
    crash();
  }
  create(trace_kind::restarted);
}

void local_peer::pause() {
  if (status_ != node_status::running) return;
  set_status(node_status::paused);
  world_.emit_world(trace_kind::paused, id_);
}

void local_peer::resume() {
  if (status_ != node_status::paused) return;
  set_status(node_status::running);
  world_.emit_world(trace_kind::resumed, id_);
  auto held = std::move(held_);
  held_.clear();
  for (auto& fn : held) {
    if (status_ != node_status::running) break;  // it crashed or paused again meanwhile
    fn();
  }
}

void local_peer::follow_reply_timeout() {
  if (node_) {
    node_->set_reply_timeout(
        duration{std::chrono::milliseconds(world_.faults().defaults.timeout_ms)});
  }
}

void local_peer::deliver(std::uint32_t inc, std::function<void()> fn) {
  if (inc != incarnation_) return;
  if (status_ == node_status::paused) {
    held_.push_back(std::move(fn));
    return;
  }
  fn();
}

void local_peer::command(const eachare::command& cmd) {
  if (status_ == node_status::paused) {
    // A stopped process reads its stdin when it continues.
    held_.push_back([this, cmd] { command(cmd); });
    return;
  }
  if (status_ != node_status::running || !node_) {
    trace_event t;
    t.kind = trace_kind::command_refused;
    t.node = id_;
    t.peer = world_.address_id(id_);
    t.value = cmd.index();
    t.detail = "node is not running";
    world_.emit(t);
    return;
  }
  world_.emit_world(trace_kind::command, id_, cmd.index());
  if (std::holds_alternative<cmd_bye>(cmd)) set_status(node_status::leaving);
  node_->on_command(cmd);
}

}  // namespace eachare::real
