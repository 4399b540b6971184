#include "real/external/external_process.hpp"

#include "real/external/cleanup.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>

extern char** environ;

namespace eachare::external {

namespace {

void set_cloexec(int fd) {
  ::fcntl(fd, F_SETFD, ::fcntl(fd, F_GETFD) | FD_CLOEXEC);
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string errno_text(int e) {
  return std::strerror(e);
}

}  // namespace

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped (status " + std::to_string(status) + ")";
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::string escape_bytes(std::string_view text, std::size_t max) {
  std::string out;
  for (const char ch : text.substr(0, max)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else if (c == '\t') {
      out += "\\t";
    } else {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  if (text.size() > max) out += "...";
  return out;
}

external_process::external_process(spawn_options options, clock::time_point epoch)
    : options_(std::move(options)), epoch_(epoch) {
  if (options_.argv.empty() || options_.argv[0].empty()) {
    throw spawn_error("empty command line");
  }
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<char*> argv;
  for (auto& a : options_.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env_map[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
  }
  for (const auto& [k, v] : options_.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int child_in = -1;
  int child_out = -1;
  if (options_.use_pty) {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
      const int e = errno;
      if (master >= 0) ::close(master);
      throw spawn_error("cannot open a pseudo-terminal: " + errno_text(e));
    }
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) {
      ::close(master);
      throw spawn_error("cannot name the pseudo-terminal");
    }
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      const int e = errno;
      ::close(master);
      throw spawn_error("cannot open " + std::string(name) + ": " + errno_text(e));
    }
    // No echo of what we type (it would read as the program's output) and '\n' stays '\n'.
    termios t{};
    if (::tcgetattr(slave, &t) == 0) {
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
      t.c_oflag &= ~static_cast<tcflag_t>(ONLCR);
      ::tcsetattr(slave, TCSANOW, &t);
    }
    in_fd_ = master;
    out_fd_ = master;
    child_in = slave;
    child_out = slave;
  } else {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) throw spawn_error("cannot create a pipe");
    if (::pipe2(out, O_CLOEXEC) != 0) {
      ::close(in[0]);
      ::close(in[1]);
      throw spawn_error("cannot create a pipe");
    }
    in_fd_ = in[1];
    child_in = in[0];
    out_fd_ = out[0];
    child_out = out[1];
  }
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0 || ::pipe2(stop_fd_, O_CLOEXEC) != 0) {
    throw spawn_error("cannot create a pipe");
  }

  const char* cwd = options_.cwd.empty() ? nullptr : options_.cwd.c_str();
  const bool pty = options_.use_pty;
  pid_ = ::fork();
  if (pid_ < 0) {
    const int e = errno;
    throw spawn_error("fork failed: " + errno_text(e));
  }
  if (pid_ == 0) {
    // Child: its own session and process group (the terminal's foreground group), default
    // signal dispositions (ignored signals would survive exec), then the program.
    ::setsid();
    if (pty) ::ioctl(child_in, TIOCSCTTY, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
    ::dup2(child_in, 0);
    ::dup2(child_out, 1);
    ::dup2(child_out, 2);
    int err = 0;
    if (cwd != nullptr && ::chdir(cwd) != 0) {
      err = errno;
    } else {
      ::execvpe(argv[0], argv.data(), envp.data());
      err = errno;
    }
    const int tag[2] = {cwd != nullptr && err != 0 && ::access(cwd, F_OK) != 0 ? 1 : 0, err};
    (void)!::write(report[1], tag, sizeof tag);
    ::_exit(127);
  }
  cleanup::add_group(pid_);
  ::close(report[1]);
  ::close(child_in);
  if (child_out != child_in) ::close(child_out);
  int tag[2] = {0, 0};
  ssize_t got = 0;
  do {
    got = ::read(report[0], tag, sizeof tag);
  } while (got < 0 && errno == EINTR);
  ::close(report[0]);
  if (got == static_cast<ssize_t>(sizeof tag)) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    cleanup::remove_group(pid_);
    close_fd(in_fd_);
    if (out_fd_ != in_fd_) close_fd(out_fd_);
    out_fd_ = -1;
    close_fd(stop_fd_[0]);
    close_fd(stop_fd_[1]);
    if (tag[0] == 1) {
      throw spawn_error("cannot enter working directory '" + options_.cwd +
                        "': " + errno_text(tag[1]));
    }
    throw spawn_error("cannot start '" + options_.argv[0] + "': " + errno_text(tag[1]));
  }
  set_nonblocking(in_fd_);
  set_nonblocking(out_fd_);
  set_cloexec(out_fd_);
  reader_ = std::thread([this] { reader(); });
}

external_process::~external_process() {
  kill_group(std::chrono::milliseconds(500));
  if (stop_fd_[1] >= 0) {
    const char b = 1;
    (void)!::write(stop_fd_[1], &b, 1);
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ != in_fd_) close_fd(out_fd_);
  close_fd(in_fd_);
  out_fd_ = -1;
  close_fd(stop_fd_[0]);
  close_fd(stop_fd_[1]);
}

void external_process::take(const char* data, std::size_t n) {
  // Called with mutex_ held.
  bytes_ += n;
  if (bytes_ > options_.max_output_bytes) {
    flooded_ = true;
    return;
  }
  const auto t = now();
  for (std::size_t i = 0; i < n; ++i) {
    const char c = data[i];
    if (c == '\n') {
      if (!skipping_) {
        console_line l;
        l.time = t;
        l.text = std::move(partial_);
        if (!l.text.empty() && l.text.back() == '\r') l.text.pop_back();
        lines_.push_back(std::move(l));
      }
      partial_.clear();
      skipping_ = false;
      continue;
    }
    if (skipping_) continue;
    partial_ += c;
    if (partial_.size() >= options_.max_line_bytes) {
      console_line l;
      l.time = t;
      l.text = std::move(partial_);
      l.cut = true;
      lines_.push_back(std::move(l));
      partial_.clear();
      skipping_ = true;
    }
  }
}

void external_process::reap_locked(bool block) {
  if (reaped_) return;
  int status = 0;
  pid_t r = 0;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = status;
    reaped_ = true;
  } else if (r < 0) {
    reaped_ = true;  // not our child any more (should not happen)
  }
}

void external_process::reader() {
  char buf[65536];
  bool exited_seen = false;
  for (;;) {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {stop_fd_[0], POLLIN, 0}};
    const int r = ::poll(fds, 2, 50);
    if (r < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    bool ended = false;
    if (r > 0 && fds[0].revents != 0) {
      for (;;) {
        const ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n > 0) {
          std::lock_guard lock(mutex_);
          take(buf, static_cast<std::size_t>(n));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        ended = true;  // EOF, or EIO once every holder of the terminal closed it
        break;
      }
    }
    std::lock_guard lock(mutex_);
    reap_locked(false);
    if (ended) {
      output_ended_ = true;
      changed_.notify_all();
      break;
    }
    // The program exited (its output already drained above): waiters need not wait for EOF,
    // which a descendant still holding the terminal could delay forever.
    if (status_ && exited_seen) output_ended_ = true;
    exited_seen = status_.has_value();
    changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  output_ended_ = true;
  changed_.notify_all();
}

bool external_process::write_line(std::string_view text, std::chrono::milliseconds bound,
                                  std::string* why) {
  std::string data(text);
  data += '\n';
  const auto deadline = clock::now() + bound;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(in_fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      if (why != nullptr) *why = "its stdin is closed (" + errno_text(errno) + ")";
      return false;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) {
      if (why != nullptr) {
        *why = "it stopped reading stdin (input not taken within the stdin bound of " +
               std::to_string(bound.count()) + " ms)";
      }
      return false;
    }
    pollfd p{in_fd_, POLLOUT, 0};
    ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 50)));
  }
  return true;
}

std::optional<std::size_t> external_process::wait_line(
    const std::function<bool(std::string_view)>& pred, std::size_t from,
    std::chrono::milliseconds bound) {
  const auto deadline = clock::now() + bound;
  std::unique_lock lock(mutex_);
  std::size_t i = from;
  for (;;) {
    for (; i < lines_.size(); ++i) {
      if (pred(lines_[i].text)) return i;
    }
    if (output_ended_) return std::nullopt;
    if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
      for (; i < lines_.size(); ++i) {
        if (pred(lines_[i].text)) return i;
      }
      return std::nullopt;
    }
  }
}

std::size_t external_process::line_count() const {
  std::lock_guard lock(mutex_);
  return lines_.size();
}

console_line external_process::line(std::size_t i) const {
  std::lock_guard lock(mutex_);
  return i < lines_.size() ? lines_[i] : console_line{};
}

std::vector<console_line> external_process::lines(std::size_t from) const {
  std::lock_guard lock(mutex_);
  if (from >= lines_.size()) return {};
  return {lines_.begin() + static_cast<std::ptrdiff_t>(from), lines_.end()};
}

std::string external_process::partial() const {
  std::lock_guard lock(mutex_);
  return partial_;
}

std::optional<int> external_process::wait_exit(std::chrono::milliseconds bound) {
  const auto deadline = clock::now() + bound;
  std::unique_lock lock(mutex_);
  while (!status_) {
    reap_locked(false);
    if (status_ || reaped_) break;
    if (clock::now() >= deadline) break;
    changed_.wait_for(lock, std::chrono::milliseconds(20));
  }
  return status_;
}

bool external_process::running() const {
  std::lock_guard lock(mutex_);
  return !reaped_;
}

void external_process::kill_group(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  bool was_running = false;
  {
    std::lock_guard lock(mutex_);
    reap_locked(false);
    was_running = !reaped_;
  }
  if (was_running) {
    ::kill(-pid_, SIGTERM);
    wait_exit(grace);
  }
  // Whatever the program started in its group goes too, even after the program itself exited.
  ::kill(-pid_, SIGKILL);
  std::lock_guard lock(mutex_);
  reap_locked(true);
  cleanup::remove_group(pid_);
}

bool external_process::flooded() const {
  std::lock_guard lock(mutex_);
  return flooded_;
}

std::uint64_t external_process::bytes_read() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace eachare::external
