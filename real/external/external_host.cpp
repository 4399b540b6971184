#include "real/external/external_host.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "real/external/console_parser.hpp"

namespace eachare::external {

namespace {

using sim::trace_kind;

std::optional<message_type> type_of(const std::string& t) {
  static const std::pair<const char*, message_type> types[] = {
      {"HELLO", message_type::hello},
      {"GET_PEERS", message_type::get_peers},
      {"PEER_LIST", message_type::peer_list},
      {"PEERS_LIST", message_type::peer_list},
      {"BYE", message_type::bye},
      {"LS", message_type::ls},
      {"LS_LIST", message_type::ls_list},
      {"DL", message_type::dl},
      {"FILE", message_type::file}};
  for (const auto& [name, type] : types) {
    if (t == name) return type;
  }
  return std::nullopt;
}

std::optional<menu_step> step_for(const eachare::command& cmd, const address_book& book) {
  using k = menu_step::kind;
  menu_step s;
  if (const auto* h = std::get_if<cmd_hello>(&cmd)) {
    s.what = k::hello;
    s.address = book.name(h->to);
  } else if (std::holds_alternative<cmd_list_peers>(cmd)) {
    s.what = k::list_peers;
  } else if (std::holds_alternative<cmd_get_peers>(cmd)) {
    s.what = k::get_peers;  // a fanout (gossip round) has no menu equivalent: all peers
  } else if (std::holds_alternative<cmd_list_local>(cmd)) {
    s.what = k::list_local;
  } else if (std::holds_alternative<cmd_search>(cmd)) {
    s.what = k::search;
  } else if (const auto* d = std::get_if<cmd_download>(&cmd)) {
    s.what = k::download;
    s.file = d->name;
    s.size = d->size;
  } else if (std::holds_alternative<cmd_show_stats>(cmd)) {
    s.what = k::show_stats;
  } else if (const auto* c = std::get_if<cmd_set_chunk_size>(&cmd)) {
    s.what = k::set_chunk_size;
    s.chunk = c->size;
  } else if (std::holds_alternative<cmd_bye>(cmd)) {
    s.what = k::quit;
  } else {
    return std::nullopt;
  }
  return s;
}

}  // namespace

external_host::external_host(real::real_world& w, real::node_id n, sim::peer_spec spec,
                             host_setup setup)
    : world_(w), id_(n), spec_(std::move(spec)), setup_(std::move(setup)) {}

external_host::~external_host() {
  timer_.reset();
  finish();
  if (setup_.on_done) {
    peer_evidence e;
    e.peer = setup_.peer;
    e.address = spec_.address;
    e.graded = setup_.graded;
    e.ep = spec_.ep;
    e.console = std::move(console_);
    e.failures = std::move(failures_);
    e.steps = std::move(steps_);
    e.shared = shared_;
    e.seed = world_.options().seed;
    setup_.on_done(std::move(e));
  }
}

void external_host::finish() {
  if (!peer_) return;
  peer_->stop();  // 9 (unless it already left or broke), exit bound, then the process group
  for (auto& l : peer_->new_lines()) console_.push_back(std::move(l));
  auto f = peer_->failures();
  for (std::size_t i = failures_seen_; i < f.size(); ++i) failures_.push_back(f[i]);
  for (auto& s : peer_->steps()) steps_.push_back(std::move(s));
  failures_seen_ = 0;
  peer_.reset();
}

void external_host::set_status(sim::node_status s) {
  const bool was_live = status_ == sim::node_status::running || status_ == sim::node_status::paused;
  status_ = s;
  const bool live = s == sim::node_status::running || s == sim::node_status::paused;
  if (was_live != live) world_.live_set_changed();
}

void external_host::emit(trace_kind k, peer_id peer) {
  sim::trace_event t;
  t.kind = k;
  t.node = id_;
  t.peer = peer == no_peer ? world_.address_id(id_) : peer;
  t.clock = clock_;
  world_.emit(t);
}

void external_host::launch(trace_kind how) {
  ++incarnation_;
  external_peer_config c;
  c.peer = incarnation_ == 1 ? setup_.peer : setup_.peer + "-run" + std::to_string(incarnation_);
  c.impl = setup_.impl;
  c.address = spec_.address;
  c.neighbours = spec_.neighbours;
  for (const auto& f : spec_.files) c.files.emplace_back(f.name, f.size);
  c.seed = world_.options().seed;
  c.bounds = setup_.bounds;
  peer_ = std::make_unique<external_peer>(std::move(c), *setup_.ws, setup_.epoch);
  failures_seen_ = 0;
  table_ = peer_table();
  clock_ = 0;
  receive_.reset();
  leaving_ = false;
  const bool ok = peer_->start();
  shared_ = peer_->shared();
  world_.emit_world(how, id_);
  set_status(sim::node_status::running);
  if (!ok) {
    finish();
    set_status(sim::node_status::crashed);
    world_.emit_world(trace_kind::crashed, id_);
    return;
  }
  schedule_poll();
}

void external_host::start() {
  if (status_ == sim::node_status::added) {
    launch(trace_kind::started);
  } else if (status_ == sim::node_status::crashed || status_ == sim::node_status::left) {
    restart();
  }
}

void external_host::crash() {
  if (status_ == sim::node_status::added || status_ == sim::node_status::crashed ||
      status_ == sim::node_status::left) {
    return;
  }
  if (peer_) peer_->crash();
  finish();
  set_status(sim::node_status::crashed);
  world_.emit_world(trace_kind::crashed, id_);
}

void external_host::restart() {
  if (peer_) {
    peer_->crash();
    finish();
  }
  launch(trace_kind::restarted);
}

void external_host::pause() {
  if (status_ != sim::node_status::running || !peer_) return;
  peer_->pause();
  set_status(sim::node_status::paused);
  world_.emit_world(trace_kind::paused, id_);
}

void external_host::resume() {
  if (status_ != sim::node_status::paused || !peer_) return;
  peer_->resume();
  set_status(sim::node_status::running);
  world_.emit_world(trace_kind::resumed, id_);
}

void external_host::command(const eachare::command& cmd) {
  const auto step = step_for(cmd, world_.book());
  if (!step || !peer_ ||
      (status_ != sim::node_status::running && status_ != sim::node_status::paused)) {
    sim::trace_event t;
    t.kind = trace_kind::command_refused;
    t.node = id_;
    t.peer = world_.address_id(id_);
    t.value = cmd.index();
    t.detail = "the program is not running";
    world_.emit(t);
    return;
  }
  world_.emit_world(trace_kind::command, id_, cmd.index());
  if (step->what == menu_step::kind::quit) {
    leaving_ = true;
    set_status(sim::node_status::leaving);
    emit(trace_kind::leaving);
  }
  peer_->submit(*step);
}

void external_host::schedule_poll() {
  if (!timer_) timer_ = std::make_unique<boost::asio::steady_timer>(world_.io());
  timer_->expires_after(std::chrono::milliseconds(5));
  timer_->async_wait([this, inc = incarnation_](const boost::system::error_code& ec) {
    if (ec || inc != incarnation_ || !peer_) return;
    poll();
    if (peer_) schedule_poll();
  });
}

void external_host::poll() {
  for (auto& l : peer_->new_lines()) {
    consume(l);
    console_.push_back(std::move(l));
  }
  const auto f = peer_->failures();
  for (; failures_seen_ < f.size(); ++failures_seen_) {
    failures_.push_back(f[failures_seen_]);
    sim::trace_event t;
    t.kind = trace_kind::warning;
    t.node = id_;
    t.peer = world_.address_id(id_);
    t.detail = f[failures_seen_].what;
    world_.emit(t);
  }
  if (!peer_->running()) {
    if (leaving_) {
      finish();
      set_status(sim::node_status::left);
      emit(trace_kind::exit_ready);
    } else if (status_ == sim::node_status::running) {
      finish();
      set_status(sim::node_status::crashed);
      world_.emit_world(trace_kind::crashed, id_);
    }
  }
}

void external_host::consume(const console_line& l) {
  const auto e = parse_console_line(l.text);
  if (!e) return;
  auto& book = world_.mutable_book();
  switch (e->kind) {
    case console_kind::clock_update: {
      clock_ = e->clock;
      if (receive_) {
        sim::trace_event t;
        t.kind = receive_->kind == console_kind::reply_received ? trace_kind::reply_received
                                                                : trace_kind::received;
        t.node = id_;
        t.peer = book.intern(receive_->origin);
        if (const auto ty = type_of(receive_->type)) {
          t.has_type = true;
          t.type = *ty;
        }
        t.sender_clock = receive_->clock;
        t.clock = clock_;
        world_.emit(t);
        receive_.reset();
      }
      break;
    }
    case console_kind::sending: {
      receive_.reset();
      sim::trace_event t;
      const auto ty = type_of(e->type);
      t.kind = ty && is_reply_type(*ty) ? trace_kind::reply_sent : trace_kind::sent;
      t.node = id_;
      t.peer = book.intern(e->address);
      if (ty) {
        t.has_type = true;
        t.type = *ty;
      }
      t.sender_clock = e->clock;
      t.clock = clock_;
      t.detail = e->message;
      world_.emit(t);
      break;
    }
    case console_kind::request_received:
    case console_kind::reply_received:
      receive_ = *e;
      break;
    case console_kind::peer_added:
    case console_kind::peer_updated: {
      const auto p = book.intern(e->address);
      const auto s = e->status == "ONLINE" ? peer_status::online : peer_status::offline;
      table_.set_status(p, s);
      sim::trace_event t;
      t.kind =
          e->kind == console_kind::peer_added ? trace_kind::peer_added : trace_kind::peer_updated;
      t.node = id_;
      t.peer = p;
      t.status = s;
      t.clock = clock_;
      world_.emit(t);
      world_.table_changed();
      break;
    }
    case console_kind::download_chosen: {
      sim::trace_event t;
      t.kind = trace_kind::download_started;
      t.node = id_;
      t.peer = world_.address_id(id_);
      t.detail = e->name;
      world_.emit(t);
      break;
    }
    case console_kind::download_done: {
      sim::trace_event t;
      t.kind = trace_kind::download_finished;
      t.node = id_;
      t.peer = world_.address_id(id_);
      t.detail = e->name;
      t.value = 0;
      world_.emit(t);
      break;
    }
  }
}

sim::file_content external_host::shared_file(std::string_view name) const {
  if (shared_.empty()) return nullptr;
  std::ifstream in(shared_ / std::string(name), std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream s;
  s << in.rdbuf();
  return std::make_shared<const std::string>(s.str());
}

std::vector<std::pair<std::string, sim::file_content>> external_host::shared_files() const {
  std::vector<std::pair<std::string, sim::file_content>> out;
  std::error_code ec;
  if (shared_.empty()) return out;
  for (const auto& entry : std::filesystem::directory_iterator(shared_, ec)) {
    if (!entry.is_regular_file()) continue;
    const auto name = entry.path().filename().string();
    out.emplace_back(name, shared_file(name));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace eachare::external
