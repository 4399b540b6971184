#include "sim/cli/class_table.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "sim/scenario/markup.hpp"

namespace eachare::cli {

namespace {

using json = nlohmann::ordered_json;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Text in the HTML table: the reports' one escaper (control characters kept, as in the HTML
// report's hover lines).
std::string html_escape(std::string_view s) {
  return scenario::markup_escape(s, scenario::control_chars::keep);
}

// A relative path as an href: each byte outside a safe set percent-encoded.
std::string href(std::string_view path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) != 0 || c == '/' || c == '.' || c == '-' || c == '_') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

}  // namespace

std::string to_string(grading_status s) {
  switch (s) {
    case grading_status::graded:
      return "graded";
    case grading_status::timeout:
      return "timeout";
    case grading_status::crashed:
      return "crashed";
    case grading_status::error:
      return "error";
  }
  return "error";
}

std::optional<grading_status> grading_status_from(std::string_view text) {
  for (const auto s : {grading_status::graded, grading_status::timeout, grading_status::crashed,
                       grading_status::error}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

std::vector<std::string> scenario_labels(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  std::map<std::string, int> seen;
  for (const auto& f : files) {
    const std::filesystem::path p(f);
    const auto dir = p.parent_path().filename().string();
    std::string label = (dir.empty() ? "" : dir + "/") + p.stem().string();
    const int n = ++seen[label];
    if (n > 1) label += "#" + std::to_string(n);
    out.push_back(label);
  }
  return out;
}

std::vector<std::size_t> class_pairs(std::size_t students, std::size_t scenarios,
                                     const scenario::shard_spec& shard) {
  return scenario::shard_items(students * scenarios, shard);
}

std::optional<std::vector<class_check>> checks_of_grade_report(std::string_view text,
                                                               std::string& error) {
  const auto root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  const auto it = root.find("scenarios");
  if (it == root.end() || !it->is_array()) {
    error = "no \"scenarios\" list";
    return std::nullopt;
  }
  std::vector<class_check> out;
  for (const auto& sc : *it) {
    const auto checks = sc.find("checks");
    if (!sc.is_object() || checks == sc.end() || !checks->is_array()) {
      error = "a scenario without a \"checks\" list";
      return std::nullopt;
    }
    for (const auto& c : *checks) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string() ||
          !c.contains("passed") || !c["passed"].is_boolean()) {
        error = "a check without \"name\" and \"passed\"";
        return std::nullopt;
      }
      class_check ch;
      ch.name = c["name"].get<std::string>();
      ch.passed = c["passed"].get<bool>();
      if (c.contains("violation") && c["violation"].is_string()) {
        ch.violation = c["violation"].get<std::string>();
      }
      out.push_back(std::move(ch));
    }
  }
  return out;
}

class_table build_table(const class_report& report) {
  const auto& info = report.info;
  class_table t;
  // Index the results by (student, file).
  std::map<std::pair<std::string, std::size_t>, const grading_result*> by;
  for (const auto& r : report.results) by[{r.student, r.scenario}] = &r;

  // Columns per file, from the graded reports in pair order; check names repeated within one
  // report are numbered so each stays its own column.
  auto numbered = [](const std::vector<class_check>& checks) {
    std::vector<std::string> names;
    std::map<std::string, int> seen;
    for (const auto& c : checks) {
      const int n = ++seen[c.name];
      names.push_back(n == 1 ? c.name : c.name + " (" + std::to_string(n) + ")");
    }
    return names;
  };
  std::vector<std::vector<std::string>> names_of(info.scenarios.size());
  std::vector<std::size_t> first_column(info.scenarios.size());
  for (std::size_t f = 0; f < info.scenarios.size(); ++f) {
    std::vector<std::string>& names = names_of[f];
    std::set<std::string> have;
    for (const auto& student : info.students) {
      const auto it = by.find({student, f});
      if (it == by.end() || it->second->status != grading_status::graded) continue;
      for (const auto& n : numbered(it->second->checks)) {
        if (have.insert(n).second) names.push_back(n);
      }
    }
    first_column[f] = t.columns.size();
    if (names.empty()) {
      t.columns.push_back(info.labels[f]);
      t.column_scenario.push_back(f);
    }
    for (const auto& n : names) {
      t.columns.push_back(info.labels[f] + ": " + n);
      t.column_scenario.push_back(f);
    }
  }

  for (const auto& student : info.students) {
    class_row row;
    row.student = student;
    row.evidence_dir = student + "/";
    row.cells.assign(t.columns.size(), "");
    row.notes.assign(t.columns.size(), "");
    row.gradings.assign(info.scenarios.size(), nullptr);
    bool any_present = false;
    bool incomplete = false;
    bool failed = false;
    std::size_t not_reported = 0;
    for (std::size_t f = 0; f < info.scenarios.size(); ++f) {
      const auto it = by.find({student, f});
      const std::size_t columns = names_of[f].empty() ? 1 : names_of[f].size();
      if (it == by.end()) {
        // Not in this report (another shard's): blank cells.
        incomplete = true;
        continue;
      }
      any_present = true;
      const auto& r = *it->second;
      row.gradings[f] = &r;
      row.wall_seconds += r.wall_seconds;
      if (r.status != grading_status::graded) {
        incomplete = true;
        row.problems += (row.problems.empty() ? "" : "; ") + info.labels[f] + ": " +
                        to_string(r.status) + ": " + r.reason;
        for (std::size_t c = 0; c < columns; ++c) {
          row.cells[first_column[f] + c] = to_string(r.status);
          row.notes[first_column[f] + c] = r.reason;
        }
        continue;
      }
      const auto names = numbered(r.checks);
      for (std::size_t c = 0; c < columns; ++c) {
        const auto col = first_column[f] + c;
        const auto k = std::find(names.begin(), names.end(),
                                 names_of[f].empty() ? std::string() : names_of[f][c]) -
                       names.begin();
        if (names_of[f].empty() || static_cast<std::size_t>(k) >= names.size()) {
          // Another grading of this file reported the check, this one did not (a grader that
          // leaves out what it could not observe): neither passed nor failed, and not counted.
          row.cells[col] = "n/a";
          row.notes[col] = "not in this grading's report";
          ++not_reported;
          continue;
        }
        const auto& ch = r.checks[static_cast<std::size_t>(k)];
        row.cells[col] = ch.passed ? "pass" : "FAIL";
        row.notes[col] = ch.violation;
        if (ch.passed) {
          ++row.passed;
        } else {
          failed = true;
        }
      }
    }
    row.total = t.columns.size() - not_reported;
    row.result = incomplete ? "incomplete" : failed ? "fail" : "pass";
    if (any_present || report.info.shard.whole()) t.rows.push_back(std::move(row));
  }
  return t;
}

std::string table_csv(const class_table& t) {
  std::string out = "student,result,passed,total";
  for (const auto& c : t.columns) out += "," + csv_field(c);
  out += ",problems,evidence,wall_seconds\n";
  for (const auto& r : t.rows) {
    out += csv_field(r.student) + "," + r.result + "," + std::to_string(r.passed) + "," +
           std::to_string(r.total);
    for (const auto& c : r.cells) out += "," + csv_field(c);
    out += "," + csv_field(r.problems) + "," + csv_field(r.evidence_dir) + "," +
           fixed(r.wall_seconds, 2) + "\n";
  }
  return out;
}

std::string table_html(const class_table& t, const class_report& report) {
  const auto& info = report.info;
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  h += html_escape("Class grades: " + info.class_file);
  h += "</title>\n<style>\n"
       "body{font-family:sans-serif;margin:1.5em}\n"
       "table{border-collapse:collapse;font-size:13px}\n"
       "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}\n"
       "thead th{background:#eee;position:sticky;top:0}\n"
       "th.check{writing-mode:vertical-rl;transform:rotate(180deg);max-height:22em;"
       "font-weight:normal}\n"
       "td.pass{background:#d7f5d7}td.FAIL{background:#f7c6c6}td.missing{background:#f7c6c6}\n"
       "td.timeout,td.crashed,td.error{background:#f3e2a9}td.n\\/a{background:#eee}\n"
       "tr.pass td.student{color:#176117}tr.fail td.student,tr.incomplete td.student"
       "{color:#9b1c1c}\n"
       "td.student,td.evidence,td.wall{white-space:nowrap}\n.wall{color:#777}\n</style></"
       "head><body>\n";
  h += "<h1>" + html_escape("Class grades: " + info.class_file) + "</h1>\n<p>";
  std::size_t passed_rows = 0;
  for (const auto& r : t.rows) passed_rows += r.result == "pass" ? 1 : 0;
  h += std::to_string(t.rows.size()) + " submissions, " + std::to_string(passed_rows) +
       " passed every check; " + std::to_string(info.scenarios.size()) + " scenario files (ep " +
       std::to_string(info.ep) + "), " + std::to_string(t.columns.size()) + " checks; bound " +
       fixed(info.timeout_s, 0) + " s per grading";
  if (!info.shard.whole()) h += "; shard " + info.shard.text();
  h += ". <span class=\"wall\">" + fixed(report.wall_seconds, 1) + " s of wall time with --jobs " +
       std::to_string(report.jobs) + "</span></p>\n";
  h += "<p>Hover a cell for the first violation or why a file was not graded; each row links "
       "to the student's evidence per file (grade report as HTML and JSON, and the grader's "
       "output).</p>\n";
  h += "<table>\n<thead><tr><th>student</th><th>result</th><th>passed</th>";
  for (const auto& c : t.columns) h += "<th class=\"check\">" + html_escape(c) + "</th>";
  h += "<th>evidence</th><th>problems</th><th>wall</th></tr></thead>\n<tbody>\n";
  for (const auto& r : t.rows) {
    h += "<tr class=\"" + r.result + "\"><td class=\"student\">" + html_escape(r.student) +
         "</td><td>" + r.result + "</td><td>" + std::to_string(r.passed) + "/" +
         std::to_string(r.total) + "</td>";
    for (std::size_t c = 0; c < r.cells.size(); ++c) {
      h += "<td class=\"" + html_escape(r.cells[c]) + "\"";
      if (!r.notes[c].empty()) h += " title=\"" + html_escape(r.notes[c]) + "\"";
      h += ">" + html_escape(r.cells[c]) + "</td>";
    }
    h += "<td class=\"evidence\">";
    bool first = true;
    for (std::size_t f = 0; f < r.gradings.size(); ++f) {
      const auto* g = r.gradings[f];
      if (g == nullptr) continue;
      h += first ? "" : "<br>";
      first = false;
      h += html_escape(info.labels[f]) + ":";
      auto link = [&](const std::string& path, const char* text) {
        if (!path.empty()) h += " <a href=\"" + html_escape(href(path)) + "\">" + text + "</a>";
      };
      link(g->evidence_html, "report");
      link(g->evidence_json, "json");
      link(g->evidence_log, "log");
    }
    h += "</td><td>" + html_escape(r.problems) + "</td><td class=\"wall\"><span class=\"wall\">" +
         fixed(r.wall_seconds, 1) + " s</span></td></tr>\n";
  }
  h += "</tbody></table>\n</body></html>\n";
  return h;
}

std::string class_summary(const class_table& t) {
  std::string out;
  std::size_t passed = 0;
  for (const auto& r : t.rows) {
    passed += r.result == "pass" ? 1 : 0;
    out += "  " + r.student + ": " + r.result + ", " + std::to_string(r.passed) + "/" +
           std::to_string(r.total) + " checks passed";
    if (!r.problems.empty()) out += " (" + r.problems + ")";
    out += "\n";
  }
  out += std::to_string(t.rows.size()) + " submissions: " + std::to_string(passed) +
         " passed every check, " + std::to_string(t.rows.size() - passed) + " did not\n";
  return out;
}

int class_exit_code(const class_table& t) {
  for (const auto& r : t.rows) {
    if (r.result != "pass") return 1;
  }
  return 0;
}

std::string class_report_json(const class_report& report) {
  const auto& info = report.info;
  json root;
  root["class"] = {{"file", info.class_file},
                   {"students", info.students},
                   {"scenarios", info.scenarios},
                   {"labels", info.labels},
                   {"ep", info.ep},
                   {"timeout_s", info.timeout_s},
                   {"pairs", info.pairs()},
                   {"shard", info.shard.text()},
                   {"pairs_in_report", report.results.size()}};
  root["wall_seconds"] = report.wall_seconds;
  root["jobs"] = report.jobs;
  auto& list = root["results"] = json::array();
  for (const auto& r : report.results) {
    json j;
    j["pair"] = r.pair;
    j["student"] = r.student;
    j["scenario"] = info.labels.at(r.scenario);
    j["file_index"] = r.scenario;
    j["status"] = to_string(r.status);
    j["reason"] = r.reason;
    j["grade_exit"] = r.grade_exit;
    j["evidence"] = {{"json", r.evidence_json}, {"html", r.evidence_html}, {"log", r.evidence_log}};
    j["wall_seconds"] = r.wall_seconds;
    auto& checks = j["checks"] = json::array();
    for (const auto& c : r.checks) {
      json cj;
      cj["name"] = c.name;
      cj["passed"] = c.passed;
      if (!c.violation.empty()) cj["violation"] = c.violation;
      checks.push_back(std::move(cj));
    }
    list.push_back(std::move(j));
  }
  return root.dump(2) + "\n";
}

bool is_class_report(std::string_view text) {
  const auto root = json::parse(text, nullptr, false);
  return !root.is_discarded() && root.is_object() && root.contains("class");
}

std::optional<class_report> parse_class_report(std::string_view text, std::string& error) {
  const auto root = json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object() || !root.contains("class") ||
      !root["class"].is_object()) {
    error = "not a class report (expected a JSON object with \"class\")";
    return std::nullopt;
  }
  try {
    class_report rep;
    const auto& c = root["class"];
    rep.info.class_file = c.at("file").get<std::string>();
    rep.info.students = c.at("students").get<std::vector<std::string>>();
    rep.info.scenarios = c.at("scenarios").get<std::vector<std::string>>();
    rep.info.labels = c.at("labels").get<std::vector<std::string>>();
    rep.info.ep = c.at("ep").get<int>();
    rep.info.timeout_s = c.at("timeout_s").get<double>();
    std::string shard_error;
    const auto shard = scenario::parse_shard(c.at("shard").get<std::string>(), shard_error);
    if (!shard) {
      error = "bad \"shard\": " + shard_error;
      return std::nullopt;
    }
    rep.info.shard = *shard;
    if (rep.info.labels.size() != rep.info.scenarios.size()) {
      error = "\"labels\" and \"scenarios\" differ in length";
      return std::nullopt;
    }
    rep.wall_seconds = root.value("wall_seconds", 0.0);
    rep.jobs = root.value("jobs", 1u);
    for (const auto& j : root.at("results")) {
      grading_result r;
      r.pair = j.at("pair").get<std::size_t>();
      r.student = j.at("student").get<std::string>();
      r.scenario = j.at("file_index").get<std::size_t>();
      if (r.pair >= rep.info.pairs() || r.scenario >= rep.info.scenarios.size() ||
          r.student != rep.info.students[r.pair / rep.info.scenarios.size()] ||
          r.scenario != r.pair % rep.info.scenarios.size()) {
        error = "result " + std::to_string(r.pair) + " does not fit the class it describes";
        return std::nullopt;
      }
      const auto status = grading_status_from(j.at("status").get<std::string>());
      if (!status) {
        error = "result " + std::to_string(r.pair) + " has an unknown status";
        return std::nullopt;
      }
      r.status = *status;
      r.reason = j.at("reason").get<std::string>();
      r.grade_exit = j.at("grade_exit").get<int>();
      const auto& ev = j.at("evidence");
      r.evidence_json = ev.at("json").get<std::string>();
      r.evidence_html = ev.at("html").get<std::string>();
      r.evidence_log = ev.at("log").get<std::string>();
      r.wall_seconds = j.value("wall_seconds", 0.0);
      for (const auto& cj : j.at("checks")) {
        class_check ch;
        ch.name = cj.at("name").get<std::string>();
        ch.passed = cj.at("passed").get<bool>();
        ch.violation = cj.value("violation", std::string());
        r.checks.push_back(std::move(ch));
      }
      rep.results.push_back(std::move(r));
    }
    return rep;
  } catch (const json::exception& e) {
    error = std::string("not a class report: ") + e.what();
    return std::nullopt;
  }
}

std::optional<class_report> merge_class_reports(const std::vector<class_report_file>& files,
                                                const std::string& out_dir,
                                                std::vector<std::string>& errors) {
  std::vector<class_report> reports;
  for (const auto& f : files) {
    std::string error;
    auto r = parse_class_report(f.text, error);
    if (!r) {
      errors.push_back(f.path + ": " + error);
      continue;
    }
    reports.push_back(std::move(*r));
  }
  if (!errors.empty()) return std::nullopt;
  if (reports.empty()) {
    errors.emplace_back("no class reports given");
    return std::nullopt;
  }
  const auto& first = reports.front().info;
  auto same_class = [&](const class_info& i) {
    return i.class_file == first.class_file && i.students == first.students &&
           i.scenarios == first.scenarios && i.ep == first.ep && i.timeout_s == first.timeout_s;
  };
  class_report merged;
  merged.info = first;
  merged.info.shard = scenario::shard_spec{};
  std::map<std::size_t, grading_result> by_pair;
  std::set<std::size_t> shards_seen;
  bool same_count = true;
  const auto out_abs = std::filesystem::absolute(out_dir).lexically_normal();
  for (std::size_t i = 0; i < reports.size(); ++i) {
    const auto& rep = reports[i];
    if (!same_class(rep.info)) {
      errors.push_back(files[i].path +
                       ": a report of another class (students, files, ep or "
                       "timeout differ from " +
                       files.front().path + ")");
      continue;
    }
    if (rep.info.shard.count != first.shard.count) same_count = false;
    if (same_count && !shards_seen.insert(rep.info.shard.index).second) {
      errors.push_back(files[i].path + ": shard " + rep.info.shard.text() + " given twice");
      continue;
    }
    merged.wall_seconds = std::max(merged.wall_seconds, rep.wall_seconds);
    merged.jobs = std::max(merged.jobs, rep.jobs);
    const auto dir = std::filesystem::absolute(std::filesystem::path(files[i].path)).parent_path();
    auto rebase = [&](const std::string& p) {
      if (p.empty()) return p;
      return (dir / p).lexically_normal().lexically_relative(out_abs).string();
    };
    for (auto r : rep.results) {
      r.evidence_json = rebase(r.evidence_json);
      r.evidence_html = rebase(r.evidence_html);
      r.evidence_log = rebase(r.evidence_log);
      const auto pair = r.pair;
      if (!by_pair.emplace(pair, std::move(r)).second) {
        errors.push_back(files[i].path + ": pair " + std::to_string(pair) +
                         " is also in another report");
      }
    }
  }
  if (!errors.empty()) return std::nullopt;
  if (by_pair.size() != first.pairs()) {
    std::string missing;
    if (same_count) {
      for (std::size_t s = 1; s <= first.shard.count; ++s) {
        if (shards_seen.count(s) == 0) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(s) + "/" +
                     std::to_string(first.shard.count);
        }
      }
    }
    errors.push_back(std::to_string(first.pairs() - by_pair.size()) + " of " +
                     std::to_string(first.pairs()) + " gradings missing" +
                     (missing.empty() ? "" : ": no report for shard " + missing));
    return std::nullopt;
  }
  for (auto& [_, r] : by_pair) merged.results.push_back(std::move(r));
  return merged;
}

}  // namespace eachare::cli
