// console_printer: the observer that turns a node's structured events into the exact console
// lines of docs/protocol.md §10 and hands them to a line_sink. The real peer's console
// (node/cli/console_observer) writes them to stdout; the simulator writes them to a per-peer
// transcript (`eachare-sim run --console`). One formatter for both, so a transcript is what the
// console would have printed.
//
// Threading rule: called on the node's thread only (it reads the address book there); the sink
// decides whether lines may cross threads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "node/console/console_text.hpp"
#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"

namespace eachare::console_text {

// Where finished console lines go (without '\n').
class line_sink {
 public:
  virtual ~line_sink() = default;
  virtual void line(std::string_view text) = 0;
  // Several lines that belong together (a table): a real console writes them as one block.
  virtual void lines(const std::vector<std::string>& texts) = 0;
};

struct printer_options {
  // --quiet: leave out the message trace (clock, sent/received lines, peer status updates);
  // menu results and warnings are still printed.
  bool quiet = false;
  // FILE lines show this many base64 characters, then "...".
  std::size_t file_preview_chars = default_file_preview_chars;
};

class console_printer : public observer {
 public:
  console_printer(line_sink& out, const address_book& book, printer_options options = {});

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
  void on_download_summary(std::string_view name, std::uint64_t retries,
                           std::uint32_t holders_dropped) override;
  void on_download_finished(std::string_view name, download_outcome outcome,
                            std::string_view why) override;
  void on_statistics(const std::vector<stats_row>& rows) override;
  void on_chunk_size_changed(std::uint64_t size) override;
  void on_command_refused(std::string_view why) override;
  void on_leaving() override;

 protected:
  line_sink& sink() { return out_; }
  const address_book& book() const { return book_; }

 private:
  void trace(std::string_view text);

  line_sink& out_;
  const address_book& book_;
  printer_options options_;
  // " (3 retries, 1 holder dropped)" from on_download_summary, for the download's last line.
  std::string download_summary_;
};

// The retry summary appended to a download's last line: "" when nothing was retried or dropped,
// else " (3 retries, 1 holder dropped)" with only the non-zero parts.
std::string download_summary_suffix(std::uint64_t retries, std::uint32_t holders_dropped);

// A sink that keeps every line (tests, small transcripts).
class vector_sink final : public line_sink {
 public:
  void line(std::string_view text) override { lines_.emplace_back(text); }
  void lines(const std::vector<std::string>& texts) override {
    lines_.insert(lines_.end(), texts.begin(), texts.end());
  }
  const std::vector<std::string>& all() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

}  // namespace eachare::console_text
