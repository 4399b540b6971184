// test_holder: a deliberately limited EACHare holder for download tests over real sockets. It
// serves ONE connection at a time on one thread with a listen backlog of 1 (like the simplest
// implementations in the wild), answers GET_PEERS, LS and DL for one file, and can misbehave on
// purpose: reset every n-th connection, or "crash" (close its listener) after n connections.
//
// Threading rule: the serving thread is private; the public members may be called from the test
// thread at any time (counters are atomic; crash() and the destructor join the thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace eachare::testing {

struct test_holder_options {
  int backlog = 1;
  // Every n-th accepted connection (1-based) is read, then closed with an RST; 0 = never.
  std::size_t reset_every = 0;
  // After this many accepted connections the listener closes for good (later connects are
  // refused), as when the process is killed.
  std::size_t crash_after = std::numeric_limits<std::size_t>::max();
  // After serving this many chunks, DL requests are read but never answered (their connections
  // stay open until the holder stops): a download hangs mid-way.
  std::size_t stall_after_chunks = std::numeric_limits<std::size_t>::max();
};

class test_holder {
 public:
  test_holder(std::string file_name, std::string content, test_holder_options options = {});
  ~test_holder();
  test_holder(const test_holder&) = delete;
  test_holder& operator=(const test_holder&) = delete;

  std::uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Closes the listener now (connects are refused from here on) and stops serving.
  void crash();

  std::size_t connections() const { return connections_.load(); }
  std::size_t resets() const { return resets_.load(); }
  std::size_t chunks_served() const { return chunks_.load(); }

 private:
  void serve();
  void handle(int fd, std::size_t n);

  std::string name_;
  std::string content_;
  test_holder_options options_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::uint64_t clock_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> connections_{0};
  std::atomic<std::size_t> resets_{0};
  std::atomic<std::size_t> chunks_{0};
  std::vector<int> stalled_;  // connections held open without a reply (serving thread only)
  std::thread thread_;
};

}  // namespace eachare::testing
