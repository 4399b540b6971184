// measure_loopback: loopback figures for the real peer (not a test; see tools/measure_loopback.sh).
//   1. Time to download one file held by two peers, at chunk 256 and at chunk 1048576.
//   2. HELLO messages per second one peer accepts from clients opening a connection per message.
// Usage: measure_loopback [file_megabytes=10] [hello_seconds=3] [hello_clients=4]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace {

using namespace eachare::testing;
using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

std::string addr(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

double seconds_since(steady::time_point t0) {
  return std::chrono::duration<double>(steady::now() - t0).count();
}

bool measure_download(std::size_t bytes, std::uint64_t chunk) {
  temp_dir dir("measure");
  const std::string content = deterministic_bytes(bytes, 11);
  const std::uint16_t p1 = free_port(), p2 = free_port(), p3 = free_port();
  for (auto [i, port] : {std::pair{2, p2}, std::pair{3, p3}}) {
    fs::create_directories(dir / ("s" + std::to_string(i)));
    write_file(dir / ("s" + std::to_string(i)) / "data.bin", content);
  }
  fs::create_directories(dir / "s1");
  write_file(dir / "n1.txt", addr(p2) + "\n" + addr(p3) + "\n");
  write_file(dir / "none.txt", "");
  const std::string bin = eachare_binary();
  process h2({bin, addr(p2), (dir / "none.txt").string(), (dir / "s2").string()}, true);
  process h3({bin, addr(p3), (dir / "none.txt").string(), (dir / "s3").string()}, true);
  if (!wait_listening(p2) || !wait_listening(p3)) {
    std::cerr << "holders did not start\n";
    return false;
  }
  auto p = start_peer(p1, dir / "n1.txt", dir / "s1");
  if (!p) {
    std::cerr << "requester did not start\n";
    return false;
  }
  std::size_t m = p->mark();
  p->write_line("2");
  p->wait_line("Escolha um comando:", m);
  m = p->mark();
  p->write_line("6");
  p->write_line(std::to_string(chunk));
  p->wait_line("Tamanho de chunk alterado: " + std::to_string(chunk), m);
  m = p->mark();
  p->write_line("4");
  const auto row =
      p->wait_line_if([](const std::string& l) { return l.starts_with("[ 1] data.bin "); }, m);
  if (!row || !p->wait_line("Digite o numero do arquivo para fazer o download:", m)) {
    std::cerr << "search failed\n" << p->transcript();
    return false;
  }
  const auto t0 = steady::now();
  p->write_line("1");
  const auto done = p->wait_line("Download do arquivo data.bin finalizado.", m, 900s);
  const double wall = seconds_since(t0);
  if (!done) {
    std::cerr << "download did not finish\n";
    return false;
  }
  m = p->mark();
  p->write_line("5");
  const auto stats = p->wait_line_if(
      [&](const std::string& l) { return l.starts_with(std::to_string(chunk) + " | "); }, m);
  const bool identical = read_file(dir / "s1" / "data.bin") == content;
  std::size_t console_lines = p->lines().size();
  std::printf(
      "download %zu bytes, 2 holders, chunk %llu: %.3f s wall (menu choice to "
      "'finalizado'), stats row \"%s\", %s, requester printed %zu lines\n",
      bytes, static_cast<unsigned long long>(chunk), wall, stats ? p->lines()[*stats].c_str() : "?",
      identical ? "byte-identical" : "DIFFERENT", console_lines);
  std::fflush(stdout);
  p->write_line("9");
  p->wait_exit();
  return identical;
}

// Sends one line on a new connection and closes; true when connect + write succeeded.
bool send_line(std::uint16_t port, const std::string& line) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size());
  ::close(fd);
  return ok;
}

void measure_hello(double seconds, int clients) {
  temp_dir dir("hello");
  fs::create_directories(dir / "s");
  write_file(dir / "none.txt", "");
  const std::uint16_t port = free_port();
  process peer({eachare_binary(), addr(port), (dir / "none.txt").string(), (dir / "s").string()},
               true);
  if (!wait_listening(port)) {
    std::cerr << "peer did not start\n";
    return;
  }
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto t0 = steady::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const std::string line = "127.0.0.1:" + std::to_string(20000 + c) + " 0 HELLO\n";
      while (!stop) {
        if (send_line(port, line)) {
          ++sent;
        } else {
          ++failed;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the measuring window
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = seconds_since(t0);
  // The peer's clock counts what it handled: every HELLO (clock 0) adds exactly 1; wait until
  // it has drained its backlog, then read it from a PEER_LIST reply (GET_PEERS +1, reply +1).
  std::uint64_t handled = 0;
  const auto t_drain = steady::now();
  for (;;) {
    const std::string reply = wire_exchange(port, "127.0.0.1:1 0 GET_PEERS\n");
    const auto sp = reply.find(' ');
    const std::uint64_t clock =
        sp == std::string::npos ? 0 : std::strtoull(reply.c_str() + sp + 1, nullptr, 10);
    const std::uint64_t now_handled = clock >= 2 ? clock - 2 : 0;
    if (now_handled >= sent || seconds_since(t_drain) > 30) {
      handled = now_handled;
      break;
    }
    handled = now_handled;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the peer catch up
  }
  const double drain = seconds_since(t_drain);
  std::printf(
      "HELLO: %d clients, one connection per message, %.2f s: %llu sent (%llu failed), "
      "%.0f msg/s sent; peer handled %llu (clock-based; %.2f s to drain), "
      "%.0f msg/s handled end to end\n",
      clients, elapsed, static_cast<unsigned long long>(sent.load()),
      static_cast<unsigned long long>(failed.load()), double(sent) / elapsed,
      static_cast<unsigned long long>(handled), drain, double(handled) / (elapsed + drain));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t mb = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10;
  const double hello_seconds = argc > 2 ? std::strtod(argv[2], nullptr) : 3.0;
  const int clients = argc > 3 ? std::atoi(argv[3]) : 4;
  bool ok = true;
  ok = measure_download(mb * 1024 * 1024, 1048576) && ok;
  ok = measure_download(mb * 1024 * 1024, 256) && ok;
  measure_hello(hello_seconds, clients);
  return ok ? 0 : 1;
}
