#include "sim/scenario/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "node/protocol/codec.hpp"
#include "node/protocol/peer_address.hpp"

namespace eachare::scenario {

namespace {

// Longest message kept for one error (it quotes the file's text, which may be anything).
constexpr std::size_t max_message_bytes = 1000;

// `text` as it may appear inside one error line: control characters escaped (\n, \t, \xHH), so
// a scalar holding a newline cannot split the line, and cut at `max` bytes.
std::string one_line(std::string_view text, std::size_t max) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      static const char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string problem_lines(const std::string& file, const std::vector<scenario_problem>& ps) {
  std::string out;
  for (const auto& p : ps) {
    if (!out.empty()) out += '\n';
    out += one_line(file, max_message_bytes) + ":" + std::to_string(p.line) + ":" +
           std::to_string(p.column) + ": " + p.expected;
  }
  return out;
}

std::vector<scenario_problem> one_line_each(std::vector<scenario_problem> ps) {
  for (auto& p : ps) p.expected = one_line(p.expected, max_message_bytes);
  return ps;
}

}  // namespace

scenario_error::scenario_error(std::string file, int line, int column, std::string expected)
    : scenario_error(std::move(file), {scenario_problem{line, column, std::move(expected)}}) {}

scenario_error::scenario_error(std::string file, std::vector<scenario_problem> problems)
    : std::runtime_error(problem_lines(file, one_line_each(problems))),
      file_(std::move(file)),
      problems_(one_line_each(std::move(problems))) {
  if (problems_.empty()) problems_.push_back({1, 1, "expected a valid scenario file"});
}

namespace {

// Longest run a scenario may ask for: a year of virtual time keeps nanoseconds far from overflow.
constexpr std::uint64_t max_time_ms = 365ull * 24 * 3600 * 1000;
// Most peers one scenario may declare (the simulator's scale target is thousands).
constexpr std::uint64_t max_peers = 1'000'000;
// Largest generated file (the simulated store keeps it in memory).
constexpr std::uint64_t max_file_bytes = 1ull << 32;

// The keys of `network:` and of a set_network step.
const std::vector<std::string_view> network_key_names = {"delay",
                                                         "drop_probability",
                                                         "duplicate_probability",
                                                         "reorder_jitter_ms",
                                                         "bandwidth_bytes_per_s",
                                                         "timeout_ms"};

// `network:` also takes the connection queue, which a set_network step cannot change.
const std::vector<std::string_view> network_top_key_names = {"delay",
                                                             "drop_probability",
                                                             "duplicate_probability",
                                                             "reorder_jitter_ms",
                                                             "bandwidth_bytes_per_s",
                                                             "timeout_ms",
                                                             "max_outbound_connections"};

const char* const top_keys[] = {"name",        "description", "seed",   "ep",
                                "duration_ms", "expect",      "peers",  "files",
                                "network",     "timeline",    "checks", "implementations"};

template <typename Range>
std::string join_range(const Range& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

// A short description of what a node holds, for "got ..." in messages.
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + one_line(n.Scalar(), 60) + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

// A whole YAML scalar as a number of type T: an optional leading '+', nothing else around it
// (std::from_chars is locale-independent).
template <class T>
std::optional<T> parse_number(std::string_view t) {
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  if (t.empty()) return std::nullopt;
  T v{};
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || p != t.data() + t.size()) return std::nullopt;
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> parse_u64(std::string_view t) {
  return parse_number<std::uint64_t>(t);
}
std::optional<std::int64_t> parse_i64(std::string_view t) {
  return parse_number<std::int64_t>(t);
}
std::optional<double> parse_double(std::string_view t) {
  return parse_number<double>(t);
}

// Milliseconds with up to 6 decimals, exactly, as nanoseconds. nullopt when not a number;
// `negative` set when it is a number below zero.
std::optional<duration> parse_ms(std::string_view t, bool& negative) {
  negative = false;
  if (!t.empty() && t.front() == '-') {
    const auto magnitude = parse_double(t.substr(1));
    if (!magnitude) return std::nullopt;
    if (*magnitude == 0.0) return duration{0};  // "-0" is zero
    negative = true;
    return std::nullopt;
  }
  const auto dot = t.find('.');
  const auto whole = parse_u64(t.substr(0, dot));
  if (!whole || *whole > max_time_ms) return std::nullopt;
  std::uint64_t frac_ns = 0;
  if (dot != std::string_view::npos) {
    auto frac = t.substr(dot + 1);
    if (frac.empty() || frac.size() > 6) return std::nullopt;
    for (char c : frac) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    std::uint64_t v = *parse_u64(frac);
    for (std::size_t i = frac.size(); i < 6; ++i) v *= 10;
    frac_ns = v;
  }
  return duration{static_cast<std::int64_t>(*whole * 1'000'000 + frac_ns)};
}

std::string ms_text(duration d) {
  const auto ns = d.count();
  std::string out = std::to_string(ns / 1'000'000);
  if (ns % 1'000'000 != 0) {
    auto frac = std::to_string(ns % 1'000'000);
    frac.insert(0, 6 - frac.size(), '0');
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_peer_word(const std::string& s) {
  if (s.empty() || s == "all" || s.find("..") != std::string::npos) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.';
  });
}

// Thrown when the loader gives up on a file: a bound was crossed (what follows would only repeat
// it) or max_reported_errors were found. The errors are already recorded.
struct load_stopped {};

// The keys of a mapping, checked against what the context allows, with their nodes.
struct entry {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

class reader {
 public:
  explicit reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Mark& m, const std::string& what) const {
    if (m.is_null()) throw scenario_error(file_, 1, 1, what);
    throw scenario_error(file_, m.line + 1, m.column + 1, what);
  }
  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    fail(n.Mark(), what);
  }

  // -- several independent errors -----------------------------------------------------------------

  void record(const scenario_error& e) const {
    for (const auto& p : e.problems()) {
      if (problems_.size() == max_reported_errors) {
        overflow_ = scenario_problem{p.line, p.column,
                                     "more errors follow; only the first " +
                                         std::to_string(max_reported_errors) + " are reported"};
        throw load_stopped{};
      }
      problems_.push_back(p);
    }
  }
  void record(const YAML::Exception& e) const {
    try {
      fail(e.mark, "invalid YAML: " + e.msg);
    } catch (const scenario_error& err) {
      record(err);
    }
  }

  // Runs one independent part of the file; an error in it is recorded and the loader goes on
  // with the next part. False when it failed.
  template <class F>
  bool attempt(F&& f) const {
    try {
      f();
      return true;
    } catch (const scenario_error& e) {
      record(e);
    } catch (const YAML::Exception& e) {
      // yaml-cpp refuses some conversions lazily (e.g. aliases to nothing); still one line.
      record(e);
    }
    return false;
  }

  // A bound was crossed: record it and stop loading.
  [[noreturn]] void fatal(const YAML::Node& n, const std::string& what) const {
    try {
      fail(n, what);
    } catch (const scenario_error& e) {
      record(e);
    }
    throw load_stopped{};
  }

  // Every error recorded, in file order (the "more errors" line last); nullopt when none.
  std::optional<scenario_error> errors() const {
    if (problems_.empty()) return std::nullopt;
    auto ps = problems_;
    std::stable_sort(ps.begin(), ps.end(), [](const auto& a, const auto& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    if (overflow_) ps.push_back(*overflow_);
    return scenario_error(file_, std::move(ps));
  }

  // Counts `n` more expanded peer entries against max_selected_peers.
  void spend_selected(const YAML::Node& at, std::uint64_t n) const {
    selected_ += n;
    if (selected_ > max_selected_peers) {
      fatal(at, "expected at most " + std::to_string(max_selected_peers) +
                    " peer entries in all selectors, neighbour lists and 'knows' together "
                    "(after expanding all, ranges and YAML aliases); this one brings the total "
                    "past it");
    }
  }

  // A mapping whose keys are all in `allowed` (no duplicates).
  std::vector<entry> mapping(const YAML::Node& n, const std::string& context,
                             std::initializer_list<std::string_view> allowed) const {
    return mapping(n, context, std::vector<std::string_view>(allowed));
  }

  // `collect`: a bad key is recorded and skipped, so every bad key of the mapping is reported.
  std::vector<entry> mapping(const YAML::Node& n, const std::string& context,
                             const std::vector<std::string_view>& allowed,
                             bool collect = false) const {
    if (!n.IsMap()) fail(n, "expected a mapping for " + context + ", got " + describe(n));
    std::vector<entry> out;
    std::set<std::string> seen;
    for (const auto& kv : n) {
      auto take = [&] {
        const YAML::Node k = kv.first;
        if (!k.IsScalar()) fail(k, "expected a key name in " + context + ", got " + describe(k));
        const std::string key = k.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
          fail(k, "unknown key '" + key + "' in " + context +
                      " (expected one of: " + join_range(allowed) + ")");
        }
        if (!seen.insert(key).second) fail(k, "duplicate key '" + key + "' in " + context);
        out.push_back({key, k, kv.second});
      };
      if (collect) {
        attempt(take);
      } else {
        take();
      }
    }
    return out;
  }

  static const entry* find(const std::vector<entry>& m, std::string_view key) {
    for (const auto& e : m) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }

  const entry& require(const std::vector<entry>& m, const YAML::Node& map_node,
                       std::string_view key, const std::string& context) const {
    const entry* e = find(m, key);
    if (e == nullptr)
      fail(map_node, "missing required key '" + std::string(key) + "' in " + context);
    return *e;
  }

  std::string text(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    return n.Scalar();
  }

  std::uint64_t unsigned_int(const YAML::Node& n, const std::string& key, std::uint64_t min,
                             std::uint64_t max) const {
    const std::string what = "an integer from " + std::to_string(min) + " to " +
                             std::to_string(max) + " for '" + key + "'";
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    const auto v = parse_u64(n.Scalar());
    if (!v || *v < min || *v > max) fail(n, "expected " + what + ", got " + describe(n));
    return *v;
  }

  duration time_ms(const YAML::Node& n, const std::string& key) const {
    const std::string what = "a non-negative time in milliseconds for '" + key + "'";
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    bool negative = false;
    const auto v = parse_ms(n.Scalar(), negative);
    if (negative) fail(n, "expected " + what + ", got negative time " + describe(n));
    if (!v) fail(n, "expected " + what + ", got " + describe(n));
    return *v;
  }

  duration positive_ms(const YAML::Node& n, const std::string& key) const {
    const auto d = time_ms(n, key);
    if (d.count() <= 0)
      fail(n, "expected a positive time in milliseconds for '" + key + "', got " + describe(n));
    return d;
  }

  double probability(const YAML::Node& n, const std::string& key) const {
    const std::string what = "a probability between 0 and 1 for '" + key + "'";
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    const auto v = parse_double(n.Scalar());
    if (!v || *v < 0.0 || *v > 1.0) fail(n, "expected " + what + ", got " + describe(n));
    return *v;
  }

  bool boolean(const YAML::Node& n, const std::string& key) const {
    const std::string what = "true or false for '" + key + "'";
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    const auto t = lower(n.Scalar());
    if (t == "true" || t == "yes" || t == "on") return true;
    if (t == "false" || t == "no" || t == "off") return false;
    fail(n, "expected " + what + ", got " + describe(n));
  }

  int ep(const YAML::Node& n) const {
    if (!n.IsScalar()) fail(n, "expected ep 1, 2 or 3, got " + describe(n));
    const auto v = parse_u64(n.Scalar());
    if (!v || *v < 1 || *v > 3) fail(n, "expected ep 1, 2 or 3, got " + describe(n));
    return static_cast<int>(*v);
  }

  // -- selectors ----------------------------------------------------------------------------------

  std::string known_peers(const scenario& s) const {
    if (s.peers.empty()) return "no peers are declared";
    if (s.generated) return "peers are p0..p" + std::to_string(s.peers.size() - 1);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < s.peers.size() && i < 8; ++i) names.push_back(s.peers[i].name);
    std::string out = "peers are " + join_range(names);
    if (s.peers.size() > 8) out += ", ...";
    return out;
  }

  peer_index peer_by_name(const YAML::Node& at, const scenario& s, const std::string& name,
                          const std::string& note = "") const {
    if (auto p = lookup(s, name)) return *p;
    fail(at, "unknown peer '" + name + "'" + note + " (" + known_peers(s) + ")");
  }

  // The index of peer `name`, without a linear search: generated names are parsed, explicit
  // ones are kept in a map while the peers are read.
  std::optional<peer_index> lookup(const scenario& s, const std::string& name) const {
    if (s.generated) {
      if (name.size() < 2 || name.size() > 11 || name[0] != 'p') return std::nullopt;
      const auto v = parse_u64(std::string_view(name).substr(1));
      if (!v || *v >= s.peers.size() || "p" + std::to_string(*v) != name) return std::nullopt;
      return static_cast<peer_index>(*v);
    }
    const auto it = names_.find(name);
    if (it == names_.end()) return std::nullopt;
    return it->second;
  }

  void selector_item(const YAML::Node& n, const scenario& s, std::vector<peer_index>& out) const {
    const std::string what = "a peer name, a range like p3..p9, or all";
    if (!n.IsScalar()) fail(n, "expected " + what + ", got " + describe(n));
    const std::string t = n.Scalar();
    // mark_ (cleared by selector()) makes removing duplicates O(1) per entry.
    auto add = [&](peer_index p) {
      if (mark_[p] == 0) {
        mark_[p] = 1;
        out.push_back(p);
      }
    };
    if (t == "all") {
      spend_selected(n, s.peers.size());
      for (std::size_t i = 0; i < s.peers.size(); ++i) add(static_cast<peer_index>(i));
      return;
    }
    const auto dots = t.find("..");
    if (dots == std::string::npos) {
      spend_selected(n, 1);
      add(peer_by_name(n, s, t));
      return;
    }
    // A range: <prefix><first>..<prefix><last>, over names that share the prefix.
    const std::string a = t.substr(0, dots);
    const std::string b = t.substr(dots + 2);
    auto split = [](const std::string& w) {
      std::size_t d = w.size();
      while (d > 0 && std::isdigit(static_cast<unsigned char>(w[d - 1])) != 0) --d;
      return std::pair{w.substr(0, d), w.substr(d)};
    };
    const auto [pa, na] = split(a);
    const auto [pb, nb] = split(b);
    if (na.empty() || nb.empty() || pa != pb || na.size() > 9 || nb.size() > 9) {
      fail(n, "expected a range like p3..p9 (same prefix, numbers at the end), got " + describe(n));
    }
    const auto first = *parse_u64(na);
    const auto last = *parse_u64(nb);
    if (first > last) {
      fail(n, "expected a range from low to high like p3..p9, got " + describe(n));
    }
    // Numbers keep the first one's zero padding (n01..n12), so each end names itself: p03..p05
    // must not quietly select p3..p5.
    auto name_of = [&, &pa = pa, &na = na](std::uint64_t i) {
      std::string digits = std::to_string(i);
      if (digits.size() < na.size()) digits.insert(0, na.size() - digits.size(), '0');
      return pa + digits;
    };
    if (name_of(last) != b) {
      fail(n,
           "expected a range like p3..p9 or n01..n12 (the last number padded like the first), "
           "got " +
               describe(n));
    }
    spend_selected(n, last - first + 1);
    for (auto i = first; i <= last; ++i) {
      add(peer_by_name(n, s, name_of(i), " in range '" + t + "'"));
    }
  }

  std::vector<peer_index> selector(const YAML::Node& n, const scenario& s,
                                   const std::string& key) const {
    std::vector<peer_index> out;
    mark_.resize(s.peers.size());
    auto unmark = [&] {
      for (auto p : out) mark_[p] = 0;
    };
    try {
      if (n.IsSequence()) {
        if (n.size() == 0)
          fail(n, "expected at least one peer in '" + key + "', got an empty list");
        for (const auto& item : n) selector_item(item, s, out);
      } else if (n.IsScalar()) {
        selector_item(n, s, out);
      } else {
        fail(n, "expected a peer name, a range like p3..p9, all, or a list of them for '" + key +
                    "', got " + describe(n));
      }
    } catch (...) {
      unmark();
      throw;
    }
    unmark();
    return out;
  }

  // -- network
  // --------------------------------------------------------------------------------------

  delay_spec delay(const YAML::Node& n) const {
    if (!n.IsMap()) {
      fail(n, "expected a delay mapping like {dist: exponential, min_ms: 1, mean_ms: 20}, got " +
                  describe(n));
    }
    const auto dist_node = n["dist"];
    if (!dist_node)
      fail(n, "missing required key 'dist' in delay (constant, uniform or exponential)");
    const std::string dist =
        text(dist_node, "a delay distribution (constant, uniform or exponential)");
    delay_spec d;
    if (dist == "constant") {
      const auto m = mapping(n, "delay {dist: constant}", {"dist", "ms"});
      d.dist = delay_dist::constant;
      d.ms = time_ms(require(m, n, "ms", "delay {dist: constant}").value, "ms");
    } else if (dist == "uniform") {
      const auto m = mapping(n, "delay {dist: uniform}", {"dist", "min_ms", "max_ms"});
      d.dist = delay_dist::uniform;
      d.min = time_ms(require(m, n, "min_ms", "delay {dist: uniform}").value, "min_ms");
      const auto& mx = require(m, n, "max_ms", "delay {dist: uniform}");
      d.max = time_ms(mx.value, "max_ms");
      if (d.max < d.min) fail(mx.value, "expected max_ms >= min_ms (" + ms_text(d.min) + ")");
    } else if (dist == "exponential") {
      const auto m = mapping(n, "delay {dist: exponential}", {"dist", "min_ms", "mean_ms"});
      d.dist = delay_dist::exponential;
      if (const auto* e = find(m, "min_ms")) d.min = time_ms(e->value, "min_ms");
      const auto& me = require(m, n, "mean_ms", "delay {dist: exponential}");
      d.mean = time_ms(me.value, "mean_ms");
      if (d.mean < d.min) fail(me.value, "expected mean_ms >= min_ms (" + ms_text(d.min) + ")");
    } else {
      fail(dist_node, "unknown dist '" + dist + "' (expected constant, uniform or exponential)");
    }
    return d;
  }

  // The keys network: and set_network share. `m` was already checked for unknown keys.
  network_patch network_keys(const std::vector<entry>& m) const {
    network_patch p;
    for (const auto& e : m) {
      if (e.key == "delay")
        p.delay = delay(e.value);
      else if (e.key == "drop_probability")
        p.drop_probability = probability(e.value, e.key);
      else if (e.key == "duplicate_probability")
        p.duplicate_probability = probability(e.value, e.key);
      else if (e.key == "reorder_jitter_ms")
        p.reorder_jitter = time_ms(e.value, e.key);
      else if (e.key == "bandwidth_bytes_per_s")
        p.bandwidth_bytes_per_s =
            unsigned_int(e.value, e.key, 0, std::numeric_limits<std::uint32_t>::max() * 1024ull);
      else if (e.key == "timeout_ms")
        p.timeout = std::chrono::milliseconds(
            unsigned_int(e.value, e.key, 1, max_time_ms));  // the network times out in whole ms
    }
    return p;
  }

  // -- sections
  // -------------------------------------------------------------------------------------

  void peers(const YAML::Node& n, scenario& s) const {
    if (n.IsMap()) {
      generated(n, s);
    } else if (n.IsSequence()) {
      explicit_peers(n, s);
    } else {
      fail(n, "expected peers as a mapping {count, base_port, topology} or a list of peers, got " +
                  describe(n));
    }
  }

  void generated(const YAML::Node& n, scenario& s) const {
    const std::string ctx = "peers";
    const auto m = mapping(n, ctx, {"count", "base_port", "host", "topology"});
    generated_peers g;
    g.count = static_cast<std::uint32_t>(
        unsigned_int(require(m, n, "count", ctx).value, "count", 1, max_peers));
    if (const auto* e = find(m, "base_port")) {
      g.base_port = static_cast<std::uint16_t>(unsigned_int(e->value, "base_port", 1, 65535));
    }
    if (static_cast<std::uint64_t>(g.base_port) + g.count - 1 > 65535) {
      const auto* e = find(m, "base_port");
      fail(e ? e->value : require(m, n, "count", ctx).value,
           "expected base_port + count - 1 <= 65535 (ports " + std::to_string(g.base_port) + ".." +
               std::to_string(g.base_port + g.count - 1) + " do not fit)");
    }
    if (const auto* e = find(m, "host")) {
      g.host = text(e->value, "a host name or IPv4 address for 'host'");
      if (!is_valid_peer_address(g.host + ":1")) {
        fail(e->value,
             "expected a host name or IPv4 address for 'host', got " + describe(e->value));
      }
    }
    if (const auto* e = find(m, "topology")) g.shape = topology_of(e->value);
    // fill_topology() will write this many neighbour entries: they count like selected peers.
    const std::uint64_t c = g.count;
    std::uint64_t entries = 0;
    switch (g.shape.kind) {
      case topology_kind::ring:
      case topology_kind::line:
        entries = 2 * c;
        break;
      case topology_kind::star:
        entries = 2 * (c - 1);
        break;
      case topology_kind::complete:
        entries = c * (c - 1);
        break;
      case topology_kind::random:
        entries = c * std::min<std::uint64_t>(g.shape.k, c - 1);
        break;
      case topology_kind::none:
        break;
    }
    if (entries > max_selected_peers) {
      const auto* e = find(m, "topology");
      fatal(e ? e->value : n, "expected at most " + std::to_string(max_selected_peers) +
                                  " neighbour entries, got " + std::to_string(entries) +
                                  " for this topology with " + std::to_string(c) + " peers");
    }
    spend_selected(n, entries);
    for (std::uint32_t i = 0; i < g.count; ++i) {
      peer_spec p;
      p.name = "p" + std::to_string(i);
      p.address = g.host + ":" + std::to_string(g.base_port + i);
      p.where = {n.Mark().line + 1, n.Mark().column + 1};
      s.peers.push_back(std::move(p));
    }
    s.generated = g;
  }

  topology topology_of(const YAML::Node& n) const {
    const std::string expected = "(expected ring, line, star, complete, none or {random: {k: N}})";
    topology t;
    if (n.IsScalar()) {
      const auto& w = n.Scalar();
      if (w == "ring")
        t.kind = topology_kind::ring;
      else if (w == "line")
        t.kind = topology_kind::line;
      else if (w == "star")
        t.kind = topology_kind::star;
      else if (w == "complete")
        t.kind = topology_kind::complete;
      else if (w == "none")
        t.kind = topology_kind::none;
      else if (w == "random")
        fail(n, "expected {random: {k: N}} (random needs k)");
      else
        fail(n, "unknown topology '" + w + "' " + expected);
      return t;
    }
    if (!n.IsMap()) fail(n, "unknown topology " + describe(n) + " " + expected);
    if (n.size() != 1 || !n.begin()->first.IsScalar() || n.begin()->first.Scalar() != "random") {
      fail(n, "unknown topology " + describe(n) + " " + expected);
    }
    const auto m = mapping(n, "topology", {"random"});
    const auto& args = m.front().value;
    const auto am = mapping(args, "topology random", {"k"});
    t.kind = topology_kind::random;
    t.k = static_cast<std::uint32_t>(
        unsigned_int(require(am, args, "k", "topology random").value, "k", 1, 1000));
    return t;
  }

  void explicit_peers(const YAML::Node& n, scenario& s) const {
    if (n.size() == 0) fail(n, "expected at least one peer in 'peers', got an empty list");
    if (n.size() > max_peers) {
      fail(n, "expected at most " + std::to_string(max_peers) + " peers, got " +
                  std::to_string(n.size()));
    }
    const std::vector<std::string_view> keys = {"name", "address", "neighbors", "neighbours",
                                                "ep",   "start",   "impl",      "graded"};
    std::vector<std::vector<entry>> maps;
    std::vector<YAML::Node> nodes;
    std::set<std::string> addresses;
    // First pass: names and addresses, so neighbours may name peers declared further down.
    for (const auto& item : n) {
      auto m = mapping(item, "a peer", keys);
      peer_spec p;
      const auto& name_e = require(m, item, "name", "a peer");
      p.name = text(name_e.value, "a peer name");
      if (!is_peer_word(p.name)) {
        fail(name_e.value,
             "expected a peer name made of letters, digits, '_', '-' or '.' (not "
             "'all', no '..'), got " +
                 describe(name_e.value));
      }
      if (names_.count(p.name) != 0) fail(name_e.value, "duplicate peer name '" + p.name + "'");
      if (const auto* e = find(m, "address")) {
        p.address = text(e->value, "an address host:port");
        if (!is_valid_peer_address(p.address)) {
          fail(e->value, "expected an address host:port (IPv4 or host name, port 1-65535), got " +
                             describe(e->value));
        }
      } else {
        p.address = "127.0.0.1:" + std::to_string(9000 + s.peers.size());
      }
      if (!addresses.insert(p.address).second) {
        const auto* e = find(m, "address");
        fail(e ? e->value : item, "duplicate address '" + p.address + "'");
      }
      if (const auto* e = find(m, "ep")) p.ep = ep(e->value);
      if (const auto* e = find(m, "start")) p.start = boolean(e->value, "start");
      if (const auto* e = find(m, "graded")) p.graded = boolean(e->value, "graded");
      if (const auto* e = find(m, "impl")) {
        const auto name = text(e->value, "an implementation name");
        for (std::size_t k = 0; k < s.implementations.size(); ++k) {
          if (s.implementations[k].name == name) p.impl = k;
        }
        if (!p.impl) {
          std::string known;
          for (const auto& im : s.implementations) known += (known.empty() ? "" : ", ") + im.name;
          fail(e->value, "unknown implementation '" + name + "' (declared under " +
                             "'implementations': " + (known.empty() ? "none" : known) + ")");
        }
      }
      p.where = {item.Mark().line + 1, item.Mark().column + 1};
      names_.emplace(p.name, static_cast<peer_index>(s.peers.size()));
      s.peers.push_back(std::move(p));
      maps.push_back(std::move(m));
      nodes.push_back(item);
    }
    for (std::size_t i = 0; i < s.peers.size(); ++i) {
      const auto* a = find(maps[i], "neighbors");
      const auto* b = find(maps[i], "neighbours");
      if (a && b) fail(b->key_node, "expected either 'neighbors' or 'neighbours', not both");
      const auto* e = a ? a : b;
      if (!e) continue;
      if (e->value.IsNull() || (e->value.IsSequence() && e->value.size() == 0)) continue;
      auto list = selector(e->value, s, e->key);
      std::erase(list, static_cast<peer_index>(i));  // a neighbours file never lists its owner
      s.peers[i].neighbours = std::move(list);
    }
  }

  void implementations(const YAML::Node& n, scenario& s) const {
    if (n.IsNull()) return;
    if (!n.IsMap()) {
      fail(n, "expected a mapping NAME: {cmd, cwd, env, pty} for 'implementations', got " +
                  describe(n));
    }
    for (const auto& kv : n) {
      const YAML::Node k = kv.first;
      const std::string name = text(k, "an implementation name");
      if (!is_peer_word(name)) {
        fail(k, "expected an implementation name made of letters, digits, '_', '-' or '.', got " +
                    describe(k));
      }
      for (const auto& im : s.implementations) {
        if (im.name == name) fail(k, "duplicate implementation '" + name + "'");
      }
      const std::string ctx = "implementation '" + name + "'";
      const auto m = mapping(kv.second, ctx, {"cmd", "cwd", "env", "pty"});
      implementation_spec im;
      im.name = name;
      im.where = {k.Mark().line + 1, k.Mark().column + 1};
      const auto& cmd = require(m, kv.second, "cmd", ctx);
      if (!cmd.value.IsSequence() || cmd.value.size() == 0) {
        fail(cmd.value, "expected a non-empty list of words for 'cmd', got " + describe(cmd.value));
      }
      bool has_addr = false;
      for (const auto& w : cmd.value) {
        im.cmd.push_back(text(w, "a word of 'cmd'"));
        has_addr = has_addr || im.cmd.back().find("{addr}") != std::string::npos;
      }
      if (!has_addr) {
        fail(cmd.value,
             "expected {addr} in some word of 'cmd' (the program must be told its "
             "address; {neighbours} and {shared} are filled in too)");
      }
      if (const auto* e = find(m, "cwd")) im.cwd = text(e->value, "a directory for 'cwd'");
      if (const auto* e = find(m, "pty")) im.pty = boolean(e->value, "pty");
      if (const auto* e = find(m, "env")) {
        if (!e->value.IsMap()) {
          fail(e->value, "expected a mapping NAME: value for 'env', got " + describe(e->value));
        }
        for (const auto& ev : e->value) {
          im.env.emplace_back(text(ev.first, "an environment variable name"),
                              text(ev.second, "an environment variable value"));
        }
      }
      s.implementations.push_back(std::move(im));
    }
  }

  void files(const YAML::Node& n, scenario& s) const {
    if (n.IsNull()) return;
    if (!n.IsSequence()) fail(n, "expected a list of files for 'files', got " + describe(n));
    std::set<std::string> names;
    for (const auto& item : n) {
      files_ok_ = attempt([&] { file_entry(item, s, names); }) && files_ok_;
    }
  }

  void file_entry(const YAML::Node& item, scenario& s, std::set<std::string>& names) const {
    {
      const std::string ctx = "a file";
      const auto m = mapping(item, ctx, {"name", "size", "on"});
      file_spec f;
      const auto& name_e = require(m, item, "name", ctx);
      f.name = text(name_e.value, "a file name");
      if (!is_safe_file_name(f.name)) {
        fail(name_e.value,
             "expected a file name without spaces, '/', '\\' or control characters, "
             "got " +
                 describe(name_e.value));
      }
      if (!names.insert(f.name).second) fail(name_e.value, "duplicate file name '" + f.name + "'");
      f.size = unsigned_int(require(m, item, "size", ctx).value, "size", 0, max_file_bytes);
      f.on = selector(require(m, item, "on", ctx).value, s, "on");
      f.where = {item.Mark().line + 1, item.Mark().column + 1};
      spend_stored(item, f.size);
      s.files.push_back(std::move(f));
    }
  }

  // Counts `bytes` more in the simulated shared directories against max_stored_bytes.
  void spend_stored(const YAML::Node& at, std::uint64_t bytes) const {
    stored_ += bytes;
    if (stored_ > max_stored_bytes) {
      fatal(at, "expected at most " + std::to_string(max_stored_bytes) +
                    " bytes in all simulated shared directories (every file at start, plus a "
                    "copy per peer that downloads it); this brings the total to " +
                    std::to_string(stored_));
    }
  }

  void network(const YAML::Node& n, scenario& s) const {
    if (n.IsNull()) return;
    const auto m = mapping(n, "network", network_top_key_names);
    const auto p = network_keys(m);
    refuse_external_link_faults(p, s, n);
    if (const auto* e = find(m, "max_outbound_connections")) {
      s.network.max_outbound_connections =
          static_cast<std::uint32_t>(unsigned_int(e->value, e->key, 1, 65535));
    }
    if (p.delay) s.network.delay = *p.delay;
    if (p.drop_probability) s.network.drop_probability = *p.drop_probability;
    if (p.duplicate_probability) s.network.duplicate_probability = *p.duplicate_probability;
    if (p.reorder_jitter) s.network.reorder_jitter = *p.reorder_jitter;
    if (p.bandwidth_bytes_per_s) s.network.bandwidth_bytes_per_s = *p.bandwidth_bytes_per_s;
    if (p.timeout) s.network.timeout = *p.timeout;
  }

  // Peers run by an external program (`impl:`, or `graded: true`, which `grade` runs as one).
  static bool external(const scenario& s, peer_index p) {
    return s.peers[p].impl.has_value() || s.peers[p].graded;
  }

  // Lines between two external programs never cross our fault layer (it sits on our peers'
  // sending and accepting sides), so a fault that could act on such a link is refused.
  void refuse_external_cut(const step& st, const scenario& s, const YAML::Node& at) const {
    auto refuse = [&](peer_index a, peer_index b) {
      fail(at, "a partition between '" + s.peers[a].name + "' and '" + s.peers[b].name +
                   "', both external programs (impl: or graded: true), cannot be applied: "
                   "faults act only on our peers' side of a link");
    };
    if (!st.groups.empty()) {
      for (std::size_t i = 0; i < st.groups.size(); ++i) {
        for (std::size_t j = i + 1; j < st.groups.size(); ++j) {
          for (auto a : st.groups[i]) {
            for (auto b : st.groups[j]) {
              if (external(s, a) && external(s, b)) refuse(a, b);
            }
          }
        }
      }
      return;
    }
    for (auto a : st.from) {
      for (auto b : st.to) {
        if (a != b && external(s, a) && external(s, b)) refuse(a, b);
      }
    }
  }

  // Drop, duplicate, delay, jitter and bandwidth act on every link, so with two external programs
  // in the scenario they would act on the link between them too.
  void refuse_external_link_faults(const network_patch& p, const scenario& s,
                                   const YAML::Node& at) const {
    std::vector<peer_index> ext;
    for (peer_index i = 0; i < s.peers.size() && ext.size() < 2; ++i) {
      if (external(s, i)) ext.push_back(i);
    }
    if (ext.size() < 2) return;
    const char* what = p.delay                                         ? "delay"
                       : p.drop_probability && *p.drop_probability > 0 ? "drop_probability"
                       : p.duplicate_probability && *p.duplicate_probability > 0
                           ? "duplicate_probability"
                       : p.reorder_jitter && p.reorder_jitter->count() > 0   ? "reorder_jitter"
                       : p.bandwidth_bytes_per_s && *p.bandwidth_bytes_per_s ? "bandwidth"
                                                                             : nullptr;
    if (what == nullptr) return;
    fail(at, std::string("'") + what + "' would act on the link between '" + s.peers[ext[0]].name +
                 "' and '" + s.peers[ext[1]].name +
                 "', both external programs (impl: or graded: true), and cannot be applied there: "
                 "faults act only on our peers' side of a link");
  }

  static std::optional<action> action_of(const std::string& w) {
    static const std::pair<const char*, action> table[] = {
        {"hello", action::hello},
        {"get_peers", action::get_peers},
        {"list_peers", action::list_peers},
        {"list_local", action::list_local},
        {"search", action::search},
        {"download", action::download},
        {"show_stats", action::show_stats},
        {"set_chunk_size", action::set_chunk_size},
        {"bye", action::bye},
        {"partition", action::partition},
        {"heal", action::heal},
        {"crash", action::crash},
        {"restart", action::restart},
        {"start", action::start},
        {"pause", action::pause},
        {"resume", action::resume},
        {"set_network", action::set_network},
        {"inject", action::inject},
    };
    for (const auto& [name, a] : table) {
      if (w == name) return a;
    }
    return std::nullopt;
  }

  // Keys a step may carry besides at_ms, every_ms, until_ms and do.
  static std::vector<std::string_view> step_keys(action a) {
    switch (a) {
      case action::hello:
        return {"peer", "peers", "to"};
      case action::get_peers:
        return {"peer", "peers", "fanout"};
      case action::download:
        return {"peer", "peers", "file", "size"};
      case action::set_chunk_size:
        return {"peer", "peers", "size"};
      case action::partition:
        return {"groups", "from", "to", "oneway"};
      case action::heal:
        return {};
      case action::set_network:
        return network_key_names;
      case action::inject:
        return {"to", "line"};
      default:
        return {"peer", "peers"};
    }
  }

  std::vector<peer_index> actors(const std::vector<entry>& m, const YAML::Node& item,
                                 const scenario& s, action a) const {
    const auto* one = find(m, "peer");
    const auto* many = find(m, "peers");
    if (one && many) fail(many->key_node, "expected either 'peer' or 'peers', not both");
    if (!one && !many) {
      fail(item, "missing required key 'peer' (or 'peers') for do: " + std::string(to_string(a)));
    }
    const auto* e = one ? one : many;
    return selector(e->value, s, e->key);
  }

  step timeline_step(const YAML::Node& item, const scenario& s) const {
    if (!item.IsMap())
      fail(item, "expected a timeline step mapping {at_ms, do, ...}, got " + describe(item));
    const auto do_node = item["do"];
    if (!do_node) fail(item, "missing required key 'do' in a timeline step");
    const std::string verb = text(do_node, "a command or fault name for 'do'");
    const auto a = action_of(verb);
    if (!a) {
      fail(do_node, "unknown command '" + verb +
                        "' (expected one of: hello, get_peers, search, download, set_chunk_size, "
                        "bye, list_peers, list_local, show_stats, partition, heal, crash, restart, "
                        "start, pause, resume, set_network, inject)");
    }
    auto keys = step_keys(*a);
    for (auto k : {"at_ms", "every_ms", "until_ms", "do"}) keys.push_back(k);
    const std::string ctx = "a '" + verb + "' step";
    const auto m = mapping(item, ctx, keys);
    step st;
    st.what = *a;
    st.where = {item.Mark().line + 1, item.Mark().column + 1};
    const auto& at_e = require(m, item, "at_ms", ctx);
    st.at = time_ms(at_e.value, "at_ms");
    if (st.at > s.length) {
      fail(at_e.value, "expected at_ms <= duration_ms (" + ms_text(s.length) + "), got " +
                           describe(at_e.value));
    }
    if (const auto* e = find(m, "every_ms")) st.every = positive_ms(e->value, "every_ms");
    if (const auto* e = find(m, "until_ms")) {
      if (!st.every)
        fail(e->key_node, "expected 'every_ms' with 'until_ms' (until_ms ends a repetition)");
      st.until = time_ms(e->value, "until_ms");
      if (*st.until < st.at) {
        fail(e->value,
             "expected until_ms >= at_ms (" + ms_text(st.at) + "), got " + describe(e->value));
      }
    }

    switch (*a) {
      case action::hello:
        st.peers = actors(m, item, s, *a);
        st.to = selector(require(m, item, "to", ctx).value, s, "to");
        break;
      case action::get_peers:
        st.peers = actors(m, item, s, *a);
        if (const auto* e = find(m, "fanout")) {
          st.fanout = static_cast<std::uint32_t>(unsigned_int(e->value, "fanout", 0, 1'000'000));
        }
        break;
      case action::download: {
        st.peers = actors(m, item, s, *a);
        const auto& f = require(m, item, "file", ctx);
        st.file = text(f.value, "a file name for 'file'");
        if (!is_safe_file_name(st.file)) {
          fail(f.value,
               "expected a file name without spaces, '/', '\\' or control characters, "
               "got " +
                   describe(f.value));
        }
        if (const auto* e = find(m, "size"))
          st.size = unsigned_int(e->value, "size", 0, max_file_bytes);
        break;
      }
      case action::set_chunk_size: {
        st.peers = actors(m, item, s, *a);
        const auto& e = require(m, item, "size", ctx);
        const auto v = e.value.IsScalar() ? parse_i64(e.value.Scalar()) : std::nullopt;
        if (!v)
          fail(e.value, "expected an integer chunk size for 'size', got " + describe(e.value));
        st.chunk_size = *v;
        break;
      }
      case action::partition: {
        const auto* g = find(m, "groups");
        const auto* from = find(m, "from");
        const auto* to = find(m, "to");
        const auto* oneway = find(m, "oneway");
        if (g && (from || to))
          fail(g->key_node, "expected either 'groups' or 'from'/'to', not both");
        if (g) {
          if (oneway) fail(oneway->key_node, "expected 'oneway' only with 'from'/'to'");
          if (!g->value.IsSequence() || g->value.size() < 2) {
            fail(g->value, "expected at least two groups in 'groups', like [p0..p4, p5..p9], got " +
                               describe(g->value));
          }
          std::vector<int> owner(s.peers.size(), -1);
          for (const auto& grp : g->value) {
            auto members = selector(grp, s, "groups");
            for (auto p : members) {
              if (owner[p] >= 0) {
                fail(grp, "peer '" + s.peers[p].name + "' is in two groups (group " +
                              std::to_string(owner[p] + 1) + " and group " +
                              std::to_string(st.groups.size() + 1) + ")");
              }
              owner[p] = static_cast<int>(st.groups.size());
            }
            st.groups.push_back(std::move(members));
          }
        } else {
          if (!from || !to) {
            fail(item, "missing required key '" + std::string(from ? "to" : "from") +
                           "' in a partition step (or give 'groups')");
          }
          st.from = selector(from->value, s, "from");
          st.to = selector(to->value, s, "to");
          if (oneway) st.oneway = boolean(oneway->value, "oneway");
        }
        refuse_external_cut(st, s, g ? g->value : from->value);
        break;
      }
      case action::heal:
        break;
      case action::set_network:
        st.network = network_keys(m);
        refuse_external_link_faults(st.network, s, item);
        break;
      case action::inject: {
        st.to = selector(require(m, item, "to", ctx).value, s, "to");
        const auto& l = require(m, item, "line", ctx);
        st.line = text(l.value, "the line to inject as a string for 'line'");
        if (st.line.find('\n') != std::string::npos) {
          fail(l.value, "expected one line without '\\n' for 'line' (the newline is added)");
        }
        break;
      }
      default:
        st.peers = actors(m, item, s, *a);
        break;
    }
    return st;
  }

  void timeline(const YAML::Node& n, scenario& s) const {
    if (n.IsNull()) return;
    if (!n.IsSequence()) fail(n, "expected a list of steps for 'timeline', got " + describe(n));
    for (const auto& item : n) {
      const bool ok = attempt([&] { s.timeline.push_back(timeline_step(item, s)); });
      timeline_ok_ = timeline_ok_ && ok;
      if (!ok) continue;
      occurrences_ += occurrences(s.timeline.back(), s.length);
      if (occurrences_ > max_step_occurrences) {
        fatal(item, "expected at most " + std::to_string(max_step_occurrences) +
                        " timeline step occurrences in all (every_ms repetitions counted); this "
                        "step brings the total to " +
                        std::to_string(occurrences_));
      }
    }
  }

  // What the downloads of the timeline add to the stored bytes, and a warning for a download
  // no `files:` entry can satisfy (the search finds no row, so the node refuses it).
  void downloads(scenario& s) const {
    std::set<std::pair<peer_index, std::size_t>> copies;
    for (const auto& st : s.timeline) {
      if (st.what != action::download) continue;
      std::optional<std::size_t> source;
      for (std::size_t i = 0; i < s.files.size(); ++i) {
        if (s.files[i].name == st.file) source = i;
      }
      const auto where = file_ + ":" + std::to_string(st.where.line) + ":" +
                         std::to_string(st.where.column) + ": warning: ";
      if (!source) {
        if (files_ok_) {
          s.warnings.push_back(where + "no entry of 'files' provides '" + st.file +
                               "', so the search finds no row and the download is refused");
        }
        continue;
      }
      const auto& f = s.files[*source];
      if (st.size && *st.size != f.size) {
        s.warnings.push_back(where + "'" + st.file + "' is " + std::to_string(f.size) +
                             " bytes in 'files', not " + std::to_string(*st.size) +
                             ", so the search finds no row and the download is refused");
        continue;
      }
      for (auto p : st.peers) {
        if (copies.insert({p, *source}).second) spend_stored_at(st.where, f.size);
      }
    }
  }

  void spend_stored_at(const source_mark& m, std::uint64_t bytes) const {
    YAML::Mark mark;
    mark.line = m.line - 1;
    mark.column = m.column - 1;
    stored_ += bytes;
    if (stored_ > max_stored_bytes) {
      try {
        fail(mark, "expected at most " + std::to_string(max_stored_bytes) +
                       " bytes in all simulated shared directories (every file at start, plus "
                       "a copy per peer that downloads it); this download brings the total to " +
                       std::to_string(stored_));
      } catch (const scenario_error& e) {
        record(e);
      }
      throw load_stopped{};
    }
  }

  check_spec check(const YAML::Node& item, const scenario& s) const {
    const std::string expected =
        "(expected lamport_order, discovery_convergence, download_integrity or peer_state)";
    check_spec c;
    c.where = {item.Mark().line + 1, item.Mark().column + 1};
    if (!item.IsScalar() && !item.IsMap()) {
      fail(item, "expected a check name or {check: {...}}, got " + describe(item));
    }
    if (item.IsMap() && item.size() != 1) {
      fail(item,
           "expected one check per list item, like '- discovery_convergence: {within_ms: "
           "30000}', got " +
               std::to_string(item.size()) + " keys");
    }
    const YAML::Node name_node = item.IsScalar() ? item : item.begin()->first;
    const YAML::Node args = item.IsScalar() ? YAML::Node() : item.begin()->second;
    if (!name_node.IsScalar())
      fail(name_node, "unknown check " + describe(name_node) + " " + expected);
    const std::string name = name_node.Scalar();
    auto no_args = [&](const std::string& ctx) {
      if (!args.IsNull()) mapping(args, ctx, {});
    };
    if (name == "lamport_order") {
      c.kind = check_kind::lamport_order;
      no_args("lamport_order");
    } else if (name == "download_integrity") {
      c.kind = check_kind::download_integrity;
      no_args("download_integrity");
    } else if (name == "discovery_convergence") {
      c.kind = check_kind::discovery_convergence;
      c.within = s.length;
      if (!args.IsNull()) {
        const auto m = mapping(args, "discovery_convergence", {"within_ms"});
        if (const auto* e = find(m, "within_ms")) c.within = time_ms(e->value, "within_ms");
      }
    } else if (name == "peer_state") {
      c.kind = check_kind::peer_state;
      const std::string ctx = "peer_state";
      if (args.IsNull()) fail(name_node, "expected peer_state: {at_ms, peer, knows}");
      const auto m = mapping(args, ctx, {"at_ms", "peer", "knows"});
      const auto& at_e = require(m, args, "at_ms", ctx);
      c.at = time_ms(at_e.value, "at_ms");
      if (c.at > s.length) {
        fail(at_e.value, "expected at_ms <= duration_ms (" + ms_text(s.length) + "), got " +
                             describe(at_e.value));
      }
      const auto& pe = require(m, args, "peer", ctx);
      c.peer = peer_by_name(pe.value, s, text(pe.value, "a peer name for 'peer'"));
      const auto& ke = require(m, args, "knows", ctx);
      if (!ke.value.IsMap() || ke.value.size() == 0) {
        fail(ke.value, "expected 'knows' as a mapping {peer: ONLINE|OFFLINE|ABSENT}, got " +
                           describe(ke.value));
      }
      spend_selected(ke.value, ke.value.size());
      std::set<std::string> seen;
      for (const auto& kv : ke.value) {
        const YAML::Node who_node = kv.first;
        const YAML::Node status_node = kv.second;
        const auto who = text(who_node, "a peer name");
        if (!seen.insert(who).second) fail(who_node, "duplicate key '" + who + "' in knows");
        peer_state_expectation x;
        x.peer = peer_by_name(who_node, s, who);
        const auto st = text(status_node, "ONLINE, OFFLINE or ABSENT");
        const auto up = lower(st);
        if (up == "online")
          x.status = expected_status::online;
        else if (up == "offline")
          x.status = expected_status::offline;
        else if (up == "absent")
          x.status = expected_status::absent;
        else
          fail(status_node, "expected ONLINE, OFFLINE or ABSENT, got '" + st + "'");
        c.knows.push_back(x);
      }
    } else {
      fail(name_node, "unknown check '" + name + "' " + expected);
    }
    return c;
  }

  void checks(const YAML::Node& n, scenario& s) const {
    if (n.IsNull()) return;
    if (!n.IsSequence()) fail(n, "expected a list of checks for 'checks', got " + describe(n));
    bool has_download = false;
    bool sends = false;  // a step that makes a peer send a line (or an outsider inject one)
    for (const auto& st : s.timeline) {
      has_download = has_download || st.what == action::download;
      switch (st.what) {
        case action::hello:
        case action::get_peers:
        case action::search:
        case action::download:
        case action::bye:
        case action::inject:
          sends = true;
          break;
        default:
          break;
      }
    }
    for (const auto& item : n) {
      attempt([&] {
        auto c = check(item, s);
        // A check the timeline cannot give anything to would pass with nothing checked. (When a
        // step had an error the timeline is incomplete, so this would only add noise.)
        if (timeline_ok_ && c.kind == check_kind::download_integrity && !has_download) {
          fail(item,
               "download_integrity has nothing to check: the timeline has no download step "
               "(add one, or remove the check)");
        }
        if (timeline_ok_ && c.kind == check_kind::lamport_order && !sends) {
          fail(item,
               "lamport_order has nothing to check: no timeline step sends a message (hello, "
               "get_peers, search, download, bye or inject)");
        }
        s.checks.push_back(std::move(c));
      });
    }
  }

  scenario document(const YAML::Node& root) const {
    if (!root.IsMap()) {
      fail(root,
           "expected a scenario mapping with name, duration_ms and peers, got " + describe(root));
    }
    const std::string ctx = "the scenario";
    std::vector<std::string_view> keys(std::begin(top_keys), std::end(top_keys));
    // Every part below is independent of the others, except that files, timeline and checks
    // need the peers and duration_ms: when either is wrong, they are not read (their errors
    // would only be echoes).
    const auto m = mapping(root, ctx, keys, /*collect=*/true);
    scenario s;
    s.file = file_;
    attempt([&] {
      const auto& name_e = require(m, root, "name", ctx);
      s.name = text(name_e.value, "a scenario name");
      if (s.name.empty() || s.name.find('\n') != std::string::npos) {
        fail(name_e.value, "expected a one-line, non-empty scenario name");
      }
    });
    attempt([&] {
      if (const auto* e = find(m, "description")) {
        if (!e->value.IsNull()) s.description = text(e->value, "a description string");
      }
    });
    attempt([&] {
      if (const auto* e = find(m, "seed")) {
        const auto t = text(e->value, "a seed (a number or 40 hex digits)");
        const auto v = parse_seed(t);
        if (!v)
          fail(e->value, "expected a seed (a number or 40 hex digits), got " + describe(e->value));
        s.seed = *v;
      }
    });
    attempt([&] {
      if (const auto* e = find(m, "ep")) s.ep = ep(e->value);
    });
    const bool length_ok = attempt(
        [&] { s.length = positive_ms(require(m, root, "duration_ms", ctx).value, "duration_ms"); });
    attempt([&] {
      if (const auto* e = find(m, "expect")) {
        const auto t = text(e->value, "pass or fail for 'expect'");
        if (t == "pass")
          s.expect_pass = true;
        else if (t == "fail")
          s.expect_pass = false;
        else
          fail(e->value, "expected pass or fail for 'expect', got " + describe(e->value));
      }
    });
    // Implementations first: peers name them.
    attempt([&] {
      if (const auto* e = find(m, "implementations")) implementations(e->value, s);
    });
    const bool peers_ok = attempt([&] { peers(require(m, root, "peers", ctx).value, s); });
    attempt([&] {
      if (const auto* e = find(m, "network")) network(e->value, s);
    });
    if (!length_ok || !peers_ok) return s;
    files_ok_ = attempt([&] {
                  if (const auto* e = find(m, "files")) files(e->value, s);
                }) &&
                files_ok_;
    timeline_ok_ = attempt([&] {
                     if (const auto* e = find(m, "timeline")) timeline(e->value, s);
                   }) &&
                   timeline_ok_;
    if (files_ok_ && timeline_ok_) downloads(s);
    attempt([&] {
      if (const auto* e = find(m, "checks")) checks(e->value, s);
    });
    return s;
  }

 private:
  std::string file_;
  // Loading state (one reader loads one file).
  mutable std::vector<scenario_problem> problems_;
  mutable std::optional<scenario_problem> overflow_;
  mutable std::uint64_t selected_ = 0;
  mutable std::uint64_t stored_ = 0;
  mutable std::uint64_t occurrences_ = 0;
  mutable bool files_ok_ = true;
  mutable bool timeline_ok_ = true;
  mutable std::vector<std::uint8_t> mark_;
  mutable std::unordered_map<std::string, peer_index> names_;
};

}  // namespace

namespace {

// The first tab in the indentation of lines 1..`last_line` (1-based), as a 0-based mark.
std::optional<YAML::Mark> tab_in_indentation(std::string_view text, int last_line) {
  int line = 0;
  std::size_t pos = 0;
  while (pos <= text.size() && line < last_line) {
    const auto eol = std::min(text.find('\n', pos), text.size());
    for (auto i = pos; i < eol && (text[i] == ' ' || text[i] == '\t'); ++i) {
      if (text[i] == '\t') {
        YAML::Mark m;
        m.line = line;
        m.column = static_cast<int>(i - pos);
        return m;
      }
    }
    pos = eol + 1;
    ++line;
  }
  return std::nullopt;
}

// Records where each document starts, and nothing else.
struct document_starts final : YAML::EventHandler {
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// The character at `pos`, quoted for an error line ('\xNN' when not printable).
std::string quoted_char(std::string_view text, int pos) {
  if (pos < 0 || static_cast<std::size_t>(pos) >= text.size()) return "end of file";
  const auto c = static_cast<unsigned char>(text[static_cast<std::size_t>(pos)]);
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("'\\x") + hex[c >> 4] + hex[c & 15] + "'";
}

}  // namespace

scenario load_string(std::string_view text, const std::string& file) {
  reader r(file);
  YAML::Node root;
  try {
    // The first document as nodes; then, in a second pass that builds nothing, whether another
    // document follows (the file's size is bounded). Never YAML::LoadAll: on some malformed
    // input (a document starting at a stray ',') yaml-cpp 0.7's parser yields an empty document
    // without moving, again and again, and LoadAll keeps them all (minutes, past 2 GiB; found by
    // fuzz_scenario_loader). At most max_yaml_documents + 1 documents are asked for here.
    const std::string owned(text);
    root = YAML::Load(owned);
    std::istringstream in(owned);
    YAML::Parser parser(in);
    document_starts starts;
    for (std::size_t n = 0; n <= max_yaml_documents && parser.HandleNextDocument(starts); ++n) {
    }
    if (starts.marks.size() > max_yaml_documents) {
      const YAML::Mark& first = starts.marks[0];
      const YAML::Mark& second = starts.marks[1];
      if (second.pos == first.pos) {
        r.fail(second, "invalid YAML: unexpected " + quoted_char(owned, second.pos) +
                           " (the YAML parser cannot read past it)");
      }
      r.fail(second,
             "expected one YAML document, got a second one (a '---' line starts another "
             "document; remove it or split the file)");
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own bound on nesting; its message says only "bad file".
    r.fail(e.mark, "invalid YAML: nesting reaches " + std::to_string(e.depth()) +
                       " levels (the YAML parser's limit)");
  } catch (const YAML::Exception& e) {
    // yaml-cpp says "illegal block entry" and the like about a tab in the indentation.
    if (const auto tab = tab_in_indentation(text, e.mark.is_null() ? 1 : e.mark.line + 1)) {
      r.fail(*tab,
             "invalid YAML: a tab in the indentation (YAML forbids tabs for indentation; indent "
             "with spaces)");
    }
    r.fail(e.mark, "invalid YAML: " + e.msg);
  }
  scenario s;
  try {
    s = r.document(root);
  } catch (const load_stopped&) {
    // The errors are recorded.
  } catch (const YAML::Exception& e) {
    // yaml-cpp refuses some conversions lazily (e.g. aliases to nothing); still one line.
    try {
      r.record(e);
    } catch (const load_stopped&) {
    }
  }
  if (auto errors = r.errors()) throw *errors;
  return s;
}

scenario load_file(const std::string& path, std::uint64_t max_bytes) {
  auto unreadable = [&](const std::string& why) {
    return scenario_error(path, 1, 1, "expected a readable scenario file (" + why + ")");
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw unreadable(std::strerror(errno));
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } close_at_exit{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw unreadable(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw unreadable("it is a directory");
  if (!S_ISREG(st.st_mode)) {
    const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISBLK(st.st_mode)  ? "a block device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                              : "not a regular file";
    throw unreadable(std::string("not a regular file: it is ") + kind);
  }
  auto too_large = [&](std::uint64_t size) {
    return scenario_error(path, 1, 1,
                          "expected a scenario file of at most " + std::to_string(max_bytes) +
                              " bytes, got " + std::to_string(size) +
                              " (eachare-sim --max-scenario-bytes raises the limit)");
  };
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_bytes) throw too_large(size);
  // Read at most max_bytes + 1 (the file may grow while it is read).
  std::string text;
  text.reserve(static_cast<std::size_t>(size));
  char buf[65536];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw unreadable(std::strerror(errno));
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_bytes) throw too_large(text.size());
  }
  return load_string(text, path);
}

}  // namespace eachare::scenario
