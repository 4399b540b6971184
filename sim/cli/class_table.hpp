// class_table: what grading a whole class produces, as values and text — the result of each
// (student, scenario file) grading, the class report that holds them (JSON, so shards of one class
// can be merged), and the class table drawn from it: one row per student, one column per check,
// each row linking to that student's evidence, as CSV and as a self-contained HTML page.
// `eachare-sim grade --class` fills it (sim/cli/grade_class.hpp); `eachare-sim merge` joins the
// reports of a class's shards.
//
// Pure functions from values and text to values and text; safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/sweep.hpp"

namespace eachare::cli {

struct class_check {
  std::string name;  // as the grade report names it, e.g. "peer_state g @ 2900 ms"
  bool passed = false;
  std::string violation;  // the first violation, one line (failed checks)
};

// How one (student, scenario file) grading ended.
enum class grading_status {
  graded,   // the grader ran and wrote its report (checks may have failed)
  timeout,  // no result within the wall-clock bound: its process group was killed
  crashed,  // the grader died by a signal or an unexpected exit code
  error,    // the grader refused (exit 2) or wrote no readable report
};
std::string to_string(grading_status s);
std::optional<grading_status> grading_status_from(std::string_view text);

struct grading_result {
  std::size_t pair = 0;  // position in the whole class: student-major, files in order
  std::string student;
  std::size_t scenario = 0;  // index into class_info::scenarios
  grading_status status = grading_status::graded;
  std::string reason;   // one line; empty when graded
  int grade_exit = -1;  // the grader's exit code; -1 when it did not exit by itself
  std::vector<class_check> checks;
  // Evidence, relative to the directory of the report that lists it ("" when absent).
  std::string evidence_json;
  std::string evidence_html;
  std::string evidence_log;
  double wall_seconds = 0;  // wall clock: left out of comparisons
};

// What a class report covers: the whole class and the share of its pairs this report holds.
struct class_info {
  std::string class_file;              // as given
  std::vector<std::string> students;   // in file order
  std::vector<std::string> scenarios;  // the scenario files, as graded (absolute paths)
  std::vector<std::string> labels;     // short names of the files ("ep3/discovery")
  int ep = 3;
  double timeout_s = 0;
  scenario::shard_spec shard;

  std::size_t pairs() const { return students.size() * scenarios.size(); }
};

struct class_report {
  class_info info;
  std::vector<grading_result> results;  // ascending `pair`
  // Wall clock (left out of comparisons): the whole run, and --jobs.
  double wall_seconds = 0;
  unsigned jobs = 1;
};

// The short name of each file: its directory's name and its stem ("ep3/discovery"), made unique
// with "#2", "#3" ... in order.
std::vector<std::string> scenario_labels(const std::vector<std::string>& files);

// The pairs of `shard` of a class of `students` x `scenarios`, ascending. Pair k is student
// k / scenarios, file k % scenarios; it belongs to shard k mod N + 1 (sim/scenario/sweep.hpp).
std::vector<std::size_t> class_pairs(std::size_t students, std::size_t scenarios,
                                     const scenario::shard_spec& shard);

// Reads the checks of a grade report (`grade --report-json`: "scenarios"[].checks[]). nullopt
// with `error` set when it is not one.
std::optional<std::vector<class_check>> checks_of_grade_report(std::string_view text,
                                                               std::string& error);

struct class_row {
  std::string student;
  std::string result;  // "pass", "fail" (some check failed) or "incomplete" (some file not graded)
  std::size_t passed = 0;
  std::size_t total = 0;
  // Per column: pass, FAIL, timeout, crashed, error, or n/a (the check is not in this grading's
  // report though another grading of the file reported it; not counted in `total`).
  std::vector<std::string> cells;
  std::vector<std::string> notes;  // per column: the violation or the reason ("" for pass)
  std::string problems;            // the files not graded and why, "; " between them
  std::string evidence_dir;        // "alice/"
  // Per scenario file: the evidence of this student's grading (relative paths, "" when absent).
  std::vector<const grading_result*> gradings;
  double wall_seconds = 0;
};

struct class_table {
  std::vector<std::string> columns;          // "ep3/discovery: lamport_order", ...
  std::vector<std::size_t> column_scenario;  // the file each column belongs to
  std::vector<class_row> rows;               // students in class-file order
};

// The table of the students and files `report` holds (all of them for a whole or merged class).
// Columns: per file in order, the checks its first graded report lists, then any other name
// another report adds; a file nobody could grade gets one column named after it.
class_table build_table(const class_report& report);

// CSV (RFC 4180): student, result, passed, total, one column per check, problems, evidence,
// wall_seconds (the only wall-clock column, last).
std::string table_csv(const class_table& t);
// One self-contained HTML page: the table, a cell's note on hover, each row linking to the
// student's evidence per file. Wall-clock figures sit in <span class="wall"> elements.
std::string table_html(const class_table& t, const class_report& report);
// The text summary: one line per student, then the total.
std::string class_summary(const class_table& t);
// 0 when every row passed, else 1.
int class_exit_code(const class_table& t);

std::string class_report_json(const class_report& report);
// True when `text` looks like a class report (a JSON object with "class").
bool is_class_report(std::string_view text);
std::optional<class_report> parse_class_report(std::string_view text, std::string& error);

struct class_report_file {
  std::string path;  // its directory is where its evidence paths start
  std::string text;
};

// Joins the reports of one class's shards into the whole class's report, evidence paths made
// relative to `out_dir`. Refuses (nullopt, one line per problem in `errors`) reports of different
// classes, a pair present twice and missing pairs (naming the missing shards).
std::optional<class_report> merge_class_reports(const std::vector<class_report_file>& files,
                                                const std::string& out_dir,
                                                std::vector<std::string>& errors);

}  // namespace eachare::cli
