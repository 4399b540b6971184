// harness: drives real `eachare` processes for integration tests and measurements — spawn with
// pipes, feed stdin, wait (with a bound) for lines on stdout, raw loopback sockets for
// wire-level input. Threading rule: one thread per harness object; nothing is shared.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eachare::testing {

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds line_bound = 20s;

// Path of the eachare executable under test (set by CMake).
std::string eachare_binary();

class process {
 public:
  // Starts argv[0] with argv; stdout and stderr both come back through lines(), or go to
  // /dev/null when `discard_output` (a peer whose console nobody reads must never block on a
  // full pipe).
  explicit process(const std::vector<std::string>& argv, bool discard_output = false);
  ~process();
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  void write_line(std::string_view line);
  void close_stdin();
  // Closes our end of the process's stdout/stderr pipe, as a reader that went away would.
  void close_stdout();
  void signal(int sig);

  // Index of the first line >= from equal to `text` (or matching `pred`), waiting up to `bound`
  // for it; nullopt on timeout or when the process ended without printing it.
  std::optional<std::size_t> wait_line(std::string_view text, std::size_t from = 0,
                                       std::chrono::milliseconds bound = line_bound);
  std::optional<std::size_t> wait_line_if(const std::function<bool(const std::string&)>& pred,
                                          std::size_t from = 0,
                                          std::chrono::milliseconds bound = line_bound);
  // Number of lines seen so far (a mark for later searches).
  std::size_t mark();
  // Exit status once the process ended (waiting up to `bound`); nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds bound = line_bound);

  const std::vector<std::string>& lines() const { return lines_; }
  std::string transcript() const;
  pid_t pid() const { return pid_; }

 private:
  // Reads whatever is available within `bound`; false once stdout is closed.
  bool pump(std::chrono::milliseconds bound);

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  bool out_closed_ = false;
  std::optional<int> status_;
  std::string partial_;
  std::vector<std::string> lines_;
};

// A loopback port that was free a moment ago (bind 0, read, release).
std::uint16_t free_port();

// Connects to 127.0.0.1:port, writes `bytes`, half-closes, and reads until the peer closes
// (bounded). Returns what came back; `ok` false when the connection failed.
std::string wire_exchange(std::uint16_t port, std::string_view bytes, bool* ok = nullptr);

// Waits until something accepts connections on 127.0.0.1:port.
bool wait_listening(std::uint16_t port, std::chrono::milliseconds bound = line_bound);

// A listening socket on 127.0.0.1 (ephemeral port) that records the first line of each
// connection it accepts; accept_line() waits for one.
class line_listener {
 public:
  line_listener();
  ~line_listener();
  std::uint16_t port() const { return port_; }
  std::optional<std::string> accept_line(std::chrono::milliseconds bound = line_bound);

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
 public:
  explicit temp_dir(std::string_view tag);
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& p, std::string_view content);
std::string read_file(const std::filesystem::path& p);
std::string deterministic_bytes(std::size_t n, std::uint32_t seed);

// One running peer: its address, files and process.
struct peer_proc {
  std::uint16_t port = 0;
  std::string address;  // 127.0.0.1:<port>
  std::filesystem::path shared;
  std::unique_ptr<process> proc;
};

// Starts eachare on `port` and waits for its first menu prompt. Returns nullptr when it exits
// first (e.g. the port was taken meanwhile); the caller then retries with other ports.
std::unique_ptr<process> start_peer(std::uint16_t port, const std::filesystem::path& neighbours,
                                    const std::filesystem::path& shared,
                                    const std::vector<std::string>& extra = {});

}  // namespace eachare::testing
