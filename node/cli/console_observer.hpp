// console_observer: turns the node's structured events into the exact console lines of
// protocol.md §4-§5, and hands menu completions to the menu's mailbox. Threading rule: called
// on the node's executor (io thread) only — it reads the address book there — and writes through
// the thread-safe console.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "node/cli/console.hpp"
#include "node/cli/menu.hpp"
#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"

namespace eachare::cli {

struct console_options {
  // --quiet: leave out the message trace (clock, sent/received lines, peer status updates);
  // menu results and warnings are still printed.
  bool quiet = false;
  // FILE lines show this many base64 characters, then "...".
  std::size_t file_preview_chars = 100;
};

// A protocol line as the console shows it: FILE lines keep their header and the first
// `preview` characters of the base64 field, then "..."; other lines unchanged.
std::string console_line(std::string_view line, std::size_t preview);
// The console text of a message we send (FILE encoded only as far as the preview needs).
std::string console_line(const message& msg, std::size_t preview);

class console_observer final : public observer {
 public:
  console_observer(console& out, const address_book& book, menu_mailbox* mailbox,
                   console_options options = {});

  // Called after on_exit_ready is printed/handled (the program stops its io_context there).
  void set_exit_hook(std::function<void()> hook) { exit_hook_ = std::move(hook); }

  void on_clock_changed(std::uint64_t value) override;
  void on_sending(peer_id to, const message& msg) override;
  void on_request_received(peer_id from, const message& msg, std::string_view line) override;
  void on_reply_received(peer_id from, const message& msg, std::string_view line) override;
  void on_peer_added(peer_id p, peer_status s, std::uint64_t clock) override;
  void on_peer_updated(peer_id p, peer_status s, std::uint64_t clock) override;
  void on_warning(std::string_view text) override;

  void on_peer_listing(const std::vector<peer_row>& rows) override;
  void on_local_files(const std::vector<stored_file>& files) override;
  void on_search_results(const std::vector<search_row>& rows) override;
  void on_download_started(std::string_view name) override;
  void on_download_finished(std::string_view name, download_outcome outcome,
                            std::string_view why) override;
  void on_statistics(const std::vector<stats_row>& rows) override;
  void on_chunk_size_changed(std::uint64_t size) override;
  void on_command_refused(std::string_view why) override;
  void on_get_peers_done() override;
  void on_hello_done(peer_id to) override;
  void on_leaving() override;
  void on_exit_ready() override;

 private:
  void trace(std::string_view text);
  void notify(menu_event event);

  console& out_;
  const address_book& book_;
  menu_mailbox* mailbox_;
  console_options options_;
  std::function<void()> exit_hook_;
};

}  // namespace eachare::cli
