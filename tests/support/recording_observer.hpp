// recording_observer: an observer that records every event as one readable string ("clock 3",
// "send 127.0.0.1:9002 HELLO", "added 127.0.0.1:9003 OFFLINE", ...) so tests can assert exact
// sequences, plus the structured results of commands. Single-threaded: the node's executor.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "node/core/address_book.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/message.hpp"

namespace eachare::test {

class recording_observer final : public observer {
 public:
  explicit recording_observer(const address_book& book) : book_(book) {}

  // "<TYPE>" and, for the types that carry them, short arguments: "DL mil.txt 256 3",
  // "FILE mil.txt 232 3", "PEER_LIST 2", "LS_LIST 1". Never the bulky payload.
  static std::string summary(const message& m) {
    std::string s(to_string(m.type()));
    if (const auto* pl = std::get_if<peer_list_body>(&m.body)) {
      s += " " + std::to_string(pl->entries.size());
    } else if (const auto* ls = std::get_if<ls_list_body>(&m.body)) {
      s += " " + std::to_string(ls->files.size());
    } else if (const auto* dl = std::get_if<dl_body>(&m.body)) {
      s += " " + dl->name + " " + std::to_string(dl->chunk_size) + " " +
           std::to_string(dl->chunk_index);
    } else if (const auto* f = std::get_if<file_body>(&m.body)) {
      s += " " + f->name + " " + std::to_string(f->data.size()) + " " +
           std::to_string(f->chunk_index);
    }
    return s;
  }

  void on_clock_changed(std::uint64_t value) override { add("clock " + std::to_string(value)); }
  void on_sending(peer_id to, const message& msg) override {
    add("send " + name(to) + " " + summary(msg));
  }
  void on_request_received(peer_id from, const message& msg, std::string_view) override {
    add("request " + name(from) + " " + summary(msg));
  }
  void on_reply_received(peer_id from, const message& msg, std::string_view) override {
    add("reply " + name(from) + " " + summary(msg));
  }
  void on_send_failed(peer_id to, std::error_code ec) override {
    add("send failed " + name(to) + " " + ec.message());
  }
  void on_peer_added(peer_id p, peer_status s, std::uint64_t) override {
    add("added " + name(p) + " " + std::string(to_string(s)));
  }
  void on_peer_updated(peer_id p, peer_status s, std::uint64_t) override {
    add("updated " + name(p) + " " + std::string(to_string(s)));
  }
  // Each PEER_LIST's changes as reported together (kept apart from events(); the default then
  // reports each as on_peer_added / on_peer_updated, which events() records).
  void on_peers_changed(std::span<const peer_change> changes) override {
    change_lists_.emplace_back(changes.begin(), changes.end());
    observer::on_peers_changed(changes);
  }
  const std::vector<std::vector<peer_change>>& change_lists() const { return change_lists_; }
  void on_warning(std::string_view text) override { add("warning " + std::string(text)); }

  void on_peer_listing(const std::vector<peer_row>& rows) override {
    std::string s = "peers";
    for (const peer_row& r : rows) s += " " + name(r.id) + ":" + std::string(to_string(r.status));
    add(s);
  }
  void on_local_files(const std::vector<stored_file>& files) override {
    std::string s = "local";
    for (const stored_file& f : files) s += " " + f.name + ":" + std::to_string(f.size);
    add(s);
  }
  void on_search_results(const std::vector<search_row>& rows) override {
    search_results = rows;
    std::string s = "search";
    for (const search_row& r : rows) {
      s += " " + r.name + ":" + std::to_string(r.size) + "@";
      for (std::size_t i = 0; i < r.holders.size(); ++i) {
        s += (i == 0 ? "" : ",") + name(r.holders[i]);
      }
    }
    add(s);
  }
  void on_download_started(std::string_view file) override {
    add("download started " + std::string(file));
  }
  void on_download_summary(std::string_view, std::uint64_t retries,
                           std::uint32_t holders_dropped) override {
    last_retries = retries;
    last_holders_dropped = holders_dropped;
  }
  void on_download_finished(std::string_view file, download_outcome outcome,
                            std::string_view why) override {
    ++downloads_finished;
    add("download " + std::string(file) +
        (outcome == download_outcome::completed ? " completed" : " failed " + std::string(why)));
  }
  void on_statistics(const std::vector<stats_row>& rows) override {
    statistics = rows;
    add("statistics " + std::to_string(rows.size()));
  }
  void on_chunk_size_changed(std::uint64_t size) override {
    add("chunk size " + std::to_string(size));
  }
  void on_command_refused(std::string_view why) override { add("refused " + std::string(why)); }
  void on_get_peers_done() override { add("get_peers done"); }
  void on_hello_done(peer_id to) override { add("hello done " + book_.name(to)); }
  void on_leaving() override { add("leaving"); }
  void on_exit_ready() override { add("exit ready"); }

  // --- inspection ---------------------------------------------------------------------------
  const std::vector<std::string>& events() const { return events_; }
  void clear() {
    events_.clear();
    change_lists_.clear();
  }
  // Events that start with `prefix`, in order.
  std::vector<std::string> with_prefix(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const std::string& e : events_) {
      if (e.starts_with(prefix)) out.push_back(e);
    }
    return out;
  }
  std::size_t count(std::string_view prefix) const { return with_prefix(prefix).size(); }
  bool contains(std::string_view event) const {
    return std::find(events_.begin(), events_.end(), event) != events_.end();
  }

  std::vector<search_row> search_results;
  std::vector<stats_row> statistics;
  std::size_t downloads_finished = 0;
  std::uint64_t last_retries = 0;  // from the last on_download_summary
  std::uint32_t last_holders_dropped = 0;

 private:
  std::string name(peer_id p) const {
    return p < book_.size() ? book_.name(p) : "#" + std::to_string(p);
  }
  void add(std::string e) { events_.push_back(std::move(e)); }

  const address_book& book_;
  std::vector<std::string> events_;
  std::vector<std::vector<peer_change>> change_lists_;
};

}  // namespace eachare::test
