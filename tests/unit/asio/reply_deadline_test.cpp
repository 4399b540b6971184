// The requester's reply deadline over real sockets: a peer_node on asio_transport and
// asio_scheduler asks a server that accepts the connection (and reads the line) but never answers.
// The node, not the socket, decides "timed out", at its configured reply_timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/asio/asio_scheduler.hpp"
#include "node/asio/asio_transport.hpp"
#include "node/core/errors.hpp"
#include "node/core/peer_node.hpp"
#include "tests/support/memory_store.hpp"
#include "tests/support/wait_bound.hpp"

namespace eachare {
namespace {

using namespace std::chrono_literals;
using tcp = boost::asio::ip::tcp;
using steady = std::chrono::steady_clock;
using test::generous;

// Node events of interest, with the steady-clock instant each was seen (observer calls come on
// the io thread; the test thread waits on them).
class timing_observer final : public observer {
 public:
  void on_send_failed(peer_id, std::error_code ec) override {
    std::lock_guard lock(mutex_);
    failures_.push_back({ec, steady::now()});
    cv_.notify_all();
  }
  void on_peer_updated(peer_id, peer_status s, std::uint64_t) override {
    std::lock_guard lock(mutex_);
    statuses_.push_back(s);
    cv_.notify_all();
  }
  void on_get_peers_done() override {
    std::lock_guard lock(mutex_);
    rounds_done_ = true;
    cv_.notify_all();
  }
  bool wait_round(std::chrono::milliseconds bound) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, bound, [&] { return rounds_done_; });
  }
  struct failure {
    std::error_code ec;
    steady::time_point at;
  };
  std::vector<failure> failures() {
    std::lock_guard lock(mutex_);
    return failures_;
  }
  std::vector<peer_status> statuses() {
    std::lock_guard lock(mutex_);
    return statuses_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<failure> failures_;
  std::vector<peer_status> statuses_;
  bool rounds_done_ = false;
};

// A server that accepts every connection, reads what comes and never writes a byte.
class mute_server {
 public:
  mute_server() : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0)) {
    thread_ = std::thread([this] {
      for (;;) {
        auto s = std::make_unique<tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*s, ec);
        if (ec || stop_) return;
        std::lock_guard lock(mutex_);
        held_.push_back(std::move(s));
        cv_.notify_all();
      }
    });
  }
  ~mute_server() {
    stop_ = true;
    boost::asio::io_context cio;
    tcp::socket poke(cio);
    boost::system::error_code ignored;
    poke.connect(acceptor_.local_endpoint(), ignored);  // wakes the blocking accept
    thread_.join();
  }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  bool wait_accepted(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, generous, [&] { return held_.size() >= n; });
  }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<tcp::socket>> held_;
  std::thread thread_;
};

TEST(ReplyDeadline, PeerThatAcceptsButNeverAnswersTimesOutAtTheNodesDeadline) {
  mute_server mute;
  boost::asio::io_context io;
  address_book book;
  transport_options topt;
  topt.reply_timeout = 60s;  // the socket's own bound must not be what ends the wait
  asio_transport net(io, book, topt);
  asio_scheduler sched(io);
  test::memory_store files;
  timing_observer obs;
  node_config config;
  config.self = "127.0.0.1:1";  // never listens: the node only sends here
  config.neighbours = {mute.address()};
  config.reply_timeout = 400ms;
  peer_node node(config, book, net, sched, files, obs);
  node.start();

  auto guard = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::promise<steady::time_point> sent;
  boost::asio::post(io, [&] {
    sent.set_value(steady::now());
    node.on_command(cmd_get_peers{});
  });
  const steady::time_point t0 = sent.get_future().get();
  EXPECT_TRUE(mute.wait_accepted(1)) << "the request connected";
  const bool done = obs.wait_round(generous);
  boost::asio::post(io, [&] {
    net.close();
    guard.reset();
  });
  runner.join();

  ASSERT_TRUE(done) << "the get_peers round never ended";
  const auto failures = obs.failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].ec, errc::timed_out);
  const auto waited = failures[0].at - t0;
  EXPECT_GE(waited, 400ms) << "not before the deadline";
  EXPECT_LT(waited, 30s) << "the node's deadline, not the socket's 60 s bound";
  EXPECT_EQ(obs.statuses(), std::vector<peer_status>{peer_status::offline});
  EXPECT_EQ(net.outbound_active(), 0u) << "the abandoned connection is released";
}

}  // namespace
}  // namespace eachare
