#include "sim/trace.hpp"

#include <algorithm>
#include <iterator>
#include <variant>

#include "node/core/command.hpp"
#include "node/core/errors.hpp"

namespace eachare::sim {

std::string_view to_string(trace_kind k) {
  switch (k) {
    case trace_kind::sent:
      return "sent";
    case trace_kind::delivered:
      return "delivered";
    case trace_kind::reply_sent:
      return "reply_sent";
    case trace_kind::reply_delivered:
      return "reply_delivered";
    case trace_kind::dropped:
      return "dropped";
    case trace_kind::duplicated:
      return "duplicated";
    case trace_kind::partitioned:
      return "partitioned";
    case trace_kind::refused:
      return "refused";
    case trace_kind::timed_out:
      return "timed_out";
    case trace_kind::closed_without_reply:
      return "closed_without_reply";
    case trace_kind::bad_reply:
      return "bad_reply";
    case trace_kind::late_reply:
      return "late_reply";
    case trace_kind::injected:
      return "injected";
    case trace_kind::bad_input:
      return "bad_input";
    case trace_kind::completed:
      return "completed";
    case trace_kind::received:
      return "received";
    case trace_kind::reply_received:
      return "reply_received";
    case trace_kind::send_failed:
      return "send_failed";
    case trace_kind::peer_added:
      return "peer_added";
    case trace_kind::peer_updated:
      return "peer_updated";
    case trace_kind::warning:
      return "warning";
    case trace_kind::search_results:
      return "search_results";
    case trace_kind::download_started:
      return "download_started";
    case trace_kind::download_finished:
      return "download_finished";
    case trace_kind::get_peers_done:
      return "get_peers_done";
    case trace_kind::command_refused:
      return "command_refused";
    case trace_kind::chunk_size_changed:
      return "chunk_size_changed";
    case trace_kind::leaving:
      return "leaving";
    case trace_kind::exit_ready:
      return "exit_ready";
    case trace_kind::started:
      return "started";
    case trace_kind::crashed:
      return "crashed";
    case trace_kind::restarted:
      return "restarted";
    case trace_kind::paused:
      return "paused";
    case trace_kind::resumed:
      return "resumed";
    case trace_kind::command:
      return "command";
    case trace_kind::partition:
      return "partition";
    case trace_kind::heal:
      return "heal";
    case trace_kind::network_change:
      return "network_change";
    case trace_kind::converged:
      return "converged";
    case trace_kind::diverged:
      return "diverged";
  }
  return "unknown";
}

bool kind_has_value(trace_kind k) {
  switch (k) {
    case trace_kind::dropped:
    case trace_kind::duplicated:
    case trace_kind::partitioned:
    case trace_kind::search_results:
    case trace_kind::download_finished:
    case trace_kind::chunk_size_changed:
    case trace_kind::command:
    case trace_kind::partition:
    case trace_kind::converged:
    case trace_kind::diverged:
      return true;
    default:
      return false;
  }
}

std::uint64_t trace_hash::fold_detail(std::string_view detail) {
  std::uint64_t d = 14695981039346656037ull;
  for (unsigned char c : detail) {
    d ^= c;
    d *= 1099511628211ull;
  }
  return d;
}

void trace::add_listener(trace_listener& l) {
  listeners_.push_back(&l);
}

void trace::remove_listener(trace_listener& l) {
  listeners_.erase(std::remove(listeners_.begin(), listeners_.end(), &l), listeners_.end());
}

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

void append_field(std::string& out, std::string_view key, std::uint64_t v) {
  out += ",\"";
  out += key;
  out += "\":";
  out += std::to_string(v);
}

}  // namespace

namespace {

// The menu command behind a `command` event's value (its index in eachare::command).
std::string_view command_name(std::uint64_t index) {
  static constexpr std::string_view names[] = {"list_peers", "hello",          "get_peers",
                                               "list_local", "search",         "download",
                                               "show_stats", "set_chunk_size", "bye"};
  static_assert(std::size(names) == std::variant_size_v<eachare::command>);
  return index < std::size(names) ? names[index] : std::string_view("unknown");
}

}  // namespace

std::string trace_jsonl_writer::format(const trace_event& e, const address_book& book,
                                       const trace_names* names) {
  std::string out;
  out.reserve(160);
  out += "{\"t_ns\":";
  out += std::to_string(e.time.count());
  out += ",\"kind\":";
  append_json_string(out, to_string(e.kind));
  if (e.node != no_node) {
    append_field(out, "node", e.node);
    if (names != nullptr && names->node) {
      const auto n = names->node(e.node);
      if (!n.empty()) {
        out += ",\"name\":";
        append_json_string(out, n);
      }
    }
  }
  if (e.peer != no_peer) {
    out += ",\"peer\":";
    if (e.peer < book.size()) {
      append_json_string(out, book.name(e.peer));
    } else {
      out += std::to_string(e.peer);
    }
    if (names != nullptr && names->peer) {
      const auto n = names->peer(e.peer);
      if (!n.empty()) {
        out += ",\"peer_name\":";
        append_json_string(out, n);
      }
    }
  }
  if (e.has_type) {
    out += ",\"type\":";
    append_json_string(out, to_string(e.type));
  }
  if (e.message_id != 0) append_field(out, "id", e.message_id);
  if (e.sender_clock != 0) append_field(out, "sender_clock", e.sender_clock);
  if (e.clock != 0) append_field(out, "clock", e.clock);
  if (e.kind == trace_kind::peer_added || e.kind == trace_kind::peer_updated) {
    out += ",\"status\":";
    append_json_string(out, to_string(e.status));
  }
  if (e.error != 0) {
    out += ",\"error\":";
    append_json_string(out, make_error_code(static_cast<errc>(e.error)).message());
  }
  if (e.value != 0 || kind_has_value(e.kind)) append_field(out, "value", e.value);
  if (e.kind == trace_kind::command) {
    out += ",\"command\":";
    append_json_string(out, command_name(e.value));
  }
  if (!e.detail.empty()) {
    out += ",\"detail\":";
    // A partition's sides are kept whole: pictures shade lanes from them.
    append_json_string(out, e.kind == trace_kind::partition ? e.detail : e.detail.substr(0, 200));
  }
  if (!e.line.empty()) {
    // A PEER_LIST of a large table is tens of KiB: the head of the line is what a picture shows.
    constexpr std::size_t max_line = 200;
    out += ",\"line\":";
    if (e.line.size() <= max_line) {
      append_json_string(out, e.line);
    } else {
      append_json_string(out, std::string(e.line.substr(0, max_line)) + "...");
    }
  }
  out.push_back('}');
  return out;
}

void trace_jsonl_writer::on_trace_event(const trace_event& e) {
  line_ = format(e, book_, names_.node || names_.peer ? &names_ : nullptr);
  sink_(line_);
}

}  // namespace eachare::sim
