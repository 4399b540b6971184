// fs_file_store: eachare::file_store over the shared directory on disk (std::filesystem).
// Only regular files directly inside the directory are ever listed, read or written; a symlink
// counts only when its canonical target is a regular file directly inside the directory too, so
// nothing outside the shared directory is ever read. Writes go to a hidden temporary file in the
// same directory and are renamed into place, so a failed download leaves no partial file.
//
// Threading rule: not synchronised; use it from the node's executor only. Blocking file I/O runs
// on that thread (reads are bounded by limits::max_chunk_bytes).
#pragma once

#include <cstdint>
#include <filesystem>
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
  std::error_code write(std::string_view name, std::string_view content) override;

  const std::filesystem::path& dir() const { return dir_; }

  // Temporary files written by write() start with this prefix; list() hides them.
  static constexpr std::string_view temp_prefix = ".eachare-part-";

 private:
  // The path to open for `name` after every safety check, and its size.
  std::error_code resolve(std::string_view name, std::filesystem::path& path,
                          std::uint64_t& size) const;

  std::filesystem::path dir_;
  std::uint64_t temp_counter_ = 0;
};

}  // namespace eachare
