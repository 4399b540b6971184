#include "sim/scenario/html_report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <unordered_map>

#include "sim/scenario/markup.hpp"

namespace eachare::scenario {

namespace {

constexpr std::uint32_t none = 0xFFFFFFFFu;
constexpr std::int64_t no_time = -1;
// Interval counters are kept at this resolution and merged into bars when drawn.
constexpr std::int64_t bucket_ns = 100'000'000;
// Wire lines kept per leg (the trace file cuts at 200 too).
constexpr std::size_t max_line = 200;
// Node markers kept (crash, restart, pause, ...); a run with more draws the first ones.
constexpr std::size_t max_markers = 200'000;
// Convergence samples: at most one per this many ns (the last value of the interval wins).
constexpr std::int64_t sample_ns = 1'000'000;
// Messages in the failing window.
constexpr std::size_t window_legs = 40;

constexpr message_type all_types[] = {
    message_type::hello, message_type::get_peers, message_type::peer_list, message_type::bye,
    message_type::ls,    message_type::ls_list,   message_type::dl,        message_type::file};
constexpr std::size_t type_count = std::size(all_types);
const char* const type_colour[type_count] = {"#4e79a7", "#59a14f", "#8cd17d", "#b07aa1",
                                             "#f28e2b", "#ffbe7d", "#76b7b2", "#9c755f"};

// One event as both inputs give it, with addresses as the collector's own keys.
struct input {
  std::int64_t t = 0;
  sim::trace_kind kind = sim::trace_kind::sent;
  std::uint32_t node = none;
  std::uint32_t peer = none;  // address key
  bool has_type = false;
  message_type type = message_type::hello;
  std::uint64_t id = 0;
  std::uint64_t sender_clock = 0;
  std::uint64_t clock = 0;
  bool online = false;
  std::uint64_t value = 0;
  bool has_error = false;
  std::string_view detail;
  std::string_view line;
};

struct delivery {
  std::int64_t t = no_time;
  std::uint32_t node = none;
  std::uint64_t clock = 0;  // receiver's clock after the receive (0: not seen)
  bool bad = false;         // the line did not decode
};

struct leg {
  std::int64_t t_send = no_time;
  std::uint32_t from = none;  // node; none for an injected line
  std::uint32_t to_key = none;
  bool has_type = false;
  message_type type = message_type::hello;
  std::uint64_t sender_clock = 0;
  std::string line;
  std::vector<delivery> deliveries;  // two for a duplicated line
  std::int64_t dropped = no_time;
  std::int64_t partitioned = no_time;
};

struct exchange {
  std::uint64_t id = 0;
  leg req;
  leg rep;
  std::int64_t timed_out = no_time;
  std::int64_t refused = no_time;
  bool injected = false;
};

enum class mark : std::uint8_t {
  started,
  crashed,
  restarted,
  paused,
  resumed,
  leaving,
  exit_ready,
  download_started,
  download_finished
};

const char* mark_name(mark m) {
  switch (m) {
    case mark::started:
      return "started";
    case mark::crashed:
      return "crashed";
    case mark::restarted:
      return "restarted";
    case mark::paused:
      return "paused";
    case mark::resumed:
      return "resumed";
    case mark::leaving:
      return "bye";
    case mark::exit_ready:
      return "exit";
    case mark::download_started:
      return "download started";
    case mark::download_finished:
      return "download finished";
  }
  return "?";
}

struct marker {
  std::int64_t t;
  std::uint32_t node;
  mark what;
};

struct sample {
  std::int64_t t;
  double frac;
  std::uint32_t live;
};

struct chunk_event {
  std::int64_t t;
  std::uint32_t node;        // downloader
  std::uint32_t holder_key;  // address key of the holder
  bool retry;                // a DL that failed (timeout, refused, cut, bad reply): re-asked
};

// Text and attribute values of the page; control characters stay (hovered wire lines show them).
std::string esc(std::string_view s) {
  return markup_escape(s, control_chars::keep);
}

std::string num(double v, int decimals = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string secs(std::int64_t ns) {
  return num(static_cast<double>(ns) / 1e9, 3) + " s";
}

std::string ms_text(std::int64_t ns) {
  return num(static_cast<double>(ns) / 1e6, 3);
}

std::string type_name(bool has_type, message_type t) {
  return has_type ? std::string(to_string(t)) : std::string("?");
}

// The kinds by their trace spelling (to read saved traces).
const std::unordered_map<std::string_view, sim::trace_kind>& kinds_by_name() {
  static const auto table = [] {
    std::unordered_map<std::string_view, sim::trace_kind> m;
    for (int k = 0; k <= static_cast<int>(sim::trace_kind::diverged); ++k) {
      const auto kind = static_cast<sim::trace_kind>(k);
      m.emplace(sim::to_string(kind), kind);
    }
    return m;
  }();
  return table;
}

std::optional<message_type> type_by_name(std::string_view s) {
  for (auto t : all_types) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

// A flat JSON object of the trace writer's shape: string keys, values that are unsigned numbers
// or strings (escapes decoded into `scratch`). Calls f(key, number or nullopt, text).
template <typename F>
bool parse_flat_object(std::string_view s, std::vector<std::string>& scratch, F&& f) {
  std::size_t i = 0;
  auto skip = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
  };
  auto read_string = [&](std::string& out) -> bool {
    if (i >= s.size() || s[i] != '"') return false;
    ++i;
    out.clear();
    while (i < s.size() && s[i] != '"') {
      char c = s[i++];
      if (c == '\\' && i < s.size()) {
        const char e = s[i++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 'r':
            c = '\r';
            break;
          case 't':
            c = '\t';
            break;
          case 'u': {
            if (i + 4 > s.size()) return false;
            c = static_cast<char>(std::stoi(std::string(s.substr(i, 4)), nullptr, 16));
            i += 4;
            break;
          }
          default:
            c = e;
        }
      }
      out.push_back(c);
    }
    if (i >= s.size()) return false;
    ++i;
    return true;
  };
  skip();
  if (i >= s.size() || s[i] != '{') return false;
  ++i;
  std::size_t field = 0;
  std::string key;
  while (true) {
    skip();
    if (i < s.size() && s[i] == '}') return true;
    if (!read_string(key)) return false;
    skip();
    if (i >= s.size() || s[i] != ':') return false;
    ++i;
    skip();
    if (i < s.size() && s[i] == '"') {
      if (field >= scratch.size()) scratch.emplace_back();
      if (!read_string(scratch[field])) return false;
      f(key, std::optional<std::uint64_t>(), std::string_view(scratch[field]));
      ++field;
    } else {
      std::uint64_t v = 0;
      const std::size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9')
        v = v * 10 + static_cast<unsigned>(s[i++] - '0');
      if (i == start) return false;  // not a number we write (objects, arrays, negatives)
      f(key, std::optional<std::uint64_t>(v), std::string_view());
    }
    skip();
    if (i < s.size() && s[i] == ',') {
      ++i;
      continue;
    }
    if (i < s.size() && s[i] == '}') return true;
    return false;
  }
}

// One arrow of a diagram.
struct arrow {
  const exchange* x;
  const leg* l;
  bool reply;
  std::uint32_t from;  // node or none (injected: from outside)
  std::uint32_t to;    // node or none
  std::int64_t t0;
  std::int64_t t1;
  enum class fate : std::uint8_t { delivered, dropped, cut } how;
  std::uint64_t recv_clock;
  bool bad;
};

const char* fate_name(arrow::fate f) {
  switch (f) {
    case arrow::fate::delivered:
      return "delivered";
    case arrow::fate::dropped:
      return "dropped";
    case arrow::fate::cut:
      return "partitioned";
  }
  return "?";
}

struct violation_info {
  bool any = false;
  std::string check;
  std::string text;
  std::int64_t t = no_time;
  std::vector<std::uint32_t> nodes;
  std::uint64_t message_id = 0;
};

struct diagram_spec {
  std::string css_class;             // "spacetime" or "window"
  std::vector<std::uint32_t> lanes;  // nodes, left to right
  std::vector<arrow> arrows;
  std::int64_t t_from = 0;
  std::int64_t t_to = 0;
  bool labels = true;
  std::uint64_t highlight_id = 0;       // the violating exchange
  std::uint32_t highlight_node = none;  // and/or the violating event's place
  std::int64_t highlight_t = no_time;
};

}  // namespace

struct picture_collector::state {
  html_options options;
  std::vector<std::string> names;  // by node

  // Addresses: key <-> text, key -> node (from `started`).
  std::unordered_map<std::string, std::uint32_t> key_of_text;
  std::vector<std::string> key_text;
  std::vector<std::uint32_t> node_of_key;
  std::vector<std::uint32_t> key_of_node;
  std::vector<std::uint32_t> key_of_book;  // in-process: book id -> key
  std::vector<std::string> json_scratch;

  std::int64_t t_end = 0;
  mutable std::int64_t shown_end = 0;   // the scenario's duration when known, else t_end
  std::vector<std::uint64_t> activity;  // legs sent or received, by node

  std::vector<exchange> exchanges;
  std::unordered_map<std::uint64_t, std::uint32_t> exchange_of_id;

  std::vector<marker> markers;
  std::vector<std::pair<std::int64_t, std::string>> partitions;
  std::vector<std::int64_t> heals;
  std::vector<std::int64_t> converged;
  std::vector<std::int64_t> diverged;

  // Interval counters: per bucket, sends by type, then dropped, cut, timed out.
  std::vector<std::array<std::uint32_t, type_count + 3>> buckets;

  // Convergence: status[node][key] 0 absent, 1 offline, 2 online.
  bool plot_enabled = true;
  std::vector<std::vector<std::uint8_t>> status;
  std::vector<bool> live;
  std::vector<std::uint32_t> in_online;  // by key: live nodes listing it ONLINE
  std::uint64_t pairs_online = 0;        // ordered live pairs (a lists b ONLINE)
  std::uint32_t live_count = 0;
  std::vector<sample> samples;

  std::vector<chunk_event> chunks;
  std::vector<std::uint32_t> downloaders;

  std::uint32_t key(std::string_view text) {
    auto it = key_of_text.find(std::string(text));
    if (it != key_of_text.end()) return it->second;
    const auto k = static_cast<std::uint32_t>(key_text.size());
    key_of_text.emplace(std::string(text), k);
    key_text.emplace_back(text);
    node_of_key.push_back(none);
    in_online.push_back(0);
    return k;
  }

  void ensure_node(std::uint32_t n) {
    if (n == none || n < activity.size()) return;
    activity.resize(n + 1, 0);
    key_of_node.resize(n + 1, none);
    live.resize(n + 1, false);
    if (plot_enabled && n + 1 > options.max_plot_peers) {
      plot_enabled = false;
      status.clear();
      samples.clear();
    }
    if (plot_enabled) status.resize(n + 1);
  }

  exchange& ex(std::uint64_t id) {
    auto [it, fresh] = exchange_of_id.emplace(id, static_cast<std::uint32_t>(exchanges.size()));
    if (fresh) {
      exchanges.emplace_back();
      exchanges.back().id = id;
    }
    return exchanges[it->second];
  }

  std::array<std::uint32_t, type_count + 3>& bucket(std::int64_t t) {
    const auto b = static_cast<std::size_t>(t / bucket_ns);
    if (b >= buckets.size()) buckets.resize(b + 1, {});
    return buckets[b];
  }

  // -- convergence -------------------------------------------------------------------------------

  std::uint8_t& entry(std::uint32_t n, std::uint32_t k) {
    auto& row = status[n];
    if (k >= row.size()) row.resize(k + 1, 0);
    return row[k];
  }
  bool key_live(std::uint32_t k) const {
    const auto n = node_of_key[k];
    return n != none && n < live.size() && live[n];
  }
  void set_entry(std::uint32_t n, std::uint32_t k, std::uint8_t v) {
    std::uint8_t& e = entry(n, k);
    const bool was = e == 2;
    e = v;
    const bool is = v == 2;
    if (was == is || !live[n] || node_of_key[k] == n) return;
    if (is) {
      ++in_online[k];
      if (key_live(k)) ++pairs_online;
    } else {
      --in_online[k];
      if (key_live(k)) --pairs_online;
    }
  }
  void set_live(std::uint32_t n, bool on, bool clear_table) {
    if (live[n] != on) {
      const auto own = key_of_node[n];
      auto& row = status[n];
      if (on) {
        live[n] = true;
        ++live_count;
        for (std::uint32_t k = 0; k < row.size(); ++k) {
          if (row[k] != 2 || node_of_key[k] == n) continue;
          ++in_online[k];
          if (key_live(k)) ++pairs_online;
        }
        if (own != none) pairs_online += in_online[own];
      } else {
        if (own != none) pairs_online -= in_online[own];
        for (std::uint32_t k = 0; k < row.size(); ++k) {
          if (row[k] != 2 || node_of_key[k] == n) continue;
          --in_online[k];
          if (key_live(k)) --pairs_online;
        }
        live[n] = false;
        --live_count;
      }
    }
    if (clear_table) {
      if (live[n]) {
        for (std::uint32_t k = 0; k < status[n].size(); ++k) set_entry(n, k, 0);
      }
      status[n].clear();
    }
  }
  void sample_now(std::int64_t t) {
    const double pairs = static_cast<double>(live_count) * (live_count > 0 ? live_count - 1 : 0);
    const double frac = pairs > 0 ? static_cast<double>(pairs_online) / pairs : 0.0;
    if (!samples.empty()) {
      sample& last = samples.back();
      if (last.frac == frac && last.live == live_count) return;
      // Same interval: the last value wins, except that a full moment (1.0) is kept.
      if (last.t / sample_ns == t / sample_ns && last.frac != 1.0) {
        last = {t, frac, live_count};
        return;
      }
    }
    samples.push_back({t, frac, live_count});
  }

  // -- events ------------------------------------------------------------------------------------

  void on(const input& e) {
    using K = sim::trace_kind;
    t_end = std::max(t_end, e.t);
    ensure_node(e.node);
    bool table_changed = false;
    switch (e.kind) {
      case K::sent: {
        exchange& x = ex(e.id);
        x.req.t_send = e.t;
        x.req.from = e.node;
        x.req.to_key = e.peer;
        x.req.has_type = e.has_type;
        x.req.type = e.type;
        x.req.sender_clock = e.sender_clock;
        x.req.line = std::string(e.line.substr(0, max_line));
        ++activity[e.node];
        if (e.has_type) ++bucket(e.t)[static_cast<std::size_t>(e.type)];
        break;
      }
      case K::injected: {
        exchange& x = ex(e.id);
        x.injected = true;
        x.req.t_send = e.t;
        x.req.line = std::string(e.detail.substr(0, max_line));
        if (e.node < key_of_node.size()) x.req.to_key = key_of_node[e.node];
        break;
      }
      case K::delivered:
      case K::bad_input: {
        if (e.id == 0) break;
        exchange& x = ex(e.id);
        x.req.deliveries.push_back({e.t, e.node, 0, e.kind == K::bad_input});
        if (e.kind == K::delivered && !x.req.has_type) {
          x.req.has_type = e.has_type;
          x.req.type = e.type;
        }
        ++activity[e.node];
        break;
      }
      case K::received:
      case K::reply_received: {
        if (e.id == 0) break;
        leg& l = e.kind == K::received ? ex(e.id).req : ex(e.id).rep;
        for (auto it = l.deliveries.rbegin(); it != l.deliveries.rend(); ++it) {
          if (it->node == e.node && it->clock == 0) {
            it->clock = e.clock;
            break;
          }
        }
        break;
      }
      case K::reply_sent: {
        exchange& x = ex(e.id);
        x.rep.t_send = e.t;
        x.rep.from = e.node;
        x.rep.to_key = e.peer;
        x.rep.has_type = e.has_type;
        x.rep.type = e.type;
        x.rep.sender_clock = e.sender_clock;
        x.rep.line = std::string(e.line.substr(0, max_line));
        ++activity[e.node];
        if (e.has_type) ++bucket(e.t)[static_cast<std::size_t>(e.type)];
        break;
      }
      case K::reply_delivered:
      case K::bad_reply: {
        exchange& x = ex(e.id);
        x.rep.deliveries.push_back({e.t, e.node, 0, e.kind == K::bad_reply});
        ++activity[e.node];
        if (e.kind == K::reply_delivered && x.req.type == message_type::dl && x.req.has_type) {
          chunks.push_back({e.t, e.node, x.req.to_key, false});
        } else if (e.kind == K::bad_reply && x.req.type == message_type::dl) {
          chunks.push_back({e.t, e.node, x.req.to_key, true});
        }
        break;
      }
      case K::dropped:
      case K::partitioned: {
        exchange& x = ex(e.id);
        leg& l = e.value == 0 ? x.req : x.rep;
        (e.kind == K::dropped ? l.dropped : l.partitioned) = e.t;
        ++bucket(e.t)[type_count + (e.kind == K::dropped ? 0 : 1)];
        break;
      }
      case K::timed_out:
      case K::refused: {
        if (e.id == 0) break;
        exchange& x = ex(e.id);
        (e.kind == K::timed_out ? x.timed_out : x.refused) = e.t;
        if (e.kind == K::timed_out) ++bucket(e.t)[type_count + 2];
        if (x.req.has_type && x.req.type == message_type::dl && e.node != none) {
          chunks.push_back({e.t, e.node, x.req.to_key, true});
        }
        break;
      }
      case K::started:
      case K::restarted:
        if (e.peer != none && e.node != none) {
          key_of_node[e.node] = e.peer;
          if (node_of_key[e.peer] != e.node) {
            node_of_key[e.peer] = e.node;
            if (plot_enabled && live[e.node]) pairs_online += in_online[e.peer];
          }
        }
        add_marker(e.t, e.node, e.kind == K::started ? mark::started : mark::restarted);
        if (plot_enabled) {
          set_live(e.node, true, true);
          table_changed = true;
        }
        break;
      case K::crashed:
      case K::exit_ready:
        add_marker(e.t, e.node, e.kind == K::crashed ? mark::crashed : mark::exit_ready);
        if (plot_enabled) {
          set_live(e.node, false, e.kind == K::crashed);
          table_changed = true;
        }
        break;
      case K::paused:
      case K::resumed:
      case K::leaving:
        add_marker(e.t, e.node,
                   e.kind == K::paused ? mark::paused
                                       : (e.kind == K::resumed ? mark::resumed : mark::leaving));
        break;
      case K::download_started:
      case K::download_finished:
        add_marker(
            e.t, e.node,
            e.kind == K::download_started ? mark::download_started : mark::download_finished);
        if (e.kind == K::download_started &&
            std::find(downloaders.begin(), downloaders.end(), e.node) == downloaders.end()) {
          downloaders.push_back(e.node);
        }
        break;
      case K::peer_added:
      case K::peer_updated:
        if (plot_enabled && e.node != none && e.peer != none) {
          set_entry(e.node, e.peer, e.online ? 2 : 1);
          table_changed = true;
        }
        break;
      case K::partition:
        partitions.emplace_back(e.t, std::string(e.detail));
        break;
      case K::heal:
        heals.push_back(e.t);
        break;
      case K::converged:
        converged.push_back(e.t);
        break;
      case K::diverged:
        diverged.push_back(e.t);
        break;
      default:
        break;
    }
    if (table_changed) sample_now(e.t);
  }

  void add_marker(std::int64_t t, std::uint32_t n, mark m) {
    if (n != none && markers.size() < max_markers) markers.push_back({t, n, m});
  }

  // -- rendering (below) -------------------------------------------------------------------------
  std::string label(std::uint32_t n) const;
  std::string address(std::uint32_t n) const;
  std::uint32_t node_of(std::uint32_t key) const;
  std::size_t node_count() const { return activity.size(); }
  void arrows_of(const exchange& x, std::vector<arrow>& out) const;
  std::string section(const std::string& entry_json) const;
  std::string diagram(const diagram_spec& d) const;
  std::string convergence_plot() const;
  std::string rate_chart() const;
  std::string chunk_charts() const;
  std::string failing_window(const violation_info& v) const;
  std::vector<std::uint32_t> choose_lanes(const violation_info& v, std::string& note) const;
};

picture_collector::picture_collector(html_options options) : s_(std::make_unique<state>()) {
  s_->options = std::move(options);
}

picture_collector::~picture_collector() = default;

void picture_collector::set_peer_names(std::vector<std::string> names) {
  s_->names = std::move(names);
}

void picture_collector::add(const sim::trace_event& e, const address_book& book) {
  input in;
  in.t = e.time.count();
  in.kind = e.kind;
  in.node = e.node == sim::no_node ? none : e.node;
  if (e.peer != no_peer) {
    if (e.peer >= s_->key_of_book.size()) s_->key_of_book.resize(e.peer + 1, none);
    auto& k = s_->key_of_book[e.peer];
    if (k == none) k = s_->key(e.peer < book.size() ? book.name(e.peer) : std::to_string(e.peer));
    in.peer = k;
  }
  in.has_type = e.has_type;
  in.type = e.type;
  in.id = e.message_id;
  in.sender_clock = e.sender_clock;
  in.clock = e.clock;
  in.online = e.status == peer_status::online;
  in.value = e.value;
  in.has_error = e.error != 0;
  in.detail = e.detail;
  in.line = e.line;
  s_->on(in);
}

bool picture_collector::add_json_line(std::string_view line) {
  input in;
  bool has_kind = false;
  bool ok = true;
  std::string_view peer_text;
  std::string peer_copy;
  const bool parsed = parse_flat_object(
      line, s_->json_scratch,
      [&](const std::string& k, std::optional<std::uint64_t> v, std::string_view text) {
        if (k == "t_ns" && v) {
          in.t = static_cast<std::int64_t>(*v);
        } else if (k == "kind") {
          const auto& table = kinds_by_name();
          auto it = table.find(text);
          if (it == table.end()) {
            ok = false;
          } else {
            in.kind = it->second;
            has_kind = true;
          }
        } else if (k == "node" && v) {
          in.node = static_cast<std::uint32_t>(*v);
        } else if (k == "peer") {
          peer_copy = v ? std::to_string(*v) : std::string(text);
          peer_text = peer_copy;
        } else if (k == "type") {
          if (auto t = type_by_name(text)) {
            in.has_type = true;
            in.type = *t;
          }
        } else if (k == "id" && v) {
          in.id = *v;
        } else if (k == "sender_clock" && v) {
          in.sender_clock = *v;
        } else if (k == "clock" && v) {
          in.clock = *v;
        } else if (k == "status") {
          in.online = text == "ONLINE";
        } else if (k == "value" && v) {
          in.value = *v;
        } else if (k == "error") {
          in.has_error = true;
        } else if (k == "detail") {
          in.detail = text;
        } else if (k == "line") {
          in.line = text;
        }
      });
  if (!parsed || !ok || !has_kind) return false;
  if (!peer_text.empty()) in.peer = s_->key(peer_text);
  s_->on(in);
  return true;
}

// ------------------------------------------------------------------------------------------------
// Rendering
// ------------------------------------------------------------------------------------------------

std::string picture_collector::state::label(std::uint32_t n) const {
  if (n == none) return "outside";
  if (n < names.size() && !names[n].empty()) return names[n];
  if (n < key_of_node.size() && key_of_node[n] != none) return key_text[key_of_node[n]];
  return "node " + std::to_string(n);
}

std::string picture_collector::state::address(std::uint32_t n) const {
  if (n < key_of_node.size() && key_of_node[n] != none) return key_text[key_of_node[n]];
  return "";
}

std::uint32_t picture_collector::state::node_of(std::uint32_t key) const {
  return key == none || key >= node_of_key.size() ? none : node_of_key[key];
}

void picture_collector::state::arrows_of(const exchange& x, std::vector<arrow>& out) const {
  for (const bool reply : {false, true}) {
    const leg& l = reply ? x.rep : x.req;
    if (l.t_send == no_time) continue;
    const std::uint32_t from = !reply && x.injected ? none : l.from;
    const std::uint32_t to = node_of(l.to_key);
    for (const auto& d : l.deliveries) {
      out.push_back(
          {&x, &l, reply, from, d.node, l.t_send, d.t, arrow::fate::delivered, d.clock, d.bad});
    }
    if (l.dropped != no_time) {
      out.push_back({&x, &l, reply, from, to, l.t_send, l.dropped, arrow::fate::dropped, 0, false});
    }
    if (l.partitioned != no_time) {
      out.push_back({&x, &l, reply, from, to, l.t_send, l.partitioned, arrow::fate::cut, 0, false});
    }
  }
}

namespace {

// Node sets of a partition's detail: "0-4|5,7" -> {{0..4},{5,7}}; "0,1>3" -> {{0,1},{3}}.
std::vector<std::set<std::uint32_t>> partition_sides(const std::string& detail, bool& oneway) {
  std::vector<std::set<std::uint32_t>> sides(1);
  oneway = detail.find('>') != std::string::npos;
  std::size_t i = 0;
  while (i < detail.size()) {
    const char c = detail[i];
    if (c == '|' || c == '>') {
      sides.emplace_back();
      ++i;
      continue;
    }
    if (c == ',') {
      ++i;
      continue;
    }
    std::uint32_t a = 0;
    std::size_t j = i;
    while (j < detail.size() && detail[j] >= '0' && detail[j] <= '9') {
      a = a * 10 + static_cast<std::uint32_t>(detail[j] - '0');
      ++j;
    }
    if (j == i) return {};
    std::uint32_t b = a;
    if (j < detail.size() && detail[j] == '-') {
      std::size_t k = j + 1;
      b = 0;
      while (k < detail.size() && detail[k] >= '0' && detail[k] <= '9') {
        b = b * 10 + static_cast<std::uint32_t>(detail[k] - '0');
        ++k;
      }
      j = k;
    }
    for (std::uint32_t n = a; n <= b && n - a < 1'000'000; ++n) sides.back().insert(n);
    i = j;
  }
  return sides;
}

const char* const side_colour[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};

// Maps virtual times to rows: every distinct time gets a row, idle gaps are compressed on a log
// scale, so bursts stay readable next to seconds of quiet.
class time_rows {
 public:
  // `extra`: rows of more than one event on a lane at one instant get this many more sub-rows.
  time_rows(std::vector<std::int64_t> ts, double top,
            const std::map<std::int64_t, std::uint32_t>& extra = {}) {
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    double y = top;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      if (i > 0) {
        const double dt_ms = static_cast<double>(ts[i] - ts[i - 1]) / 1e6;
        y += 7 + std::min(26.0, 9 * std::log10(1 + dt_ms));
        auto it = extra.find(ts[i - 1]);
        if (it != extra.end()) y += sub_row * it->second;
      }
      t_.push_back(ts[i]);
      y_.push_back(y);
    }
    bottom_ = y;
  }
  double y(std::int64_t t) const {
    if (t_.empty()) return bottom_;
    auto it = std::lower_bound(t_.begin(), t_.end(), t);
    if (it == t_.end()) return y_.back();
    const auto i = static_cast<std::size_t>(it - t_.begin());
    if (*it == t || i == 0) return y_[i];
    const double f = static_cast<double>(t - t_[i - 1]) / static_cast<double>(t_[i] - t_[i - 1]);
    return y_[i - 1] + f * (y_[i] - y_[i - 1]);
  }
  double bottom() const { return bottom_ + 40; }
  static constexpr double sub_row = 9;
  const std::vector<std::int64_t>& times() const { return t_; }
  const std::vector<double>& ys() const { return y_; }

 private:
  std::vector<std::int64_t> t_;
  std::vector<double> y_;
  double bottom_ = 0;
};

std::string json_line(std::int64_t t, const char* kind, std::uint32_t node, const std::string& peer,
                      const leg& l, std::uint64_t id, std::uint64_t clock) {
  std::string out = "{\"t_ns\":" + std::to_string(t) + ",\"kind\":\"" + kind + "\"";
  if (node != none) out += ",\"node\":" + std::to_string(node);
  if (!peer.empty()) out += ",\"peer\":\"" + peer + "\"";
  if (l.has_type) out += ",\"type\":\"" + std::string(to_string(l.type)) + "\"";
  out += ",\"id\":" + std::to_string(id);
  if (l.sender_clock != 0) out += ",\"sender_clock\":" + std::to_string(l.sender_clock);
  if (clock != 0) out += ",\"clock\":" + std::to_string(clock);
  out += "}";
  return out;
}

}  // namespace

std::string picture_collector::state::diagram(const diagram_spec& d) const {
  constexpr double lane_w = 110;
  constexpr double left = 86;
  constexpr double top = 56;
  std::map<std::uint32_t, double> lane_x;
  for (std::size_t i = 0; i < d.lanes.size(); ++i) {
    lane_x[d.lanes[i]] = left + static_cast<double>(i) * lane_w + lane_w / 2;
  }
  auto in_range = [&](std::int64_t t) { return t >= d.t_from && t <= d.t_to; };

  std::vector<std::int64_t> ts{d.t_from, d.t_to};
  for (const auto& a : d.arrows) {
    ts.push_back(a.t0);
    ts.push_back(a.t1);
  }
  for (const auto& m : markers) {
    if (lane_x.count(m.node) && in_range(m.t)) ts.push_back(m.t);
  }
  for (const auto& x : exchanges) {
    if (x.timed_out != no_time && in_range(x.timed_out) && lane_x.count(x.req.from)) {
      ts.push_back(x.timed_out);
    }
  }
  for (const auto& p : partitions) {
    if (in_range(p.first)) ts.push_back(p.first);
  }
  for (auto h : heals) {
    if (in_range(h)) ts.push_back(h);
  }
  // Several sends (or receives) on one lane at one instant: each gets its own sub-row, in trace
  // order, so simultaneous arrows do not overlap.
  std::map<std::pair<std::int64_t, std::uint32_t>, std::uint32_t> used;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> rank(d.arrows.size());
  std::map<std::int64_t, std::uint32_t> extra;
  for (std::size_t i = 0; i < d.arrows.size(); ++i) {
    const auto& a = d.arrows[i];
    const std::uint32_t r0 = used[{a.t0, a.from}]++;
    const std::uint32_t r1 = a.how == arrow::fate::delivered ? used[{a.t1, a.to}]++ : r0;
    rank[i] = {r0, r1};
    extra[a.t0] = std::max(extra[a.t0], r0);
    extra[a.t1] = std::max(extra[a.t1], r1);
  }
  const time_rows rows(ts, top + 10, extra);
  const double height = rows.bottom();
  const double width = left + static_cast<double>(d.lanes.size()) * lane_w + 30;

  std::size_t delivered = 0, dropped = 0, cut = 0;
  for (const auto& a : d.arrows) {
    (a.how == arrow::fate::delivered ? delivered : a.how == arrow::fate::dropped ? dropped : cut)++;
  }
  std::string o;
  o.reserve(d.arrows.size() * 420 + 4096);
  o += "<svg class=\"" + d.css_class + "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
       num(width, 0) + "\" height=\"" + num(height, 0) + "\" data-lanes=\"" +
       std::to_string(d.lanes.size()) + "\" data-arrows=\"" + std::to_string(d.arrows.size()) +
       "\" data-delivered=\"" + std::to_string(delivered) + "\" data-dropped=\"" +
       std::to_string(dropped) + "\" data-partitioned=\"" + std::to_string(cut) + "\">\n";

  // Partitions: each side's lanes tinted from the cut to the next heal.
  for (const auto& [tp, detail] : partitions) {
    auto heal = std::lower_bound(heals.begin(), heals.end(), tp);
    const std::int64_t end = heal == heals.end() ? d.t_to : *heal;
    if (end < d.t_from || tp > d.t_to) continue;
    const double y0 = rows.y(std::max(tp, d.t_from));
    const double y1 = rows.y(std::min(end, d.t_to));
    bool oneway = false;
    const auto sides = partition_sides(detail, oneway);
    o += "<g class=\"partition\"><title>partition " + esc(detail) + " from " + secs(tp) +
         (heal == heals.end() ? std::string(", never healed") : " to " + secs(end)) + "</title>";
    if (sides.size() < 2) {
      o += "<rect x=\"" + num(left, 0) + "\" y=\"" + num(y0) + "\" width=\"" +
           num(width - left - 20, 0) + "\" height=\"" + num(std::max(1.0, y1 - y0)) +
           "\" fill=\"#999\" opacity=\"0.15\"/>";
    }
    for (std::size_t s = 0; s < sides.size() && sides.size() >= 2; ++s) {
      for (auto n : sides[s]) {
        auto it = lane_x.find(n);
        if (it == lane_x.end()) continue;
        o += "<rect x=\"" + num(it->second - lane_w / 2 + 4) + "\" y=\"" + num(y0) + "\" width=\"" +
             num(lane_w - 8) + "\" height=\"" + num(std::max(1.0, y1 - y0)) + "\" fill=\"" +
             side_colour[s % 4] + "\" opacity=\"0.13\"/>";
      }
    }
    o += "<text x=\"" + num(left - 4) + "\" y=\"" + num(y0 + 10) +
         "\" class=\"note\" text-anchor=\"end\">partition" + (oneway ? " (one-way)" : "") +
         "</text></g>\n";
  }

  // Time axis: a label whenever there is room.
  double last_label = -1e9;
  for (std::size_t i = 0; i < rows.times().size(); ++i) {
    const double y = rows.ys()[i];
    if (y - last_label < 36) continue;
    last_label = y;
    o += "<text class=\"tick\" x=\"6\" y=\"" + num(y + 3) + "\">" + secs(rows.times()[i]) +
         "</text><line class=\"grid\" x1=\"" + num(left - 6, 0) + "\" x2=\"" + num(width - 20, 0) +
         "\" y1=\"" + num(y) + "\" y2=\"" + num(y) + "\"/>\n";
  }

  // Lanes.
  for (auto n : d.lanes) {
    const double x = lane_x[n];
    o += "<g class=\"lane\" data-node=\"" + std::to_string(n) + "\"><title>" + esc(label(n)) +
         " (node " + std::to_string(n) + ", " + esc(address(n)) + ")</title><text x=\"" + num(x) +
         "\" y=\"" + num(top - 22) + "\" text-anchor=\"middle\" class=\"lanename\">" +
         esc(label(n)) + "</text><line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" +
         num(top - 12) + "\" y2=\"" + num(height - 20) + "\"/></g>\n";
  }

  // Arrows.
  for (std::size_t i = 0; i < d.arrows.size(); ++i) {
    const auto& a = d.arrows[i];
    const double x0 = a.from == none ? left - 20 : lane_x[a.from];
    const auto to_it = lane_x.find(a.to);
    const double xt = to_it == lane_x.end() ? x0 + 40 : to_it->second;
    const double y0 = rows.y(a.t0) + time_rows::sub_row * rank[i].first;
    double x1 = xt;
    double y1 = rows.y(a.t1) + time_rows::sub_row * rank[i].second;
    if (a.how != arrow::fate::delivered) {
      x1 = x0 + (xt - x0) * 0.45;
      y1 = y0 + 14;
    }
    const bool hi = d.highlight_id != 0 && a.x->id == d.highlight_id &&
                    (d.highlight_node == none || a.to == d.highlight_node);
    const std::string type = type_name(a.l->has_type, a.l->type);
    const std::string colour =
        hi ? "#d62728"
           : (a.l->has_type ? type_colour[static_cast<std::size_t>(a.l->type)] : "#555");
    std::string title = type + " (id " + std::to_string(a.x->id) + (a.reply ? ", reply" : "") +
                        ") " + label(a.from) + " -> " + label(a.to) + "\nsent at " + secs(a.t0) +
                        " with clock " + std::to_string(a.l->sender_clock);
    if (a.how == arrow::fate::delivered) {
      title += "\nreceived at " + secs(a.t1) +
               (a.recv_clock ? ", clock after " + std::to_string(a.recv_clock) : std::string()) +
               (a.bad ? " (did not decode)" : "");
    } else {
      title += a.how == arrow::fate::dropped ? "\ndropped" : "\ncut by a partition";
    }
    if (!a.l->line.empty()) title += "\nline: " + a.l->line;
    o += "<g class=\"msg " + std::string(fate_name(a.how)) + (hi ? " violation" : "") +
         "\" data-id=\"" + std::to_string(a.x->id) + "\" data-leg=\"" +
         (a.reply ? "reply" : "request") + "\" data-line=\"" + esc(a.l->line) + "\"><title>" +
         esc(title) + "</title>";
    o += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(x1) + "\" y2=\"" +
         num(y1) + "\" stroke=\"" + colour + "\" stroke-width=\"" + (hi ? "3" : "1.3") + "\"";
    if (a.how == arrow::fate::delivered) o += " marker-end=\"url(#ah)\"";
    if (a.how == arrow::fate::cut) o += " stroke-dasharray=\"4 3\"";
    if (a.reply && a.how == arrow::fate::delivered) o += " stroke-opacity=\"0.75\"";
    o += "/>";
    if (a.how == arrow::fate::dropped) {
      o += "<path d=\"M" + num(x1 - 4) + " " + num(y1 - 4) + "L" + num(x1 + 4) + " " + num(y1 + 4) +
           "M" + num(x1 - 4) + " " + num(y1 + 4) + "L" + num(x1 + 4) + " " + num(y1 - 4) +
           "\" stroke=\"#d62728\" stroke-width=\"2\"/>";
    } else if (a.how == arrow::fate::cut) {
      o += "<path d=\"M" + num(x1) + " " + num(y1 - 6) + "L" + num(x1) + " " + num(y1 + 6) +
           "\" stroke=\"#f28e2b\" stroke-width=\"3\"/>";
    }
    if (d.labels) {
      const double lx = x0 + (x1 - x0) * 0.18;
      const double ly = y0 + (y1 - y0) * 0.18 - 2;
      o += "<text class=\"al\" x=\"" + num(lx) + "\" y=\"" + num(ly) + "\">" + esc(type) + " " +
           std::to_string(a.l->sender_clock) + "</text>";
      if (a.how == arrow::fate::delivered && a.recv_clock != 0) {
        o += "<text class=\"rc\" x=\"" + num(x1 + (x1 >= x0 ? 5 : -5)) + "\" y=\"" + num(y1 + 4) +
             "\" text-anchor=\"" + (x1 >= x0 ? "start" : "end") + "\">" +
             std::to_string(a.recv_clock) + "</text>";
      }
    }
    o += "</g>\n";
  }

  // Timeouts at the requester.
  for (const auto& x : exchanges) {
    if (x.timed_out == no_time || !in_range(x.timed_out)) continue;
    auto it = lane_x.find(x.req.from);
    if (it == lane_x.end()) continue;
    const double y = rows.y(x.timed_out);
    o += "<g class=\"timeout\" data-id=\"" + std::to_string(x.id) + "\"><title>" +
         esc(type_name(x.req.has_type, x.req.type)) + " (id " + std::to_string(x.id) + ") to " +
         esc(key_text.size() > x.req.to_key ? key_text[x.req.to_key] : "?") + " timed out at " +
         secs(x.timed_out) + "</title><circle cx=\"" + num(it->second) + "\" cy=\"" + num(y) +
         "\" r=\"5\" fill=\"#fff\" stroke=\"#000\"/><path d=\"M" + num(it->second) + " " +
         num(y - 3) + "V" + num(y) + "H" + num(it->second + 3) +
         "\" stroke=\"#000\" fill=\"none\"/></g>\n";
  }

  // Crash, restart, pause, bye, ... on their lanes.
  for (const auto& m : markers) {
    auto it = lane_x.find(m.node);
    if (it == lane_x.end() || !in_range(m.t)) continue;
    const double x = it->second;
    const double y = rows.y(m.t);
    const char* colour = m.what == mark::crashed                                ? "#d62728"
                         : m.what == mark::restarted || m.what == mark::started ? "#2ca02c"
                                                                                : "#333";
    std::string name = mark_name(m.what);
    o += "<g class=\"mark " + std::string(name == "download started" ? "dl" : name) +
         "\" data-node=\"" + std::to_string(m.node) + "\"><title>" + esc(label(m.node)) + " " +
         name + " at " + secs(m.t) + "</title><rect x=\"" + num(x - 5) + "\" y=\"" + num(y - 5) +
         "\" width=\"10\" height=\"10\" fill=\"" + colour + "\"/><text class=\"mk\" x=\"" +
         num(x + 8) + "\" y=\"" + num(y + 4) + "\" fill=\"" + colour + "\">" + esc(name) +
         "</text></g>\n";
  }

  if (d.highlight_node != none && d.highlight_t != no_time) {
    auto it = lane_x.find(d.highlight_node);
    if (it != lane_x.end()) {
      // data-node and data-t-ms name the place, so a test can compare it with the JSON report.
      o += "<circle class=\"violation-mark\" data-node=\"" + std::to_string(d.highlight_node) +
           "\" data-t-ms=\"" + num(static_cast<double>(d.highlight_t) / 1e6, 3) + "\" cx=\"" +
           num(it->second) + "\" cy=\"" + num(rows.y(d.highlight_t)) +
           "\" r=\"11\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"3\"/>\n";
    }
  }
  o += "</svg>\n";
  return o;
}

std::vector<std::uint32_t> picture_collector::state::choose_lanes(const violation_info& v,
                                                                  std::string& note) const {
  const std::size_t n = node_count();
  std::vector<std::uint32_t> lanes;
  auto add = [&](std::uint32_t x) {
    if (x < n && std::find(lanes.begin(), lanes.end(), x) == lanes.end()) lanes.push_back(x);
  };
  if (!options.diagram_peers.empty()) {
    for (const auto& want : options.diagram_peers) {
      bool found = false;
      for (std::uint32_t x = 0; x < n; ++x) {
        if (label(x) == want || address(x) == want) {
          add(x);
          found = true;
        }
      }
      if (!found) note += "--diagram-peers: no peer '" + want + "' in this scenario. ";
    }
  } else if (n <= options.max_lanes) {
    for (std::uint32_t x = 0; x < n; ++x) add(x);
  } else {
    for (auto x : v.nodes) add(x);
    std::vector<std::uint32_t> by_activity(n);
    for (std::uint32_t x = 0; x < n; ++x) by_activity[x] = x;
    std::stable_sort(by_activity.begin(), by_activity.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return activity[a] > activity[b]; });
    for (auto x : by_activity) {
      if (lanes.size() >= options.max_lanes) break;
      add(x);
    }
    note += std::to_string(lanes.size()) + " of " + std::to_string(n) +
            " peers shown (the first violation's, then the busiest; --diagram-peers chooses). ";
  }
  std::sort(lanes.begin(), lanes.end());
  return lanes;
}

std::string picture_collector::state::failing_window(const violation_info& v) const {
  std::string o;
  if (v.nodes.empty() || v.t == no_time) {
    return "<p class=\"note\">This violation names no single event (see the convergence plot "
           "below).</p>\n";
  }
  const std::uint32_t at = v.nodes.front();
  std::int64_t anchor_t = v.t;
  const arrow* anchor = nullptr;
  std::vector<arrow> all;
  for (const auto& x : exchanges) arrows_of(x, all);
  std::sort(all.begin(), all.end(), [](const arrow& a, const arrow& b) {
    return std::tie(a.t1, a.t0) > std::tie(b.t1, b.t0);
  });
  if (v.message_id != 0) {
    for (const auto& a : all) {
      if (a.x->id == v.message_id && a.to == at && a.how == arrow::fate::delivered && a.t1 <= v.t) {
        anchor = &a;
        anchor_t = a.t1;
        break;
      }
    }
  }
  // The causal past of (at, anchor_t): walking deliveries from the latest back, a delivery to a
  // node before that node's horizon is in it, and moves its sender's horizon to the send.
  std::map<std::uint32_t, std::int64_t> horizon{{at, anchor_t}};
  std::vector<const arrow*> picked;
  if (anchor) {
    picked.push_back(anchor);
    if (anchor->from != none) horizon[anchor->from] = anchor->t0;
  }
  for (const auto& a : all) {
    if (picked.size() >= window_legs) break;
    if (&a == anchor || a.how != arrow::fate::delivered || a.to == none) continue;
    auto h = horizon.find(a.to);
    if (h == horizon.end() || a.t1 > h->second) continue;
    if (a.t1 == anchor_t && a.to == at && anchor) continue;  // same instant, after the anchor
    picked.push_back(&a);
    if (a.from != none) {
      auto& f = horizon.try_emplace(a.from, a.t0).first->second;
      f = std::max(f, a.t0);
    }
  }
  // The sends of these nodes before their horizons happened before too (whatever became of the
  // line: received later, dropped, cut): latest first, up to the same bound.
  std::vector<const arrow*> sends;
  for (const auto& a : all) {
    if (a.from == none) continue;
    auto h = horizon.find(a.from);
    if (h == horizon.end() || a.t0 > h->second) continue;
    if (std::find(picked.begin(), picked.end(), &a) != picked.end()) continue;
    sends.push_back(&a);
  }
  std::stable_sort(sends.begin(), sends.end(),
                   [](const arrow* a, const arrow* b) { return a->t0 > b->t0; });
  for (const auto* a : sends) {
    if (picked.size() >= 2 * window_legs) break;
    picked.push_back(a);
  }
  std::int64_t t_from = anchor_t;
  for (const auto* a : picked) t_from = std::min(t_from, a->t0);
  diagram_spec d;
  d.css_class = "window";
  std::set<std::uint32_t> lanes;
  for (const auto& [n, t] : horizon) lanes.insert(n);
  for (auto n : v.nodes) lanes.insert(n);
  for (const auto* a : picked) {
    if (a->from != none) lanes.insert(a->from);
    if (a->to != none) lanes.insert(a->to);
  }
  d.lanes.assign(lanes.begin(), lanes.end());
  for (const auto* a : picked) d.arrows.push_back(*a);
  std::sort(d.arrows.begin(), d.arrows.end(), [](const arrow& a, const arrow& b) {
    return std::tie(a.t0, a.t1) < std::tie(b.t0, b.t1);
  });
  d.t_from = t_from;
  d.t_to = anchor_t;
  for (const auto* a : picked) d.t_to = std::max(d.t_to, a->t1);
  d.highlight_id = v.message_id;
  d.highlight_node = at;
  d.highlight_t = anchor_t;
  o += "<p>The first violation (" + esc(v.check) + ") at " + secs(anchor_t) + " on " +
       esc(label(at)) + ", with the " + std::to_string(picked.size()) +
       " message legs whose send happens before it (deliveries into its causal past, latest "
       "first, at most " +
       std::to_string(window_legs) + ", then the sends of the peers involved) from " +
       secs(t_from) + ". The violating event is circled in red.</p>\n";
  o += diagram(d);
  // The same events as trace lines.
  std::vector<std::pair<std::int64_t, std::string>> lines;
  for (const auto& a : d.arrows) {
    const bool hi = anchor && a.x == anchor->x && a.reply == anchor->reply &&
                    a.how == arrow::fate::delivered && a.to == at;
    lines.emplace_back(
        a.t0, json_line(a.t0, a.reply ? "reply_sent" : (a.from == none ? "injected" : "sent"),
                        a.from, address(a.to), *a.l, a.x->id, 0));
    if (a.how == arrow::fate::delivered) {
      lines.emplace_back(a.t1, json_line(a.t1, a.reply ? "reply_received" : "received", a.to,
                                         address(a.from), *a.l, a.x->id, a.recv_clock) +
                                   (hi ? "   <-- the first violation" : ""));
    } else {
      lines.emplace_back(
          a.t1, json_line(a.t1, a.how == arrow::fate::dropped ? "dropped" : "partitioned", a.from,
                          address(a.to), *a.l, a.x->id, 0));
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  o += "<pre class=\"lines\">";
  // Element text: quotes stay as they are, so the lines copy out as the trace's JSON.
  for (const auto& [t, l] : lines) o += esc(l) + "\n";
  o += esc("at " + secs(v.t) + ": " + v.text) + "\n</pre>\n";
  return o;
}

std::string picture_collector::state::convergence_plot() const {
  if (!plot_enabled) {
    return "<p class=\"note\">Convergence plot not drawn: more than " +
           std::to_string(options.max_plot_peers) + " peers.</p>\n";
  }
  if (samples.empty()) return "<p class=\"note\">No peer-table events.</p>\n";
  constexpr double w = 760, h = 230, l = 50, r = 20, t = 14, b = 34;
  const std::int64_t end_ns = std::max(t_end, shown_end);
  const double span = static_cast<double>(std::max<std::int64_t>(end_ns, 1));
  auto X = [&](std::int64_t ns) { return l + (w - l - r) * static_cast<double>(ns) / span; };
  auto Y = [&](double f) { return t + (h - t - b) * (1 - f); };
  // At most ~1500 points drawn; the moments at 1.0 are always kept.
  const std::size_t stride = samples.size() / 1500 + 1;
  std::vector<const sample*> pts;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    if (i % stride == 0 || samples[i].frac == 1.0 || i + 1 == samples.size()) {
      pts.push_back(&samples[i]);
    }
  }
  std::string o = "<svg class=\"convergence\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
                  num(w, 0) + "\" height=\"" + num(h, 0) + "\" data-points=\"" +
                  std::to_string(pts.size()) + "\">\n";
  // Partitions, heals, crashes, convergence moments.
  for (const auto& [tp, detail] : partitions) {
    auto heal = std::lower_bound(heals.begin(), heals.end(), tp);
    const std::int64_t end = heal == heals.end() ? end_ns : *heal;
    o += "<rect class=\"mark partition\" data-t-ms=\"" + ms_text(tp) + "\" x=\"" + num(X(tp)) +
         "\" y=\"" + num(t) + "\" width=\"" + num(std::max(1.0, X(end) - X(tp))) + "\" height=\"" +
         num(h - t - b) + "\" fill=\"#f28e2b\" opacity=\"0.12\"><title>partition " + esc(detail) +
         " at " + secs(tp) + "</title></rect>\n";
  }
  auto vline = [&](const char* cls, std::int64_t ns, const char* colour, const std::string& what) {
    o += "<line class=\"mark " + std::string(cls) + "\" data-t-ms=\"" + ms_text(ns) + "\" x1=\"" +
         num(X(ns)) + "\" x2=\"" + num(X(ns)) + "\" y1=\"" + num(t) + "\" y2=\"" + num(h - b) +
         "\" stroke=\"" + colour + "\" stroke-dasharray=\"3 3\"><title>" + esc(what) + " at " +
         secs(ns) + "</title></line>\n";
  };
  for (auto hl : heals) vline("heal", hl, "#2ca02c", "heal");
  std::size_t crashes = 0;
  for (const auto& m : markers) {
    if (m.what == mark::crashed && crashes++ < 200)
      vline("crash", m.t, "#d62728", label(m.node) + " crashed");
  }
  for (auto c : converged)
    vline("converged", c, "#1f77b4", "converged (every live peer lists every other ONLINE)");
  // Axes.
  o += "<line x1=\"" + num(l) + "\" x2=\"" + num(w - r) + "\" y1=\"" + num(h - b) + "\" y2=\"" +
       num(h - b) + "\" stroke=\"#000\"/><line x1=\"" + num(l) + "\" x2=\"" + num(l) + "\" y1=\"" +
       num(t) + "\" y2=\"" + num(h - b) + "\" stroke=\"#000\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double f = i / 4.0;
    o += "<text class=\"tick\" x=\"" + num(l - 6) + "\" y=\"" + num(Y(f) + 4) +
         "\" text-anchor=\"end\">" + num(f, 2) + "</text>";
    const auto ns = static_cast<std::int64_t>(span * f);
    o += "<text class=\"tick\" x=\"" + num(X(ns)) + "\" y=\"" + num(h - b + 16) +
         "\" text-anchor=\"middle\">" + secs(ns) + "</text>";
  }
  o += "<text class=\"tick\" x=\"" + num(l) + "\" y=\"" + num(h - 4) +
       "\">fraction of ordered pairs of live peers in which one lists the other ONLINE, over "
       "virtual time</text>\n";
  // The curve (a step: the value holds until the next sample) and its points.
  std::string path;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double x = X(pts[i]->t);
    const double y = Y(pts[i]->frac);
    if (i == 0) {
      path += "M" + num(x) + " " + num(y);
    } else {
      path += "H" + num(x) + "V" + num(y);
    }
  }
  path += "H" + num(X(end_ns));
  o += "<path class=\"curve\" d=\"" + path +
       "\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\"/>\n";
  for (const auto* p : pts) {
    o += "<circle class=\"pt\" data-t-ms=\"" + ms_text(p->t) + "\" data-frac=\"" + num(p->frac, 4) +
         "\" data-live=\"" + std::to_string(p->live) + "\" cx=\"" + num(X(p->t)) + "\" cy=\"" +
         num(Y(p->frac)) + "\" r=\"1.6\" fill=\"#1f77b4\"/>";
  }
  o += "\n</svg>\n";
  return o;
}

std::string picture_collector::state::rate_chart() const {
  if (buckets.empty()) return "<p class=\"note\">No messages.</p>\n";
  const std::size_t n_buckets = std::max(
      buckets.size(), static_cast<std::size_t>(std::max<std::int64_t>(shown_end, 0) / bucket_ns));
  const std::size_t per_bar = n_buckets / 60 + 1;
  const std::size_t bars = (n_buckets + per_bar - 1) / per_bar;
  std::vector<std::array<std::uint64_t, type_count + 3>> sum(bars);
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    for (std::size_t k = 0; k < type_count + 3; ++k) sum[i / per_bar][k] += buckets[i][k];
  }
  std::uint64_t top = 1;
  for (const auto& b : sum) {
    std::uint64_t sends = 0;
    for (std::size_t k = 0; k < type_count; ++k) sends += b[k];
    top = std::max({top, sends, b[type_count], b[type_count + 1], b[type_count + 2]});
  }
  constexpr double w = 760, h = 220, l = 50, r = 20, t = 14, b = 34;
  const double slot = (w - l - r) / static_cast<double>(bars);
  auto Y = [&](double v) { return t + (h - t - b) * (1 - v / static_cast<double>(top)); };
  const std::int64_t interval = bucket_ns * static_cast<std::int64_t>(per_bar);
  std::string o = "<svg class=\"rate\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(w, 0) +
                  "\" height=\"" + num(h + 24, 0) + "\" data-interval-ms=\"" + ms_text(interval) +
                  "\">\n";
  for (std::size_t i = 0; i < bars; ++i) {
    const double x = l + slot * static_cast<double>(i);
    double base = 0;
    const auto t0 = interval * static_cast<std::int64_t>(i);
    for (std::size_t k = 0; k < type_count; ++k) {
      if (sum[i][k] == 0) continue;
      const double v = static_cast<double>(sum[i][k]);
      o += "<rect x=\"" + num(x) + "\" y=\"" + num(Y(base + v)) + "\" width=\"" +
           num(std::max(1.0, slot * 0.6)) + "\" height=\"" + num(Y(base) - Y(base + v)) +
           "\" fill=\"" + type_colour[k] + "\"><title>" + std::string(to_string(all_types[k])) +
           ": " + std::to_string(sum[i][k]) + " sent in " + secs(t0) + " .. " +
           secs(t0 + interval) + "</title></rect>";
      base += v;
    }
    const char* extra_colour[3] = {"#d62728", "#f28e2b", "#000"};
    const char* extra_name[3] = {"dropped", "cut by a partition", "timed out"};
    for (std::size_t k = 0; k < 3; ++k) {
      const auto v = sum[i][type_count + k];
      if (v == 0) continue;
      const double bx = x + slot * 0.6 + slot * 0.12 * static_cast<double>(k);
      o += "<rect class=\"" +
           std::string(k == 0   ? "drops"
                       : k == 1 ? "cuts"
                                : "timeouts") +
           "\" x=\"" + num(bx) + "\" y=\"" + num(Y(static_cast<double>(v))) + "\" width=\"" +
           num(std::max(1.0, slot * 0.12)) + "\" height=\"" +
           num(Y(0) - Y(static_cast<double>(v))) + "\" fill=\"" + extra_colour[k] + "\"><title>" +
           extra_name[k] + ": " + std::to_string(v) + " in " + secs(t0) + " .. " +
           secs(t0 + interval) + "</title></rect>";
    }
    o += "\n";
  }
  o += "<line x1=\"" + num(l) + "\" x2=\"" + num(w - r) + "\" y1=\"" + num(h - b) + "\" y2=\"" +
       num(h - b) + "\" stroke=\"#000\"/>";
  o += "<text class=\"tick\" x=\"" + num(l - 6) + "\" y=\"" + num(Y(static_cast<double>(top)) + 4) +
       "\" text-anchor=\"end\">" + std::to_string(top) + "</text><text class=\"tick\" x=\"" +
       num(l - 6) + "\" y=\"" + num(Y(0) + 4) + "\" text-anchor=\"end\">0</text>";
  for (int i = 0; i <= 4; ++i) {
    const auto ns = static_cast<std::int64_t>(static_cast<double>(interval) *
                                              static_cast<double>(bars) * i / 4.0);
    o += "<text class=\"tick\" x=\"" + num(l + (w - l - r) * i / 4.0) + "\" y=\"" +
         num(h - b + 16) + "\" text-anchor=\"middle\">" + secs(ns) + "</text>";
  }
  // Legend.
  double lx = l;
  for (std::size_t k = 0; k < type_count; ++k) {
    o += "<rect x=\"" + num(lx) + "\" y=\"" + num(h + 4) + "\" width=\"10\" height=\"10\" fill=\"" +
         type_colour[k] + "\"/><text class=\"tick\" x=\"" + num(lx + 13) + "\" y=\"" + num(h + 13) +
         "\">" + std::string(to_string(all_types[k])) + "</text>";
    lx += 13 + 8.0 * static_cast<double>(to_string(all_types[k]).size()) + 10;
  }
  o += "<rect x=\"" + num(lx) + "\" y=\"" + num(h + 4) +
       "\" width=\"10\" height=\"10\" fill=\"#d62728\"/><text class=\"tick\" x=\"" + num(lx + 13) +
       "\" y=\"" + num(h + 13) + "\">dropped</text>";
  lx += 80;
  o += "<rect x=\"" + num(lx) + "\" y=\"" + num(h + 4) +
       "\" width=\"10\" height=\"10\" fill=\"#f28e2b\"/><text class=\"tick\" x=\"" + num(lx + 13) +
       "\" y=\"" + num(h + 13) + "\">cut</text>";
  lx += 50;
  o += "<rect x=\"" + num(lx) + "\" y=\"" + num(h + 4) +
       "\" width=\"10\" height=\"10\" fill=\"#000\"/><text class=\"tick\" x=\"" + num(lx + 13) +
       "\" y=\"" + num(h + 13) + "\">timed out</text>\n</svg>\n";
  return o;
}

std::string picture_collector::state::chunk_charts() const {
  std::string o;
  for (auto n : downloaders) {
    std::vector<const chunk_event*> mine;
    for (const auto& c : chunks) {
      if (c.node == n) mine.push_back(&c);
    }
    if (mine.empty()) continue;
    std::vector<std::uint32_t> holders;
    for (const auto* c : mine) {
      if (std::find(holders.begin(), holders.end(), c->holder_key) == holders.end()) {
        holders.push_back(c->holder_key);
      }
    }
    std::int64_t t0 = mine.front()->t, t1 = mine.front()->t;
    for (const auto& m : markers) {
      if (m.node == n && (m.what == mark::download_started || m.what == mark::download_finished)) {
        t0 = std::min(t0, m.t);
        t1 = std::max(t1, m.t);
      }
    }
    for (const auto* c : mine) {
      t0 = std::min(t0, c->t);
      t1 = std::max(t1, c->t);
    }
    std::size_t most = 1;
    std::vector<std::size_t> count(holders.size(), 0);
    for (const auto* c : mine) {
      if (c->retry) continue;
      const auto h = static_cast<std::size_t>(
          std::find(holders.begin(), holders.end(), c->holder_key) - holders.begin());
      most = std::max(most, ++count[h]);
    }
    constexpr double w = 760, h = 200, l = 50, r = 20, t = 14, b = 34;
    const double span = static_cast<double>(std::max<std::int64_t>(t1 - t0, 1));
    auto X = [&](std::int64_t ns) { return l + (w - l - r) * static_cast<double>(ns - t0) / span; };
    auto Y = [&](double v) { return t + (h - t - b) * (1 - v / static_cast<double>(most)); };
    o += "<h4>" + esc(label(n)) + ": chunks received per holder</h4>\n";
    o += "<svg class=\"chunks\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(w, 0) +
         "\" height=\"" + num(h + 24, 0) + "\" data-node=\"" + std::to_string(n) + "\">\n";
    std::fill(count.begin(), count.end(), 0);
    std::vector<std::string> paths(holders.size());
    for (std::size_t i = 0; i < holders.size(); ++i) paths[i] = "M" + num(X(t0)) + " " + num(Y(0));
    for (const auto* c : mine) {
      const auto hi = static_cast<std::size_t>(
          std::find(holders.begin(), holders.end(), c->holder_key) - holders.begin());
      const char* colour = side_colour[hi % 4];
      if (c->retry) {
        const double x = X(c->t), y = Y(static_cast<double>(count[hi]));
        o += "<g class=\"retry\"><title>a DL to " + esc(key_text[c->holder_key]) + " failed at " +
             secs(c->t) + ": its chunk is asked again</title><path d=\"M" + num(x - 4) + " " +
             num(y - 4) + "L" + num(x + 4) + " " + num(y + 4) + "M" + num(x - 4) + " " +
             num(y + 4) + "L" + num(x + 4) + " " + num(y - 4) + "\" stroke=\"" + colour +
             "\" stroke-width=\"2\"/></g>\n";
        continue;
      }
      ++count[hi];
      paths[hi] += "H" + num(X(c->t)) + "V" + num(Y(static_cast<double>(count[hi])));
      o += "<circle class=\"chunk\" cx=\"" + num(X(c->t)) + "\" cy=\"" +
           num(Y(static_cast<double>(count[hi]))) + "\" r=\"2\" fill=\"" + colour + "\"/>";
    }
    for (std::size_t i = 0; i < holders.size(); ++i) {
      o += "<path d=\"" + paths[i] + "\" fill=\"none\" stroke=\"" + side_colour[i % 4] +
           "\" stroke-width=\"1.5\"/>";
      o += "<rect x=\"" + num(l + 160.0 * static_cast<double>(i)) + "\" y=\"" + num(h + 4) +
           "\" width=\"10\" height=\"10\" fill=\"" + side_colour[i % 4] +
           "\"/><text class=\"tick\" x=\"" + num(l + 160.0 * static_cast<double>(i) + 13) +
           "\" y=\"" + num(h + 13) + "\">" + esc(key_text[holders[i]]) + " (" +
           std::to_string(count[i]) + ")</text>";
    }
    o += "<line x1=\"" + num(l) + "\" x2=\"" + num(w - r) + "\" y1=\"" + num(h - b) + "\" y2=\"" +
         num(h - b) + "\" stroke=\"#000\"/><text class=\"tick\" x=\"" + num(l - 6) + "\" y=\"" +
         num(Y(static_cast<double>(most)) + 4) + "\" text-anchor=\"end\">" + std::to_string(most) +
         "</text><text class=\"tick\" x=\"" + num(l) + "\" y=\"" + num(h - b + 16) + "\">" +
         secs(t0) + "</text><text class=\"tick\" x=\"" + num(w - r) + "\" y=\"" + num(h - b + 16) +
         "\" text-anchor=\"end\">" + secs(t1) + "</text>\n</svg>\n";
  }
  return o;
}

namespace {

// The opening of a scenario's <section> and its summary (result, run, messages, replay, checks)
// from its JSON report entry `e`.
std::string summary_html(const nlohmann::json& e) {
  auto str = [&](const char* k) {
    return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : std::string();
  };
  const std::string name = str("name");
  std::string o = "<section class=\"scenario\" id=\"" + esc(name) + "\" data-ok=\"" +
                  (e.value("ok", true) ? "true" : "false") + "\">\n<h2>" + esc(name) + "</h2>\n";
  // 1. Summary.
  o += "<p>" + esc(str("description")) + "</p>\n<table class=\"summary\">";
  auto row = [&](const std::string& k, const std::string& val) {
    o += "<tr><th>" + esc(k) + "</th><td>" + val + "</td></tr>";
  };
  row("file", "<code>" + esc(str("file")) + "</code>");
  if (e.contains("seed")) row("seed", esc(e["seed"].dump()));
  if (e.contains("passed")) {
    const bool passed = e.value("passed", false);
    const bool expected = e.value("as_expected", true);
    std::string result =
        passed ? (expected ? "PASS" : "UNEXPECTED PASS (the scenario says expect: fail)")
               : (expected ? "FAIL, as expected (expect: fail)" : "FAIL");
    if (!e.value("ok", true) && expected) result = "NOT DETERMINISTIC";
    row("result", "<b class=\"" + std::string(e.value("ok", true) ? "ok" : "bad") + "\">" +
                      esc(result) + "</b>");
  }
  if (e.contains("peers")) {
    row("run", esc(e["peers"].dump() + " peers, " + num(e.value("virtual_time_ms", 0.0) / 1000, 1) +
                   " s of virtual time"));
  }
  if (e.contains("messages")) {
    const auto& m = e["messages"];
    row("messages",
        esc(m.value("delivered", 0) == 0 && m.empty()
                ? std::string()
                : std::to_string(m.value("delivered", 0)) + " delivered, " +
                      std::to_string(m.value("dropped", 0)) + " dropped, " +
                      std::to_string(m.value("duplicated", 0)) + " duplicated, " +
                      std::to_string(m.value("partitioned", 0)) + " cut by partitions, " +
                      std::to_string(m.value("timeouts", 0)) + " timeouts, " +
                      std::to_string(m.value("malformed", 0)) + " malformed"));
  }
  if (!str("replay").empty())
    row("replay", "<code class=\"replay\">" + esc(str("replay")) + "</code>");
  o += "</table>\n";
  if (e.contains("checks")) {
    o += "<table class=\"checks\"><tr><th>check</th><th></th><th>figure</th></tr>";
    for (const auto& c : e["checks"]) {
      const bool p = c.value("passed", true);
      o += "<tr class=\"" + std::string(p ? "pass" : "fail") + "\"><td>" +
           esc(c.value("name", "")) + "</td><td><b>" + (p ? "pass" : "FAIL") + "</b></td><td>" +
           esc(c.value("figure", ""));
      if (!p)
        o += "<br><span class=\"violation-text\">first violation " + esc(c.value("violation", "")) +
             "</span>";
      o += "</td></tr>";
    }
    o += "</table>\n";
  } else {
    o += "<p class=\"note\">This trace has no result line: checks unknown.</p>\n";
  }
  return o;
}

nlohmann::json parse_entry(const std::string& entry_json) {
  nlohmann::json e = nlohmann::json::parse(entry_json, nullptr, false);
  if (!e.is_object()) e = nlohmann::json::object();
  return e;
}

}  // namespace

std::string picture_collector::state::section(const std::string& entry_json) const {
  const nlohmann::json e = parse_entry(entry_json);
  violation_info v;
  if (e.contains("checks") && e["checks"].is_array()) {
    for (const auto& c : e["checks"]) {
      if (c.value("passed", true)) continue;
      v.any = true;
      v.check = c.value("name", "");
      v.text = c.value("violation", "");
      if (c.contains("violation_time_ms")) {
        v.t = static_cast<std::int64_t>(std::llround(c["violation_time_ms"].get<double>() * 1e6));
      }
      if (c.contains("violation_nodes")) {
        for (const auto& n : c["violation_nodes"]) v.nodes.push_back(n.get<std::uint32_t>());
      }
      v.message_id = c.value("violation_message_id", std::uint64_t{0});
      break;
    }
  }
  shown_end = static_cast<std::int64_t>(std::llround(e.value("virtual_time_ms", 0.0) * 1e6));
  std::string o = summary_html(e);
  // 2. Space-time diagram.
  std::string note;
  diagram_spec d;
  d.css_class = "spacetime";
  d.lanes = choose_lanes(v, note);
  std::set<std::uint32_t> shown(d.lanes.begin(), d.lanes.end());
  std::vector<arrow> all;
  for (const auto& x : exchanges) arrows_of(x, all);
  std::size_t hidden = 0;
  for (const auto& a : all) {
    const bool from_ok = a.from == none || shown.count(a.from);
    const bool to_ok = a.to != none && shown.count(a.to);
    if (from_ok && (to_ok || (a.how != arrow::fate::delivered && a.from != none))) {
      d.arrows.push_back(a);
    } else {
      ++hidden;
    }
  }
  std::sort(d.arrows.begin(), d.arrows.end(), [](const arrow& a, const arrow& b) {
    return std::tie(a.t0, a.t1) < std::tie(b.t0, b.t1);
  });
  d.t_from = 0;
  d.t_to = std::max(t_end, shown_end);
  if (d.arrows.size() > options.max_arrows) {
    std::size_t first = 0;
    if (v.t != no_time) {
      auto it = std::lower_bound(d.arrows.begin(), d.arrows.end(), v.t,
                                 [](const arrow& a, std::int64_t t) { return a.t0 < t; });
      const auto at = static_cast<std::size_t>(it - d.arrows.begin());
      first = at > options.max_arrows / 2 ? at - options.max_arrows / 2 : 0;
      first = std::min(first, d.arrows.size() - options.max_arrows);
    }
    const std::size_t total = d.arrows.size();
    std::vector<arrow> part(
        d.arrows.begin() + static_cast<std::ptrdiff_t>(first),
        d.arrows.begin() + static_cast<std::ptrdiff_t>(first + options.max_arrows));
    d.arrows = std::move(part);
    d.t_from = d.arrows.front().t0;
    d.t_to = d.t_from;
    for (const auto& a : d.arrows) d.t_to = std::max(d.t_to, a.t1);
    note += "Showing " + std::to_string(d.arrows.size()) + " of " + std::to_string(total) +
            " message legs between the shown peers, " + secs(d.t_from) + " to " + secs(d.t_to) +
            (v.t != no_time ? " (around the first violation)" : "") +
            "; the rest are in the trace. ";
  }
  if (hidden > 0)
    note += std::to_string(hidden) + " message legs with a peer not shown are not drawn. ";
  d.labels = d.arrows.size() <= 600;
  if (v.any && !v.nodes.empty()) {
    d.highlight_id = v.message_id;
    d.highlight_node = v.nodes.front();
    d.highlight_t = v.t;
  }
  o += "<h3>Space-time diagram</h3>\n<p class=\"note\">Time runs down (idle gaps compressed). "
       "Arrows go from send to receive, labelled with the type and the sender's clock; the "
       "receiver's clock after the receive is at the head. A cross: dropped. Dashed with a bar: "
       "cut by a partition. Clock circles: timeouts. Tinted lanes: partition sides. Hover an "
       "arrow for its wire line. " +
       esc(note) + "</p>\n<div class=\"scroll\">" + diagram(d) + "</div>\n";
  // 3. The failing window.
  if (v.any) {
    o += "<h3>The failing window</h3>\n<div class=\"scroll\">" + failing_window(v) + "</div>\n";
  }
  // 4-6.
  o += "<h3>Convergence</h3>\n" + convergence_plot();
  o += "<h3>Messages per interval</h3>\n" + rate_chart();
  if (!downloaders.empty()) {
    o += "<h3>Downloads</h3>\n<p class=\"note\">Cumulative chunks per holder; a cross is a DL "
         "that failed (timed out, refused, cut or a bad reply), whose chunk is asked again.</p>\n" +
         chunk_charts();
  }
  o += "</section>\n";
  return o;
}

std::string picture_collector::html_section(const std::string& entry_json) const {
  return s_->section(entry_json);
}

std::string html_summary_section(const std::string& entry_json, const std::string& note) {
  return summary_html(parse_entry(entry_json)) + "<p class=\"note\">" + esc(note) +
         "</p>\n</section>\n";
}

std::string html_document(const std::string& title, const std::vector<std::string>& sections) {
  std::string o =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title) +
      "</title>\n<style>\n"
      "body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#222}\n"
      "h2{border-top:2px solid #888;padding-top:10px}\n"
      "table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ccc;padding:3px 8px;"
      "text-align:left;vertical-align:top}\n"
      ".ok{color:#2a7a2a}.bad{color:#c00}tr.fail td{background:#fff0f0}\n"
      ".violation-text{color:#c00}.note{color:#555;font-size:13px}\n"
      ".scroll{overflow:auto;max-height:900px;border:1px solid #ddd}\n"
      "svg text{font:11px sans-serif}svg .lanename{font:bold 12px sans-serif}\n"
      "svg .al,svg .rc,svg .mk{font:9px sans-serif}svg .tick{font:10px sans-serif;fill:#444}\n"
      "svg .lane line{stroke:#bbb;stroke-width:2}svg .grid{stroke:#eee}\n"
      "svg .msg:hover line{stroke-width:3}\n"
      "pre.lines{background:#f6f6f6;padding:8px;font-size:12px;overflow:auto}\n"
      "#tip{position:fixed;right:12px;bottom:12px;max-width:60%;background:#ffd;border:1px solid "
      "#aa8;padding:6px 8px;font:12px monospace;white-space:pre-wrap;display:none}\n"
      "</style></head><body>\n"
      "<svg width=\"0\" height=\"0\" style=\"position:absolute\"><defs><marker id=\"ah\" "
      "viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
      "orient=\"auto-start-reverse\"><path d=\"M0 0L10 5L0 10z\" fill=\"#444\"/></marker></defs>"
      "</svg>\n<h1>" +
      esc(title) + "</h1>\n";
  if (sections.size() > 1) {
    o += "<p>" + std::to_string(sections.size()) + " scenarios.</p>\n";
  }
  for (const auto& s : sections) o += s;
  o += "<div id=\"tip\"></div>\n<script>\n"
       "// Hovering an arrow shows its wire line (and what happened to it) in a box.\n"
       "(function(){var tip=document.getElementById('tip');\n"
       "document.addEventListener('mouseover',function(ev){var g=ev.target.closest&&"
       "ev.target.closest('g.msg');if(!g){tip.style.display='none';return;}\n"
       "var t=g.querySelector('title');tip.textContent=t?t.textContent:g.getAttribute('data-line');"
       "tip.style.display='block';});})();\n</script>\n</body></html>\n";
  return o;
}

}  // namespace eachare::scenario
