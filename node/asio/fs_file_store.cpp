#include "node/asio/fs_file_store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "node/core/errors.hpp"
#include "node/protocol/codec.hpp"

namespace eachare {

namespace fs = std::filesystem;

fs_file_store::fs_file_store(fs::path dir) : dir_(std::move(dir)) {}

std::vector<stored_file> fs_file_store::list() {
  std::vector<stored_file> files;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) return files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!is_safe_file_name(name) || name.starts_with(temp_prefix)) continue;
    std::uint64_t size = 0;
    if (size_of(name, size)) continue;
    files.push_back({name, size});
  }
  std::sort(files.begin(), files.end(),
            [](const stored_file& a, const stored_file& b) { return a.name < b.name; });
  return files;
}

namespace {

std::error_code last_errno() {
  return {errno, std::generic_category()};
}

// Closes a descriptor when it goes out of scope.
struct fd_guard {
  int fd = -1;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

// Never follows a link, never blocks (a FIFO without a writer, a device) and never makes a
// terminal ours: whatever the name turns out to be, fstat on this descriptor says what it is.
constexpr int read_flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

std::error_code open_error() {
  if (errno == ENOENT || errno == ENOTDIR) return errc::not_found;
  return last_errno();
}

}  // namespace

std::error_code fs_file_store::open_checked(std::string_view name, int& fd,
                                            std::uint64_t& size) const {
  fd = -1;
  if (!is_safe_file_name(name) || name.starts_with(temp_prefix)) return errc::invalid_name;
  const fd_guard dir(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.fd < 0) return open_error();
  if (before_open_) before_open_(name);
  std::string target(name);
  fd_guard file(::openat(dir.fd, target.c_str(), read_flags));
  if (file.fd < 0 && errno == ELOOP) {
    // A symlink: followed only to a regular file directly inside the directory, and that name is
    // opened the same way (no link followed), so a swap in between is refused, never followed.
    std::error_code ec;
    const fs::path resolved = fs::canonical(dir_ / target, ec);
    if (ec) return errc::not_found;
    const fs::path root = fs::canonical(dir_, ec);
    if (ec) return errc::io_error;
    if (resolved.parent_path() != root) return errc::not_regular_file;
    target = resolved.filename().string();
    file.fd = ::openat(dir.fd, target.c_str(), read_flags);
    if (file.fd < 0 && errno == ELOOP) return errc::not_regular_file;
  }
  if (file.fd < 0) return open_error();
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return last_errno();
  if (!S_ISREG(st.st_mode)) return errc::not_regular_file;
  size = static_cast<std::uint64_t>(st.st_size);
  fd = file.fd;
  file.fd = -1;  // handed to the caller
  return {};
}

std::error_code fs_file_store::size_of(std::string_view name, std::uint64_t& size) {
  int fd = -1;
  const std::error_code ec = open_checked(name, fd, size);
  const fd_guard file(fd);
  return ec;
}

std::error_code fs_file_store::read(std::string_view name, std::uint64_t offset,
                                    std::uint64_t length, std::string& out) {
  int fd = -1;
  std::uint64_t size = 0;
  const std::error_code ec = open_checked(name, fd, size);
  const fd_guard file(fd);
  if (ec) return ec;
  if (offset >= size || length == 0) return {};
  const std::uint64_t n = std::min(length, size - offset);
  if (n > limits::max_chunk_bytes) return errc::too_large;
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(n));
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(file.fd, out.data() + start + got, static_cast<std::size_t>(n) - got,
                              static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      out.resize(start);
      return last_errno();
    }
    if (r == 0) break;  // the file shrank since fstat
    got += static_cast<std::size_t>(r);
  }
  out.resize(start + got);
  return {};
}

std::error_code fs_file_store::open_part(std::string_view name, std::uint64_t size, part_id& id) {
  if (!is_safe_file_name(name) || name.starts_with(temp_prefix)) return errc::invalid_name;
  (void)size;  // chunks extend the file as they arrive; nothing is reserved up front
  // The temporary name is predictable, so whoever can write to the shared directory could plant a
  // symlink (we would write through it, outside the directory, as whoever runs the peer) or a
  // FIFO (we would block forever) there: create it exclusively, never following a link.
  fs::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = dir_ / (std::string(temp_prefix) + std::to_string(::getpid()) + "-" +
                   std::to_string(++temp_counter_));
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return last_errno();
  }
  if (fd < 0) return std::make_error_code(std::errc::file_exists);
  id = ++part_counter_;
  parts_.emplace(id, part{std::string(name), temp, fd, false});
  return {};
}

std::error_code fs_file_store::write_part(part_id id, std::uint64_t offset, std::string_view data) {
  auto it = parts_.find(id);
  if (it == parts_.end() || it->second.renamed) return errc::not_found;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(it->second.fd, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_errno();
    if (n == 0) return std::make_error_code(std::errc::io_error);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

std::error_code fs_file_store::commit_part(part_id id) {
  auto it = parts_.find(id);
  if (it == parts_.end()) return errc::not_found;
  part& p = it->second;
  const fs::path final_path = dir_ / fs::path(p.name);
  if (!p.renamed) {
    std::error_code ec;
    // Never replace a directory (or anything else that is not a file or a link) by a download.
    const fs::file_status existing = fs::symlink_status(final_path, ec);
    if (!ec && fs::exists(existing) && !fs::is_regular_file(existing) &&
        !fs::is_symlink(existing)) {
      return errc::not_regular_file;
    }
    // The data must be on disk before the name points at it: after a crash the name holds the
    // whole file or the old one, never a hole.
    if (::fsync(p.fd) != 0) return last_errno();
    // rename() replaces a symlink itself, never the file it points to.
    if (::rename(p.temp.c_str(), final_path.c_str()) != 0) return last_errno();
    p.renamed = true;
  }
  // And the rename itself must be on disk before we say "finalizado".
  const int dir_fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return last_errno();
  const int synced = ::fsync(dir_fd);
  const std::error_code sync_error = synced != 0 ? last_errno() : std::error_code();
  ::close(dir_fd);
  if (sync_error) return sync_error;
  ::close(p.fd);
  parts_.erase(it);
  return {};
}

void fs_file_store::discard_part(part_id id) {
  auto it = parts_.find(id);
  if (it == parts_.end()) return;
  ::close(it->second.fd);
  if (!it->second.renamed) ::unlink(it->second.temp.c_str());
  parts_.erase(it);
}

std::vector<std::string> fs_file_store::remove_stale_parts() {
  std::vector<std::string> removed;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) return removed;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!name.starts_with(temp_prefix)) continue;
    // .eachare-part-<pid>-<n>: left by a peer that died mid-download, unless that pid still
    // runs (another peer sharing this directory; ours has written nothing yet).
    const std::string rest = name.substr(temp_prefix.size());
    const long pid = std::strtol(rest.c_str(), nullptr, 10);
    if (pid > 0 && pid != ::getpid() &&
        (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) {
      continue;
    }
    std::error_code rm;
    if (fs::symlink_status(it->path(), rm).type() == fs::file_type::directory) continue;
    if (fs::remove(it->path(), rm)) removed.push_back(name);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

fs_file_store::~fs_file_store() {
  while (!parts_.empty()) discard_part(parts_.begin()->first);
}

}  // namespace eachare
