// menu: the console menu of docs/protocol.md §10 — parsing functions (its text lives in
// node/console/console_text.hpp), the mailbox through which node completions reach the menu,
// and the loop the stdin thread runs.
//
// Threading rule: render_* and parse_* are pure. menu_mailbox is thread-safe (the io thread
// pushes, the stdin thread waits). menu_loop runs on the stdin thread and touches the node only
// by posting commands; everything that needs the address book is rendered on the io thread by
// console_observer, so the menu only ever sees ids and names.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "node/cli/console.hpp"
#include "node/console/console_text.hpp"
#include "node/core/address_book.hpp"
#include "node/core/command.hpp"
#include "node/core/ports.hpp"

namespace eachare::cli {

// ---- rendering (exact strings of docs/protocol.md §10; shared with the simulator) -----------
using console_text::render_local_files;
using console_text::render_menu;
using console_text::render_peer_listing;
using console_text::render_search_table;
using console_text::render_statistics;

// ---- parsing --------------------------------------------------------------------------------
enum class menu_choice : std::uint8_t {
  list_peers = 1,
  get_peers = 2,
  list_local = 3,
  search = 4,
  show_stats = 5,
  set_chunk_size = 6,
  quit = 9,
};
// A menu option typed by the user (surrounding whitespace ignored); nullopt when invalid.
std::optional<menu_choice> parse_menu_choice(std::string_view text);
// An index in [0, max]; nullopt when not a number in range.
std::optional<std::size_t> parse_index(std::string_view text, std::size_t max);
// A signed decimal integer (whitespace around it ignored); nullopt when not one.
std::optional<std::int64_t> parse_integer(std::string_view text);

// ---- completions from the node, for the menu to wait on -------------------------------------
enum class menu_event_kind : std::uint8_t {
  peer_listing,
  get_peers_done,
  hello_done,
  local_files,
  search_results,
  download_finished,
  statistics,
  chunk_size_changed,
  command_refused,
  exit_ready,
};

struct menu_event {
  menu_event_kind kind = menu_event_kind::command_refused;
  std::vector<peer_id> peers;      // peer_listing: row k-1 is peer k
  std::vector<search_row> search;  // search_results
};

class menu_mailbox {
 public:
  void push(menu_event event);
  // The next event of one of `kinds` (others are dropped), or nullopt once stop() was called.
  std::optional<menu_event> wait_for(std::initializer_list<menu_event_kind> kinds);
  void stop();
  bool stopped() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<menu_event> events_;
  bool stopped_ = false;
};

// ---- the loop --------------------------------------------------------------------------------
// Where the menu reads lines from: stdin in the program, a script in tests.
class line_source {
 public:
  virtual ~line_source() = default;
  // The next line without '\n' (and '\r'), or nullopt at end of input or when stopped.
  virtual std::optional<std::string> next_line() = 0;
};

// Reads lines from a file descriptor, polling so stop() ends a blocked read.
class fd_line_source final : public line_source {
 public:
  explicit fd_line_source(int fd) : fd_(fd) {}
  std::optional<std::string> next_line() override;
  void stop() { stop_ = true; }

  // A longer line is cut to this many bytes; the rest of it, up to its '\n', is dropped.
  static constexpr std::size_t max_line_bytes = std::size_t{1} << 20;

 private:
  int fd_;
  std::atomic<bool> stop_{false};
  std::string buffer_;
  bool eof_ = false;
  bool skipping_ = false;  // inside the dropped tail of an over-long line
};

class menu_loop {
 public:
  using post_command = std::function<void(command)>;
  menu_loop(console& out, menu_mailbox& mailbox, line_source& input, post_command post);

  // Runs until quit (after the node reported exit_ready), end of input, or the mailbox stops.
  // Returns true when the user chose quit.
  bool run();

 private:
  std::optional<std::string> read();
  void list_peers();
  void search();
  void set_chunk_size();
  bool wait(std::initializer_list<menu_event_kind> kinds, menu_event* out = nullptr);

  console& out_;
  menu_mailbox& mailbox_;
  line_source& input_;
  post_command post_;
};

}  // namespace eachare::cli
