#include "sim/scenario/runner.hpp"

#include <algorithm>
#include <memory>
#include <queue>
#include <tuple>

#include "node/console/console_printer.hpp"
#include "sim/world.hpp"

namespace eachare::scenario {

bool run_result::all_checks_passed() const {
  return std::all_of(checks.begin(), checks.end(), [](const check_result& c) { return c.passed; });
}

namespace {

double to_ms(duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

sim::delay_distribution to_delay(const delay_spec& d) {
  switch (d.dist) {
    case delay_dist::constant:
      return sim::delay_distribution::constant(to_ms(d.ms));
    case delay_dist::uniform:
      return sim::delay_distribution::uniform(to_ms(d.min), to_ms(d.max));
    case delay_dist::exponential:
      return sim::delay_distribution::exponential(to_ms(d.min), to_ms(d.mean));
  }
  return sim::delay_distribution::constant(1.0);
}

std::uint64_t whole_ms(duration d) {
  return static_cast<std::uint64_t>(d.count() / 1'000'000);
}

sim::link_faults to_faults(const network_spec& n) {
  sim::link_faults f;
  f.delay = to_delay(n.delay);
  f.drop_probability = n.drop_probability;
  f.duplicate_probability = n.duplicate_probability;
  f.reorder_jitter_ms = to_ms(n.reorder_jitter);
  f.bandwidth_bytes_per_s = n.bandwidth_bytes_per_s;
  f.timeout_ms = std::max<std::uint64_t>(1, whole_ms(n.timeout));
  return f;
}

void apply(const network_patch& p, sim::link_faults& f) {
  if (p.delay) f.delay = to_delay(*p.delay);
  if (p.drop_probability) f.drop_probability = *p.drop_probability;
  if (p.duplicate_probability) f.duplicate_probability = *p.duplicate_probability;
  if (p.reorder_jitter) f.reorder_jitter_ms = to_ms(*p.reorder_jitter);
  if (p.bandwidth_bytes_per_s) f.bandwidth_bytes_per_s = *p.bandwidth_bytes_per_s;
  if (p.timeout) f.timeout_ms = std::max<std::uint64_t>(1, whole_ms(*p.timeout));
}

std::vector<sim::node_id> nodes(const std::vector<peer_index>& v) {
  return std::vector<sim::node_id>(v.begin(), v.end());
}

// Hands each event to run_options::trace_events.
class event_tap final : public sim::trace_listener {
 public:
  event_tap(const std::function<void(const sim::trace_event&, const address_book&)>& f,
            const address_book& book)
      : f_(f), book_(book) {}
  void on_trace_event(const sim::trace_event& e) override { f_(e, book_); }

 private:
  const std::function<void(const sim::trace_event&, const address_book&)>& f_;
  const address_book& book_;
};

// One run: the world, its checkers, and the agenda of timeline steps and timed checks.
class scenario_run {
 public:
  scenario_run(const scenario& s, const run_options& o)
      : scenario_(s),
        options_(o),
        seed_(o.seed.value_or(s.seed)),
        world_(make_world()),
        names_(scenario_, *world_) {}

  sim::peer_world& world() { return *world_; }
  const sim::peer_world& world() const { return *world_; }

  run_result play() {
    build_peers();
    attach_consoles();
    attach_checkers();
    std::unique_ptr<sim::trace_jsonl_writer> writer;
    if (options_.trace_sink) {
      sim::trace_names names;
      names.node = [this](sim::node_id n) -> std::string_view {
        return n < scenario_.peers.size() ? std::string_view(scenario_.peers[n].name)
                                          : std::string_view();
      };
      names.peer = [this](peer_id p) -> std::string_view {
        if (p >= world().book().size()) return {};
        const auto n = world().find(world().book().name(p));
        return n && *n < scenario_.peers.size() ? std::string_view(scenario_.peers[*n].name)
                                                : std::string_view();
      };
      writer = std::make_unique<sim::trace_jsonl_writer>(world().book(), options_.trace_sink,
                                                         std::move(names));
      world().events().add_listener(*writer);
    }
    std::unique_ptr<event_tap> tap;
    if (options_.trace_events) {
      tap = std::make_unique<event_tap>(options_.trace_events, world().book());
      world().events().add_listener(*tap);
    }
    world().events().set_wants_lines(options_.trace_sink != nullptr || tap != nullptr);
    for (std::size_t i = 0; i < scenario_.peers.size(); ++i) {
      if (scenario_.peers[i].start) world().start(static_cast<sim::node_id>(i));
    }
    plan();
    schedule_next();

    const auto end = scenario_.length;
    constexpr int slices = 100;
    for (int k = 1; k <= slices; ++k) {
      world().run_until(end * k / slices);
      if (options_.progress) options_.progress(world().now(), end);
    }
    if (writer) world().events().remove_listener(*writer);
    if (tap) world().events().remove_listener(*tap);
    for (auto& c : listeners_) world().events().remove_listener(*c);
    return result();
  }

 private:
  // The topology depends on this run's seed, so it is filled before the world is built.
  std::unique_ptr<sim::peer_world> make_world() {
    fill_topology(scenario_, seed_);
    world_setup setup;
    setup.source = &scenario_;
    setup.seed = seed_;
    setup.network.defaults = to_faults(scenario_.network);
    setup.network.max_outbound_connections = scenario_.network.max_outbound_connections;
    if (options_.make_world) return options_.make_world(setup);
    sim::world_config c;
    c.seed = setup.seed;
    c.network = setup.network;
    c.decoder = options_.decoder;
    return std::make_unique<sim::world>(c);
  }

  void build_peers() {
    for (std::size_t i = 0; i < scenario_.peers.size(); ++i) {
      const auto& p = scenario_.peers[i];
      sim::peer_spec ps;
      ps.name = p.name;
      ps.address = p.address;
      ps.ep = scenario_.ep_of(static_cast<peer_index>(i));
      for (auto n : p.neighbours) ps.neighbours.push_back(scenario_.peers[n].address);
      for (const auto& f : scenario_.files) {
        if (std::find(f.on.begin(), f.on.end(), i) != f.on.end()) {
          ps.files.push_back({f.name, f.size});
        }
      }
      world().add_peer(std::move(ps));
    }
  }

  // A peer's console transcript: the console's own printer, writing to the runner's sink.
  class transcript_sink final : public console_text::line_sink {
   public:
    transcript_sink(const run_options& o, peer_index p) : options_(&o), peer_(p) {}
    void line(std::string_view text) override { options_->console_sink(peer_, text); }
    void lines(const std::vector<std::string>& texts) override {
      for (const auto& t : texts) options_->console_sink(peer_, t);
    }

   private:
    const run_options* options_;
    peer_index peer_;
  };
  struct console_tap {
    console_tap(const run_options& o, peer_index p, const address_book& book)
        : sink(o, p), printer(sink, book) {}
    transcript_sink sink;
    console_text::console_printer printer;
  };

  void attach_consoles() {
    if (!options_.console_sink) return;
    for (const auto p : options_.console_peers) {
      if (p >= scenario_.peers.size()) continue;
      consoles_.push_back(std::make_unique<console_tap>(options_, p, world().book()));
      world().set_observer_tap(static_cast<sim::node_id>(p), &consoles_.back()->printer);
    }
  }

  void attach_checkers() {
    for (const auto& c : scenario_.checks) {
      switch (c.kind) {
        case check_kind::lamport_order:
          add(std::make_unique<lamport_order_checker>(scenario_, names_));
          break;
        case check_kind::discovery_convergence:
          add(std::make_unique<discovery_convergence_checker>(c, names_));
          break;
        case check_kind::download_integrity: {
          auto d = std::make_unique<download_integrity_checker>(scenario_, names_, world());
          downloads_.push_back(d.get());
          add(std::move(d));
          break;
        }
        case check_kind::peer_state: {
          auto p = std::make_unique<peer_state_checker>(c, scenario_, names_);
          timed_.push_back(p.get());
          add(std::move(p));
          break;
        }
        case check_kind::grade:
          break;  // added by `eachare-sim grade` after the run, never from a file
      }
    }
    // Names repeat when a scenario has two checks of a kind; JUnit wants them distinct.
    for (std::size_t i = 0; i < checkers_.size(); ++i) {
      int same = 0;
      for (std::size_t j = 0; j < i; ++j) same += checkers_[j]->name() == checkers_[i]->name();
      if (same > 0) suffix_[i] = " #" + std::to_string(same + 1);
    }
  }

  void add(std::unique_ptr<checker> c) {
    world().events().add_listener(*c);
    listeners_.push_back(c.get());
    checkers_.push_back(std::move(c));
    suffix_.emplace_back();
  }

  // -- the agenda: every step occurrence and timed check, in (time, file order); steps before
  // checks at equal times, so a peer_state at T sees the steps of T.
  struct item {
    duration t;
    int cls;  // 0 step, 1 timed check
    std::size_t index;
    bool operator>(const item& o) const {
      return std::tie(t, cls, index) > std::tie(o.t, o.cls, o.index);
    }
  };

  void plan() {
    for (std::size_t i = 0; i < scenario_.timeline.size(); ++i) {
      agenda_.push({scenario_.timeline[i].at, 0, i});
    }
    for (std::size_t i = 0; i < timed_.size(); ++i) agenda_.push({timed_[i]->at(), 1, i});
  }

  void schedule_next() {
    if (agenda_.empty()) return;
    world().at(agenda_.top().t, [this] { fire(); });
  }

  void fire() {
    const auto now = world().now();
    while (!agenda_.empty() && agenda_.top().t <= now) {
      const auto it = agenda_.top();
      agenda_.pop();
      if (it.cls == 1) {
        timed_[it.index]->evaluate(world());
        continue;
      }
      const auto& st = scenario_.timeline[it.index];
      if (st.every) {
        const auto next = it.t + *st.every;
        if (next <= st.until.value_or(scenario_.length) && next <= scenario_.length) {
          agenda_.push({next, 0, it.index});
        }
      }
      execute(st);
    }
    schedule_next();
  }

  bool accepts_commands(sim::node_id n) const {
    const auto s = world().status(n);
    return s == sim::node_status::running || s == sim::node_status::paused;
  }

  void command(sim::node_id n, const eachare::command& cmd) {
    if (!accepts_commands(n)) {
      ++skipped_;
      return;
    }
    ++issued_;
    world().command(n, cmd);
  }

  void execute(const step& st) {
    ++steps_;
    switch (st.what) {
      case action::hello:
        for (auto p : st.peers) {
          for (auto to : st.to) {
            if (to != p) command(p, cmd_hello{world().address_id(to)});
          }
        }
        break;
      case action::get_peers:
        for (auto p : st.peers) command(p, cmd_get_peers{st.fanout});
        break;
      case action::list_peers:
        for (auto p : st.peers) command(p, cmd_list_peers{});
        break;
      case action::list_local:
        for (auto p : st.peers) command(p, cmd_list_local{});
        break;
      case action::search:
        for (auto p : st.peers) command(p, cmd_search{});
        break;
      case action::download:
        for (auto p : st.peers) {
          if (accepts_commands(p)) {
            for (auto* d : downloads_) d->requested(p, st.file, world().now());
          }
          command(p, cmd_download{st.file, st.size});
        }
        break;
      case action::show_stats:
        for (auto p : st.peers) command(p, cmd_show_stats{});
        break;
      case action::set_chunk_size:
        for (auto p : st.peers) command(p, cmd_set_chunk_size{st.chunk_size});
        break;
      case action::bye:
        for (auto p : st.peers) command(p, cmd_bye{});
        break;
      case action::partition:
        if (!st.groups.empty()) {
          std::vector<std::vector<sim::node_id>> groups;
          for (const auto& g : st.groups) groups.push_back(nodes(g));
          world().partition(groups);
        } else {
          world().partition_oneway(nodes(st.from), nodes(st.to));
          if (!st.oneway) world().partition_oneway(nodes(st.to), nodes(st.from));
        }
        break;
      case action::heal:
        world().heal();
        break;
      case action::crash:
        // The world ignores a crash of a peer that is not up (never started, crashed, left).
        for (auto p : st.peers) world().crash(p);
        break;
      case action::restart:
      case action::start:
        for (auto p : st.peers) {
          const auto s = world().status(p);
          if (s == sim::node_status::added) {
            world().start(p);
          } else if (st.what == action::restart || s == sim::node_status::crashed ||
                     s == sim::node_status::left) {
            world().restart(p);
          }
        }
        break;
      case action::pause:
        for (auto p : st.peers) {
          if (world().status(p) == sim::node_status::running) world().pause(p);
        }
        break;
      case action::resume:
        for (auto p : st.peers) {
          if (world().status(p) == sim::node_status::paused) world().resume(p);
        }
        break;
      case action::set_network: {
        auto defaults = world().faults().defaults;
        apply(st.network, defaults);
        world().set_network(defaults);
        break;
      }
      case action::inject:
        for (auto p : st.to) world().inject(p, st.line);
        break;
    }
  }

  run_result result() {
    run_result r;
    r.name = scenario_.name;
    r.description = scenario_.description;
    r.file = scenario_.file;
    r.seed = seed_;
    r.expect_pass = scenario_.expect_pass;
    r.peers = scenario_.peers.size();
    r.virtual_time = world().now();
    r.time_kind = std::string(world().time_kind());
    const auto c = world().counters();
    r.messages_delivered = c.delivered;
    r.messages_dropped = c.dropped;
    r.messages_duplicated = c.duplicated;
    r.messages_partitioned = c.partitioned;
    r.timeouts = c.timed_out;
    r.bad_input = c.bad_input;
    r.trace_events = world().events().event_count();
    r.trace_hash = world().trace_hash();
    r.steps_run = steps_;
    r.commands_issued = issued_;
    r.commands_skipped = skipped_;
    for (std::size_t i = 0; i < checkers_.size(); ++i) {
      auto cr = checkers_[i]->finish(world());
      cr.name += suffix_[i];
      r.checks.push_back(std::move(cr));
    }
    if (options_.collect_outcome) r.outcome = outcome();
    return r;
  }

  std::vector<peer_outcome> outcome() {
    std::vector<peer_outcome> out;
    auto& w = world();
    for (sim::node_id n = 0; n < w.node_count(); ++n) {
      peer_outcome p;
      p.name = names_.node(n);
      p.status = std::string(sim::to_string(w.status(n)));
      if (const peer_table* t = w.table(n)) {
        for (const auto& rec : t->records()) {
          p.table.emplace_back(names_.address(rec.id), std::string(to_string(rec.status)));
        }
        std::sort(p.table.begin(), p.table.end());
      }
      for (const auto& [name, content] : w.shared_files(n)) {
        std::uint64_t h = 14695981039346656037ull;  // FNV-1a
        for (const char ch : *content) {
          h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
        }
        p.files.emplace_back(name, h);
      }
      if (const peer_node* node = w.node(n)) {
        for (const auto& row : node->stats().rows()) {
          p.stats.push_back("chunk " + std::to_string(row.chunk_size) + ", holders " +
                            std::to_string(row.holders) + ", size " +
                            std::to_string(row.file_size) + ": " + std::to_string(row.count));
        }
      }
      out.push_back(std::move(p));
    }
    return out;
  }

  scenario scenario_;  // a copy: the topology depends on this run's seed
  const run_options& options_;
  std::uint64_t seed_;
  // Before the world, so the world (which holds the taps) goes first.
  std::vector<std::unique_ptr<console_tap>> consoles_;
  std::unique_ptr<sim::peer_world> world_;
  peer_names names_;
  std::vector<std::unique_ptr<checker>> checkers_;
  std::vector<checker*> listeners_;
  std::vector<std::string> suffix_;
  std::vector<download_integrity_checker*> downloads_;
  std::vector<peer_state_checker*> timed_;
  std::priority_queue<item, std::vector<item>, std::greater<>> agenda_;
  std::uint64_t steps_ = 0;
  std::uint64_t issued_ = 0;
  std::uint64_t skipped_ = 0;
};

}  // namespace

run_result run(const scenario& s, const run_options& options) {
  scenario_run r(s, options);
  return r.play();
}

}  // namespace eachare::scenario
