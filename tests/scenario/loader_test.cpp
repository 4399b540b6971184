// Tests of the scenario loader: what a good file becomes, and the exact one-line
// `file:line:col: message` for every kind of bad input.
#include "sim/scenario/loader.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

#include "node/core/splitmix64.hpp"

namespace eachare::scenario {
namespace {

using namespace std::chrono_literals;

// Loads `text` expecting failure; returns the whole message ("t.yaml:L:C: ...").
std::string error_of(const std::string& text) {
  try {
    (void)load_string(text, "t.yaml");
  } catch (const scenario_error& e) {
    return e.what();
  }
  return "<loaded without error>";
}

const std::string head = "name: t\nduration_ms: 1000\npeers: {count: 10}\n";

TEST(ScenarioLoader, ReadsGeneratedPeersWithDefaults) {
  const auto s = load_string("name: ring\nduration_ms: 5000\npeers: {count: 3}\n", "t.yaml");
  EXPECT_EQ(s.name, "ring");
  EXPECT_EQ(s.seed, 1u);
  EXPECT_EQ(s.ep, 3);
  EXPECT_EQ(s.length, 5000ms);
  EXPECT_TRUE(s.expect_pass);
  ASSERT_EQ(s.peers.size(), 3u);
  EXPECT_EQ(s.peers[0].name, "p0");
  EXPECT_EQ(s.peers[2].address, "127.0.0.1:9002");
  ASSERT_TRUE(s.generated);
  EXPECT_EQ(s.generated->shape.kind, topology_kind::ring);
  EXPECT_EQ(s.network.timeout, 2000ms);
}

TEST(ScenarioLoader, ReadsExplicitPeersWithNeighboursDeclaredLater) {
  const auto s = load_string(R"(name: walk
duration_ms: 1000
ep: 2
expect: fail
peers:
  - {name: a, address: "127.0.0.1:5000", neighbors: [b]}
  - {name: b, address: "127.0.0.1:5001", neighbors: [a, c], ep: 1}
  - {name: c, address: "127.0.0.1:5002", neighbors: [d]}
  - {name: d, address: "127.0.0.1:5004", start: false}
)",
                             "t.yaml");
  ASSERT_EQ(s.peers.size(), 4u);
  EXPECT_EQ(s.ep, 2);
  EXPECT_FALSE(s.expect_pass);
  EXPECT_EQ(s.peers[1].neighbours, (std::vector<peer_index>{0, 2}));
  EXPECT_EQ(s.peers[2].neighbours, (std::vector<peer_index>{3}));
  EXPECT_EQ(s.ep_of(1), 1);
  EXPECT_EQ(s.ep_of(0), 2);
  EXPECT_FALSE(s.peers[3].start);
}

TEST(ScenarioLoader, ExpandsSelectorsMixingNamesRangesAndAll) {
  const auto s = load_string(head + R"(timeline:
  - {at_ms: 0, do: crash, peers: [p9, p2..p4, p3]}
  - {at_ms: 0, do: get_peers, peers: all, fanout: 2}
  - {at_ms: 200, every_ms: 500, until_ms: 900, do: search, peer: p1}
)",
                             "t.yaml");
  ASSERT_EQ(s.timeline.size(), 3u);
  EXPECT_EQ(s.timeline[0].peers, (std::vector<peer_index>{9, 2, 3, 4}));
  EXPECT_EQ(s.timeline[1].peers.size(), 10u);
  EXPECT_EQ(s.timeline[1].fanout, 2u);
  EXPECT_EQ(s.timeline[2].every, 500ms);
  EXPECT_EQ(s.timeline[2].until, 900ms);
}

TEST(ScenarioLoader, ReadsEveryFormatExampleStep) {
  const auto s = load_string(R"(name: partition-heal-50
duration_ms: 60000
peers: {count: 50, base_port: 9000, topology: {random: {k: 3}}}
files:
  - {name: mil.txt, size: 1000, on: [p1, p2]}
  - {name: big.bin, size: 10485760, on: p3}
network:
  delay: {dist: exponential, min_ms: 1, mean_ms: 20}
  drop_probability: 0.0
  duplicate_probability: 0.0
  bandwidth_bytes_per_s: 0
  timeout_ms: 2000
timeline:
  - {at_ms: 0,    do: hello, peer: p0, to: p1}
  - {at_ms: 1500, do: download, peer: p0, file: mil.txt}
  - {at_ms: 1600, do: set_chunk_size, peers: [p0], size: 128}
  - {at_ms: 2000, do: partition, groups: [p0..p24, p25..p49]}
  - {at_ms: 2000, do: partition, from: p0..p9, to: p10..p49, oneway: true}
  - {at_ms: 9000, do: heal}
  - {at_ms: 5000, do: set_network, drop_probability: 0.1}
  - {at_ms: 5500, do: inject, to: p3, line: "garbage without fields"}
checks:
  - lamport_order
  - discovery_convergence: {within_ms: 30000}
  - download_integrity
  - peer_state: {at_ms: 8000, peer: p0, knows: {p3: ONLINE, p4: OFFLINE}}
)",
                             "t.yaml");
  EXPECT_EQ(s.generated->shape.kind, topology_kind::random);
  EXPECT_EQ(s.generated->shape.k, 3u);
  EXPECT_EQ(s.files[1].size, 10485760u);
  EXPECT_EQ(s.network.delay.dist, delay_dist::exponential);
  EXPECT_EQ(s.network.delay.mean, 20ms);
  EXPECT_EQ(s.timeline[2].chunk_size, 128);
  ASSERT_EQ(s.timeline[3].groups.size(), 2u);
  EXPECT_EQ(s.timeline[3].groups[1].size(), 25u);
  EXPECT_TRUE(s.timeline[4].oneway);
  EXPECT_EQ(s.timeline[4].from.size(), 10u);
  EXPECT_EQ(*s.timeline[6].network.drop_probability, 0.1);
  EXPECT_FALSE(s.timeline[6].network.delay);
  EXPECT_EQ(s.timeline[7].line, "garbage without fields");
  ASSERT_EQ(s.checks.size(), 4u);
  EXPECT_EQ(s.checks[1].within, 30000ms);
  EXPECT_EQ(s.checks[3].knows.size(), 2u);
  EXPECT_EQ(s.checks[3].knows[1].status, expected_status::offline);
}

TEST(ScenarioLoader, RandomTopologyIsDrawnFromTheSeed) {
  auto a = load_string("name: r\nduration_ms: 1\npeers: {count: 20, topology: {random: {k: 3}}}\n",
                       "t.yaml");
  auto b = a;
  auto c = a;
  fill_topology(a, 5);
  fill_topology(b, 5);
  fill_topology(c, 6);
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    EXPECT_EQ(a.peers[i].neighbours.size(), 3u);
    EXPECT_EQ(a.peers[i].neighbours, b.peers[i].neighbours);
  }
  bool differs = false;
  for (std::size_t i = 0; i < a.peers.size(); ++i) {
    differs = differs || a.peers[i].neighbours != c.peers[i].neighbours;
  }
  EXPECT_TRUE(differs);
}

// fill_topology keeps only the swapped slots of its partial Fisher-Yates; the draws must be
// exactly those of a shuffle over the whole list of other peers (scenario traces depend on them).
TEST(ScenarioLoader, RandomTopologyMatchesAFullPartialShuffle) {
  auto s = load_string("name: r\nduration_ms: 1\npeers: {count: 57, topology: {random: {k: 9}}}\n",
                       "t.yaml");
  fill_topology(s, 77);
  splitmix64 rng{77 ^ 0x746F706F6C6F6779ull};
  const std::uint32_t n = 57;
  for (std::uint32_t i = 0; i < n; ++i) {
    std::vector<peer_index> others;
    for (std::uint32_t j = 0; j < n; ++j) {
      if (j != i) others.push_back(j);
    }
    std::vector<peer_index> expected;
    for (std::uint32_t d = 0; d < 9; ++d) {
      const auto r = d + static_cast<std::uint32_t>(rng.below(others.size() - d));
      std::swap(others[d], others[r]);
      expected.push_back(others[d]);
    }
    EXPECT_EQ(s.peers[i].neighbours, expected) << "peer " << i;
  }
}

TEST(ScenarioLoader, RingAndStarTopologies) {
  auto s = load_string("name: r\nduration_ms: 1\npeers: {count: 4, topology: ring}\n", "t.yaml");
  fill_topology(s, 1);
  EXPECT_EQ(s.peers[0].neighbours, (std::vector<peer_index>{3, 1}));
  EXPECT_EQ(s.peers[3].neighbours, (std::vector<peer_index>{2, 0}));
  auto t = load_string("name: r\nduration_ms: 1\npeers: {count: 4, topology: star}\n", "t.yaml");
  fill_topology(t, 1);
  EXPECT_EQ(t.peers[0].neighbours, (std::vector<peer_index>{1, 2, 3}));
  EXPECT_EQ(t.peers[2].neighbours, (std::vector<peer_index>{0}));
}

TEST(ScenarioLoader, SeedMayBeFortyHexDigits) {
  const auto s = load_string(
      "name: r\nseed: 0123456789abcdef0123456789abcdef01234567\nduration_ms: 1\npeers: {count: "
      "1}\n",
      "t.yaml");
  EXPECT_EQ(s.seed, *parse_seed("0123456789abcdef0123456789abcdef01234567"));
  EXPECT_NE(s.seed, *parse_seed("0123456789abcdef0123456789abcdef01234568"));
}

// ---- bad input: one test per case, exact position and message
// ------------------------------------

TEST(ScenarioLoader, ReadsImplementationsAndPerPeerImplAndGraded) {
  const auto s = load_string(R"(name: ext
duration_ms: 1000
implementations:
  fixture:
    cmd: [python3, peer.py, "{addr}", "{neighbours}", "{shared}"]
    cwd: /tmp
    env: {PYTHONUNBUFFERED: "1"}
    pty: false
peers:
  - {name: a, impl: fixture, graded: true}
  - {name: b}
)",
                             "t.yaml");
  ASSERT_EQ(s.implementations.size(), 1u);
  const auto& im = s.implementations[0];
  EXPECT_EQ(im.name, "fixture");
  EXPECT_EQ(im.cmd.size(), 5u);
  EXPECT_EQ(im.cmd[2], "{addr}");
  EXPECT_EQ(im.cwd, "/tmp");
  ASSERT_EQ(im.env.size(), 1u);
  EXPECT_EQ(im.env[0].first, "PYTHONUNBUFFERED");
  EXPECT_FALSE(im.pty);
  EXPECT_EQ(s.peers[0].impl, std::optional<std::size_t>(0));
  EXPECT_TRUE(s.peers[0].graded);
  EXPECT_FALSE(s.peers[1].impl);
  EXPECT_FALSE(s.peers[1].graded);
}

TEST(ScenarioLoaderErrors, ImplementationWithoutAddrOrUnknownImpl) {
  EXPECT_EQ(error_of("name: t\nduration_ms: 1\nimplementations:\n  x: {cmd: [prog, \"{shared}\"]}\n"
                     "peers: [{name: a}]\n"),
            "t.yaml:4:12: expected {addr} in some word of 'cmd' (the program must be told its "
            "address; {neighbours} and {shared} are filled in too)");
  EXPECT_EQ(error_of("name: t\nduration_ms: 1\npeers: [{name: a, impl: nope}]\n"),
            "t.yaml:3:25: unknown implementation 'nope' (declared under 'implementations': none)");
  EXPECT_EQ(
      error_of("name: t\nduration_ms: 1\nimplementations:\n  x: {cwd: /}\npeers: [{name: a}]\n"),
      "t.yaml:4:6: missing required key 'cmd' in implementation 'x'");
}

TEST(ScenarioLoaderErrors, FaultOnALinkBetweenTwoExternalProgramsIsRefusedWithItsPlace) {
  const std::string two_external =
      "name: t\nduration_ms: 1000\nimplementations:\n  x: {cmd: [p, \"{addr}\"]}\n"
      "peers:\n  - {name: g, graded: true}\n  - {name: h, impl: x}\n  - {name: a}\n";
  EXPECT_EQ(
      error_of(two_external + "timeline:\n  - {at_ms: 1, do: partition, groups: [[g], [h, a]]}\n"),
      "t.yaml:10:39: a partition between 'g' and 'h', both external programs (impl: or "
      "graded: true), cannot be applied: faults act only on our peers' side of a link");
  EXPECT_EQ(error_of(two_external + "timeline:\n  - {at_ms: 1, do: partition, from: [h], to: [g], "
                                    "oneway: true}\n"),
            "t.yaml:10:37: a partition between 'h' and 'g', both external programs (impl: or "
            "graded: true), cannot be applied: faults act only on our peers' side of a link");
  EXPECT_EQ(error_of(two_external + "network: {drop_probability: 0.1}\n"),
            "t.yaml:9:10: 'drop_probability' would act on the link between 'g' and 'h', both "
            "external programs (impl: or graded: true), and cannot be applied there: faults act "
            "only on our peers' side of a link");
  EXPECT_EQ(
      error_of(two_external +
               "timeline:\n  - {at_ms: 1, do: set_network, delay: {dist: constant, ms: 5}}\n"),
      "t.yaml:10:5: 'delay' would act on the link between 'g' and 'h', both external "
      "programs (impl: or graded: true), and cannot be applied there: faults act only on "
      "our peers' side of a link");
  // A fault between an external program and our peer acts on our side: accepted.
  EXPECT_NO_THROW(load_string(two_external +
                                  "timeline:\n  - {at_ms: 1, do: partition, groups: [[g, h], "
                                  "[a]]}\n",
                              "t.yaml"));
}

TEST(ScenarioLoaderErrors, YamlSyntaxError) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1000\npeers: {count: 3\n"),
            "t.yaml:4:1: invalid YAML: end of map flow not found");
}

TEST(ScenarioLoaderErrors, EmptyFile) {
  EXPECT_EQ(error_of(""),
            "t.yaml:1:1: expected a scenario mapping with name, duration_ms and peers, got "
            "nothing");
}

TEST(ScenarioLoaderErrors, UnknownTopLevelKey) {
  EXPECT_EQ(error_of("name: x\ndureation_ms: 1000\nduration_ms: 1\npeers: {count: 1}\n"),
            "t.yaml:2:1: unknown key 'dureation_ms' in the scenario (expected one of: name, "
            "description, seed, ep, duration_ms, expect, peers, files, network, timeline, "
            "checks, implementations)");
}

TEST(ScenarioLoaderErrors, DuplicateKey) {
  EXPECT_EQ(error_of("name: x\nname: y\nduration_ms: 1\npeers: {count: 1}\n"),
            "t.yaml:2:1: duplicate key 'name' in the scenario");
}

TEST(ScenarioLoaderErrors, MissingName) {
  EXPECT_EQ(error_of("duration_ms: 1000\npeers: {count: 3}\n"),
            "t.yaml:1:1: missing required key 'name' in the scenario");
}

TEST(ScenarioLoaderErrors, MissingDuration) {
  EXPECT_EQ(error_of("name: x\npeers: {count: 3}\n"),
            "t.yaml:1:1: missing required key 'duration_ms' in the scenario");
}

TEST(ScenarioLoaderErrors, MissingPeers) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 10\n"),
            "t.yaml:1:1: missing required key 'peers' in the scenario");
}

TEST(ScenarioLoaderErrors, DurationOfWrongType) {
  EXPECT_EQ(error_of("name: x\nduration_ms: [1]\npeers: {count: 1}\n"),
            "t.yaml:2:14: expected a non-negative time in milliseconds for 'duration_ms', got a "
            "list");
}

TEST(ScenarioLoaderErrors, DurationNotANumber) {
  EXPECT_EQ(error_of("name: x\nduration_ms: soon\npeers: {count: 1}\n"),
            "t.yaml:2:14: expected a non-negative time in milliseconds for 'duration_ms', got "
            "'soon'");
}

TEST(ScenarioLoaderErrors, BadEp) {
  EXPECT_EQ(error_of("name: x\nep: 4\nduration_ms: 1\npeers: {count: 1}\n"),
            "t.yaml:2:5: expected ep 1, 2 or 3, got '4'");
}

TEST(ScenarioLoaderErrors, BadExpect) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\nexpect: maybe\npeers: {count: 1}\n"),
            "t.yaml:3:9: expected pass or fail for 'expect', got 'maybe'");
}

TEST(ScenarioLoaderErrors, BadSeed) {
  EXPECT_EQ(error_of("name: x\nseed: abc\nduration_ms: 1\npeers: {count: 1}\n"),
            "t.yaml:2:7: expected a seed (a number or 40 hex digits), got 'abc'");
}

TEST(ScenarioLoaderErrors, PeersOfWrongType) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: 5\n"),
            "t.yaml:3:8: expected peers as a mapping {count, base_port, topology} or a list of "
            "peers, got '5'");
}

TEST(ScenarioLoaderErrors, CountZero) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 0}\n"),
            "t.yaml:3:16: expected an integer from 1 to 1000000 for 'count', got '0'");
}

TEST(ScenarioLoaderErrors, PortsOverflow) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 10, base_port: 65530}\n"),
            "t.yaml:3:31: expected base_port + count - 1 <= 65535 (ports 65530..65539 do not "
            "fit)");
}

TEST(ScenarioLoaderErrors, UnknownTopology) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 3, topology: tree}\n"),
            "t.yaml:3:29: unknown topology 'tree' (expected ring, line, star, complete, none or "
            "{random: {k: N}})");
}

TEST(ScenarioLoaderErrors, RandomTopologyWithoutK) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 3, topology: {random: {}}}\n"),
            "t.yaml:3:38: missing required key 'k' in topology random");
}

TEST(ScenarioLoaderErrors, BadAddress) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers:\n  - {name: a, address: \"1.2.3.4\"}\n"),
            "t.yaml:4:24: expected an address host:port (IPv4 or host name, port 1-65535), got "
            "'1.2.3.4'");
}

TEST(ScenarioLoaderErrors, DuplicatePeerName) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers:\n  - {name: a}\n  - {name: a}\n"),
            "t.yaml:5:12: duplicate peer name 'a'");
}

TEST(ScenarioLoaderErrors, UnknownNeighbour) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers:\n  - {name: a, neighbors: [b, zz]}\n  - "
                     "{name: b}\n"),
            "t.yaml:4:30: unknown peer 'zz' (peers are a, b)");
}

TEST(ScenarioLoaderErrors, UnknownPeerKey) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers:\n  - {name: a, port: 5}\n"),
            "t.yaml:4:15: unknown key 'port' in a peer (expected one of: name, address, "
            "neighbors, neighbours, ep, start, impl, graded)");
}

TEST(ScenarioLoaderErrors, MissingStepAt) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {do: heal}\n"),
            "t.yaml:5:5: missing required key 'at_ms' in a 'heal' step");
}

TEST(ScenarioLoaderErrors, MissingStepDo) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5}\n"),
            "t.yaml:5:5: missing required key 'do' in a timeline step");
}

TEST(ScenarioLoaderErrors, NegativeTime) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: -5, do: heal}\n"),
            "t.yaml:5:13: expected a non-negative time in milliseconds for 'at_ms', got negative "
            "time '-5'");
}

TEST(ScenarioLoaderErrors, StepAfterTheEnd) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5000, do: heal}\n"),
            "t.yaml:5:13: expected at_ms <= duration_ms (1000), got '5000'");
}

TEST(ScenarioLoaderErrors, UntilWithoutEvery) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, until_ms: 50, do: heal}\n"),
            "t.yaml:5:16: expected 'every_ms' with 'until_ms' (until_ms ends a repetition)");
}

TEST(ScenarioLoaderErrors, EveryZero) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, every_ms: 0, do: heal}\n"),
            "t.yaml:5:26: expected a positive time in milliseconds for 'every_ms', got '0'");
}

TEST(ScenarioLoaderErrors, UnknownCommand) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: helo, peer: p0}\n"),
            "t.yaml:5:20: unknown command 'helo' (expected one of: hello, get_peers, search, "
            "download, set_chunk_size, bye, list_peers, list_local, show_stats, partition, heal, "
            "crash, restart, start, pause, resume, set_network, inject)");
}

TEST(ScenarioLoaderErrors, KeyNotValidForCommand) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: hello, peer: p0, to: p1, fanout: 2}\n"),
            "t.yaml:5:45: unknown key 'fanout' in a 'hello' step (expected one of: peer, peers, "
            "to, at_ms, every_ms, until_ms, do)");
}

TEST(ScenarioLoaderErrors, CommandWithoutPeer) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: search}\n"),
            "t.yaml:5:5: missing required key 'peer' (or 'peers') for do: search");
}

TEST(ScenarioLoaderErrors, HelloWithoutTo) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: hello, peer: p0}\n"),
            "t.yaml:5:5: missing required key 'to' in a 'hello' step");
}

TEST(ScenarioLoaderErrors, UnknownPeerName) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: [p1, p12]}\n"),
            "t.yaml:5:39: unknown peer 'p12' (peers are p0..p9)");
}

TEST(ScenarioLoaderErrors, RangePastTheLastPeer) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: p5..p12}\n"),
            "t.yaml:5:34: unknown peer 'p10' in range 'p5..p12' (peers are p0..p9)");
}

TEST(ScenarioLoaderErrors, RangeNamesOnlyPeersSpelledAsWritten) {
  // p03 is not a generated name: the range must not quietly become p3..p5.
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: p03..p05}\n"),
            "t.yaml:5:34: unknown peer 'p03' in range 'p03..p05' (peers are p0..p9)");
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: p3..p05}\n"),
            "t.yaml:5:34: expected a range like p3..p9 or n01..n12 (the last number padded like "
            "the first), got 'p3..p05'");
}

TEST(ScenarioLoader, RangeKeepsZeroPaddingOfExplicitNames) {
  const auto s = load_string(R"(name: padded
duration_ms: 1000
peers:
  - {name: n08}
  - {name: n09}
  - {name: n10}
  - {name: n11}
timeline:
  - {at_ms: 0, do: crash, peers: n09..n11}
)",
                             "t.yaml");
  ASSERT_EQ(s.timeline.size(), 1u);
  EXPECT_EQ(s.timeline[0].peers, (std::vector<peer_index>{1, 2, 3}));
}

TEST(ScenarioLoaderErrors, RangeBackwards) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: p5..p2}\n"),
            "t.yaml:5:34: expected a range from low to high like p3..p9, got 'p5..p2'");
}

TEST(ScenarioLoaderErrors, RangeMalformed) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: crash, peers: p5..q7}\n"),
            "t.yaml:5:34: expected a range like p3..p9 (same prefix, numbers at the end), got "
            "'p5..q7'");
}

TEST(ScenarioLoaderErrors, PeerInTwoGroups) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: partition, groups: [p0..p5, p5..p9]}\n"),
            "t.yaml:5:48: peer 'p5' is in two groups (group 1 and group 2)");
}

TEST(ScenarioLoaderErrors, PartitionWithOneGroup) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: partition, groups: [p0..p5]}\n"),
            "t.yaml:5:39: expected at least two groups in 'groups', like [p0..p4, p5..p9], got a "
            "list");
}

TEST(ScenarioLoaderErrors, OnewayPartitionWithoutTo) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: partition, from: p0, oneway: true}\n"),
            "t.yaml:5:5: missing required key 'to' in a partition step (or give 'groups')");
}

TEST(ScenarioLoaderErrors, OnewayNotABoolean) {
  EXPECT_EQ(
      error_of(head + "timeline:\n  - {at_ms: 5, do: partition, from: p0, to: p1, oneway: sure}\n"),
      "t.yaml:5:57: expected true or false for 'oneway', got 'sure'");
}

TEST(ScenarioLoaderErrors, ProbabilityAboveOne) {
  EXPECT_EQ(error_of(head + "network:\n  drop_probability: 1.5\n"),
            "t.yaml:5:21: expected a probability between 0 and 1 for 'drop_probability', got "
            "'1.5'");
}

TEST(ScenarioLoaderErrors, TimeoutNotAWholeNumberOfMilliseconds) {
  EXPECT_EQ(error_of(head + "network:\n  timeout_ms: 1.5\n"),
            "t.yaml:5:15: expected an integer from 1 to 31536000000 for 'timeout_ms', got '1.5'");
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: set_network, timeout_ms: 0}\n"),
            "t.yaml:5:45: expected an integer from 1 to 31536000000 for 'timeout_ms', got '0'");
}

TEST(ScenarioLoaderErrors, ProbabilityNegativeInSetNetwork) {
  EXPECT_EQ(
      error_of(head + "timeline:\n  - {at_ms: 5, do: set_network, duplicate_probability: -0.1}\n"),
      "t.yaml:5:56: expected a probability between 0 and 1 for 'duplicate_probability', "
      "got '-0.1'");
}

TEST(ScenarioLoaderErrors, UnknownDist) {
  EXPECT_EQ(error_of(head + "network:\n  delay: {dist: normal, ms: 3}\n"),
            "t.yaml:5:17: unknown dist 'normal' (expected constant, uniform or exponential)");
}

TEST(ScenarioLoaderErrors, DelayKeyOfAnotherDist) {
  EXPECT_EQ(error_of(head + "network:\n  delay: {dist: constant, mean_ms: 3}\n"),
            "t.yaml:5:27: unknown key 'mean_ms' in delay {dist: constant} (expected one of: "
            "dist, ms)");
}

TEST(ScenarioLoaderErrors, UniformMaxBelowMin) {
  EXPECT_EQ(error_of(head + "network:\n  delay: {dist: uniform, min_ms: 5, max_ms: 2}\n"),
            "t.yaml:5:45: expected max_ms >= min_ms (5)");
}

TEST(ScenarioLoaderErrors, UnknownNetworkKey) {
  EXPECT_EQ(error_of(head + "network:\n  loss: 0.1\n"),
            "t.yaml:5:3: unknown key 'loss' in network (expected one of: delay, "
            "drop_probability, duplicate_probability, reorder_jitter_ms, bandwidth_bytes_per_s, "
            "timeout_ms, max_outbound_connections)");
}

TEST(ScenarioLoader, ReadsTheConnectionQueueExtension) {
  const scenario s = load_string(head + "network:\n  max_outbound_connections: 3\n", "t.yaml");
  EXPECT_EQ(s.network.max_outbound_connections, 3u);
  EXPECT_EQ(load_string(head, "t.yaml").network.max_outbound_connections, 0u)
      << "absent: no limit, as before the key existed";
}

TEST(ScenarioLoaderErrors, ConnectionQueueOfZeroIsRefused) {
  EXPECT_EQ(
      error_of(head + "network:\n  max_outbound_connections: 0\n"),
      "t.yaml:5:29: expected an integer from 1 to 65535 for 'max_outbound_connections', got '0'");
}

TEST(ScenarioLoaderErrors, SetNetworkCannotChangeTheConnectionQueue) {
  EXPECT_NE(
      error_of(head + "timeline:\n  - {at_ms: 0, do: set_network, max_outbound_connections: 2}\n")
          .find("unknown key 'max_outbound_connections'"),
      std::string::npos);
}

TEST(ScenarioLoaderErrors, UnknownCheck) {
  EXPECT_EQ(error_of(head + "checks:\n  - lamport\n"),
            "t.yaml:5:5: unknown check 'lamport' (expected lamport_order, discovery_convergence, "
            "download_integrity or peer_state)");
}

TEST(ScenarioLoaderErrors, UnknownCheckArgument) {
  EXPECT_EQ(error_of(head + "checks:\n  - discovery_convergence: {within: 5}\n"),
            "t.yaml:5:29: unknown key 'within' in discovery_convergence (expected one of: "
            "within_ms)");
}

TEST(ScenarioLoaderErrors, PeerStateBadStatus) {
  EXPECT_EQ(error_of(head + "checks:\n  - peer_state: {at_ms: 5, peer: p0, knows: {p1: UP}}\n"),
            "t.yaml:5:50: expected ONLINE, OFFLINE or ABSENT, got 'UP'");
}

TEST(ScenarioLoaderErrors, PeerStateUnknownPeer) {
  EXPECT_EQ(error_of(head + "checks:\n  - peer_state: {at_ms: 5, peer: p0, knows: {q1: ONLINE}}\n"),
            "t.yaml:5:46: unknown peer 'q1' (peers are p0..p9)");
}

TEST(ScenarioLoaderErrors, PeerStateMissingKnows) {
  EXPECT_EQ(error_of(head + "checks:\n  - peer_state: {at_ms: 5, peer: p0}\n"),
            "t.yaml:5:17: missing required key 'knows' in peer_state");
}

TEST(ScenarioLoaderErrors, FileWithoutSize) {
  EXPECT_EQ(error_of(head + "files:\n  - {name: a.txt, on: p1}\n"),
            "t.yaml:5:5: missing required key 'size' in a file");
}

TEST(ScenarioLoaderErrors, FileWithUnsafeName) {
  EXPECT_EQ(error_of(head + "files:\n  - {name: ../etc, size: 3, on: p1}\n"),
            "t.yaml:5:12: expected a file name without spaces, '/', '\\' or control characters, "
            "got '../etc'");
}

TEST(ScenarioLoaderErrors, InjectWithNewline) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 5, do: inject, to: p1, line: \"a\\nb\"}\n"),
            "t.yaml:5:42: expected one line without '\\n' for 'line' (the newline is added)");
}

TEST(ScenarioLoaderErrors, FileThatCannotBeRead) {
  try {
    (void)load_file("/nonexistent/dir/x.yaml");
    FAIL() << "loaded a file that does not exist";
  } catch (const scenario_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/dir/x.yaml:1:1: expected a readable scenario file (No such file or "
              "directory)");
    EXPECT_EQ(e.line(), 1);
  }
}

// ---- issue 9: the loader stays small and finite on any file ------------------------------------

// A scratch file under the test's temporary directory, removed at the end.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& name, const std::string& text = "")
      : path(::testing::TempDir() + "eachare_loader_" + std::to_string(::getpid()) + "_" + name) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f != nullptr) {
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
    }
  }
  ~temp_file() { std::remove(path.c_str()); }
};

std::string file_error_of(const std::string& path,
                          std::uint64_t max_bytes = default_max_scenario_bytes) {
  try {
    (void)load_file(path, max_bytes);
  } catch (const scenario_error& e) {
    return e.what();
  }
  return "<loaded without error>";
}

TEST(ScenarioLoaderBounds, FileLargerThanTheLimitIsRefusedBeforeParsing) {
  temp_file f("big.yaml");
  // A sparse 17 MiB file: refused from its size, without reading it.
  ASSERT_EQ(::truncate(f.path.c_str(), 17 << 20), 0);
  EXPECT_EQ(file_error_of(f.path),
            f.path +
                ":1:1: expected a scenario file of at most 16777216 bytes, got 17825792 "
                "(eachare-sim --max-scenario-bytes raises the limit)");
}

TEST(ScenarioLoaderBounds, RaisedLimitReadsTheFile) {
  const std::string text = "name: x\nduration_ms: 1\npeers: {count: 1}\n";
  temp_file f("small.yaml", text);
  EXPECT_EQ(file_error_of(f.path, 10),
            f.path + ":1:1: expected a scenario file of at most 10 bytes, got " +
                std::to_string(text.size()) +
                " (eachare-sim --max-scenario-bytes raises the limit)");
  EXPECT_EQ(load_file(f.path, text.size()).name, "x");
}

TEST(ScenarioLoaderBounds, DeviceIsRefusedNotReadForever) {
  EXPECT_EQ(file_error_of("/dev/zero"),
            "/dev/zero:1:1: expected a readable scenario file (not a regular file: it is a "
            "character device)");
}

TEST(ScenarioLoaderBounds, FifoIsRefusedWithoutWaitingForAWriter) {
  const std::string path =
      ::testing::TempDir() + "eachare_loader_fifo_" + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const auto error = file_error_of(path);
  std::remove(path.c_str());
  EXPECT_EQ(error, path +
                       ":1:1: expected a readable scenario file (not a regular file: it is a "
                       "FIFO)");
}

TEST(ScenarioLoaderBounds, DirectoryGetsTheReadableFileErrorSayingSo) {
  EXPECT_EQ(file_error_of("/"), "/:1:1: expected a readable scenario file (it is a directory)");
}

TEST(ScenarioLoaderBounds, ReusedAnchorsAreBoundedInExpandedEntries) {
  // 1000 peers, one step anchored, then 10,001 aliases of it: 10,002,000 selected peers.
  std::string text =
      "name: x\nduration_ms: 1\npeers: {count: 1000}\ntimeline:\n"
      "  - &s {at_ms: 0, do: crash, peers: all}\n";
  for (int i = 0; i < 10'001; ++i) text += "  - *s\n";
  EXPECT_EQ(error_of(text),
            "t.yaml:5:37: expected at most 10000000 peer entries in all selectors, neighbour "
            "lists and 'knows' together (after expanding all, ranges and YAML aliases); this one "
            "brings the total past it");
}

TEST(ScenarioLoaderBounds, GeneratedTopologyIsBoundedInNeighbourEntries) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 5000, topology: complete}\n"),
            "t.yaml:3:32: expected at most 10000000 neighbour entries, got 24995000 for this "
            "topology with 5000 peers");
}

TEST(ScenarioLoaderBounds, StepOccurrencesAreBounded) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 0, every_ms: 0.000001, do: heal}\n"),
            "t.yaml:5:5: expected at most 1000000 timeline step occurrences in all (every_ms "
            "repetitions counted); this step brings the total to 1000000001");
}

TEST(ScenarioLoaderBounds, FilesRunCannotStoreAreRefused) {
  EXPECT_EQ(error_of(head + "files:\n"
                            "  - {name: a, size: 4294967296, on: p1}\n"
                            "  - {name: b, size: 4294967296, on: p1}\n"),
            "t.yaml:5:5: expected at most 1073741824 bytes in all simulated shared directories "
            "(every file at start, plus a copy per peer that downloads it); this brings the "
            "total to 4294967296");
}

TEST(ScenarioLoaderBounds, DownloadedCopiesCountTowardsStoredBytes) {
  const std::string files = "files:\n  - {name: a, size: 600000000, on: p1}\n";
  // One downloader: 1.2 GB.
  EXPECT_EQ(error_of(head + files +
                     "timeline:\n  - {at_ms: 0, do: search, peer: p0}\n"
                     "  - {at_ms: 1, every_ms: 1, do: download, peer: p0, file: a}\n"),
            "t.yaml:8:5: expected at most 1073741824 bytes in all simulated shared directories "
            "(every file at start, plus a copy per peer that downloads it); this download brings "
            "the total to 1200000000");
  // A copy per peer, not per occurrence: repeating the download of a 300 MB file is fine.
  const auto s = load_string(head +
                                 "files:\n  - {name: a, size: 300000000, on: p1}\n"
                                 "timeline:\n  - {at_ms: 0, do: search, peer: p0}\n"
                                 "  - {at_ms: 1, every_ms: 1, do: download, peer: p0, file: a}\n",
                             "t.yaml");
  EXPECT_EQ(step_occurrences(s), 1u + 1000u);
}

TEST(ScenarioLoaderBounds, SecondYamlDocumentIsRefused) {
  EXPECT_EQ(error_of(head + "---\nname: y\n"),
            "t.yaml:4:1: expected one YAML document, got a second one (a '---' line starts "
            "another document; remove it or split the file)");
}

// yaml-cpp 0.7's LoadAll never returned on these (fuzz_scenario_loader, 2026-11-29): a document
// starting at a stray ',' is read as an empty document again and again without moving, and every
// one was kept (minutes, past 2 GiB). The loader asks for at most max_yaml_documents + 1.
TEST(ScenarioLoaderBounds, StrayCommaWhereADocumentStartsEndsWithOneLineNotAHang) {
  EXPECT_EQ(error_of(", x\n"),
            "t.yaml:1:1: invalid YAML: unexpected ',' (the YAML parser cannot read past it)");
  EXPECT_EQ(error_of("# a comment\n  # another\n , - {at_ms: 0, do: hello, peer: p1}\n"
                     "  - {at_ms: E from 2 s on.\n"),
            "t.yaml:3:2: invalid YAML: unexpected ',' (the YAML parser cannot read past it)");
}

TEST(ScenarioLoaderBounds, NestingPastTheParsersDepthLimitIsOneLine) {
  std::string deep = "name: x\npeers: ";
  for (int i = 0; i < 3000; ++i) deep += "[";
  const std::string error = error_of(deep);
  EXPECT_EQ(error.rfind("t.yaml:2:", 0), 0u) << error;
  EXPECT_NE(error.find("invalid YAML: nesting reaches "), std::string::npos) << error;
  EXPECT_NE(error.find(" levels (the YAML parser's limit)"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

// ---- issue 10: every independent error, tabs, vacuous checks, downloads of nothing -------------

TEST(ScenarioLoaderErrors, ReportsEveryIndependentErrorInFileOrder) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 100\nseed: abc\npeers: {count: 3}\n"
                     "timeline:\n"
                     "  - {at_ms: 0, do: helo, peer: p0}\n"
                     "  - {at_ms: 5, do: crash, peer: p9}\n"
                     "  - {at_ms: 5, do: get_peers, peer: p1}\n"
                     "checks:\n  - lamport_order: {x: 1}\n  - discovery_convergence\n"),
            "t.yaml:3:7: expected a seed (a number or 40 hex digits), got 'abc'\n"
            "t.yaml:6:20: unknown command 'helo' (expected one of: hello, get_peers, search, "
            "download, set_chunk_size, bye, list_peers, list_local, show_stats, partition, heal, "
            "crash, restart, start, pause, resume, set_network, inject)\n"
            "t.yaml:7:33: unknown peer 'p9' (peers are p0..p2)\n"
            "t.yaml:10:21: unknown key 'x' in lamport_order (expected one of: )");
}

TEST(ScenarioLoaderErrors, ReportsEveryUnknownTopLevelKey) {
  EXPECT_EQ(error_of("name: x\ndureation_ms: 1\nduration_ms: 1\npeer: 3\npeers: {count: 1}\n"),
            "t.yaml:2:1: unknown key 'dureation_ms' in the scenario (expected one of: name, "
            "description, seed, ep, duration_ms, expect, peers, files, network, timeline, "
            "checks, implementations)\n"
            "t.yaml:4:1: unknown key 'peer' in the scenario (expected one of: name, description, "
            "seed, ep, duration_ms, expect, peers, files, network, timeline, checks, "
            "implementations)");
}

TEST(ScenarioLoaderErrors, BadPeersSkipTheSectionsThatNameThem) {
  // The timeline's unknown peer would only echo the bad peers section.
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers: {count: 0}\n"
                     "timeline:\n  - {at_ms: 0, do: crash, peer: p3}\n"),
            "t.yaml:3:16: expected an integer from 1 to 1000000 for 'count', got '0'");
}

TEST(ScenarioLoaderErrors, StopsAfterTheBoundOfErrors) {
  std::string text = head + "timeline:\n";
  for (int i = 0; i < 30; ++i) text += "  - {at_ms: 0, do: crash, peer: q}\n";
  const auto e = error_of(text);
  EXPECT_EQ(static_cast<std::size_t>(std::count(e.begin(), e.end(), '\n')), max_reported_errors);
  EXPECT_NE(e.find("t.yaml:5:33: unknown peer 'q'"), std::string::npos);
  EXPECT_NE(e.find("t.yaml:25:33: more errors follow; only the first 20 are reported"),
            std::string::npos);
}

TEST(ScenarioLoaderErrors, TabIndentationSaysYamlForbidsTabs) {
  EXPECT_EQ(error_of("name: x\nduration_ms: 1\npeers:\n\t- {name: a}\n"),
            "t.yaml:4:1: invalid YAML: a tab in the indentation (YAML forbids tabs for "
            "indentation; indent with spaces)");
  EXPECT_EQ(error_of("name: x\nnetwork:\n  timeout_ms: 5\n\tdrop_probability: 0\n"),
            "t.yaml:4:1: invalid YAML: a tab in the indentation (YAML forbids tabs for "
            "indentation; indent with spaces)");
}

TEST(ScenarioLoaderErrors, DownloadIntegrityWithoutADownloadStepIsRefused) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 0, do: search, peer: p0}\n"
                            "checks:\n  - download_integrity\n"),
            "t.yaml:7:5: download_integrity has nothing to check: the timeline has no download "
            "step (add one, or remove the check)");
}

TEST(ScenarioLoaderErrors, LamportOrderWithoutAStepThatSendsIsRefused) {
  EXPECT_EQ(error_of(head + "timeline:\n  - {at_ms: 0, do: crash, peer: p0}\n"
                            "checks:\n  - lamport_order\n"),
            "t.yaml:7:5: lamport_order has nothing to check: no timeline step sends a message "
            "(hello, get_peers, search, download, bye or inject)");
}

TEST(ScenarioLoader, WarnsAboutADownloadNoFileEntryProvides) {
  const auto s = load_string(head +
                                 "files:\n  - {name: a.bin, size: 10, on: p1}\n"
                                 "timeline:\n"
                                 "  - {at_ms: 0, do: search, peer: p0}\n"
                                 "  - {at_ms: 1, do: download, peer: p0, file: f.bin}\n"
                                 "  - {at_ms: 2, do: download, peer: p0, file: a.bin, size: 11}\n"
                                 "  - {at_ms: 3, do: download, peer: p0, file: a.bin}\n",
                             "t.yaml");
  ASSERT_EQ(s.warnings.size(), 2u);
  EXPECT_EQ(s.warnings[0],
            "t.yaml:8:5: warning: no entry of 'files' provides 'f.bin', so the search finds no "
            "row and the download is refused");
  EXPECT_EQ(s.warnings[1],
            "t.yaml:9:5: warning: 'a.bin' is 10 bytes in 'files', not 11, so the search finds "
            "no row and the download is refused");
}

// Found by fuzz_scenario_loader: a scalar holding a newline was quoted as it was, which split the
// error into several lines. Control characters are escaped and long values cut.
TEST(ScenarioLoaderErrors, QuotedValueWithANewlineStaysOneLine) {
  EXPECT_EQ(error_of("\"a\\nb\tc\x01\"\n"),
            "t.yaml:1:1: expected a scenario mapping with name, duration_ms and peers, got "
            "'a\\nb\\tc\\x01'");
  const auto e = error_of("'" + std::string(500, 'x') + "'\n");
  EXPECT_EQ(e, "t.yaml:1:1: expected a scenario mapping with name, duration_ms and peers, got '" +
                   std::string(60, 'x') + "...'");
}

TEST(ScenarioLoader, CountsStepOccurrencesLikeTheRunner) {
  const auto s = load_string(head +
                                 "timeline:\n"
                                 "  - {at_ms: 0, every_ms: 100, do: heal}\n"
                                 "  - {at_ms: 50, every_ms: 300, until_ms: 700, do: heal}\n"
                                 "  - {at_ms: 999, do: heal}\n",
                             "t.yaml");
  EXPECT_EQ(occurrences(s.timeline[0], s.length), 11u);  // 0, 100, ..., 1000
  EXPECT_EQ(occurrences(s.timeline[1], s.length), 3u);   // 50, 350, 650
  EXPECT_EQ(occurrences(s.timeline[2], s.length), 1u);
  EXPECT_EQ(step_occurrences(s), 15u);
}

}  // namespace
}  // namespace eachare::scenario
