#include "real/external/evidence.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "real/external/console_parser.hpp"

namespace eachare::external {

namespace {

bool is_reply_type_text(const std::string& t) {
  return t == "PEER_LIST" || t == "PEERS_LIST" || t == "LS_LIST" || t == "FILE";
}

std::string request_type_for(const std::string& reply) {
  if (reply == "PEER_LIST" || reply == "PEERS_LIST") return "GET_PEERS";
  if (reply == "LS_LIST") return "LS";
  return "DL";
}

// The n-th space-separated field (0-based), or "".
std::string field(const std::string& line, std::size_t n) {
  std::size_t pos = 0;
  for (std::size_t i = 0;; ++i) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const auto end = std::min(line.find(' ', pos), line.size());
    if (i == n) return line.substr(pos, end - pos);
    if (end >= line.size()) return {};
    pos = end;
  }
}

// How a line is recognised on both consoles: a FILE line by its header only (each side may cut
// its base64 differently).
std::string key_of(const std::string& line) {
  if (field(line, 2) != "FILE") return line;
  std::string out;
  for (std::size_t i = 0; i < 6; ++i) out += (i ? " " : "") + field(line, i);
  return out;
}

}  // namespace

std::string without_file_preview(const std::string& line) {
  if (field(line, 2) != "FILE" || line.size() < 3 || line.compare(line.size() - 3, 3, "...") != 0) {
    return line;
  }
  // ORIGIN CLOCK FILE name size index <base64...>: keep the header, an empty base64 field.
  std::string out;
  for (std::size_t i = 0; i < 6; ++i) out += (i ? " " : "") + field(line, i);
  return out;
}

std::vector<wire_line> wire_from_consoles(const std::vector<peer_console>& ours,
                                          const std::string& program,
                                          const std::vector<console_line>& program_console,
                                          const std::vector<duration>& step_starts) {
  std::vector<wire_line> out;
  // When the program handled a line: the clock line after its "Mensagem/Resposta recebida".
  std::multimap<std::string, duration> handled;
  {
    const auto events = parse_console(program_console);
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e.kind != console_kind::request_received && e.kind != console_kind::reply_received) {
        continue;
      }
      duration at = e.time;
      if (i + 1 < events.size() && events[i + 1].kind == console_kind::clock_update) {
        at = events[i + 1].time;
      }
      handled.emplace(key_of(e.message), at);
    }
  }
  for (const auto& peer : ours) {
    // Requests each side has outstanding, oldest first: ours to the program, and its to us.
    std::deque<std::size_t> ours_pending;  // indexes into out
    std::deque<std::size_t> its_pending;
    for (const auto& e : parse_console(peer.lines)) {
      if (e.kind == console_kind::sending && e.address == program) {
        wire_line w;
        w.time = e.time;
        w.from = peer.address;
        w.to = program;
        w.line = e.message;
        w.reply = is_reply_type_text(e.type);
        if (w.reply) {
          // Our reply to the program's oldest request of that kind.
          const auto want = request_type_for(e.type);
          for (auto it = its_pending.begin(); it != its_pending.end(); ++it) {
            if (field(out[*it].line, 2) == want) {
              w.request = out[*it].line;
              its_pending.erase(it);
              break;
            }
          }
        }
        const auto h = handled.find(key_of(w.line));
        if (h != handled.end()) w.handled_by = h->second;
        out.push_back(std::move(w));
        if (!out.back().reply) ours_pending.push_back(out.size() - 1);
      } else if ((e.kind == console_kind::request_received ||
                  e.kind == console_kind::reply_received) &&
                 e.origin == program) {
        wire_line w;
        w.time = e.time;
        w.from = program;
        w.to = peer.address;
        w.line = e.message;
        w.reply = e.kind == console_kind::reply_received;
        if (w.reply) {
          const auto want = request_type_for(e.type);
          const auto index = field(e.message, 5);
          for (auto it = ours_pending.begin(); it != ours_pending.end(); ++it) {
            const auto& req = out[*it].line;
            if (field(req, 2) != want) continue;
            if (want == "DL" && field(req, 5) != index) continue;
            w.request = req;
            // Never after we read it: the program's console stamps can lag ours (its pty is read
            // by another thread, and a loaded machine delays it), and a reply matched to the
            // wrong one of two pending requests must not move the line into the future.
            w.sent_after = std::min(out[*it].handled_by.value_or(out[*it].time), e.time);
            if (!out[*it].handled_by) out[*it].handled_by = e.time;
            ours_pending.erase(it);
            break;
          }
        }
        if (!w.reply) {
          for (const auto t : step_starts) {
            if (t <= w.time && (!w.sent_after || t > *w.sent_after)) w.sent_after = t;
          }
        }
        out.push_back(std::move(w));
        if (!out.back().reply) its_pending.push_back(out.size() - 1);
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const wire_line& a, const wire_line& b) { return a.time < b.time; });
  for (auto& w : out) w.line = without_file_preview(w.line);
  for (auto& w : out) w.request = without_file_preview(w.request);
  return out;
}

}  // namespace eachare::external
