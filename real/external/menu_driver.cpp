#include "real/external/menu_driver.hpp"

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace eachare::external {

namespace {

std::string_view trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return {};
  const auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

std::optional<std::uint64_t> number(std::string_view s) {
  s = trim(s);
  std::uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

bool is_menu_end(std::string_view line) {
  return trim(line) == "[9] Sair";
}

// "[ 3] rest" or "[3] rest": the number and the rest.
std::optional<std::pair<std::size_t, std::string_view>> bracketed(std::string_view line) {
  line = trim(line);
  if (line.empty() || line.front() != '[') return std::nullopt;
  const auto close = line.find(']');
  if (close == std::string_view::npos) return std::nullopt;
  const auto n = number(line.substr(1, close - 1));
  if (!n) return std::nullopt;
  return std::make_pair(static_cast<std::size_t>(*n), trim(line.substr(close + 1)));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(trim(s.substr(0, at)));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::string ms(std::chrono::milliseconds b) {
  return std::to_string(b.count()) + " ms";
}

}  // namespace

void menu_driver::fail(step_outcome& out, std::string why) {
  out.ok = false;
  out.at_menu = false;
  if (proc_.flooded()) {
    why += "; it flooded stdout (" + std::to_string(proc_.bytes_read()) +
           " bytes, past the output bound)";
  }
  // A program whose output just ended may not be reaped yet: give it a moment to say how it
  // ended (a failure ends the driving anyway).
  if (auto st = proc_.wait_exit(std::chrono::milliseconds(300))) {
    why += "; the program " + describe_status(*st);
    // What it said last (an interpreter's error, a missing file) is usually why.
    const auto n = proc_.line_count();
    std::string last = proc_.partial();
    for (std::size_t i = n; last.find_first_not_of(" \t\r") == std::string::npos && i > 0; --i) {
      last = proc_.line(i - 1).text;
    }
    if (last.find_first_not_of(" \t\r") != std::string::npos) {
      why += "; its last output: \"" + escape_bytes(last, 200) + "\"";
    }
  }
  out.error = std::move(why);
  out.end_line = proc_.line_count();
  cursor_ = out.end_line;
}

bool menu_driver::type(const std::string& text, step_outcome& out) {
  std::string why;
  if (proc_.write_line(text, bounds_.stdin_write, &why)) return true;
  fail(out, "typing \"" + text + "\": " + why);
  return false;
}

std::optional<std::size_t> menu_driver::wait_for(
    std::size_t from, std::chrono::milliseconds bound,
    const std::function<bool(std::string_view)>& pred) {
  if (proc_.flooded()) return std::nullopt;
  return proc_.wait_line(pred, from, bound);
}

bool menu_driver::wait_menu(std::size_t from, std::chrono::milliseconds bound,
                            const char* bound_name, const std::string& waiting_for,
                            step_outcome& out) {
  const auto at = wait_for(from, bound, is_menu_end);
  if (!at) {
    fail(out, "no menu (\"[9] Sair\") " + waiting_for + " within the " + bound_name + " of " +
                  ms(bound));
    return false;
  }
  out.end_line = *at + 1;
  cursor_ = out.end_line;
  return true;
}

bool menu_driver::wait_prompt(std::size_t from, std::chrono::milliseconds bound) {
  // A prompt is ">" on its own line, or printed without a newline (then it stays partial).
  const auto deadline = clock::now() + bound;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    const auto slice = std::min(left, std::chrono::milliseconds(100));
    if (wait_for(from, slice, [](std::string_view l) {
          const auto t = trim(l);
          return !t.empty() && t.front() == '>';
        })) {
      return true;
    }
    const auto p = trim(proc_.partial());
    if (!p.empty() && p.front() == '>') return true;
    if (left.count() <= 0 || proc_.flooded() || !proc_.running()) return false;
  }
}

step_outcome menu_driver::start() {
  step_outcome out;
  out.first_line = 0;
  wait_menu(0, bounds_.startup, "startup bound", "after start", out);
  return out;
}

step_outcome menu_driver::list_peers(std::vector<listed_peer>* rows) {
  auto out = open_peer_list(rows);
  if (!out.ok) return out;
  const auto from = cursor_;
  if (!type("0", out)) return out;
  wait_menu(from, bounds_.step, "step bound", "after option 1, 0", out);
  return out;
}

step_outcome menu_driver::open_peer_list(std::vector<listed_peer>* rows) {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("1", out)) return out;
  const auto head = wait_for(cursor_, bounds_.step, [](std::string_view l) {
    return trim(l) == "[0] voltar para o menu anterior";
  });
  if (!head) {
    fail(out, "option 1 printed no \"[0] voltar para o menu anterior\" within the step bound of " +
                  ms(bounds_.step));
    return out;
  }
  if (!wait_prompt(*head + 1, bounds_.step)) {
    fail(out, "option 1 printed no \">\" prompt after the peer list within the step bound of " +
                  ms(bounds_.step));
    return out;
  }
  std::vector<listed_peer> found;
  for (std::size_t i = *head + 1; i < proc_.line_count(); ++i) {
    const auto text = proc_.line(i).text;
    const auto b = bracketed(text);
    if (!b) break;
    const auto parts = split(b->second, ' ');
    listed_peer p;
    p.index = b->first;
    p.address = std::string(parts.front());
    p.status = std::string(parts.back());
    found.push_back(std::move(p));
  }
  if (rows != nullptr) *rows = found;
  cursor_ = proc_.line_count();
  return out;
}

step_outcome menu_driver::hello(const std::string& address) {
  std::vector<listed_peer> rows;
  auto out = open_peer_list(&rows);
  if (!out.ok) return out;
  std::size_t k = 0;
  for (const auto& r : rows) {
    if (r.address == address) k = r.index;
  }
  const auto from = cursor_;
  if (!type(std::to_string(k), out)) return out;
  if (k == 0) {
    const bool back = wait_menu(from, bounds_.step, "step bound", "after option 1, 0", out);
    fail(out, "option 1 did not list " + address + " (" + std::to_string(rows.size()) +
                  " peers listed)");
    out.at_menu = back;
    return out;
  }
  wait_menu(from, bounds_.step, "step bound", "after HELLO to " + address, out);
  return out;
}

step_outcome menu_driver::get_peers() {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("2", out)) return out;
  wait_menu(out.first_line, bounds_.step, "step bound", "after option 2 (GET_PEERS)", out);
  return out;
}

step_outcome menu_driver::list_local(std::vector<std::string>* names) {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("3", out)) return out;
  if (!wait_menu(out.first_line, bounds_.step, "step bound", "after option 3", out)) return out;
  if (names != nullptr) {
    names->clear();
    for (std::size_t i = out.first_line; i + 1 < out.end_line; ++i) {
      const auto text = proc_.line(i).text;
      if (!text.empty() && text.front() == '\t' && !bracketed(text)) {
        names->push_back(std::string(trim(text)));
      }
    }
  }
  return out;
}

std::vector<search_entry> menu_driver::parse_search(std::size_t from, std::size_t to) const {
  std::vector<search_entry> rows;
  for (std::size_t i = from; i < to; ++i) {
    const auto text = proc_.line(i).text;
    const auto b = bracketed(text);
    if (!b || b->first == 0) continue;
    const auto cols = split(b->second, '|');
    if (cols.size() < 3) continue;
    search_entry e;
    e.index = b->first;
    e.name = std::string(cols[0]);
    e.size = number(cols[1]).value_or(0);
    for (auto h : split(cols[2], ',')) {
      if (!h.empty()) e.holders.emplace_back(h);
    }
    rows.push_back(std::move(e));
  }
  return rows;
}

std::optional<std::size_t> menu_driver::open_search(step_outcome& out) {
  if (!type("4", out)) return std::nullopt;
  const auto ask = wait_for(cursor_, bounds_.download, [](std::string_view l) {
    return trim(l) == "Digite o numero do arquivo para fazer o download:";
  });
  if (!ask) {
    fail(out,
         "option 4 printed no \"Digite o numero do arquivo para fazer o download:\" within "
         "the download bound of " +
             ms(bounds_.download));
  }
  return ask;
}

step_outcome menu_driver::search(std::vector<search_entry>* rows) {
  step_outcome out;
  out.first_line = cursor_;
  const auto ask = open_search(out);
  if (!ask) return out;
  if (rows != nullptr) *rows = parse_search(out.first_line, *ask);
  const auto from = *ask + 1;
  if (!type("0", out)) return out;
  wait_menu(from, bounds_.step, "step bound", "after cancelling the search", out);
  return out;
}

step_outcome menu_driver::download(const std::string& name, std::optional<std::uint64_t> size,
                                   std::vector<search_entry>* rows) {
  step_outcome out;
  out.first_line = cursor_;
  const auto ask = open_search(out);
  if (!ask) return out;
  std::size_t k = 0;
  const auto table = parse_search(out.first_line, *ask);
  for (const auto& r : table) {
    if (r.name == name && (!size || *size == r.size) && k == 0) k = r.index;
  }
  if (rows != nullptr) *rows = table;
  const auto from = *ask + 1;
  if (!type(std::to_string(k), out)) return out;
  if (k == 0) {
    const bool back =
        wait_menu(from, bounds_.step, "step bound", "after cancelling the search", out);
    fail(out, "the search table has no row for " + name);
    out.at_menu = back;
    return out;
  }
  const std::string done = "Download do arquivo " + name + " finalizado.";
  const auto end = wait_for(from, bounds_.download,
                            [&](std::string_view l) { return trim(l) == done || is_menu_end(l); });
  if (!end || is_menu_end(proc_.line(*end).text)) {
    fail(out, "no \"" + done + "\" " +
                  (end ? std::string("before the menu came back")
                       : "within the download bound of " + ms(bounds_.download)));
    out.at_menu = end.has_value();  // the menu came back: a failed download, not a stuck one
    return out;
  }
  wait_menu(*end + 1, bounds_.step, "step bound", "after the download of " + name, out);
  return out;
}

step_outcome menu_driver::show_stats(std::vector<stats_entry>* rows) {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("5", out)) return out;
  if (!wait_menu(out.first_line, bounds_.step, "step bound", "after option 5", out)) return out;
  if (rows != nullptr) {
    rows->clear();
    for (std::size_t i = out.first_line; i < out.end_line; ++i) {
      const auto text = proc_.line(i).text;
      const auto cols = split(text, '|');
      if (cols.size() != 6) continue;
      stats_entry e;
      const auto a = number(cols[0]);
      const auto b = number(cols[1]);
      const auto c = number(cols[2]);
      const auto d = number(cols[3]);
      if (!a || !b || !c || !d) continue;  // the header line
      e.chunk_size = *a;
      e.holders = *b;
      e.file_size = *c;
      e.count = *d;
      e.mean_seconds = std::strtod(std::string(cols[4]).c_str(), nullptr);
      e.stddev_seconds = std::strtod(std::string(cols[5]).c_str(), nullptr);
      e.text = text;
      rows->push_back(std::move(e));
    }
  }
  return out;
}

step_outcome menu_driver::set_chunk_size(std::int64_t size) {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("6", out)) return out;
  const auto ask = wait_for(cursor_, bounds_.step, [](std::string_view l) {
    return trim(l) == "Digite novo tamanho de chunk:";
  });
  if (!ask) {
    fail(out, "option 6 printed no \"Digite novo tamanho de chunk:\" within the step bound of " +
                  ms(bounds_.step));
    return out;
  }
  if (!type(std::to_string(size), out)) return out;
  wait_menu(*ask + 1, bounds_.step, "step bound", "after the new chunk size", out);
  return out;
}

step_outcome menu_driver::quit() {
  step_outcome out;
  out.first_line = cursor_;
  if (!type("9", out)) return out;
  if (!proc_.wait_exit(bounds_.exit)) {
    out.ok = false;
    out.error = "still running " + ms(bounds_.exit) + " after option 9 (exit bound)";
  }
  out.end_line = proc_.line_count();
  cursor_ = out.end_line;
  return out;
}

}  // namespace eachare::external
