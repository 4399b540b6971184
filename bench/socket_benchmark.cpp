// Real sockets over loopback (127.0.0.1, ephemeral ports, bounded loops):
// - BM_socket_hello_peer: HELLO lines into one real peer (peer_node on asio_transport, its own
//   executor thread), one TCP connection per message as the protocol has it: connect, write the
//   line, close. Each iteration is a batch of connections and ends when the peer has handled
//   every one of them, so items/s is what the peer absorbs, not what the kernel queues.
// - BM_socket_accept_read_close: the same client against a minimal blocking accept / read-line /
//   close loop written here: the machine's reference for connections per second.
// - BM_socket_download: one peer downloads a file from another real peer (search, then DL per
//   chunk, 16 chunks in flight), at chunk 256 B, 64 KiB and 1 MiB; bytes/s of file content.
// The client is one blocking thread; the peers' executors are one thread each (2 cores).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "node/asio/asio.hpp"
#include "node/asio/asio_scheduler.hpp"
#include "node/asio/asio_transport.hpp"
#include "node/asio/fs_file_store.hpp"
#include "node/core/peer_node.hpp"

namespace eachare::bench {
namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

// Longest wait for the server side to catch up with a batch; a benchmark never hangs.
constexpr auto catch_up_bound = std::chrono::seconds(20);
constexpr int hello_batch = 200;

fs::path make_temp_dir(const char* tag) {
  std::string templ =
      (fs::temp_directory_path() / (std::string("eachare-bench-") + tag + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) return {};
  return templ;
}

// connect(127.0.0.1:port), write `line`, close. False when any step fails.
bool connect_write_close(std::uint16_t port, std::string_view line) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  if (ok) ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  return ok;
}

// Waits (yielding) until `counter` reaches `target` or the bound passes.
bool wait_for(const std::atomic<std::uint64_t>& counter, std::uint64_t target) {
  const auto deadline = steady::now() + catch_up_bound;
  while (counter.load(std::memory_order_acquire) < target) {
    if (steady::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Counts what a real peer reports; called on the peer's executor thread, read by the client.
class counting_observer final : public observer {
 public:
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> searches{0};
  std::atomic<std::uint64_t> downloads{0};
  std::atomic<std::uint64_t> rounds{0};
  std::atomic<bool> download_failed{false};
  void on_get_peers_done() override { rounds.fetch_add(1, std::memory_order_release); }
  void on_request_received(peer_id, const message&, std::string_view) override {
    requests.fetch_add(1, std::memory_order_release);
  }
  void on_search_results(const std::vector<search_row>&) override {
    searches.fetch_add(1, std::memory_order_release);
  }
  void on_download_finished(std::string_view, download_outcome outcome, std::string_view) override {
    if (outcome != download_outcome::completed) download_failed = true;
    downloads.fetch_add(1, std::memory_order_release);
  }
};

// Forwards inbound lines to a node created after listen() (its address needs the bound port).
class late_inbound final : public inbound_handler {
 public:
  peer_node* node = nullptr;
  std::optional<message> on_message(const message& msg, std::string_view line) override {
    return node->on_message(msg, line);
  }
  void on_bad_input(std::string_view what) override { node->on_bad_input(what); }
};

// One real peer on 127.0.0.1:<ephemeral> with its own executor thread.
class real_peer {
 public:
  real_peer(const fs::path& dir, std::vector<std::string> neighbours, std::uint64_t chunk)
      : transport_(io_, book_), scheduler_(io_), files_(dir) {
    transport_.set_inbound_handler(&inbound_);
    ok_ = !transport_.listen("127.0.0.1", 0);
    node_config cfg;
    cfg.self = "127.0.0.1:" + std::to_string(transport_.local_port());
    cfg.chunk_size = chunk;
    cfg.neighbours = std::move(neighbours);
    node_ = std::make_unique<peer_node>(cfg, book_, transport_, scheduler_, files_, observer_);
    inbound_.node = node_.get();
    node_->start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~real_peer() {
    guard_.reset();
    boost::asio::post(io_, [this] { transport_.close(); });
    io_.stop();
    thread_.join();
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return transport_.local_port(); }
  counting_observer& events() { return observer_; }
  // Runs `cmd` on the peer's executor (the only thread that may touch the node).
  void command(command cmd) {
    boost::asio::post(io_, [this, cmd = std::move(cmd)] { node_->on_command(cmd); });
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_{
      boost::asio::make_work_guard(io_)};
  address_book book_;
  asio_transport transport_;
  asio_scheduler scheduler_;
  fs_file_store files_;
  counting_observer observer_;
  late_inbound inbound_;
  std::unique_ptr<peer_node> node_;
  bool ok_ = false;
  std::thread thread_;
};

const std::string hello_line = "127.0.0.1:1 1 HELLO\n";

void BM_socket_hello_peer(benchmark::State& state) {
  const fs::path dir = make_temp_dir("hello");
  std::uint64_t sent = 0;
  {
    real_peer peer(dir, {}, 256);
    if (!peer.ok()) {
      state.SkipWithError("listen failed");
      return;
    }
    for (auto _ : state) {
      const auto t0 = steady::now();
      for (int i = 0; i < hello_batch; ++i) {
        if (!connect_write_close(peer.port(), hello_line)) {
          state.SkipWithError("connect/write failed");
          break;
        }
        ++sent;
      }
      if (!wait_for(peer.events().requests, sent)) {
        state.SkipWithError("the peer did not handle every HELLO in time");
        break;
      }
      state.SetIterationTime(std::chrono::duration<double>(steady::now() - t0).count());
    }
  }
  fs::remove_all(dir);
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
}
BENCHMARK(BM_socket_hello_peer)->UseManualTime()->Unit(benchmark::kMillisecond);

// The reference: accept, read until '\n' (or EOF), close. Blocking, one thread, nothing else.
class accept_read_close_server {
 public:
  accept_read_close_server() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0 &&
          ::listen(listen_fd_, 256) == 0;
    socklen_t len = sizeof a;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    if (ok_) thread_ = std::thread([this] { loop(); });
  }
  ~accept_read_close_server() {
    stop_ = true;
    // Wake the blocking accept with one last connection.
    if (ok_) connect_write_close(port_, "\n");
    if (thread_.joinable()) thread_.join();
    ::close(listen_fd_);
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }
  std::atomic<std::uint64_t> lines{0};

 private:
  void loop() {
    char buf[4096];
    while (!stop_) {
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      for (;;) {
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got <= 0 || std::memchr(buf, '\n', static_cast<std::size_t>(got)) != nullptr) break;
      }
      ::close(fd);
      lines.fetch_add(1, std::memory_order_release);
    }
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void BM_socket_accept_read_close(benchmark::State& state) {
  accept_read_close_server server;
  if (!server.ok()) {
    state.SkipWithError("listen failed");
    return;
  }
  std::uint64_t sent = 0;
  for (auto _ : state) {
    const auto t0 = steady::now();
    for (int i = 0; i < hello_batch; ++i) {
      if (!connect_write_close(server.port(), hello_line)) {
        state.SkipWithError("connect/write failed");
        break;
      }
      ++sent;
    }
    if (!wait_for(server.lines, sent)) {
      state.SkipWithError("the server did not read every line in time");
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(steady::now() - t0).count());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
}
BENCHMARK(BM_socket_accept_read_close)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_socket_download(benchmark::State& state) {
  const auto chunk = static_cast<std::uint64_t>(state.range(0));
  // Enough chunks to measure a steady rate, few enough to keep one iteration short.
  const std::uint64_t file_bytes = chunk <= 256 ? (1u << 20) : (16u << 20);
  const fs::path holder_dir = make_temp_dir("holder");
  const fs::path requester_dir = make_temp_dir("requester");
  {
    std::string content(file_bytes, '\0');
    for (std::size_t i = 0; i < content.size(); ++i) {
      content[i] = static_cast<char>((i * 2654435761u) >> 13);
    }
    std::ofstream(holder_dir / "data.bin", std::ios::binary) << content;
  }
  std::uint64_t bytes = 0;
  {
    real_peer holder(holder_dir, {}, chunk);
    real_peer requester(requester_dir, {"127.0.0.1:" + std::to_string(holder.port())}, chunk);
    if (!holder.ok() || !requester.ok()) {
      state.SkipWithError("listen failed");
      return;
    }
    // Search asks only ONLINE peers: one GET_PEERS round marks the holder ONLINE first.
    requester.command(cmd_get_peers{});
    if (!wait_for(requester.events().rounds, 1)) {
      state.SkipWithError("GET_PEERS did not finish");
      return;
    }
    std::uint64_t searches = 0;
    std::uint64_t downloads = 0;
    for (auto _ : state) {
      requester.command(cmd_search{});
      if (!wait_for(requester.events().searches, ++searches)) {
        state.SkipWithError("search did not finish");
        break;
      }
      const auto t0 = steady::now();
      requester.command(cmd_download{"data.bin", file_bytes});
      if (!wait_for(requester.events().downloads, ++downloads) ||
          requester.events().download_failed) {
        state.SkipWithError("download did not complete");
        break;
      }
      state.SetIterationTime(std::chrono::duration<double>(steady::now() - t0).count());
      bytes += file_bytes;
      state.PauseTiming();
      fs::remove(requester_dir / "data.bin");
      state.ResumeTiming();
    }
  }
  fs::remove_all(holder_dir);
  fs::remove_all(requester_dir);
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}
BENCHMARK(BM_socket_download)
    ->ArgName("chunk")
    ->Arg(256)
    ->Arg(64 * 1024)
    ->Arg(1024 * 1024)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace eachare::bench

BENCHMARK_MAIN();
