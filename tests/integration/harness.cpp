#include "tests/integration/harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace eachare::testing {

namespace {

using clock_type = std::chrono::steady_clock;

int remaining_ms(clock_type::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Reads until EOF or the deadline.
std::string read_until_close(int fd, clock_type::time_point deadline) {
  std::string out;
  char buf[65536];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r <= 0) return out;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string eachare_binary() {
  return EACHARE_BIN;
}

process::process(const std::vector<std::string>& argv, bool discard_output) {
  int in_pipe[2];
  int out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(in_pipe[0], 0);
    const int out = discard_output ? ::open("/dev/null", O_WRONLY) : out_pipe[1];
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  in_fd_ = in_pipe[1];
  out_fd_ = out_pipe[0];
  if (discard_output) {
    ::close(out_fd_);
    out_fd_ = -1;
    out_closed_ = true;
  }
  ::signal(SIGPIPE, SIG_IGN);
}

process::~process() {
  if (in_fd_ >= 0) ::close(in_fd_);
  if (!status_) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

void process::write_line(std::string_view line) {
  std::string s(line);
  s.push_back('\n');
  std::size_t done = 0;
  while (done < s.size() && in_fd_ >= 0) {
    const ssize_t n = ::write(in_fd_, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void process::close_stdin() {
  if (in_fd_ >= 0) ::close(in_fd_);
  in_fd_ = -1;
}

void process::close_stdout() {
  if (out_fd_ >= 0) ::close(out_fd_);
  out_fd_ = -1;
  out_closed_ = true;
}

void process::signal(int sig) {
  ::kill(pid_, sig);
}

bool process::pump(std::chrono::milliseconds bound) {
  if (out_closed_) return false;
  pollfd p{out_fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, static_cast<int>(bound.count()));
  if (r <= 0) return true;
  char buf[65536];
  const ssize_t n = ::read(out_fd_, buf, sizeof buf);
  if (n <= 0) {
    out_closed_ = true;
    if (!partial_.empty()) lines_.push_back(std::move(partial_));
    partial_.clear();
    return false;
  }
  partial_.append(buf, static_cast<std::size_t>(n));
  std::size_t start = 0;
  for (;;) {
    const auto nl = partial_.find('\n', start);
    if (nl == std::string::npos) break;
    lines_.push_back(partial_.substr(start, nl - start));
    start = nl + 1;
  }
  partial_.erase(0, start);
  return true;
}

std::optional<std::size_t> process::wait_line_if(
    const std::function<bool(const std::string&)>& pred, std::size_t from,
    std::chrono::milliseconds bound) {
  const auto deadline = clock_type::now() + bound;
  std::size_t i = from;
  for (;;) {
    for (; i < lines_.size(); ++i) {
      if (pred(lines_[i])) return i;
    }
    const int left = remaining_ms(deadline);
    if (left == 0) return std::nullopt;
    if (!pump(std::chrono::milliseconds(std::min(left, 200))) && i >= lines_.size()) {
      return std::nullopt;
    }
  }
}

std::optional<std::size_t> process::wait_line(std::string_view text, std::size_t from,
                                              std::chrono::milliseconds bound) {
  return wait_line_if([text](const std::string& l) { return l == text; }, from, bound);
}

std::size_t process::mark() {
  while (pump(0ms) && !out_closed_) {
    pollfd p{out_fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) break;
  }
  return lines_.size();
}

std::optional<int> process::wait_exit(std::chrono::milliseconds bound) {
  if (status_) return status_;
  const auto deadline = clock_type::now() + bound;
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      while (pump(50ms)) {
      }
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (remaining_ms(deadline) == 0) return std::nullopt;
    if (!pump(50ms)) ::usleep(20'000);  // stdout closed: only the exit is left to wait for
  }
}

std::string process::transcript() const {
  std::string out;
  for (const auto& l : lines_) {
    out += l;
    out += '\n';
  }
  if (!partial_.empty()) out += partial_ + "<no newline>\n";
  return out;
}

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string wire_exchange(std::uint16_t port, std::string_view bytes, bool* ok) {
  const auto deadline = clock_type::now() + line_bound;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    if (ok != nullptr) *ok = false;
    return {};
  }
  if (ok != nullptr) *ok = true;
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;  // the peer may close on us (over-long line): read what it said
    done += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply = read_until_close(fd, deadline);
  ::close(fd);
  return reply;
}

bool wait_listening(std::uint16_t port, std::chrono::milliseconds bound) {
  const auto deadline = clock_type::now() + bound;
  while (remaining_ms(deadline) > 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(port);
    const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (up) return true;
    ::usleep(20'000);  // polling a port that is coming up; bounded by `bound`
  }
  return false;
}

line_listener::line_listener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = loopback(0);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(fd_, 16);
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

line_listener::~line_listener() {
  ::close(fd_);
}

std::optional<std::string> line_listener::accept_line(std::chrono::milliseconds bound) {
  const auto deadline = clock_type::now() + bound;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return std::nullopt;
  const int c = ::accept(fd_, nullptr, nullptr);
  if (c < 0) return std::nullopt;
  std::string data = read_until_close(c, deadline);
  ::close(c);
  const auto nl = data.find('\n');
  if (nl != std::string::npos) data.resize(nl);
  return data;
}

temp_dir::temp_dir(std::string_view tag) {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("eachare-it-" + std::string(tag) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

void write_file(const std::filesystem::path& p, std::string_view content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string deterministic_bytes(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x & 0xFF);
  }
  return out;
}

std::unique_ptr<process> start_peer(std::uint16_t port, const std::filesystem::path& neighbours,
                                    const std::filesystem::path& shared,
                                    const std::vector<std::string>& extra) {
  std::vector<std::string> argv{eachare_binary(), "127.0.0.1:" + std::to_string(port),
                                neighbours.string(), shared.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto p = std::make_unique<process>(argv);
  if (!p->wait_line(">")) return nullptr;
  return p;
}

}  // namespace eachare::testing
