// Tests of the real-socket world (real/world): our peer_nodes on the Asio transport over loopback,
// with the fault layer around them. Every wait runs the world until the condition holds, with a
// generous bound (never a bare sleep); ports are chosen free (ports_auto).
#include "real/world/real_world.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/runner.hpp"

namespace eachare::real {
namespace {

using namespace std::chrono_literals;

constexpr auto generous = 10s;

struct kinds final : sim::trace_listener {
  std::vector<sim::trace_kind> seen;
  void on_trace_event(const sim::trace_event& e) override { seen.push_back(e.kind); }
  std::size_t count(sim::trace_kind k) const {
    return static_cast<std::size_t>(std::count(seen.begin(), seen.end(), k));
  }
};

class RealWorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    real_world_options o;
    o.ports_auto = true;
    o.network.defaults.timeout_ms = 300;
    world_ = std::make_unique<real_world>(o);
    world_->events().add_listener(kinds_);
    a_ = add("a", "127.0.0.1:9101", {"127.0.0.1:9102"});
    b_ = add("b", "127.0.0.1:9102", {"127.0.0.1:9101"});
    world_->start(a_);
    world_->start(b_);
  }
  void TearDown() override { world_->events().remove_listener(kinds_); }

  node_id add(const std::string& name, const std::string& address,
              std::vector<std::string> neighbours) {
    sim::peer_spec s;
    s.name = name;
    s.address = address;
    s.neighbours = std::move(neighbours);
    return world_->add_peer(std::move(s));
  }
  // Runs the world until `done` holds; false after `bound` of scenario time.
  bool run_until(const std::function<bool()>& done, duration bound = generous) {
    const auto end = world_->now() + bound;
    while (!done()) {
      if (world_->now() >= end) return false;
      world_->run_until(world_->now() + 5ms);
    }
    return true;
  }
  // a's entry for b (nullptr when absent).
  const peer_record* entry(node_id of, node_id other) const {
    return world_->table(of)->find(world_->address_id(other));
  }
  bool online(node_id of, node_id other) const {
    const auto* r = entry(of, other);
    return r != nullptr && r->status == peer_status::online;
  }
  bool offline(node_id of, node_id other) const {
    const auto* r = entry(of, other);
    return r != nullptr && r->status == peer_status::offline;
  }
  void hello(node_id from, node_id to) { world_->command(from, cmd_hello{world_->address_id(to)}); }

  std::unique_ptr<real_world> world_;
  kinds kinds_;
  node_id a_ = 0;
  node_id b_ = 0;
};

TEST_F(RealWorldTest, HelloOverLoopbackMarksBothPeersOnline) {
  EXPECT_NE(world_->address(a_), "127.0.0.1:9101");  // mapped to a free port
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return online(a_, b_) && online(b_, a_); }));
  EXPECT_EQ(world_->clock(a_), 1u);
  EXPECT_EQ(world_->clock(b_), 2u);
  EXPECT_EQ(kinds_.count(sim::trace_kind::delivered), 1u);
  EXPECT_GE(world_->counters().delivered, 1u);
}

TEST_F(RealWorldTest, PartitionMakesTheRequesterTimeOutUntilHeal) {
  world_->partition({{a_}, {b_}});
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::timed_out) == 1; }));
  EXPECT_TRUE(offline(a_, b_));
  EXPECT_EQ(kinds_.count(sim::trace_kind::partitioned), 1u);
  EXPECT_EQ(kinds_.count(sim::trace_kind::delivered), 0u);
  world_->heal();
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return online(a_, b_); }));
}

TEST_F(RealWorldTest, OneWayPartitionLosesOnlyTheReplyDirection) {
  // b -> a blocked: a's GET_PEERS reaches b, but b's PEER_LIST never comes back.
  world_->partition_oneway({b_}, {a_});
  world_->command(a_, cmd_get_peers{});
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::timed_out) == 1; }));
  EXPECT_EQ(kinds_.count(sim::trace_kind::delivered), 1u);  // b got the request
  EXPECT_TRUE(offline(a_, b_));
  EXPECT_TRUE(online(b_, a_));
}

TEST_F(RealWorldTest, DropProbabilityOneLosesEveryLine) {
  sim::link_faults f = world_->faults().defaults;
  f.drop_probability = 1.0;
  world_->set_network(f);
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::timed_out) == 1; }));
  EXPECT_EQ(kinds_.count(sim::trace_kind::dropped), 1u);
  EXPECT_EQ(world_->counters().dropped, 1u);
}

TEST_F(RealWorldTest, DuplicateDeliversTheRequestTwice) {
  sim::link_faults f = world_->faults().defaults;
  f.duplicate_probability = 1.0;
  world_->set_network(f);
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::delivered) == 2; }));
  EXPECT_EQ(world_->counters().duplicated, 1u);
}

TEST_F(RealWorldTest, PausedPeerAnswersWhenItResumes) {
  sim::link_faults f = world_->faults().defaults;
  f.timeout_ms = 5000;
  world_->set_network(f);
  world_->pause(b_);
  world_->command(a_, cmd_get_peers{});
  const auto resume_at = world_->now() + 200ms;
  ASSERT_TRUE(run_until([&] { return world_->now() >= resume_at; }));
  EXPECT_EQ(kinds_.count(sim::trace_kind::delivered), 0u);  // held while paused
  world_->resume(b_);
  ASSERT_TRUE(run_until([&] { return online(a_, b_); }));
  EXPECT_EQ(kinds_.count(sim::trace_kind::timed_out), 0u);
}

TEST_F(RealWorldTest, CrashedPeerRefusesConnectsAndRestartsWithClockZero) {
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return online(a_, b_); }));
  world_->crash(b_);
  EXPECT_EQ(world_->status(b_), sim::node_status::crashed);
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::refused) == 1; }));
  EXPECT_TRUE(offline(a_, b_));
  world_->restart(b_);
  EXPECT_EQ(world_->clock(b_), 0u);
  hello(a_, b_);
  ASSERT_TRUE(run_until([&] { return online(a_, b_); }));
}

TEST_F(RealWorldTest, InjectedGarbageReachesTheListenerAsBadInput) {
  world_->inject(b_, "garbage without fields");
  ASSERT_TRUE(run_until([&] { return kinds_.count(sim::trace_kind::bad_input) == 1; }));
  EXPECT_EQ(kinds_.count(sim::trace_kind::injected), 1u);
}

TEST(RealWorld, RefusesAnAddressOffLoopbackWithoutPortsAuto) {
  real_world w(real_world_options{});
  sim::peer_spec s;
  s.name = "x";
  s.address = "10.0.0.1:9000";
  EXPECT_THROW(w.add_peer(s), std::invalid_argument);
}

TEST(RealWorld, TimeScaleShrinksTheWallClock) {
  real_world_options o;
  o.time_scale = 0.1;
  real_world w(o);
  EXPECT_EQ(w.wall(1000ms), std::chrono::nanoseconds(100ms));
  const auto t0 = std::chrono::steady_clock::now();
  w.run_until(1000ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(w.now(), 1000ms);
  EXPECT_LT(took, 900ms);  // 1 s of scenario time in ~0.1 s
}

// The runner's world for these tests: our peers on loopback, free ports, at half the wall time.
std::unique_ptr<sim::peer_world> loopback_world_at_half_time(const scenario::world_setup& setup) {
  real_world_options ro;
  ro.seed = setup.seed;
  ro.network = setup.network;
  ro.ports_auto = true;
  ro.time_scale = 0.5;
  return std::make_unique<real_world>(ro);
}

TEST(RealWorld, RunsAWholeScenarioThroughTheRunner) {
  const auto s = scenario::load_string(R"(name: real-dl
duration_ms: 3000
peers: {count: 3, topology: complete}
files:
  - {name: f.bin, size: 3000, on: [p1, p2]}
timeline:
  - {at_ms: 0, do: hello, peer: p0, to: [p1, p2]}
  - {at_ms: 300, do: search, peer: p0}
  - {at_ms: 600, do: download, peer: p0, file: f.bin}
checks:
  - lamport_order
  - download_integrity
  - peer_state: {at_ms: 2000, peer: p1, knows: {p0: ONLINE}}
)",
                                       "inline.yaml");
  scenario::run_options o;
  o.collect_outcome = true;
  o.make_world = loopback_world_at_half_time;
  const auto r = scenario::run(s, o);
  EXPECT_EQ(r.time_kind, "wall-clock");
  for (const auto& c : r.checks) EXPECT_TRUE(c.passed) << c.name << ": " << c.violation;
  ASSERT_EQ(r.outcome.size(), 3u);
  ASSERT_EQ(r.outcome[0].files.size(), 1u);
  EXPECT_EQ(r.outcome[0].files[0], r.outcome[1].files[0]);
}

TEST(RealWorld, CheckTextsCallTheTimeWallClockNotVirtual) {
  // p1 knows p0 from the topology but was never greeted by it: OFFLINE at 100 ms.
  const auto s = scenario::load_string(R"(name: real-words
duration_ms: 300
peers: {count: 2, topology: complete}
timeline:
  - {at_ms: 200, do: hello, peer: p1, to: [p0]}
checks:
  - lamport_order
  - peer_state: {at_ms: 100, peer: p1, knows: {p0: ONLINE}}
)",
                                       "inline.yaml");
  scenario::run_options o;
  o.make_world = loopback_world_at_half_time;
  const auto r = scenario::run(s, o);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].violation;
  EXPECT_FALSE(r.checks[1].passed);
  // "at 0.1 s: ..." (or 0.101 s: the wall clock runs on while the check is taken).
  const std::string& v = r.checks[1].violation;
  EXPECT_TRUE(v.starts_with("at 0.1")) << v;
  EXPECT_NE(v.find(" s: p1 lists p0 as OFFLINE, expected ONLINE"), std::string::npos) << v;
  for (const auto& c : r.checks) {
    for (const auto* text : {&c.violation, &c.figure}) {
      EXPECT_EQ(text->find("virtual"), std::string::npos) << *text;
    }
  }
}

}  // namespace
}  // namespace eachare::real

namespace eachare::real {
namespace {

// --port-range: every address is mapped into the range, each to its own port, and the first port
// in use is skipped; an exhausted range is one clear error.
TEST(RealWorldPorts, AutoPortsStayInTheGivenRangeAndSkipAPortInUse) {
  // A port of the range someone else already listens on.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(io);
  taken.open(boost::asio::ip::tcp::v4());
  taken.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0});
  taken.listen();
  const auto busy = taken.local_endpoint().port();
  // A range that starts at the busy port (the kernel gave it, so the next few are likely free;
  // the test only needs the busy one skipped and the rest inside the range).
  real_world_options o;
  o.ports_auto = true;
  o.port_lo = busy;
  o.port_hi = static_cast<std::uint16_t>(busy + 40);
  std::vector<std::string> used;
  o.on_address = [&](const std::string&, const std::string& to) { used.push_back(to); };
  real_world w(o);
  sim::peer_spec a;
  a.name = "a";
  a.address = "127.0.0.1:9101";
  a.neighbours = {"127.0.0.1:9102", "127.0.0.1:9103"};
  w.add_peer(a);
  ASSERT_EQ(used.size(), 3u);
  std::set<std::uint16_t> ports;
  for (const auto& u : used) {
    const auto port = static_cast<std::uint16_t>(std::stoul(u.substr(u.rfind(':') + 1)));
    EXPECT_GT(port, busy) << u;
    EXPECT_LE(port, o.port_hi) << u;
    ports.insert(port);
  }
  EXPECT_EQ(ports.size(), 3u);
}

TEST(RealWorldPorts, AnExhaustedRangeIsOneClearError) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(io);
  taken.open(boost::asio::ip::tcp::v4());
  taken.bind({boost::asio::ip::make_address_v4("127.0.0.1"), 0});
  taken.listen();
  const auto busy = taken.local_endpoint().port();
  real_world_options o;
  o.ports_auto = true;
  o.port_lo = busy;
  o.port_hi = busy;
  real_world w(o);
  sim::peer_spec a;
  a.name = "a";
  a.address = "127.0.0.1:9101";
  try {
    w.add_peer(a);
    FAIL() << "expected an error for a range with no free port";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "no free port left in the range " + std::to_string(busy) +
                                         "-" + std::to_string(busy));
  }
}

}  // namespace
}  // namespace eachare::real
