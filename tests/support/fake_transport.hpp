// fake_transport: a transport for unit tests that records every send and completes it only when
// the test says so — by hand (complete / reply / succeed), through a responder installed up
// front, or through failure injection (the n-th send fails). Completions are queued and run only
// inside deliver_all() / deliver_next(), never inside send(), as ports.hpp requires.
// Single-threaded: the test thread is the node's executor.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "node/core/errors.hpp"
#include "node/core/ports.hpp"
#include "node/protocol/codec.hpp"

namespace eachare::test {

struct sent_message {
  peer_id to = no_peer;
  message msg;
};

// How a send ends: an error, or success with an optional reply.
struct send_outcome {
  std::error_code ec;
  std::optional<message> reply;
};

class fake_transport final : public transport {
 public:
  // Decides a send's outcome when it is made; nullopt leaves it pending for the test.
  using responder = std::function<std::optional<send_outcome>(peer_id to, const message& msg)>;

  // The id is the send's index + 1.
  send_id send(peer_id to, const message& msg, send_handler on_done) override {
    const std::size_t index = sends_.size();
    sends_.push_back({to, msg});
    handlers_.push_back(std::move(on_done));
    settled_.push_back(false);
    abandoned_.push_back(false);
    send_and_settle(index, to, msg);
    return index + 1;
  }

  // The node gave up on the send: its handler will never run, even if the test completes it.
  void abandon(send_id id) override {
    if (id == 0 || id > abandoned_.size()) return;
    abandoned_[id - 1] = true;
    handlers_[id - 1] = nullptr;
  }

  // Plays a transport that writes lines with the node's own book (the simulator's): the node
  // then builds PEER_LIST replies by id.
  bool shares_address_book() const override { return shares_book; }
  bool shares_book = false;

 private:
  void send_and_settle(std::size_t index, peer_id to, const message& msg) {
    if (fail_nth_ != 0 && sends_.size() == fail_nth_) {
      complete(index, make_error_code(errc::connection_refused));
    } else if (refused_.contains(to)) {
      complete(index, make_error_code(errc::connection_refused));
    } else if (responder_) {
      if (auto outcome = responder_(to, msg)) settle(index, std::move(*outcome));
    }
  }

 public:
  // --- set-up -------------------------------------------------------------------------------
  void set_responder(responder r) { responder_ = std::move(r); }
  // The n-th send (1-based, counted over the transport's life) fails with connection_refused;
  // 0 turns it off.
  void fail_nth_send(std::size_t n) { fail_nth_ = n; }
  // Every send to `p` fails with connection_refused (nobody listens there).
  void refuse(peer_id p) { refused_.insert(p); }
  void accept(peer_id p) { refused_.erase(p); }

  // --- completing sends by hand ------------------------------------------------------------
  void complete(std::size_t index, std::error_code ec) { settle(index, {ec, std::nullopt}); }
  void reply(std::size_t index, message reply_msg) { settle(index, {{}, std::move(reply_msg)}); }
  void succeed(std::size_t index) { settle(index, {}); }

  // Runs queued completions in the order they were queued, including those queued while
  // delivering (auto-replies to sends made by a completion). Returns how many ran.
  std::size_t deliver_all() {
    std::size_t n = 0;
    while (deliver_next()) ++n;
    return n;
  }

  bool deliver_next() { return deliver(/*newest_first=*/false); }

  // Like deliver_all(), but always runs the most recently queued completion first: replies then
  // arrive in the opposite of send order, which node code must tolerate.
  std::size_t deliver_all_newest_first() {
    std::size_t n = 0;
    while (deliver(/*newest_first=*/true)) ++n;
    return n;
  }

  // --- inspection ---------------------------------------------------------------------------
  const std::vector<sent_message>& sends() const { return sends_; }
  std::size_t send_count() const { return sends_.size(); }
  const sent_message& sent(std::size_t index) const { return sends_.at(index); }
  // Sends not yet completed or queued for completion, oldest first.
  std::vector<std::size_t> pending() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < settled_.size(); ++i) {
      if (!settled_[i]) out.push_back(i);
    }
    return out;
  }
  std::size_t queued() const { return queue_.size(); }
  // Whether the node abandoned send `index` (its reply deadline passed).
  bool abandoned(std::size_t index) const { return abandoned_.at(index); }

 private:
  bool deliver(bool newest_first) {
    if (queue_.empty()) return false;
    auto [index, outcome] = std::move(newest_first ? queue_.back() : queue_.front());
    if (newest_first) {
      queue_.pop_back();
    } else {
      queue_.pop_front();
    }
    send_handler handler = std::move(handlers_[index]);
    if (!handler) return true;  // abandoned: the completion goes nowhere
    const std::string line = outcome.reply ? encode(*outcome.reply) : std::string();
    handler(outcome.ec, std::move(outcome.reply), line);
    return true;
  }

  void settle(std::size_t index, send_outcome outcome) {
    if (index >= settled_.size()) throw std::out_of_range("fake_transport: no such send");
    if (settled_[index]) throw std::logic_error("fake_transport: send completed twice");
    settled_[index] = true;
    queue_.emplace_back(index, std::move(outcome));
  }

  std::vector<sent_message> sends_;
  std::vector<send_handler> handlers_;
  std::vector<bool> settled_;
  std::vector<bool> abandoned_;
  std::deque<std::pair<std::size_t, send_outcome>> queue_;
  responder responder_;
  std::size_t fail_nth_ = 0;
  std::set<peer_id> refused_;
};

}  // namespace eachare::test
