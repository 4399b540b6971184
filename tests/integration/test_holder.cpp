#include "tests/integration/test_holder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace eachare::testing {
namespace {

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16 |
                                              static_cast<unsigned char>(in[i + 1]) << 8 |
                                              static_cast<unsigned char>(in[i + 2]));
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (i < in.size()) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i]) << 16);
    if (i + 1 < in.size())
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1]) << 8);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += i + 1 < in.size() ? alphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const std::size_t end = std::min(line.find(' ', pos), line.size());
    if (end > pos) out.push_back(line.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// One line ('\n' stripped), waiting at most 5 s; empty on timeout or EOF without data.
std::string read_line(int fd) {
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  char buf[4096];
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  line.resize(std::min(line.find('\n'), line.size()));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void write_all(int fd, std::string_view s) {
  while (!s.empty()) {
    const ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    s.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

test_holder::test_holder(std::string file_name, std::string content, test_holder_options options)
    : name_(std::move(file_name)), content_(std::move(content)), options_(options) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("test_holder: socket");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::listen(listen_fd_, options_.backlog) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error("test_holder: bind/listen");
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { serve(); });
}

test_holder::~test_holder() {
  crash();
}

void test_holder::crash() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  for (int fd : stalled_) ::close(fd);
  stalled_.clear();
}

void test_holder::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const std::size_t n = ++connections_;
    handle(fd, n);
    if (n >= options_.crash_after) {
      // Killed: the listener goes away, so later connects are refused; whatever waits in the
      // backlog is reset.
      ::close(listen_fd_);
      listen_fd_ = -1;
      return;
    }
  }
}

void test_holder::handle(int fd, std::size_t n) {
  const std::string line = read_line(fd);
  if (options_.reset_every != 0 && n % options_.reset_every == 0) {
    const linger hard{1, 0};  // close() sends an RST instead of a FIN
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    ::close(fd);
    ++resets_;
    return;
  }
  const std::vector<std::string> f = fields(line);
  std::string reply;
  if (f.size() >= 3) {
    try {
      clock_ = std::max<std::uint64_t>(clock_, std::stoull(f[1])) + 1;
    } catch (const std::exception&) {
    }
    const std::string head = address() + " " + std::to_string(++clock_) + " ";
    if (f[2] == "GET_PEERS") {
      reply = head + "PEER_LIST 0\n";
    } else if (f[2] == "LS") {
      reply = head + "LS_LIST 1 " + name_ + ":" + std::to_string(content_.size()) + "\n";
    } else if (f[2] == "DL" && chunks_.load() >= options_.stall_after_chunks) {
      stalled_.push_back(fd);  // never answered
      return;
    } else if (f[2] == "DL" && f.size() == 6 && f[3] == name_) {
      const std::uint64_t size = std::stoull(f[4]);
      const std::uint64_t index = std::stoull(f[5]);
      std::string_view data;
      if (size == 0) {
        data = content_;
      } else if (index * size < content_.size()) {
        data = std::string_view(content_).substr(index * size, size);
      }
      reply = head + "FILE " + name_ + " " + std::to_string(data.size()) + " " + f[5] + " " +
              base64(data) + "\n";
      ++chunks_;
    }
  }
  write_all(fd, reply);
  ::close(fd);
}

}  // namespace eachare::testing
