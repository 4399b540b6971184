// console_observer: the real peer's console — the shared console_printer (node/console) writing
// the exact lines of docs/protocol.md §10 to the stdout writer, plus the menu completions it
// hands to the menu's mailbox. Threading rule: called on the node's executor (io thread) only —
// it reads the address book there — and writes through the thread-safe console.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "node/cli/console.hpp"
#include "node/cli/menu.hpp"
#include "node/console/console_printer.hpp"
#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"

namespace eachare::cli {

using console_options = console_text::printer_options;
using console_text::console_line;

// Hands the printer's lines to the stdout writer (which owns locking and flushing).
class console_line_sink final : public console_text::line_sink {
 public:
  explicit console_line_sink(console& out) : out_(out) {}
  void line(std::string_view text) override { out_.line(text); }
  void lines(const std::vector<std::string>& texts) override { out_.lines(texts); }

 private:
  console& out_;
};

namespace detail {
// Base-from-member: the sink must exist before the printer base that writes to it.
struct console_sink_base {
  explicit console_sink_base(console& out) : sink_(out) {}
  console_line_sink sink_;
};
}  // namespace detail

class console_observer final : private detail::console_sink_base,
                               public console_text::console_printer {
 public:
  console_observer(console& out, const address_book& book, menu_mailbox* mailbox,
                   console_options options = {});

  // Called after on_exit_ready is printed/handled (the program stops its io_context there).
  void set_exit_hook(std::function<void()> hook) { exit_hook_ = std::move(hook); }

  void on_peer_listing(const std::vector<peer_row>& rows) override;
  void on_local_files(const std::vector<stored_file>& files) override;
  void on_search_results(const std::vector<search_row>& rows) override;
  void on_download_finished(std::string_view name, download_outcome outcome,
                            std::string_view why) override;
  void on_statistics(const std::vector<stats_row>& rows) override;
  void on_chunk_size_changed(std::uint64_t size) override;
  void on_command_refused(std::string_view why) override;
  void on_get_peers_done() override;
  void on_hello_done(peer_id to) override;
  void on_exit_ready() override;

 private:
  void notify(menu_event event);

  menu_mailbox* mailbox_;
  std::function<void()> exit_hook_;
};

}  // namespace eachare::cli
