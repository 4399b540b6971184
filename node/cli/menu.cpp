#include "node/cli/menu.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>

#include "node/protocol/message.hpp"

namespace eachare::cli {

namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::optional<std::int64_t> parse_integer(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) return std::nullopt;
  std::int64_t value = 0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (*first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last || first == last) return std::nullopt;
  return value;
}

std::optional<menu_choice> parse_menu_choice(std::string_view text) {
  const auto n = parse_integer(text);
  if (!n) return std::nullopt;
  switch (*n) {
    case 1:
      return menu_choice::list_peers;
    case 2:
      return menu_choice::get_peers;
    case 3:
      return menu_choice::list_local;
    case 4:
      return menu_choice::search;
    case 5:
      return menu_choice::show_stats;
    case 6:
      return menu_choice::set_chunk_size;
    case 9:
      return menu_choice::quit;
    default:
      return std::nullopt;
  }
}

std::optional<std::size_t> parse_index(std::string_view text, std::size_t max) {
  const auto n = parse_integer(text);
  if (!n || *n < 0 || static_cast<std::uint64_t>(*n) > max) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

// ---- mailbox ---------------------------------------------------------------------------------

void menu_mailbox::push(menu_event event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  cv_.notify_all();
}

std::optional<menu_event> menu_mailbox::wait_for(std::initializer_list<menu_event_kind> kinds) {
  std::unique_lock lock(mutex_);
  for (;;) {
    while (!events_.empty()) {
      menu_event e = std::move(events_.front());
      events_.pop_front();
      if (std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end()) return e;
    }
    if (stopped_) return std::nullopt;
    cv_.wait(lock);
  }
}

void menu_mailbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool menu_mailbox::stopped() const {
  std::lock_guard lock(mutex_);
  return stopped_;
}

// ---- stdin -----------------------------------------------------------------------------------

std::optional<std::string> fd_line_source::next_line() {
  for (;;) {
    const auto nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (eof_) {
      if (buffer_.empty()) return std::nullopt;
      std::string line = std::move(buffer_);
      buffer_.clear();
      return line;
    }
    if (stop_) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, 200);
    if (r < 0 && errno != EINTR) {
      eof_ = true;
      continue;
    }
    if (r <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      eof_ = true;
      continue;
    }
    std::string_view data(chunk, static_cast<std::size_t>(n));
    if (skipping_) {
      const auto end = data.find('\n');
      if (end == std::string_view::npos) continue;
      skipping_ = false;
      data.remove_prefix(end);  // the '\n' ends the cut line; what follows is read normally
    }
    buffer_.append(data);
    // Bound memory against a stdin line with no end, without losing the lines after it.
    if (buffer_.size() > max_line_bytes && buffer_.find('\n') == std::string::npos) {
      buffer_.resize(max_line_bytes);
      skipping_ = true;
    }
  }
}

// ---- loop ------------------------------------------------------------------------------------

menu_loop::menu_loop(console& out, menu_mailbox& mailbox, line_source& input, post_command post)
    : out_(out), mailbox_(mailbox), input_(input), post_(std::move(post)) {}

std::optional<std::string> menu_loop::read() {
  if (mailbox_.stopped()) return std::nullopt;
  return input_.next_line();
}

bool menu_loop::wait(std::initializer_list<menu_event_kind> kinds, menu_event* out) {
  auto e = mailbox_.wait_for(kinds);
  if (!e) return false;
  if (out != nullptr) *out = std::move(*e);
  return true;
}

bool menu_loop::run() {
  for (;;) {
    out_.lines(render_menu());
    const auto line = read();
    if (!line) {
      if (!mailbox_.stopped()) {
        out_.line("Warning: end of standard input; the menu stopped, the peer keeps serving");
      }
      return false;
    }
    const auto choice = parse_menu_choice(*line);
    if (!choice) {
      out_.line("Invalid option: \"" + std::string(trim(*line)) + "\"");
      continue;
    }
    switch (*choice) {
      case menu_choice::list_peers:
        list_peers();
        break;
      case menu_choice::get_peers:
        post_(cmd_get_peers{});
        if (!wait({menu_event_kind::get_peers_done})) return false;
        break;
      case menu_choice::list_local:
        post_(cmd_list_local{});
        if (!wait({menu_event_kind::local_files})) return false;
        break;
      case menu_choice::search:
        search();
        break;
      case menu_choice::show_stats:
        post_(cmd_show_stats{});
        if (!wait({menu_event_kind::statistics})) return false;
        break;
      case menu_choice::set_chunk_size:
        set_chunk_size();
        break;
      case menu_choice::quit:
        post_(cmd_bye{});
        wait({menu_event_kind::exit_ready});
        return true;
    }
    if (mailbox_.stopped()) return false;
  }
}

void menu_loop::list_peers() {
  menu_event listing;
  post_(cmd_list_peers{});
  if (!wait({menu_event_kind::peer_listing}, &listing)) return;
  out_.line(">");
  const auto line = read();
  if (!line) return;
  const auto k = parse_index(*line, listing.peers.size());
  if (!k) {
    out_.line("Invalid option: \"" + std::string(trim(*line)) + "\"");
    return;
  }
  if (*k == 0) return;
  post_(cmd_hello{listing.peers[*k - 1]});
  // The HELLO's lines (clock, Encaminhando, status) come before the menu is drawn again.
  wait({menu_event_kind::hello_done, menu_event_kind::command_refused});
}

void menu_loop::search() {
  menu_event results;
  post_(cmd_search{});
  if (!wait({menu_event_kind::search_results}, &results)) return;
  out_.lines({"Digite o numero do arquivo para fazer o download:", ">"});
  const auto line = read();
  if (!line) return;
  const auto k = parse_index(*line, results.search.size());
  if (!k) {
    out_.line("Invalid option: \"" + std::string(trim(*line)) + "\"");
    return;
  }
  if (*k == 0) return;
  const search_row& row = results.search[*k - 1];
  post_(cmd_download{row.name, row.size});
  wait({menu_event_kind::download_finished, menu_event_kind::command_refused});
}

void menu_loop::set_chunk_size() {
  out_.line("Digite novo tamanho de chunk:");
  out_.line(">");
  const auto line = read();
  if (!line) return;
  const auto n = parse_integer(*line);
  if (!n) {
    out_.line("Invalid chunk size: \"" + std::string(trim(*line)) + "\" (use a positive integer)");
    return;
  }
  post_(cmd_set_chunk_size{*n});
  wait({menu_event_kind::chunk_size_changed, menu_event_kind::command_refused});
}

}  // namespace eachare::cli
