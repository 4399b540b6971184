#include "sim/scenario/sweep_report.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <utility>

namespace eachare::scenario {

namespace {

using json = nlohmann::ordered_json;

duration from_ms(double ms) {
  return duration{static_cast<duration::rep>(std::llround(ms * 1e6))};
}

std::optional<std::uint64_t> parse_hash(const std::string& text) {
  if (text.size() < 3 || text[0] != '0' || text[1] != 'x') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), v, 16);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<check_kind> kind_of(const std::string& text) {
  for (auto k : {check_kind::lamport_order, check_kind::discovery_convergence,
                 check_kind::download_integrity, check_kind::peer_state, check_kind::grade}) {
    if (text == to_string(k)) return k;
  }
  return std::nullopt;
}

// Throws std::runtime_error (or nlohmann's exceptions) on anything that is not as written.
report_entry entry_of(const json& j) {
  report_entry e;
  auto& r = e.result;
  e.run_index = j.at("run").get<std::size_t>();
  r.name = j.at("name").get<std::string>();
  r.description = j.at("description").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.seed = j.at("seed").get<std::uint64_t>();
  const auto expect = j.at("expect").get<std::string>();
  if (expect != "pass" && expect != "fail") throw std::runtime_error("expect is '" + expect + "'");
  r.expect_pass = expect == "pass";
  r.peers = j.at("peers").get<std::size_t>();
  r.virtual_time = from_ms(j.at("virtual_time_ms").get<double>());
  e.wall_seconds = j.at("wall_seconds").get<double>();
  e.peak_rss_bytes = j.at("peak_rss_bytes").get<std::uint64_t>();
  const auto& m = j.at("messages");
  r.messages_delivered = m.at("delivered").get<std::uint64_t>();
  r.messages_dropped = m.at("dropped").get<std::uint64_t>();
  r.messages_duplicated = m.at("duplicated").get<std::uint64_t>();
  r.messages_partitioned = m.at("partitioned").get<std::uint64_t>();
  r.timeouts = m.at("timeouts").get<std::uint64_t>();
  r.bad_input = m.at("malformed").get<std::uint64_t>();
  r.steps_run = j.at("steps_run").get<std::uint64_t>();
  r.commands_issued = j.at("commands_issued").get<std::uint64_t>();
  r.commands_skipped = j.at("commands_skipped").get<std::uint64_t>();
  r.trace_events = j.at("trace_events").get<std::uint64_t>();
  const auto hash = parse_hash(j.at("trace_hash").get<std::string>());
  if (!hash) throw std::runtime_error("trace_hash is not 0x and hex digits");
  r.trace_hash = *hash;
  if (j.contains("determinism")) {
    const auto second = parse_hash(j.at("determinism").at("second_trace_hash").get<std::string>());
    if (!second) throw std::runtime_error("second_trace_hash is not 0x and hex digits");
    e.second_trace_hash = *second;
  }
  for (const auto& cj : j.at("checks")) {
    check_result c;
    c.name = cj.at("name").get<std::string>();
    const auto kind = kind_of(cj.at("kind").get<std::string>());
    if (!kind) throw std::runtime_error("unknown check kind in check '" + c.name + "'");
    c.kind = *kind;
    c.passed = cj.at("passed").get<bool>();
    c.figure = cj.at("figure").get<std::string>();
    if (cj.contains("violation")) c.violation = cj.at("violation").get<std::string>();
    if (cj.contains("violation_time_ms")) {
      c.violation_time = from_ms(cj.at("violation_time_ms").get<double>());
    }
    if (cj.contains("violation_nodes")) {
      c.violation_nodes = cj.at("violation_nodes").get<std::vector<sim::node_id>>();
    }
    if (cj.contains("violation_message_id")) {
      c.violation_message_id = cj.at("violation_message_id").get<std::uint64_t>();
    }
    r.checks.push_back(std::move(c));
  }
  return e;
}

// The file and seed of run `k` of a sweep, for messages about missing runs.
std::string describe_run(const sweep_info& s, std::size_t k) {
  std::string out = "run " + std::to_string(k);
  const auto per_file = static_cast<std::size_t>(std::max<std::uint64_t>(1, s.seeds_per_file));
  if (k / per_file < s.files.size()) out += " (" + s.files[k / per_file];
  std::string ignored;
  if (s.swept()) {
    if (const auto range = parse_seed_range(s.seeds, ignored)) {
      out += " seed " + std::to_string(range->at(k % per_file));
    }
  }
  if (k / per_file < s.files.size()) out += ")";
  return out;
}

}  // namespace

std::string failure_reason(const report_entry& e) {
  const auto& r = e.result;
  if (!r.as_expected()) {
    if (r.all_checks_passed()) return "every check passed, but the scenario expects a failure";
    for (const auto& c : r.checks) {
      if (c.passed) continue;
      return c.name + ": FAIL, " + (c.violation.empty() ? c.figure : c.violation);
    }
  }
  if (!e.deterministic()) {
    return "not deterministic: trace hash " + hash_text(r.trace_hash) + " then " +
           hash_text(*e.second_trace_hash);
  }
  return "";
}

int exit_code_of(const std::vector<report_entry>& entries) {
  for (const auto& e : entries) {
    if (!e.ok()) return 1;
  }
  return 0;
}

std::string sweep_summary(const std::vector<report_entry>& entries, const sweep_info& sweep) {
  std::ostringstream out;
  std::size_t ok = 0;
  for (const auto& e : entries) ok += e.ok() ? 1 : 0;
  const std::size_t bad = entries.size() - ok;
  if (sweep.swept()) {
    out << "sweep: " << sweep.files.size() << (sweep.files.size() == 1 ? " file" : " files")
        << " x seeds " << sweep.seeds << " = " << sweep.runs << " runs";
    if (!sweep.shard.whole()) {
      out << "; shard " << sweep.shard.text() << " ran " << entries.size() << " of them";
    }
    out << "\n";
    // Per file, in command-line order.
    std::vector<std::size_t> runs(sweep.files.size(), 0);
    std::vector<std::size_t> fine(sweep.files.size(), 0);
    for (const auto& e : entries) {
      const auto f = e.run_index / static_cast<std::size_t>(sweep.seeds_per_file);
      if (f >= runs.size()) continue;
      ++runs[f];
      fine[f] += e.ok() ? 1 : 0;
    }
    for (std::size_t f = 0; f < sweep.files.size(); ++f) {
      out << "  " << sweep.files[f] << ": " << runs[f] << " runs, " << fine[f] << " as expected";
      if (fine[f] != runs[f]) out << ", " << runs[f] - fine[f] << " not";
      out << "\n";
    }
  }
  if (bad > 0) {
    out << "not as expected (" << bad << "):\n";
    for (const auto& e : entries) {
      if (e.ok()) continue;
      out << "  " << e.result.file << " seed " << e.result.seed << ": " << failure_reason(e)
          << "\n    replay: " << replay_command(e.result, e.program) << "\n";
    }
  }
  out << entries.size() << (sweep.swept() ? " runs: " : " scenarios: ") << ok << " as expected";
  if (bad > 0) out << ", " << bad << " not";
  out << "\n";
  return out.str();
}

std::optional<parsed_report> parse_json_report(std::string_view text, std::string& error) {
  try {
    const auto root = json::parse(text);
    if (!root.is_object() || !root.contains("scenarios")) {
      error = "not an eachare-sim JSON report (no \"scenarios\" list)";
      return std::nullopt;
    }
    if (!root.contains("sweep")) {
      error = "a report without a \"sweep\" object (written before sweeps existed?); re-run it";
      return std::nullopt;
    }
    parsed_report p;
    const auto& s = root.at("sweep");
    p.sweep.files = s.at("files").get<std::vector<std::string>>();
    p.sweep.seeds = s.at("seeds").get<std::string>();
    p.sweep.seeds_per_file = s.at("seeds_per_file").get<std::uint64_t>();
    p.sweep.runs = s.at("runs").get<std::size_t>();
    std::string shard_error;
    const auto shard = parse_shard(s.at("shard").get<std::string>(), shard_error);
    if (!shard) {
      error = "bad \"shard\" in \"sweep\": " + shard_error;
      return std::nullopt;
    }
    p.sweep.shard = *shard;
    if (p.sweep.seeds_per_file == 0 ||
        p.sweep.runs != p.sweep.files.size() * p.sweep.seeds_per_file) {
      error =
          "\"sweep\" says " + std::to_string(p.sweep.runs) + " runs, which is not files x seeds";
      return std::nullopt;
    }
    for (const auto& j : root.at("scenarios")) {
      std::size_t index = p.entries.size();
      try {
        p.entries.push_back(entry_of(j));
      } catch (const std::exception& e) {
        error = "scenario entry " + std::to_string(index) + ": " + e.what();
        return std::nullopt;
      }
      p.entry_json.push_back(j.dump());
    }
    return p;
  } catch (const std::exception& e) {
    error = std::string("not an eachare-sim JSON report: ") + e.what();
    return std::nullopt;
  }
}

std::optional<merged_report> merge_reports(const std::vector<report_file>& files,
                                           std::vector<std::string>& errors) {
  if (files.empty()) {
    errors.push_back("merge: no reports given");
    return std::nullopt;
  }
  std::vector<parsed_report> parsed;
  for (const auto& f : files) {
    std::string error;
    auto p = parse_json_report(f.text, error);
    if (!p) {
      errors.push_back(f.path + ": " + error);
      continue;
    }
    parsed.push_back(std::move(*p));
  }
  if (!errors.empty()) return std::nullopt;

  const auto& first = parsed.front().sweep;
  for (std::size_t i = 1; i < parsed.size(); ++i) {
    const auto& s = parsed[i].sweep;
    if (s.files != first.files || s.seeds != first.seeds || s.runs != first.runs) {
      errors.push_back(files[i].path + ": from another sweep than " + files[0].path +
                       " (its files or seeds differ)");
    }
  }
  if (!errors.empty()) return std::nullopt;

  // Where each run came from, to name both reports of a duplicate.
  std::vector<std::size_t> source(first.runs, files.size());
  std::vector<const report_entry*> by_run(first.runs, nullptr);
  std::vector<const std::string*> json_by_run(first.runs, nullptr);
  std::vector<std::pair<std::size_t, std::size_t>> clashes;
  for (std::size_t i = 0; i < parsed.size(); ++i) {
    for (std::size_t k = 0; k < parsed[i].entries.size(); ++k) {
      const auto& e = parsed[i].entries[k];
      const auto run = e.run_index;
      if (run >= first.runs) {
        errors.push_back(files[i].path + ": run " + std::to_string(run) +
                         " is outside the sweep's " + std::to_string(first.runs) + " runs");
        continue;
      }
      if (by_run[run] != nullptr) {
        // One line per pair of reports, not per run: a shard given twice repeats every run.
        const auto pair = std::make_pair(source[run], i);
        if (std::find(clashes.begin(), clashes.end(), pair) == clashes.end()) {
          clashes.push_back(pair);
          errors.push_back(files[source[run]].path + " and " + files[i].path +
                           " hold the same runs, e.g. " + describe_run(first, run) +
                           " (the same shard given twice?)");
        }
        continue;
      }
      source[run] = i;
      by_run[run] = &e;
      json_by_run[run] = &parsed[i].entry_json[k];
    }
  }
  std::size_t missing = 0;
  std::size_t first_missing = 0;
  for (std::size_t k = 0; k < first.runs; ++k) {
    if (by_run[k] != nullptr) continue;
    if (missing++ == 0) first_missing = k;
  }
  if (missing > 0) {
    std::string line = std::to_string(missing) + " of " + std::to_string(first.runs) +
                       " runs are missing, the first " + describe_run(first, first_missing);
    // When every report is a shard of the same N, name the shards nobody gave.
    bool same_n = true;
    std::vector<bool> given(first.runs == 0 ? 0 : parsed.front().sweep.shard.count + 1, false);
    for (const auto& p : parsed) {
      if (p.sweep.shard.count != parsed.front().sweep.shard.count) same_n = false;
    }
    if (same_n) {
      for (const auto& p : parsed) given[p.sweep.shard.index] = true;
      std::string absent;
      for (std::size_t i = 1; i < given.size(); ++i) {
        if (given[i]) continue;
        absent += (absent.empty() ? "" : ", ") + shard_spec{i, given.size() - 1}.text();
      }
      if (!absent.empty()) line += "; no report for shard " + absent;
    }
    errors.push_back(line);
  }
  if (!errors.empty()) return std::nullopt;

  merged_report m;
  m.sweep = first;
  m.sweep.shard = shard_spec{};
  for (std::size_t k = 0; k < first.runs; ++k) m.entries.push_back(*by_run[k]);
  m.exit_code = exit_code_of(m.entries);
  // The document the unsharded run writes, with each run's JSON as its shard wrote it.
  auto root = json::parse(json_report({}, m.exit_code, m.sweep));
  root["sweep"]["runs_in_report"] = first.runs;
  auto& list = root["scenarios"];
  for (std::size_t k = 0; k < first.runs; ++k) list.push_back(json::parse(*json_by_run[k]));
  m.json = root.dump(2) + "\n";
  return m;
}

}  // namespace eachare::scenario
