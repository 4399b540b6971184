#include "sim/scenario/report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "sim/scenario/markup.hpp"

namespace eachare::scenario {

namespace {

double ms_of(duration d) {
  return static_cast<double>(d.count()) / 1e6;
}

std::string wall_text(double seconds) {
  char buf[32];
  if (seconds < 0.01) {
    std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1000.0);
  } else if (seconds < 1.0) {
    std::snprintf(buf, sizeof buf, "%.0f ms", seconds * 1000.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", seconds);
  }
  return buf;
}

// Thousands separated by commas: "1,234,567".
std::string count_text(std::uint64_t v) {
  std::string digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// XML 1.0 has no place for most control characters: they become '?' to keep the text readable.
std::string xml_escape(const std::string& s) {
  return markup_escape(s, control_chars::question_mark);
}

std::string shell_quote(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "0123456789_-./:=+,@") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

std::string replay_command(const run_result& r, const std::string& program) {
  if (!r.replay.empty()) return r.replay;
  return shell_quote(program) + " run " + shell_quote(r.file) + " --seed " + std::to_string(r.seed);
}

std::string hash_text(std::uint64_t h) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string text_summary(const report_entry& e) {
  const auto& r = e.result;
  std::ostringstream out;
  out << "scenario " << r.name << "  (" << r.file << ")\n";
  if (!r.description.empty()) out << "  " << r.description << "\n";
  out << "  " << r.peers << " peers, seed " << r.seed << ", " << seconds_text(r.virtual_time)
      << " of " << r.time_kind << " time in " << wall_text(e.wall_seconds) << " of wall time";
  // getrusage's peak belongs to the whole process: with several scenarios (or --jobs) it covers
  // every run so far, so the label says so.
  if (e.peak_rss_bytes > 0) {
    out << ", peak RSS of the process so far " << count_text(e.peak_rss_bytes >> 20) << " MiB";
  }
  out << "\n  " << count_text(r.messages_delivered) << " messages delivered";
  if (e.wall_seconds > 0 && r.messages_delivered > 0) {
    out << " ("
        << count_text(static_cast<std::uint64_t>(static_cast<double>(r.messages_delivered) /
                                                 e.wall_seconds))
        << "/s of wall time)";
  }
  if (r.messages_dropped > 0) out << ", " << count_text(r.messages_dropped) << " dropped";
  if (r.messages_duplicated > 0) out << ", " << count_text(r.messages_duplicated) << " duplicated";
  if (r.messages_partitioned > 0) {
    out << ", " << count_text(r.messages_partitioned) << " cut by partitions";
  }
  if (r.timeouts > 0) out << ", " << count_text(r.timeouts) << " timeouts";
  if (r.bad_input > 0) out << ", " << count_text(r.bad_input) << " malformed lines";
  out << "\n  " << count_text(r.steps_run) << " timeline steps, " << count_text(r.commands_issued)
      << " commands";
  if (r.commands_skipped > 0) {
    out << " (" << count_text(r.commands_skipped) << " skipped: peer not running)";
  }
  out << "\n";
  if (r.checks.empty()) out << "  (no checks)\n";
  for (const auto& c : r.checks) {
    out << "  " << c.name << ": " << (c.passed ? "pass" : "FAIL") << ", " << c.figure << "\n";
    for (const auto& n : c.notes) out << "      " << n << "\n";
    if (!c.passed && !c.violation.empty()) out << "      first violation " << c.violation << "\n";
  }
  if (e.second_trace_hash) {
    if (e.deterministic()) {
      out << "  determinism: pass, the same trace hash " << hash_text(r.trace_hash)
          << " on two runs\n";
    } else {
      out << "  determinism: FAIL, trace hash " << hash_text(r.trace_hash) << " then "
          << hash_text(*e.second_trace_hash) << "\n";
    }
  }
  const bool passed = r.all_checks_passed();
  if (e.ok()) {
    out << "  result: " << (passed ? "PASS" : "FAIL, as expected (expect: fail)") << "\n";
  } else {
    if (!r.as_expected()) {
      out << "  result: " << (passed ? "UNEXPECTED PASS (the scenario says expect: fail)" : "FAIL")
          << "\n";
    } else {
      out << "  result: NOT DETERMINISTIC\n";
    }
    out << "  seed " << r.seed << "; replay with: " << replay_command(r, e.program) << "\n";
  }
  return out.str();
}

std::string quiet_summary(const report_entry& e) {
  return e.ok() ? "" : text_summary(e);
}

namespace {

// A report that is not part of a sweep: the files of its entries, each at its own seed, whole.
sweep_info plain_sweep(const std::vector<report_entry>& entries) {
  sweep_info info;
  for (const auto& e : entries) {
    if (std::find(info.files.begin(), info.files.end(), e.result.file) == info.files.end()) {
      info.files.push_back(e.result.file);
    }
  }
  info.runs = entries.size();
  return info;
}

nlohmann::ordered_json entry_object(const report_entry& e);

}  // namespace

std::string json_report(const std::vector<report_entry>& entries, int exit_code) {
  return json_report(entries, exit_code, plain_sweep(entries));
}

std::string junit_report(const std::vector<report_entry>& entries) {
  return junit_report(entries, plain_sweep(entries));
}

std::string json_report(const std::vector<report_entry>& entries, int exit_code,
                        const sweep_info& sweep) {
  nlohmann::ordered_json root;
  root["exit_code"] = exit_code;
  root["sweep"] = {{"files", sweep.files},
                   {"seeds", sweep.seeds},
                   {"seeds_per_file", sweep.seeds_per_file},
                   {"runs", sweep.runs},
                   {"shard", sweep.shard.text()},
                   {"runs_in_report", entries.size()}};
  auto& list = root["scenarios"] = nlohmann::ordered_json::array();
  for (const auto& e : entries) list.push_back(entry_object(e));
  return root.dump(2) + "\n";
}

std::string json_entry(const report_entry& e) {
  return entry_object(e).dump();
}

namespace {

nlohmann::ordered_json entry_object(const report_entry& e) {
  {
    const auto& r = e.result;
    nlohmann::ordered_json j;
    j["run"] = e.run_index;
    j["name"] = r.name;
    j["description"] = r.description;
    j["file"] = r.file;
    j["seed"] = r.seed;
    j["expect"] = r.expect_pass ? "pass" : "fail";
    j["passed"] = r.all_checks_passed();
    j["as_expected"] = r.as_expected();
    j["ok"] = e.ok();
    j["replay"] = replay_command(r, e.program);
    j["peers"] = r.peers;
    j["virtual_time_ms"] = ms_of(r.virtual_time);
    j["wall_seconds"] = e.wall_seconds;
    j["peak_rss_bytes"] = e.peak_rss_bytes;
    j["messages"] = {{"delivered", r.messages_delivered},
                     {"dropped", r.messages_dropped},
                     {"duplicated", r.messages_duplicated},
                     {"partitioned", r.messages_partitioned},
                     {"timeouts", r.timeouts},
                     {"malformed", r.bad_input}};
    j["steps_run"] = r.steps_run;
    j["commands_issued"] = r.commands_issued;
    j["commands_skipped"] = r.commands_skipped;
    j["trace_events"] = r.trace_events;
    j["trace_hash"] = hash_text(r.trace_hash);
    if (e.second_trace_hash) {
      j["determinism"] = {{"deterministic", e.deterministic()},
                          {"second_trace_hash", hash_text(*e.second_trace_hash)}};
    }
    auto& checks = j["checks"] = nlohmann::ordered_json::array();
    for (const auto& c : r.checks) {
      nlohmann::ordered_json cj;
      cj["name"] = c.name;
      cj["kind"] = to_string(c.kind);
      cj["passed"] = c.passed;
      cj["figure"] = c.figure;
      if (!c.notes.empty()) cj["notes"] = c.notes;
      if (!c.passed) {
        cj["violation"] = c.violation;
        if (c.violation_time) cj["violation_time_ms"] = ms_of(*c.violation_time);
        // Node indexes as in the trace (scenario peer order); the first is where it happened.
        if (!c.violation_nodes.empty()) cj["violation_nodes"] = c.violation_nodes;
        if (c.violation_message_id != 0) cj["violation_message_id"] = c.violation_message_id;
      }
      checks.push_back(std::move(cj));
    }
    return j;
  }
}

}  // namespace

std::string junit_report(const std::vector<report_entry>& entries, const sweep_info& sweep) {
  std::size_t tests = 0;
  std::size_t failures = 0;
  std::ostringstream body;
  for (const auto& e : entries) {
    const auto& r = e.result;
    std::size_t suite_tests = 0;
    std::size_t suite_failures = 0;
    std::ostringstream cases;
    // A sweep runs each file at many seeds: the seed keeps suites and classnames distinct.
    const std::string suite = sweep.swept() ? r.name + " seed " + std::to_string(r.seed) : r.name;
    const std::string cls =
        "scenario." + r.name + (sweep.swept() ? ".seed_" + std::to_string(r.seed) : "");
    auto testcase = [&](const std::string& name, bool failed, const std::string& message,
                        const std::string& text) {
      ++suite_tests;
      cases << "    <testcase classname=\"" << xml_escape(cls) << "\" name=\"" << xml_escape(name)
            << "\" time=\"0\"";
      if (!failed && text.empty()) {
        cases << "/>\n";
        return;
      }
      cases << ">\n";
      if (failed) {
        ++suite_failures;
        cases << "      <failure message=\"" << xml_escape(message) << "\">" << xml_escape(text)
              << "</failure>\n";
      } else {
        cases << "      <system-out>" << xml_escape(text) << "</system-out>\n";
      }
      cases << "    </testcase>\n";
    };
    const std::string replay =
        "seed " + std::to_string(r.seed) + "; replay: " + replay_command(r, e.program);
    for (const auto& c : r.checks) {
      const std::string detail =
          c.figure + (c.passed ? "" : "\nfirst violation " + c.violation) + "\n" + replay;
      // In an `expect: fail` scenario a failing check is the point; the scenario-level case
      // below says whether the run as a whole went as expected.
      const bool failed = r.expect_pass && !c.passed;
      testcase(c.name, failed, c.passed ? "" : c.violation, c.passed ? "" : detail);
    }
    if (!r.expect_pass) {
      testcase("expect: fail", r.all_checks_passed(),
               "every check passed but the scenario expects a failure", replay);
    }
    if (e.second_trace_hash) {
      testcase("determinism", !e.deterministic(),
               "trace hash " + hash_text(r.trace_hash) + " then " + hash_text(*e.second_trace_hash),
               replay);
    }
    tests += suite_tests;
    failures += suite_failures;
    char wall[32];
    std::snprintf(wall, sizeof wall, "%.3f", e.wall_seconds);
    body << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << suite_tests
         << "\" failures=\"" << suite_failures << "\" errors=\"0\" time=\"" << wall << "\">\n"
         << "    <properties>\n"
         << "      <property name=\"file\" value=\"" << xml_escape(r.file) << "\"/>\n"
         << "      <property name=\"seed\" value=\"" << r.seed << "\"/>\n"
         << "      <property name=\"run\" value=\"" << e.run_index << "\"/>\n"
         << "      <property name=\"trace_hash\" value=\"" << hash_text(r.trace_hash) << "\"/>\n"
         << "    </properties>\n"
         << cases.str() << "  </testsuite>\n";
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"eachare-sim\" tests=\"" << tests << "\" failures=\"" << failures
      << "\">\n"
      << body.str() << "</testsuites>\n";
  return out.str();
}

}  // namespace eachare::scenario
