// Tests of sweeps: the seed ranges and shard specs as typed (every bad input named by the issue),
// the shard rule and the plan of (file, seed) runs, the sweep summary, reading a JSON report back,
// and merging shard reports (missing shards, duplicates, reports of another sweep).
#include "sim/scenario/sweep.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"
#include "sim/scenario/sweep_report.hpp"

namespace eachare::scenario {
namespace {

TEST(SeedRange, ReadsARangeAndACount) {
  std::string error;
  const auto r = parse_seed_range("5..16", error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->first, 5u);
  EXPECT_EQ(r->last, 16u);
  EXPECT_EQ(r->count(), 12u);
  EXPECT_EQ(r->text(), "5..16");
  const auto n = parse_seed_range("1000", error);
  ASSERT_TRUE(n) << error;
  EXPECT_EQ(n->first, 1u);
  EXPECT_EQ(n->last, 1000u);
  EXPECT_EQ(n->text(), "1..1000");
  const auto one = parse_seed_range("7..7", error);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->count(), 1u);
  EXPECT_EQ(one->text(), "7");
}

TEST(SeedRange, RefusesBadInputWithOneLine) {
  for (const char* bad :
       {"", "0", "-3", "1..", "..5", "a..b", "10..2", "1..2..3", " 5", "5 ", "1.5",
        "99999999999999999999", "0..18446744073709551615", "1..10000001"}) {
    std::string error;
    EXPECT_FALSE(parse_seed_range(bad, error)) << bad;
    EXPECT_NE(error.find("--seeds"), std::string::npos) << bad << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  std::string error;
  EXPECT_TRUE(parse_seed_range("1..10000000", error)) << error;  // exactly max_sweep_runs seeds
}

TEST(ShardSpec, ReadsIOfNCountedFromOne) {
  std::string error;
  const auto s = parse_shard("2/4", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->index, 2u);
  EXPECT_EQ(s->count, 4u);
  EXPECT_EQ(s->text(), "2/4");
  EXPECT_TRUE(s->contains(1));
  EXPECT_TRUE(s->contains(5));
  EXPECT_FALSE(s->contains(0));
  EXPECT_FALSE(s->contains(2));
}

TEST(ShardSpec, RefusesBadInputWithOneLine) {
  for (const char* bad : {"", "1", "0/4", "5/4", "1/0", "/4", "1/", "a/b", "-1/4", "1/4/2", "1 /4",
                          "1/99999999999"}) {
    std::string error;
    EXPECT_FALSE(parse_shard(bad, error)) << bad;
    EXPECT_NE(error.find("--shard"), std::string::npos) << bad << ": " << error;
  }
}

TEST(ShardSpec, ShardsPartitionEveryItemExactlyOnce) {
  for (std::size_t n : {1u, 2u, 3u, 4u, 7u, 40u}) {
    std::vector<int> seen(37, 0);
    for (std::size_t i = 1; i <= n; ++i) {
      const auto items = shard_items(37, shard_spec{i, n});
      for (std::size_t k = 1; k < items.size(); ++k) EXPECT_LT(items[k - 1], items[k]);
      // Round robin: no two shards differ by more than one item.
      EXPECT_LE(items.size(), 37 / n + 1);
      EXPECT_GE(items.size(), 37 / n);
      for (auto k : items) ++seen[k];
    }
    for (int c : seen) EXPECT_EQ(c, 1) << "n=" << n;
  }
}

TEST(SweepPlan, RunsFileByFileSeedsAscending) {
  const auto plan = plan_sweep(2, seed_range{10, 12}, std::nullopt, shard_spec{});
  ASSERT_EQ(plan.size(), 6u);
  const std::vector<std::pair<std::size_t, std::uint64_t>> want = {{0, 10}, {0, 11}, {0, 12},
                                                                   {1, 10}, {1, 11}, {1, 12}};
  for (std::size_t k = 0; k < plan.size(); ++k) {
    EXPECT_EQ(plan[k].index, k);
    EXPECT_EQ(plan[k].file, want[k].first);
    EXPECT_EQ(plan[k].seed, want[k].second);
  }
}

TEST(SweepPlan, AShardTakesEveryNthRunOfTheWholeSweep) {
  const auto plan = plan_sweep(3, seed_range{1, 4}, std::nullopt, shard_spec{3, 4});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].index, 2u);
  EXPECT_EQ(plan[0].file, 0u);
  EXPECT_EQ(plan[0].seed, 3u);
  EXPECT_EQ(plan[1].index, 6u);
  EXPECT_EQ(plan[1].file, 1u);
  EXPECT_EQ(plan[1].seed, 3u);
  EXPECT_EQ(plan[2].index, 10u);
  EXPECT_EQ(plan[2].file, 2u);
}

TEST(SweepPlan, WithoutSeedsEachFileRunsOnceAtTheFixedOrItsOwnSeed) {
  const auto own = plan_sweep(3, std::nullopt, std::nullopt, shard_spec{});
  ASSERT_EQ(own.size(), 3u);
  EXPECT_FALSE(own[1].seed);
  EXPECT_EQ(own[1].file, 1u);
  const auto fixed = plan_sweep(3, std::nullopt, 99, shard_spec{2, 2});
  ASSERT_EQ(fixed.size(), 1u);
  EXPECT_EQ(fixed[0].file, 1u);
  EXPECT_EQ(fixed[0].seed, 99u);
}

TEST(SweepPlan, SizeIsBoundedByMaxSweepRuns) {
  EXPECT_EQ(sweep_size(3, seed_range{1, 1000}), 3000u);
  EXPECT_EQ(sweep_size(3, std::nullopt), 3u);
  EXPECT_FALSE(sweep_size(2, seed_range{1, max_sweep_runs}));
}

// -- reports of sweeps ----------------------------------------------------------------------------

const std::string ring = R"(name: ring4
duration_ms: 4000
peers: {count: 4, topology: ring}
timeline:
  - {at_ms: 0, every_ms: 1000, do: get_peers, peers: all}
checks:
  - lamport_order
  - discovery_convergence: {within_ms: 3000}
)";

const std::string never = R"(name: never
duration_ms: 1000
peers: {count: 2, topology: none}
checks:
  - discovery_convergence: {within_ms: 500}
)";

// Runs `texts` (as files a.yaml, b.yaml, ...) at seeds 1..seeds, the runs of `shard` only.
struct sweep_fixture {
  std::vector<report_entry> entries;
  sweep_info info;
};

sweep_fixture run_sweep(const std::vector<std::string>& texts, std::uint64_t seeds,
                        shard_spec shard = {}) {
  sweep_fixture f;
  std::vector<scenario> loaded;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    f.info.files.push_back(std::string(1, static_cast<char>('a' + i)) + ".yaml");
    loaded.push_back(load_string(texts[i], f.info.files.back()));
  }
  const seed_range range{1, seeds};
  f.info.seeds = range.text();
  f.info.seeds_per_file = range.count();
  f.info.runs = texts.size() * seeds;
  f.info.shard = shard;
  for (const auto& r : plan_sweep(texts.size(), range, std::nullopt, shard)) {
    run_options o;
    o.seed = r.seed;
    report_entry e;
    e.result = run(loaded[r.file], o);
    e.run_index = r.index;
    e.wall_seconds = 0.001 * static_cast<double>(r.index + 1);
    f.entries.push_back(std::move(e));
  }
  return f;
}

TEST(SweepSummary, TalliesPerFileAndListsEachFailingRunWithItsReplay) {
  const auto f = run_sweep({ring, never}, 3);
  const auto text = sweep_summary(f.entries, f.info);
  EXPECT_NE(text.find("sweep: 2 files x seeds 1..3 = 6 runs\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  a.yaml: 3 runs, 3 as expected\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  b.yaml: 3 runs, 0 as expected, 3 not\n"), std::string::npos) << text;
  EXPECT_NE(text.find("not as expected (3):\n"), std::string::npos) << text;
  for (int seed = 1; seed <= 3; ++seed) {
    const auto s = std::to_string(seed);
    EXPECT_NE(text.find("  b.yaml seed " + s + ": discovery_convergence: FAIL, "),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("    replay: eachare-sim run b.yaml --seed " + s + "\n"), std::string::npos)
        << text;
  }
  EXPECT_NE(text.find("6 runs: 3 as expected, 3 not\n"), std::string::npos) << text;
  EXPECT_EQ(exit_code_of(f.entries), 1);
}

TEST(SweepSummary, SaysWhichShareAShardRan) {
  const auto f = run_sweep({ring}, 4, shard_spec{2, 3});
  const auto text = sweep_summary(f.entries, f.info);
  EXPECT_NE(text.find("= 4 runs; shard 2/3 ran 1 of them\n"), std::string::npos) << text;
  EXPECT_EQ(exit_code_of(f.entries), 0);
}

TEST(SweepReport, JsonHoldsEveryRunWithItsIndexAndTheSweep) {
  const auto f = run_sweep({ring, never}, 2);
  const auto j = nlohmann::json::parse(json_report(f.entries, 1, f.info));
  EXPECT_EQ(j["sweep"]["runs"], 4);
  EXPECT_EQ(j["sweep"]["seeds"], "1..2");
  EXPECT_EQ(j["sweep"]["shard"], "1/1");
  ASSERT_EQ(j["scenarios"].size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(j["scenarios"][k]["run"], k);
}

TEST(SweepReport, JunitNamesCarryTheSeedOnlyInASweep) {
  const auto swept = run_sweep({ring}, 2);
  const auto xml = junit_report(swept.entries, swept.info);
  EXPECT_NE(xml.find("<testsuite name=\"ring4 seed 2\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("classname=\"scenario.ring4.seed_1\""), std::string::npos) << xml;
  const auto plain = run_sweep({ring}, 1);
  const auto one = junit_report(plain.entries, plain.info);
  EXPECT_NE(one.find("<testsuite name=\"ring4\""), std::string::npos) << one;
  EXPECT_NE(one.find("classname=\"scenario.ring4\""), std::string::npos) << one;
}

TEST(SweepReport, ReadsBackWhatItWrote) {
  auto f = run_sweep({ring, never}, 2);
  f.entries[1].second_trace_hash = f.entries[1].result.trace_hash + 1;  // a nondeterministic run
  const auto text = json_report(f.entries, 1, f.info);
  std::string error;
  const auto p = parse_json_report(text, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->sweep.files, f.info.files);
  EXPECT_EQ(p->sweep.runs, 4u);
  ASSERT_EQ(p->entries.size(), 4u);
  // Everything a report is made of survives: the reports written again are the same text.
  EXPECT_EQ(json_report(p->entries, 1, p->sweep), text);
  EXPECT_EQ(junit_report(p->entries, p->sweep), junit_report(f.entries, f.info));
  EXPECT_EQ(text_summary(p->entries[3]), text_summary(f.entries[3]));
  EXPECT_FALSE(p->entries[1].deterministic());
}

TEST(SweepReport, RefusesWhatIsNotAReport) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not an eachare-sim JSON report"},
      {"[1, 2]", "no \"scenarios\" list"},
      {R"({"exit_code": 0, "scenarios": []})", "without a \"sweep\""},
      {R"({"sweep": {"files": ["a"], "seeds": "", "seeds_per_file": 1, "runs": 1, "shard": "3/2",
           "runs_in_report": 0}, "scenarios": []})",
       "bad \"shard\""},
      {R"({"sweep": {"files": ["a"], "seeds": "", "seeds_per_file": 1, "runs": 5, "shard": "1/1",
           "runs_in_report": 0}, "scenarios": []})",
       "not files x seeds"},
      {R"({"sweep": {"files": ["a"], "seeds": "", "seeds_per_file": 1, "runs": 1, "shard": "1/1",
           "runs_in_report": 1}, "scenarios": [{"run": 0, "name": "x"}]})",
       "scenario entry 0: "},
  };
  for (const auto& [text, want] : cases) {
    std::string error;
    EXPECT_FALSE(parse_json_report(text, error)) << text;
    EXPECT_NE(error.find(want), std::string::npos) << text << "\n -> " << error;
  }
}

// Shard reports as `run --shard i/n --report-json` writes them.
std::vector<report_file> shard_reports(const std::vector<std::string>& texts, std::uint64_t seeds,
                                       std::size_t n) {
  std::vector<report_file> out;
  for (std::size_t i = 1; i <= n; ++i) {
    const auto f = run_sweep(texts, seeds, shard_spec{i, n});
    out.push_back({"shard" + std::to_string(i) + ".json",
                   json_report(f.entries, exit_code_of(f.entries), f.info)});
  }
  return out;
}

TEST(SweepMerge, ShardsMergeIntoTheUnshardedReports) {
  const auto whole = run_sweep({ring, never}, 3);
  const auto want_json = json_report(whole.entries, exit_code_of(whole.entries), whole.info);
  auto shards = shard_reports({ring, never}, 3, 4);
  std::swap(shards[0], shards[3]);  // the order reports are given in does not matter
  std::vector<std::string> errors;
  const auto m = merge_reports(shards, errors);
  ASSERT_TRUE(m) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(m->json, want_json);
  EXPECT_EQ(m->exit_code, 1);
  EXPECT_EQ(junit_report(m->entries, m->sweep), junit_report(whole.entries, whole.info));
  EXPECT_EQ(sweep_summary(m->entries, m->sweep), sweep_summary(whole.entries, whole.info));
}

TEST(SweepMerge, KeepsFieldsItDoesNotKnow) {
  auto shards = shard_reports({ring}, 2, 2);
  auto j = nlohmann::ordered_json::parse(shards[0].text);
  j["scenarios"][0]["added_later"] = {{"x", 1}};
  shards[0].text = j.dump();
  std::vector<std::string> errors;
  const auto m = merge_reports(shards, errors);
  ASSERT_TRUE(m);
  EXPECT_EQ(nlohmann::json::parse(m->json)["scenarios"][0]["added_later"]["x"], 1);
}

TEST(SweepMerge, NamesTheMissingShards) {
  auto shards = shard_reports({ring}, 5, 4);
  shards.erase(shards.begin() + 2);
  shards.erase(shards.begin());
  std::vector<std::string> errors;
  EXPECT_FALSE(merge_reports(shards, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("3 of 5 runs are missing, the first run 0 (a.yaml seed 1)"),
            std::string::npos)
      << errors[0];
  EXPECT_NE(errors[0].find("no report for shard 1/4, 3/4"), std::string::npos) << errors[0];
}

TEST(SweepMerge, RefusesTheSameShardTwice) {
  auto shards = shard_reports({ring}, 4, 2);
  shards.push_back(shards[1]);
  shards.back().path = "again.json";
  std::vector<std::string> errors;
  EXPECT_FALSE(merge_reports(shards, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("shard2.json and again.json hold the same runs, e.g. run 1"),
            std::string::npos)
      << errors[0];
}

TEST(SweepMerge, RefusesReportsOfAnotherSweep) {
  auto shards = shard_reports({ring}, 4, 2);
  const auto other = shard_reports({ring}, 5, 2);
  shards[1] = other[1];
  shards[1].path = "other.json";
  std::vector<std::string> errors;
  EXPECT_FALSE(merge_reports(shards, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("other.json: from another sweep than shard1.json"), std::string::npos)
      << errors[0];
}

TEST(SweepMerge, RefusesUnreadableReportsAndNothing) {
  std::vector<std::string> errors;
  EXPECT_FALSE(merge_reports({}, errors));
  ASSERT_EQ(errors.size(), 1u);
  errors.clear();
  EXPECT_FALSE(merge_reports({{"x.json", "{"}, {"y.json", "{}"}}, errors));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("x.json: not an eachare-sim JSON report", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("y.json: ", 0), 0u) << errors[1];
}

TEST(SweepMerge, RefusesARunOutsideTheSweep) {
  auto shards = shard_reports({ring}, 2, 1);
  auto j = nlohmann::ordered_json::parse(shards[0].text);
  j["scenarios"][1]["run"] = 7;
  shards[0].text = j.dump();
  std::vector<std::string> errors;
  EXPECT_FALSE(merge_reports(shards, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("run 7 is outside the sweep's 2 runs"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace eachare::scenario
