// fs_file_store: eachare::file_store over the shared directory on disk (std::filesystem).
// Only regular files directly inside the directory are ever listed, read or written; a symlink
// counts only when its canonical target is a regular file directly inside the directory too, so
// nothing outside the shared directory is ever read. A read opens the name once (openat with
// O_NOFOLLOW|O_NONBLOCK) and checks that descriptor with fstat, so a file swapped for a FIFO or a
// link after any check can neither block the peer nor lead it outside. A download goes into a
// hidden temporary file (a part) in the same directory, chunk by chunk at its offset, and is
// fsync'd and renamed into place (then the directory fsync'd), so a failed or killed download
// leaves no partial file under the name. Errors keep the system's errno.
//
// Threading rule: not synchronised; use it from the node's executor only. Blocking file I/O runs
// on that thread (reads are bounded by limits::max_chunk_bytes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "node/core/ports.hpp"

namespace eachare {

class fs_file_store final : public file_store {
 public:
  explicit fs_file_store(std::filesystem::path dir);

  std::vector<stored_file> list() override;
  std::error_code size_of(std::string_view name, std::uint64_t& size) override;
  std::error_code read(std::string_view name, std::uint64_t offset, std::uint64_t length,
                       std::string& out) override;
  std::error_code open_part(std::string_view name, std::uint64_t size, part_id& part) override;
  std::error_code write_part(part_id part, std::uint64_t offset, std::string_view data) override;
  std::error_code commit_part(part_id part) override;
  void discard_part(part_id part) override;
  ~fs_file_store() override;
  fs_file_store(const fs_file_store&) = delete;
  fs_file_store& operator=(const fs_file_store&) = delete;

  // Removes the temporary files (`.eachare-part-<pid>-<n>`) that a peer killed mid-download
  // left behind: those whose pid no longer runs, and any carrying our own pid (we have written
  // none yet). Call once at start. Returns the names removed, sorted.
  std::vector<std::string> remove_stale_parts();

  const std::filesystem::path& dir() const { return dir_; }

  // For tests only: called with the name after the name checks, right before the file is opened,
  // so a test can swap the file (for a FIFO, a symlink) exactly where a check-then-open race
  // would.
  void set_before_open_for_tests(std::function<void(std::string_view)> hook) {
    before_open_ = std::move(hook);
  }

  // Temporary files written by write() start with this prefix; list() hides them.
  static constexpr std::string_view temp_prefix = ".eachare-part-";

 private:
  // Opens `name` for reading once (openat, no link followed, never blocking) and checks that
  // descriptor: a regular file, directly in the directory or through a link to one there. On
  // success `fd` is the caller's to close and `size` its size.
  std::error_code open_checked(std::string_view name, int& fd, std::uint64_t& size) const;

  struct part {
    std::string name;
    std::filesystem::path temp;
    int fd = -1;
    bool renamed = false;  // the rename happened; only the directory's fsync is left
  };

  std::filesystem::path dir_;
  std::function<void(std::string_view)> before_open_;
  std::uint64_t temp_counter_ = 0;
  std::map<part_id, part> parts_;
  part_id part_counter_ = 0;
};

}  // namespace eachare
