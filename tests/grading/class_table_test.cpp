#include "sim/cli/class_table.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eachare::cli {
namespace {

// Two students x two files; bob's second file timed out.
class_report sample() {
  class_report rep;
  rep.info.class_file = "class.yaml";
  rep.info.students = {"ada", "bob"};
  rep.info.scenarios = {"/g/ep3/discovery.yaml", "/g/ep3/download.yaml"};
  rep.info.labels = scenario_labels(rep.info.scenarios);
  rep.info.timeout_s = 60;
  auto graded = [](std::size_t pair, std::string student, std::size_t file,
                   std::vector<class_check> checks) {
    grading_result r;
    r.pair = pair;
    r.student = std::move(student);
    r.scenario = file;
    r.grade_exit = 0;
    r.checks = std::move(checks);
    r.evidence_json = r.student + "/x.json";
    r.wall_seconds = 1.5;
    return r;
  };
  rep.results.push_back(
      graded(0, "ada", 0, {{"lamport_order", true, ""}, {"peer_state g", true, ""}}));
  rep.results.push_back(graded(1, "ada", 1, {{"download_integrity", true, ""}}));
  rep.results.push_back(
      graded(2, "bob", 0,
             {{"lamport_order", false, "g sent clock 3 after 7"}, {"peer_state g", true, ""}}));
  auto t = graded(3, "bob", 1, {});
  t.status = grading_status::timeout;
  t.reason = "no result within 60 s";
  t.grade_exit = -1;
  rep.results.push_back(t);
  return rep;
}

TEST(ClassTable, OneRowPerStudentOneColumnPerCheckWithTheFilesLabel) {
  const auto t = build_table(sample());
  EXPECT_EQ(t.columns,
            (std::vector<std::string>{"ep3/discovery: lamport_order", "ep3/discovery: peer_state g",
                                      "ep3/download: download_integrity"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].result, "pass");
  EXPECT_EQ(t.rows[0].cells, (std::vector<std::string>{"pass", "pass", "pass"}));
  EXPECT_EQ(t.rows[1].result, "incomplete");
  EXPECT_EQ(t.rows[1].passed, 1u);
  EXPECT_EQ(t.rows[1].cells, (std::vector<std::string>{"FAIL", "pass", "timeout"}));
  EXPECT_EQ(t.rows[1].notes[0], "g sent clock 3 after 7");
  EXPECT_EQ(t.rows[1].problems, "ep3/download: timeout: no result within 60 s");
  EXPECT_EQ(class_exit_code(t), 1);
}

TEST(ClassTable, ACheckOnlyAnotherGradingReportedIsNotApplicableAndNotCounted) {
  auto rep = sample();
  rep.results[1].checks.push_back({"g: downloads", true, ""});  // ada's download only
  const auto t = build_table(rep);
  ASSERT_EQ(t.columns.back(), "ep3/download: g: downloads");
  EXPECT_EQ(t.rows[0].cells.back(), "pass");
  EXPECT_EQ(t.rows[0].total, 4u);
  // bob's download timed out: its cells say so and count.
  EXPECT_EQ(t.rows[1].cells.back(), "timeout");
  EXPECT_EQ(t.rows[1].total, 4u);
  // ada again, now with a discovery report that lacks a check bob's has.
  rep.results[0].checks.pop_back();
  const auto u = build_table(rep);
  EXPECT_EQ(u.rows[0].cells[1], "n/a");
  EXPECT_EQ(u.rows[0].total, 3u);
  EXPECT_EQ(u.rows[0].passed, 3u);
  EXPECT_EQ(u.rows[0].result, "pass");
}

TEST(ClassTable, CsvQuotesFieldsAndKeepsWallClockLast) {
  const auto csv = table_csv(build_table(sample()));
  EXPECT_EQ(csv,
            "student,result,passed,total,ep3/discovery: lamport_order,ep3/discovery: peer_state "
            "g,ep3/download: download_integrity,problems,evidence,wall_seconds\n"
            "ada,pass,3,3,pass,pass,pass,,ada/,3.00\n"
            "bob,incomplete,1,3,FAIL,pass,timeout,ep3/download: timeout: no result within 60 "
            "s,bob/,3.00\n");
  auto rep = sample();
  rep.results[0].checks[0].name = "a, \"b\"";
  EXPECT_NE(table_csv(build_table(rep)).find(",\"ep3/discovery: a, \"\"b\"\"\","),
            std::string::npos);
}

TEST(ClassTable, ReportRoundTripsThroughJson) {
  const auto rep = sample();
  std::string error;
  const auto back = parse_class_report(class_report_json(rep), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(class_report_json(*back), class_report_json(rep));
}

TEST(ClassTable, ShardsMergeIntoTheWholeClassAndMissingOrTwiceIsRefused) {
  const auto whole = sample();
  std::vector<class_report_file> files;
  for (std::size_t i = 1; i <= 2; ++i) {
    class_report shard = whole;
    shard.info.shard = {i, 2};
    shard.results.clear();
    for (const auto k : class_pairs(2, 2, shard.info.shard))
      shard.results.push_back(whole.results[k]);
    files.push_back({"/r/class-" + std::to_string(i) + "-of-2.json", class_report_json(shard)});
  }
  std::vector<std::string> errors;
  const auto merged = merge_class_reports(files, "/r", errors);
  ASSERT_TRUE(merged) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(table_csv(build_table(*merged)), table_csv(build_table(whole)));

  errors.clear();
  EXPECT_FALSE(merge_class_reports({files[0]}, "/r", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "2 of 4 gradings missing: no report for shard 2/2");
  errors.clear();
  EXPECT_FALSE(merge_class_reports({files[0], files[0]}, "/r", errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0], "/r/class-1-of-2.json: shard 1/2 given twice");
}

TEST(ClassTable, MergedEvidenceLinksStartAtTheOutputDirectory) {
  auto rep = sample();
  std::vector<std::string> errors;
  const auto merged =
      merge_class_reports({{"/r/shards/class.json", class_report_json(rep)}}, "/r", errors);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->results[0].evidence_json, "shards/ada/x.json");
}

TEST(ClassTable, LabelsAreDirectoryAndStemMadeUnique) {
  EXPECT_EQ(scenario_labels({"/a/ep3/x.yaml", "/b/ep3/x.yaml", "y.yaml"}),
            (std::vector<std::string>{"ep3/x", "ep3/x#2", "y"}));
}

}  // namespace
}  // namespace eachare::cli
