#include "real/world/real_world.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "node/protocol/peer_address.hpp"
#include "real/world/local_peer.hpp"

namespace eachare::real {

using sim::trace_event;
using sim::trace_kind;

namespace {
constexpr std::uint64_t fault_stream = 0x7265616C6E6574ull;  // "realnet"
}

real_world::real_world(real_world_options options)
    : options_(std::move(options)),
      origin_(std::chrono::steady_clock::now()),
      rng_(sim::derive_seed(options_.seed, fault_stream)),
      base_(options_.network),
      current_(options_.network) {
  if (!(options_.time_scale > 0)) throw std::invalid_argument("time scale must be above 0");
}

real_world::~real_world() {
  timers_.clear();
  hosts_.clear();
  // Handlers still queued (closed sockets, cancelled timers) may name the hosts: drop them
  // without running them.
  io_.stop();
}

// --- building -------------------------------------------------------------------------------

std::string real_world::map_address(const std::string& address) {
  auto it = mapped_.find(address);
  if (it != mapped_.end()) return it->second;
  std::string used;
  if (options_.ports_auto) {
    // A free port now: bind port 0 and keep the number (the listener binds it again at start;
    // SO_REUSEADDR lets it, and nobody else is likely to take it in between).
    const bool ranged = options_.port_lo != 0;
    if (ranged) {
      // The next port of the range nobody listens on (a bind succeeds), in order.
      for (std::uint32_t port = options_.port_lo; port <= options_.port_hi && used.empty();
           ++port) {
        const auto p = static_cast<std::uint16_t>(port);
        if (ports_taken_.count(p) != 0) continue;
        boost::asio::ip::tcp::acceptor probe(io_);
        boost::system::error_code ec;
        probe.open(boost::asio::ip::tcp::v4(), ec);
        if (!ec) probe.bind({boost::asio::ip::make_address_v4("127.0.0.1"), p}, ec);
        if (ec) continue;
        ports_taken_.insert(p);
        used = "127.0.0.1:" + std::to_string(p);
      }
      if (used.empty()) {
        throw std::runtime_error("no free port left in the range " +
                                 std::to_string(options_.port_lo) + "-" +
                                 std::to_string(options_.port_hi));
      }
    }
    for (int attempt = 0; !ranged && attempt < 100 && used.empty(); ++attempt) {
      boost::asio::ip::tcp::acceptor probe(io_);
      boost::system::error_code ec;
      probe.open(boost::asio::ip::tcp::v4(), ec);
      if (!ec) probe.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0}, ec);
      if (ec) throw std::runtime_error("cannot choose a free port: " + ec.message());
      const auto port = probe.local_endpoint().port();
      if (ports_taken_.insert(port).second) used = "127.0.0.1:" + std::to_string(port);
    }
    if (used.empty()) throw std::runtime_error("cannot choose a free port");
  } else {
    const auto colon = address.rfind(':');
    const auto host = address.substr(0, colon);
    if (host != "127.0.0.1" && host != "localhost") {
      throw std::invalid_argument("address " + address +
                                  " is not on 127.0.0.1 (real mode listens on loopback only; use "
                                  "--ports auto to map every address)");
    }
    used = address;
  }
  mapped_.emplace(address, used);
  if (options_.on_address) options_.on_address(address, used);
  return used;
}

node_id real_world::add_peer(sim::peer_spec spec) {
  if (!is_valid_peer_address(spec.address)) {
    throw std::invalid_argument("peer '" + spec.name + "': bad address '" + spec.address + "'");
  }
  if (mapped_.count(spec.address) != 0 && find(mapped_[spec.address])) {
    throw std::invalid_argument("peer '" + spec.name + "': address " + spec.address +
                                " is already used");
  }
  spec.address = map_address(spec.address);
  std::vector<std::string> neighbours;
  std::unordered_set<std::string> seen;
  for (const std::string& a : spec.neighbours) {
    if (!is_valid_peer_address(a)) continue;
    std::string m = map_address(a);
    if (m == spec.address || !seen.insert(m).second) continue;
    neighbours.push_back(std::move(m));
  }
  spec.neighbours = std::move(neighbours);

  const auto n = static_cast<node_id>(hosts_.size());
  const peer_id id = book_.intern(spec.address);
  for (const auto& a : spec.neighbours) book_.intern(a);
  if (by_address_.size() <= id) by_address_.resize(id + 1, sim::no_node);
  by_address_[id] = n;
  addresses_.push_back(id);
  std::unique_ptr<peer_host> host;
  if (options_.make_host) host = options_.make_host(*this, n, spec);
  if (!host) host = std::make_unique<local_peer>(*this, n, std::move(spec));
  hosts_.push_back(std::move(host));
  return n;
}

std::optional<node_id> real_world::find(std::string_view address) const {
  const peer_id id = book_.find(address);
  const node_id n = node_at(id);
  if (n == sim::no_node) return std::nullopt;
  return n;
}

node_id real_world::node_at(peer_id address) const {
  return address < by_address_.size() ? by_address_[address] : sim::no_node;
}

sim::file_content real_world::file_content_for(const sim::file_spec& f) {
  auto key = std::make_pair(f.name, f.size);
  auto it = contents_.find(key);
  if (it != contents_.end()) return it->second;
  auto content = std::make_shared<const std::string>(
      sim::generate_file_content(options_.seed, f.name, f.size));
  contents_.emplace(std::move(key), content);
  return content;
}

// --- time -----------------------------------------------------------------------------------

std::chrono::nanoseconds real_world::wall(duration scenario_time) const {
  return std::chrono::nanoseconds{
      static_cast<std::int64_t>(static_cast<double>(scenario_time.count()) * options_.time_scale)};
}

duration real_world::now() const {
  const auto elapsed = std::chrono::steady_clock::now() - origin_;
  return duration{static_cast<std::int64_t>(
      static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()) /
      options_.time_scale)};
}

std::uint64_t real_world::at(duration t, std::function<void()> fn) {
  const std::uint64_t id = next_timer_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, origin_ + wall(t));
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) {
    timers_.erase(id);
    if (!ec) fn();
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void real_world::run_until(duration t) {
  const auto until = origin_ + wall(t);
  // Work guard: run_until must wait out the time even when nothing is scheduled.
  auto guard = boost::asio::make_work_guard(io_);
  io_.run_until(until);
  if (io_.stopped()) io_.restart();
}

// --- faults ---------------------------------------------------------------------------------

const sim::link_faults& real_world::link(node_id from, node_id to) const {
  if (!current_.link_overrides.empty()) {
    auto it = current_.link_overrides.find({from, to});
    if (it != current_.link_overrides.end()) return it->second;
  }
  if (!current_.group_overrides.empty()) {
    auto it = current_.group_overrides.find({0, 0});
    if (it != current_.group_overrides.end()) return it->second;
  }
  return current_.defaults;
}

bool real_world::blocked(node_id from, node_id to) const {
  for (const auto& p : partitions_) {
    const auto a = from < p.side.size() ? p.side[from] : 0;
    const auto b = to < p.side.size() ? p.side[to] : 0;
    if (p.oneway) {
      if (a == 1 && b == 2) return true;
    } else if (a != 0 && b != 0 && a != b) {
      return true;
    }
  }
  return false;
}

std::size_t real_world::partition(const std::vector<std::vector<node_id>>& groups) {
  partition_state p;
  p.side.assign(hosts_.size(), 0);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (const node_id n : groups[g]) p.side[n] = static_cast<std::uint16_t>(g + 1);
  }
  partitions_.push_back(std::move(p));
  emit_world(trace_kind::partition, sim::no_node, partitions_.size());
  return partitions_.size();
}

std::size_t real_world::partition_oneway(const std::vector<node_id>& from,
                                         const std::vector<node_id>& to) {
  partition_state p;
  p.oneway = true;
  p.side.assign(hosts_.size(), 0);
  for (const node_id n : from) p.side[n] = 1;
  for (const node_id n : to) p.side[n] = 2;
  partitions_.push_back(std::move(p));
  emit_world(trace_kind::partition, sim::no_node, partitions_.size());
  return partitions_.size();
}

void real_world::heal() {
  partitions_.clear();
  current_ = base_;
  follow_reply_timeout();
  emit_world(trace_kind::heal, sim::no_node);
  recount();
  tracker_.mark(now());
}

void real_world::set_network(const sim::link_faults& defaults) {
  current_.defaults = defaults;
  follow_reply_timeout();
  emit_world(trace_kind::network_change, sim::no_node);
}

void real_world::follow_reply_timeout() {
  // Our own peers keep the requester's deadline in their nodes (external programs keep theirs).
  for (auto& h : hosts_) {
    if (auto* local = dynamic_cast<local_peer*>(h.get())) local->follow_reply_timeout();
  }
}

// --- driving --------------------------------------------------------------------------------

namespace {

// An outside client for inject: connect, write the line, read until the peer closes.
struct inject_client : std::enable_shared_from_this<inject_client> {
  inject_client(boost::asio::io_context& io, std::string l) : socket(io), line(std::move(l)) {}
  boost::asio::ip::tcp::socket socket;
  std::string line;
  std::array<char, 4096> sink{};
  void read_on() {
    socket.async_read_some(
        boost::asio::buffer(sink),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (!ec) self->read_on();
        });
  }
};

}  // namespace

void real_world::inject(node_id n, std::string line) {
  peer_host& h = *hosts_[n];
  if (h.status() == sim::node_status::paused && h.holds_while_paused()) {
    h.when_resumed([this, n, line = std::move(line)]() mutable { inject(n, std::move(line)); });
    return;
  }
  trace_event t;
  t.kind = trace_kind::injected;
  t.node = n;
  t.detail = line;
  emit(t);
  if (!is_live(n)) {
    ++counters_.refused;
    t.kind = trace_kind::refused;
    t.detail = {};
    emit(t);
    return;
  }
  ++counters_.delivered;
  const std::string& a = address(n);
  const auto colon = a.rfind(':');
  const boost::asio::ip::tcp::endpoint ep(
      boost::asio::ip::make_address_v4("127.0.0.1"),
      static_cast<std::uint16_t>(std::stoul(a.substr(colon + 1))));
  auto c = std::make_shared<inject_client>(io_, std::move(line) + "\n");
  c->socket.async_connect(ep, [c](const boost::system::error_code& ec) {
    if (ec) return;
    boost::asio::async_write(c->socket, boost::asio::buffer(c->line),
                             [c](const boost::system::error_code& wec, std::size_t) {
                               if (wec) return;
                               boost::system::error_code ignored;
                               c->socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send,
                                                  ignored);
                               c->read_on();
                             });
  });
}

// --- trace and convergence ------------------------------------------------------------------

void real_world::emit(trace_event e) {
  e.time = now();
  trace_.emit(e);
}

void real_world::emit_world(trace_kind k, node_id n, std::uint64_t value) {
  trace_event t;
  t.kind = k;
  t.node = n;
  if (n != sim::no_node) {
    t.peer = addresses_[n];
    t.clock = clock(n);
  }
  t.value = value;
  emit(t);
}

void real_world::table_changed() {
  if (!recount_queued_) recount();
}

void real_world::live_set_changed() {
  if (recount_queued_) return;
  recount_queued_ = true;
  boost::asio::post(io_, [this] {
    recount_queued_ = false;
    recount();
  });
}

// O(peers x table) per table event: fine for the dozens of peers a real run has.
void real_world::recount() {
  std::size_t live = 0;
  for (node_id n = 0; n < hosts_.size(); ++n) live += is_live(n) ? 1 : 0;
  std::size_t satisfied = 0;
  for (node_id n = 0; n < hosts_.size(); ++n) {
    if (!is_live(n)) continue;
    const peer_table* t = hosts_[n]->table();
    if (t == nullptr) continue;
    std::size_t count = 0;
    for (const auto& r : t->records()) {
      if (r.status != peer_status::online || r.id == addresses_[n]) continue;
      const node_id other = node_at(r.id);
      if (other != sim::no_node && is_live(other)) ++count;
    }
    if (count + 1 == live) ++satisfied;
  }
  const int change = tracker_.update(now(), live, satisfied);
  if (change != 0) {
    emit_world(change > 0 ? trace_kind::converged : trace_kind::diverged, sim::no_node, live);
  }
}

}  // namespace eachare::real
