// external_process: someone else's EACHare program, started the way a person at a terminal
// would run it — its own session and process group, a pseudo-terminal for stdin/stdout/stderr by
// default (C, Java and Python block-buffer a pipe but line-buffer a terminal), or pipes on request.
// Every console line it prints is kept with its arrival time; every wait is bounded; at the end
// its whole process group is killed and reaped, so nothing it started outlives it.
//
// Boost.Process (1.74, Debian 12) has no pseudo-terminal, so spawning is a plain fork/exec with a
// close-on-exec pipe that reports an exec failure (program missing, not executable) to the parent.
//
// Threading rule: one owner thread calls every public member; an internal reader thread drains
// the program's output (so a flooding program never blocks on a full terminal) and is joined by
// the destructor. Line accessors copy under the internal lock.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace eachare::external {

using clock = std::chrono::steady_clock;
using duration = std::chrono::nanoseconds;

// The program could not be started at all; what() is one line naming the program and why.
class spawn_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct spawn_options {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::string cwd;                // working directory; empty: ours
  std::vector<std::pair<std::string, std::string>> env;  // set on top of our environment
  bool use_pty = true;                                   // false: pipes (stdout+stderr in one)
  // A console line longer than this is cut (and marked `cut`); the rest up to '\n' is dropped.
  std::size_t max_line_bytes = 64 * 1024;
  // After this many bytes of output the program counts as flooding: further output is read and
  // dropped (so it never blocks), and flooded() is true.
  std::uint64_t max_output_bytes = 64ull * 1024 * 1024;
};

struct console_line {
  duration time{0};  // arrival, from the epoch given at construction
  std::string text;  // without '\n' and a trailing '\r'; raw bytes (may be invalid UTF-8)
  bool cut = false;  // longer than max_line_bytes
};

class external_process {
 public:
  // Starts the program now. Throws spawn_error when it cannot be started.
  external_process(spawn_options options, clock::time_point epoch);
  ~external_process();
  external_process(const external_process&) = delete;
  external_process& operator=(const external_process&) = delete;

  // Writes `text` + '\n' to its stdin, waiting at most `bound` for room. False (with `why`) when
  // the program does not take it in time (it stopped reading stdin) or its stdin is gone.
  bool write_line(std::string_view text, std::chrono::milliseconds bound, std::string* why);

  // Index of the first line at or after `from` satisfying `pred`, waiting up to `bound`. nullopt
  // on timeout, or when the program's output ended (exit) without such a line.
  std::optional<std::size_t> wait_line(const std::function<bool(std::string_view)>& pred,
                                       std::size_t from, std::chrono::milliseconds bound);
  std::size_t line_count() const;
  console_line line(std::size_t i) const;
  std::vector<console_line> lines(std::size_t from = 0) const;
  // The text after the last '\n' (a prompt like "> " printed without a newline).
  std::string partial() const;

  // Waits up to `bound` for the program to exit; its wait status then (nullopt: still running).
  std::optional<int> wait_exit(std::chrono::milliseconds bound);
  bool running() const;
  // SIGTERM to its process group, up to `grace` for it to go, then SIGKILL to the group; reaps.
  // Idempotent. The destructor does the same with a short grace.
  void kill_group(std::chrono::milliseconds grace);

  bool flooded() const;
  std::uint64_t bytes_read() const;
  pid_t pid() const { return pid_; }
  duration now() const { return clock::now() - epoch_; }

 private:
  void reader();
  void take(const char* data, std::size_t n);
  void reap_locked(bool block);

  spawn_options options_;
  clock::time_point epoch_;
  pid_t pid_ = -1;
  int in_fd_ = -1;             // pty master (shared with out) or the stdin pipe
  int out_fd_ = -1;            // pty master or the stdout/stderr pipe
  int stop_fd_[2] = {-1, -1};  // self-pipe that wakes the reader for shutdown

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<console_line> lines_;
  std::string partial_;
  bool skipping_ = false;  // dropping the rest of a cut line
  bool output_ended_ = false;
  bool flooded_ = false;
  std::uint64_t bytes_ = 0;
  std::optional<int> status_;
  bool reaped_ = false;
  std::thread reader_;
};

// Describes a wait status ("exited with code 3", "killed by signal 9").
std::string describe_status(int status);

// True when `text` is well-formed UTF-8.
bool valid_utf8(std::string_view text);

// `text` with every byte that is not printable ASCII written as \xNN (for quoting raw output).
std::string escape_bytes(std::string_view text, std::size_t max = 300);

}  // namespace eachare::external
