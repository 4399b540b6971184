// Tests of the scenario runner and its checkers: small scenarios written inline, run in virtual
// time, with the outcome of every check and its first violation asserted.
#include "sim/scenario/runner.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/world.hpp"
#include "tests/scenario/shared_scenarios.hpp"

namespace eachare::scenario {
namespace {

using namespace std::chrono_literals;

run_result run_text(const std::string& text, const run_options& o = {}) {
  return run(load_string(text, "inline.yaml"), o);
}

const check_result& check_named(const run_result& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.name == name) return c;
  }
  throw std::runtime_error("no check " + name);
}

const std::string ring6 = R"(name: ring6
duration_ms: 10000
peers: {count: 6, topology: ring}
timeline:
  - {at_ms: 0, every_ms: 1000, until_ms: 5000, do: get_peers, peers: all}
checks:
  - lamport_order
  - discovery_convergence: {within_ms: 5000}
)";

TEST(ScenarioRunner, RingConvergesAndReportsWhen) {
  const auto r = run_text(ring6);
  EXPECT_TRUE(r.all_checks_passed());
  EXPECT_TRUE(r.as_expected());
  EXPECT_EQ(r.virtual_time, 10000ms);
  EXPECT_EQ(r.peers, 6u);
  EXPECT_GT(r.messages_delivered, 0u);
  const auto& c = check_named(r, "discovery_convergence");
  EXPECT_NE(c.figure.find("converged at "), std::string::npos) << c.figure;
  EXPECT_NE(c.figure.find(" s virtual"), std::string::npos) << c.figure;
}

TEST(ScenarioRunner, RepeatsStepsEveryMsUntilMs) {
  const auto r = run_text(ring6);
  // 0, 1000, ..., 5000: six occurrences of one step, each a command to six peers.
  EXPECT_EQ(r.steps_run, 6u);
  EXPECT_EQ(r.commands_issued, 36u);
}

TEST(ScenarioRunner, RunsAsManyStepsAsValidateCounts) {
  const auto s = load_string(R"(name: occ
duration_ms: 1000
peers: {count: 3}
timeline:
  - {at_ms: 0, every_ms: 100, do: get_peers, peers: all}
  - {at_ms: 50, every_ms: 300, until_ms: 700, do: heal}
  - {at_ms: 1000, do: search, peer: p0}
  - {at_ms: 0.5, every_ms: 0.25, until_ms: 3, do: list_peers, peer: p1}
)",
                             "inline.yaml");
  EXPECT_EQ(run(s, {}).steps_run, step_occurrences(s));
  EXPECT_EQ(step_occurrences(s), 11u + 3u + 1u + 11u);
}

TEST(ScenarioRunner, SameSeedSameTraceHashOtherSeedOther) {
  const std::string lossy = R"(name: lossy
duration_ms: 8000
peers: {count: 8, topology: ring}
network:
  delay: {dist: exponential, min_ms: 1, mean_ms: 10}
  drop_probability: 0.1
timeline:
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
)";
  const auto a = run_text(lossy);
  const auto b = run_text(lossy);
  run_options other;
  other.seed = 99;
  const auto c = run_text(lossy, other);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_NE(a.trace_hash, c.trace_hash);
  EXPECT_EQ(c.seed, 99u);
}

TEST(ScenarioRunner, DrivesTheWorldTheFactoryBuildsWithTheRunsSeedAndNetwork) {
  run_options o;
  o.seed = 7;
  int built = 0;
  std::uint64_t seen_seed = 0;
  std::size_t seen_peers = 0;
  o.make_world = [&](const world_setup& setup) -> std::unique_ptr<sim::peer_world> {
    ++built;
    seen_seed = setup.seed;
    seen_peers = setup.source->peers.size();
    sim::world_config c;
    c.seed = setup.seed;
    c.network = setup.network;
    return std::make_unique<sim::world>(c);
  };
  const auto through_factory = run_text(ring6, o);
  run_options plain;
  plain.seed = 7;
  const auto built_in = run_text(ring6, plain);
  EXPECT_EQ(built, 1);
  EXPECT_EQ(seen_seed, 7u);
  EXPECT_EQ(seen_peers, 6u);
  // The same world behind the interface: the same trace, event for event.
  EXPECT_EQ(through_factory.trace_hash, built_in.trace_hash);
  EXPECT_TRUE(through_factory.all_checks_passed());
}

TEST(ScenarioRunner, CollectsTablesFilesAndStatisticsOnlyWhenAsked) {
  const std::string text = R"(name: dl
duration_ms: 5000
peers: {count: 3, topology: complete}
files:
  - {name: f.bin, size: 1000, on: [p1, p2]}
timeline:
  - {at_ms: 0, do: hello, peer: p0, to: [p1, p2]}
  - {at_ms: 100, do: search, peer: p0}
  - {at_ms: 200, do: download, peer: p0, file: f.bin}
checks:
  - download_integrity
)";
  EXPECT_TRUE(run_text(text).outcome.empty());
  run_options o;
  o.collect_outcome = true;
  const auto r = run_text(text, o);
  ASSERT_EQ(r.outcome.size(), 3u);
  const auto& p0 = r.outcome[0];
  EXPECT_EQ(p0.name, "p0");
  EXPECT_EQ(p0.status, "running");
  const std::vector<std::pair<std::string, std::string>> table = {{"p1", "ONLINE"},
                                                                  {"p2", "ONLINE"}};
  EXPECT_EQ(p0.table, table);
  ASSERT_EQ(p0.files.size(), 1u);
  EXPECT_EQ(p0.files[0].first, "f.bin");
  // Same bytes as the holders' copy, so the same hash.
  ASSERT_EQ(r.outcome[1].files.size(), 1u);
  EXPECT_EQ(p0.files[0].second, r.outcome[1].files[0].second);
  ASSERT_EQ(p0.stats.size(), 1u);
  EXPECT_EQ(p0.stats[0], "chunk 256, holders 2, size 1000: 1");
}

TEST(ScenarioRunner, TraceSinkGetsOneJsonObjectPerEvent) {
  std::vector<std::string> lines;
  run_options o;
  o.trace_sink = [&](std::string_view l) { lines.emplace_back(l); };
  const auto r = run_text(ring6, o);
  ASSERT_EQ(lines.size(), r.trace_events);
  const auto first = nlohmann::json::parse(lines.front());
  EXPECT_EQ(first["kind"], "started");
}

TEST(ScenarioRunner, ConsoleSinkGetsTheConsoleLinesOfTheChosenPeersOnly) {
  std::vector<std::vector<std::string>> lines(6);
  run_options o;
  o.console_peers = {2};
  o.console_sink = [&](peer_index p, std::string_view l) { lines.at(p).emplace_back(l); };
  const auto with = run_text(ring6, o);
  const auto without = run_text(ring6);
  for (std::size_t p = 0; p < lines.size(); ++p) {
    if (p != 2) {
      EXPECT_TRUE(lines[p].empty()) << p;
    }
  }
  ASSERT_GE(lines[2].size(), 4u);
  // p2 starts with its ring neighbours (p1 at 9001, p3 at 9003) OFFLINE, then its first GET_PEERS.
  EXPECT_EQ(lines[2][0], "Adicionando novo peer 127.0.0.1:9001 status OFFLINE");
  EXPECT_EQ(lines[2][1], "Adicionando novo peer 127.0.0.1:9003 status OFFLINE");
  EXPECT_EQ(lines[2][2], "=> Atualizando relogio para 1");
  EXPECT_EQ(lines[2][3],
            "Encaminhando mensagem \"127.0.0.1:9002 1 GET_PEERS\" para 127.0.0.1:9001");
  // Watching a console changes nothing in the run.
  EXPECT_EQ(with.trace_hash, without.trace_hash);
}

TEST(LamportOrderChecker, CatchesAnEp1PeerInAnEp3Scenario) {
  const auto r = run_text(testing::ep1_peer_in_ep3_network);
  const auto& c = check_named(r, "lamport_order");
  EXPECT_FALSE(c.passed);
  ASSERT_TRUE(c.violation_time);
  EXPECT_EQ(*c.violation_time, 501ms);  // HELLO sent at 500 ms, 1 ms constant delay
  EXPECT_EQ(c.violation,
            "at 0.501 s virtual: old received HELLO from a carrying clock 7; its clock went 0 -> 1 "
            "(the rule needs max(0, 7) + 1 = 8)");
  // The picture's anchor: the receive at `old` (node 2) of a's HELLO (exchange 7: a's sixth
  // HELLO to b is exchange 6).
  EXPECT_EQ(c.violation_nodes, (std::vector<sim::node_id>{2}));
  EXPECT_EQ(c.violation_message_id, 7u);
}

TEST(LamportOrderChecker, Ep1ScenarioChecksThePlusOneRule) {
  const auto r = run_text(R"(name: ep1
ep: 1
duration_ms: 3000
peers: {count: 4, topology: complete}
timeline:
  - {at_ms: 0, every_ms: 100, until_ms: 1000, do: get_peers, peers: all}
checks:
  - lamport_order
)");
  EXPECT_TRUE(r.all_checks_passed()) << r.checks[0].violation;
}

TEST(LamportOrderChecker, HoldsUnderDuplicatesAndDrops) {
  const auto r = run_text(R"(name: dup
duration_ms: 5000
peers: {count: 8, topology: ring}
network:
  delay: {dist: uniform, min_ms: 1, max_ms: 20}
  drop_probability: 0.1
  duplicate_probability: 0.2
  reorder_jitter_ms: 15
  timeout_ms: 300
timeline:
  - {at_ms: 0, every_ms: 200, do: get_peers, peers: all}
  - {at_ms: 100, every_ms: 300, do: inject, to: p1, line: "127.0.0.1:9000 500 GET_PEERS"}
checks:
  - lamport_order
)");
  EXPECT_GT(r.messages_duplicated, 0u);
  EXPECT_TRUE(r.all_checks_passed()) << r.checks[0].violation;
}

TEST(DiscoveryConvergenceChecker, FailsWhenAPartitionIsNeverHealed) {
  const auto r = run_text(R"(name: split
duration_ms: 6000
peers: {count: 4, topology: ring}
timeline:
  - {at_ms: 0, do: partition, groups: [p0..p1, p2..p3]}
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
checks:
  - discovery_convergence: {within_ms: 5000}
)");
  const auto& c = check_named(r, "discovery_convergence");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.violation_time, 5000ms);
  EXPECT_NE(c.violation.find("no moment within 5.0 s of the start"), std::string::npos)
      << c.violation;
}

TEST(DiscoveryConvergenceChecker, LateConvergenceIsReportedAsASentence) {
  std::string late = ring6;
  late.replace(late.find("within_ms: 5000"), 15, "within_ms: 500");
  const auto r = run_text(late);
  const auto& c = check_named(r, "discovery_convergence");
  ASSERT_FALSE(c.passed);
  EXPECT_TRUE(
      c.violation.starts_with("at 0.5 s virtual: the peers had not converged yet. Every "
                              "live peer listed every other live peer ONLINE only at "))
      << c.violation;
  EXPECT_TRUE(c.violation.ends_with(" after the start, but within_ms allows 0.5 s."))
      << c.violation;
}

TEST(DiscoveryConvergenceChecker, CountsFromTheLastHeal) {
  const auto r = run_text(R"(name: heal
duration_ms: 10000
peers: {count: 4, topology: ring}
timeline:
  - {at_ms: 0, do: partition, groups: [p0..p1, p2..p3]}
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
  - {at_ms: 4000, do: heal}
checks:
  - discovery_convergence: {within_ms: 1000}
)");
  const auto& c = check_named(r, "discovery_convergence");
  EXPECT_TRUE(c.passed) << c.figure;
  EXPECT_NE(c.figure.find("after the last heal at 4.0 s"), std::string::npos) << c.figure;
}

TEST(DiscoveryConvergenceChecker, RestartedPeersAreNotCountedAsConvergedAtTheHeal) {
  const auto r = run_text(R"(name: restart
duration_ms: 10000
peers: {count: 4, topology: line}
timeline:
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
  - {at_ms: 2000, do: crash, peer: p1}
  - {at_ms: 3000, do: restart, peer: p1}
  - {at_ms: 3000, do: heal}
checks:
  - discovery_convergence: {within_ms: 5000}
)");
  const auto& c = check_named(r, "discovery_convergence");
  EXPECT_TRUE(c.passed) << c.figure;
  // p1 restarts knowing only its neighbours OFFLINE: convergence needs the next round.
  EXPECT_EQ(c.figure.find("converged at 3.0 s"), std::string::npos) << c.figure;
}

const std::string download_base = R"(name: dl
duration_ms: 10000
peers: {count: 4, topology: complete}
files:
  - {name: f.bin, size: 5000, on: [p1, p2]}
)";

// The usual timeline of a download test: everyone asks for peers, p0 searches, then downloads.
const std::string discover_search_download = R"(timeline:
  - {at_ms: 0, do: get_peers, peers: all}
  - {at_ms: 500, do: search, peer: p0}
  - {at_ms: 1000, do: download, peer: p0, file: f.bin}
)";

// 5000 bytes at 10,000 bytes/s: the download is still running 1 ms after it starts.
const std::string slow_network = "network:\n  bandwidth_bytes_per_s: 10000\n";
const std::string crash_p0_while_downloading = "  - {at_ms: 1001, do: crash, peer: p0}\n";

// Runs download_base with `rest` (network and timeline) and only the download_integrity check.
run_result run_download(const std::string& rest) {
  return run_text(download_base + rest + "checks:\n  - download_integrity\n");
}

TEST(DownloadIntegrityChecker, PassesForACompleteIdenticalDownload) {
  const auto r = run_download(discover_search_download);
  const auto& c = check_named(r, "download_integrity");
  EXPECT_TRUE(c.passed) << c.violation;
  EXPECT_EQ(c.figure, "1 of 1 downloads complete and identical (5000 bytes)");
}

TEST(DownloadIntegrityChecker, FailsWhenTheDownloadIsRefusedWithoutASearch) {
  const auto r = run_download(R"(timeline:
  - {at_ms: 1000, do: download, peer: p0, file: f.bin}
)");
  const auto& c = check_named(r, "download_integrity");
  EXPECT_FALSE(c.passed);
  EXPECT_NE(c.violation.find("p0's download of f.bin (requested at 1.0 s) was refused"),
            std::string::npos)
      << c.violation;
}

TEST(DownloadIntegrityChecker, FailsWhenEveryHolderIsGone) {
  const auto r = run_download(R"(timeline:
  - {at_ms: 0, do: get_peers, peers: all}
  - {at_ms: 500, do: search, peer: p0}
  - {at_ms: 900, do: crash, peers: [p1, p2]}
  - {at_ms: 1000, do: download, peer: p0, file: f.bin}
)");
  const auto& c = check_named(r, "download_integrity");
  EXPECT_FALSE(c.passed);
  EXPECT_NE(c.violation.find("p0's download of f.bin failed"), std::string::npos) << c.violation;
}

TEST(DownloadIntegrityChecker, CrashedDownloaderAbandonsItsDownload) {
  const auto r = run_download(slow_network + discover_search_download + crash_p0_while_downloading +
                              "  - {at_ms: 1000, do: search, peer: p3}\n"
                              "  - {at_ms: 4000, do: download, peer: p3, file: f.bin}\n");
  const auto& c = check_named(r, "download_integrity");
  EXPECT_TRUE(c.passed) << c.violation;
  EXPECT_NE(c.figure.find("1 of 2 downloads complete"), std::string::npos) << c.figure;
  EXPECT_NE(c.figure.find("1 abandoned by a crash"), std::string::npos) << c.figure;
}

TEST(DownloadIntegrityChecker, NothingToCheckIsNotAPass) {
  // The one download step's peer has crashed, so no download is ever issued.
  const auto none = run_download(R"(timeline:
  - {at_ms: 0, do: get_peers, peers: all}
  - {at_ms: 500, do: crash, peer: p0}
  - {at_ms: 1000, do: download, peer: p0, file: f.bin}
)");
  const auto& c = check_named(none, "download_integrity");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.figure,
            "0 of 0 downloads complete and identical (0 bytes): nothing to check, no download "
            "reached a running peer");
  EXPECT_EQ(c.violation, "at 10.0 s virtual: nothing to check: no download reached a running peer");

  const auto abandoned =
      run_download(slow_network + discover_search_download + crash_p0_while_downloading);
  const auto& a = check_named(abandoned, "download_integrity");
  EXPECT_FALSE(a.passed);
  EXPECT_NE(a.violation.find("every requested download was abandoned by a crash"),
            std::string::npos)
      << a.violation;
}

TEST(LamportOrderChecker, NoMessageAtAllIsNotAPass) {
  // get_peers with an empty table sends nothing.
  const auto r = run_text(R"(name: silent
duration_ms: 1000
peers: {count: 2, topology: none}
timeline:
  - {at_ms: 0, do: get_peers, peers: all}
checks:
  - lamport_order
)");
  const auto& c = check_named(r, "lamport_order");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.figure,
            "0 sends and 0 receives checked: nothing to check, no peer sent or received a message");
}

TEST(DownloadIntegrityChecker, SaysWhichHoldersSuppliedHowManyChunks) {
  const auto r = run_download(discover_search_download);
  const auto& c = check_named(r, "download_integrity");
  ASSERT_TRUE(c.passed) << c.violation;
  // 5000 bytes at 256: 20 chunks, alternating between the two holders of the search row.
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0], "p0 downloaded f.bin: 10 chunks from p1, 10 from p2");
  report_entry e;
  e.result = r;
  EXPECT_NE(text_summary(e).find("\n      p0 downloaded f.bin: 10 chunks from p1, 10 from p2\n"),
            std::string::npos)
      << text_summary(e);
}

TEST(DownloadIntegrityChecker, SearchWithNoOnlinePeerIsNamedAsTheReason) {
  const auto r = run_download(R"(timeline:
  - {at_ms: 0, do: search, peer: p0}
  - {at_ms: 1000, do: download, peer: p0, file: f.bin}
)");
  const auto& c = check_named(r, "download_integrity");
  EXPECT_FALSE(c.passed);
  EXPECT_NE(c.violation.find("was refused: no search result for 'f.bin'; when p0 searched at 0.0 "
                             "s virtual it knew no ONLINE peer, so its search asked nobody"),
            std::string::npos)
      << c.violation;
}

TEST(PeerStateChecker, SeesTheStepsOfItsOwnInstant) {
  const auto r = run_text(R"(name: ps
duration_ms: 3000
peers:
  - {name: a, address: "127.0.0.1:5000", neighbors: [b]}
  - {name: b, address: "127.0.0.1:5001"}
  - {name: c, address: "127.0.0.1:5002", start: false}
timeline:
  - {at_ms: 1000, do: hello, peer: a, to: b}
checks:
  - peer_state: {at_ms: 999, peer: a, knows: {b: OFFLINE, c: ABSENT}}
  - peer_state: {at_ms: 1500, peer: b, knows: {a: ONLINE}}
  - peer_state: {at_ms: 1500, peer: c, knows: {a: ONLINE}}
)");
  EXPECT_TRUE(r.checks[0].passed) << r.checks[0].violation;
  EXPECT_TRUE(r.checks[1].passed) << r.checks[1].violation;
  EXPECT_FALSE(r.checks[2].passed);
  EXPECT_EQ(r.checks[2].violation, "at 1.5 s virtual: c was never started");
  EXPECT_EQ(r.checks[2].name, "peer_state c @ 1500 ms");
}

TEST(PeerStateChecker, NamesTheFirstWrongEntry) {
  const auto r = run_text(R"(name: ps
duration_ms: 3000
peers:
  - {name: a, address: "127.0.0.1:5000", neighbors: [b]}
  - {name: b, address: "127.0.0.1:5001"}
checks:
  - peer_state: {at_ms: 100, peer: a, knows: {b: ONLINE}}
)");
  EXPECT_FALSE(r.checks[0].passed);
  EXPECT_EQ(
      r.checks[0].violation,
      "at 0.1 s virtual: a lists b as OFFLINE, expected ONLINE (a's clock 0, status running)");
  EXPECT_EQ(r.checks[0].violation_nodes, (std::vector<sim::node_id>{0, 1}));
  report_entry e;
  e.result = r;
  const auto j = nlohmann::json::parse(json_report({e}, 1));
  EXPECT_EQ(j["scenarios"][0]["checks"][0]["violation_nodes"], nlohmann::json::array({0, 1}));
  EXPECT_FALSE(j["scenarios"][0]["checks"][0].contains("violation_message_id"));
}

TEST(ScenarioRunner, CommandsToPeersThatAreNotRunningAreSkipped) {
  const auto r = run_text(R"(name: skip
duration_ms: 3000
peers: {count: 3, topology: ring}
timeline:
  - {at_ms: 0, do: crash, peer: p2}
  - {at_ms: 100, do: get_peers, peers: all}
)");
  EXPECT_EQ(r.commands_issued, 2u);
  EXPECT_EQ(r.commands_skipped, 1u);
}

TEST(ScenarioRunner, ExpectFailInvertsTheOutcome) {
  auto s = load_string(ring6 + "expect: fail\n", "inline.yaml");
  const auto r = run(s);
  EXPECT_TRUE(r.all_checks_passed());
  EXPECT_FALSE(r.as_expected());
}

TEST(ScenarioReport, JunitHasOneTestcasePerCheck) {
  report_entry e;
  e.result = run_text(ring6);
  const auto xml = junit_report({e});
  std::size_t cases = 0;
  for (auto at = xml.find("<testcase"); at != std::string::npos;
       at = xml.find("<testcase", at + 1)) {
    ++cases;
  }
  EXPECT_EQ(cases, 2u);
  EXPECT_NE(xml.find("name=\"discovery_convergence\""), std::string::npos);
  EXPECT_EQ(xml.find("<failure"), std::string::npos);
}

TEST(ScenarioReport, JsonCarriesChecksSeedAndReplay) {
  report_entry e;
  e.result = run_text(ring6);
  const auto j = nlohmann::json::parse(json_report({e}, 0));
  EXPECT_EQ(j["exit_code"], 0);
  const auto& s = j["scenarios"][0];
  EXPECT_EQ(s["name"], "ring6");
  EXPECT_EQ(s["seed"], 1);
  EXPECT_EQ(s["replay"], "eachare-sim run inline.yaml --seed 1");
  EXPECT_EQ(s["checks"].size(), 2u);
  EXPECT_EQ(s["checks"][0]["passed"], true);
}

TEST(ScenarioReport, FailureSummaryPrintsSeedAndReplayCommand) {
  report_entry e;
  e.result = run_text(R"(name: bad
duration_ms: 1000
peers: {count: 2, topology: none}
checks:
  - discovery_convergence: {within_ms: 500}
)");
  const auto text = text_summary(e);
  EXPECT_NE(text.find("discovery_convergence: FAIL"), std::string::npos) << text;
  EXPECT_NE(text.find("seed 1; replay with: eachare-sim run inline.yaml --seed 1"),
            std::string::npos)
      << text;
}

TEST(ScenarioReport, SummaryShowsPeakRssAndRateOnlyWhenMeasured) {
  report_entry e;
  e.result = run_text(ring6);
  EXPECT_EQ(text_summary(e).find("peak RSS"), std::string::npos);
  EXPECT_EQ(text_summary(e).find("/s of wall time"), std::string::npos);
  e.wall_seconds = 2.0;
  e.peak_rss_bytes = 300ull << 20;
  const auto text = text_summary(e);
  EXPECT_NE(text.find("of wall time, peak RSS of the process so far 300 MiB\n"), std::string::npos)
      << text;
  const auto rate = e.result.messages_delivered / 2;
  EXPECT_NE(text.find("messages delivered (" + std::to_string(rate)), std::string::npos) << text;
  EXPECT_EQ(nlohmann::json::parse(json_report({e}, 0))["scenarios"][0]["peak_rss_bytes"],
            300ull << 20);
}

}  // namespace
}  // namespace eachare::scenario
