#include "real/external/console_parser.hpp"

#include <algorithm>
#include <charconv>

#include <cstdio>

namespace eachare::external {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

std::string_view trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return {};
  const auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Fills origin / clock / type from a quoted wire line.
void split_message(console_event& e) {
  std::string_view m = e.message;
  std::vector<std::string_view> f;
  while (!m.empty() && f.size() < 3) {
    while (!m.empty() && m.front() == ' ') m.remove_prefix(1);
    const auto sp = m.find(' ');
    f.push_back(m.substr(0, sp));
    m = sp == std::string_view::npos ? std::string_view() : m.substr(sp);
  }
  if (!f.empty()) e.origin = std::string(f[0]);
  if (f.size() > 1) {
    if (auto c = number(f[1])) {
      e.clock = *c;
      e.has_clock = true;
    }
  }
  if (f.size() > 2) e.type = std::string(f[2]);
}

// `<addr> status <S>` after a prefix.
bool peer_line(std::string_view rest, console_event& e) {
  const auto at = rest.rfind(" status ");
  if (at == std::string_view::npos) return false;
  e.address = std::string(trim(rest.substr(0, at)));
  e.status = std::string(trim(rest.substr(at + 8)));
  return !e.address.empty() && !e.status.empty();
}

}  // namespace

std::optional<console_event> parse_console_line(std::string_view raw) {
  const std::string_view text = trim(raw);
  console_event e;
  if (starts_with(text, "=> Atualizando relogio para ")) {
    const auto n = number(trim(text.substr(28)));
    if (!n) return std::nullopt;
    e.kind = console_kind::clock_update;
    e.clock = *n;
    return e;
  }
  if (starts_with(text, "Encaminhando mensagem \"")) {
    const auto close = text.rfind("\" para ");
    if (close == std::string_view::npos || close < 23) return std::nullopt;
    e.kind = console_kind::sending;
    e.message = std::string(text.substr(23, close - 23));
    e.address = std::string(trim(text.substr(close + 7)));
    split_message(e);
    return e;
  }
  for (const auto& [prefix, kind] : {std::pair<std::string_view, console_kind>{
                                         "Mensagem recebida: \"", console_kind::request_received},
                                     std::pair<std::string_view, console_kind>{
                                         "Resposta recebida: \"", console_kind::reply_received}}) {
    if (starts_with(text, prefix)) {
      auto body = text.substr(prefix.size());
      if (!body.empty() && body.back() == '"') body.remove_suffix(1);
      e.kind = kind;
      e.message = std::string(body);
      split_message(e);
      return e;
    }
  }
  if (starts_with(text, "Adicionando novo peer ")) {
    e.kind = console_kind::peer_added;
    if (peer_line(text.substr(22), e)) return e;
    return std::nullopt;
  }
  if (starts_with(text, "Atualizando peer ")) {
    e.kind = console_kind::peer_updated;
    if (peer_line(text.substr(17), e)) return e;
    return std::nullopt;
  }
  if (starts_with(text, "arquivo escolhido ")) {
    e.kind = console_kind::download_chosen;
    e.name = std::string(trim(text.substr(18)));
    return e;
  }
  static constexpr std::string_view done_suffix = " finalizado.";
  if (starts_with(text, "Download do arquivo ") && text.size() > 20 + done_suffix.size() &&
      text.substr(text.size() - done_suffix.size()) == done_suffix) {
    e.kind = console_kind::download_done;
    e.name = std::string(trim(text.substr(20, text.size() - 20 - done_suffix.size())));
    return e;
  }
  return std::nullopt;
}

std::vector<console_event> parse_console(const std::vector<console_line>& lines) {
  std::vector<console_event> out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (auto e = parse_console_line(lines[i].text)) {
      e->line = i;
      e->time = lines[i].time;
      out.push_back(std::move(*e));
    }
  }
  return out;
}

std::string seconds(duration d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f s", static_cast<double>(d.count()) / 1e9);
  return buf;
}

std::string quote_console(const console_line& l, std::size_t index) {
  return "at " + seconds(l.time) + ", console line " + std::to_string(index + 1) + ": \"" +
         escape_bytes(l.text, 200) + "\"";
}

std::vector<console_violation> check_console_clock(const std::vector<console_line>& lines, int ep,
                                                   std::uint64_t* clock_checks) {
  std::vector<console_violation> out;
  const auto events = parse_console(lines);
  std::uint64_t last = 0;
  std::uint64_t checks = 0;
  std::optional<console_event> receive;  // a received line still waiting for its clock line
  bool clock_just_set = false;           // the previous message-ish event was a clock line
  auto violate = [&](const console_event& e, std::string what) {
    out.push_back({e.time, e.line, what + " (" + quote_console(lines[e.line], e.line) + ")"});
  };
  auto missing_update = [&](const console_event& at) {
    violate(*receive, "the clock was not updated after receiving \"" + receive->message +
                          "\": no \"=> Atualizando relogio para\" line before console line " +
                          std::to_string(at.line + 1));
  };
  for (const auto& e : events) {
    switch (e.kind) {
      case console_kind::clock_update: {
        ++checks;
        if (receive) {
          const std::uint64_t s = receive->has_clock ? receive->clock : 0;
          const std::uint64_t expected = ep == 1 ? last + 1 : std::max(last, s) + 1;
          if (e.clock != expected) {
            violate(
                e,
                "after receiving \"" + receive->message + "\" (console line " +
                    std::to_string(receive->line + 1) + ") carrying clock " + std::to_string(s) +
                    " the clock went " + std::to_string(last) + " -> " + std::to_string(e.clock) +
                    "; the part-" + std::to_string(ep) + " rule needs " +
                    (ep == 1 ? std::to_string(last) + " + 1"
                             : "max(" + std::to_string(last) + ", " + std::to_string(s) + ") + 1") +
                    " = " + std::to_string(expected));
          }
          receive.reset();
          clock_just_set = false;
        } else {
          if (e.clock != last + 1) {
            violate(e, "the clock went " + std::to_string(last) + " -> " + std::to_string(e.clock) +
                           " before a send; a send adds exactly 1");
          }
          clock_just_set = true;
        }
        last = e.clock;
        break;
      }
      case console_kind::sending:
        if (receive) {
          missing_update(e);
          receive.reset();
        }
        if (!clock_just_set) {
          violate(e, "a message was sent without a clock increment line just before it");
        } else if (e.has_clock && e.clock != last) {
          violate(e, "the message carries clock " + std::to_string(e.clock) +
                         " but the console's clock is " + std::to_string(last));
        }
        clock_just_set = false;
        break;
      case console_kind::request_received:
      case console_kind::reply_received:
        if (receive) missing_update(e);
        receive = e;
        clock_just_set = false;
        break;
      default:
        break;
    }
  }
  if (receive) {
    out.push_back({receive->time, receive->line,
                   "the clock was not updated after receiving \"" + receive->message + "\" (" +
                       quote_console(lines[receive->line], receive->line) + ")"});
  }
  if (clock_checks != nullptr) *clock_checks = checks;
  return out;
}

}  // namespace eachare::external
