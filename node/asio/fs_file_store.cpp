#include "node/asio/fs_file_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

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
    fs::path path;
    std::uint64_t size = 0;
    if (resolve(name, path, size)) continue;
    files.push_back({name, size});
  }
  std::sort(files.begin(), files.end(),
            [](const stored_file& a, const stored_file& b) { return a.name < b.name; });
  return files;
}

std::error_code fs_file_store::resolve(std::string_view name, fs::path& path,
                                       std::uint64_t& size) const {
  if (!is_safe_file_name(name) || name.starts_with(temp_prefix)) return errc::invalid_name;
  std::error_code ec;
  path = dir_ / fs::path(std::string(name));
  const fs::file_status link_status = fs::symlink_status(path, ec);
  if (ec || !fs::exists(link_status)) return errc::not_found;
  if (fs::is_symlink(link_status)) {
    // Follow a link only to a regular file that sits directly in the shared directory.
    const fs::path target = fs::canonical(path, ec);
    if (ec) return errc::not_found;
    const fs::path root = fs::canonical(dir_, ec);
    if (ec) return errc::io_error;
    if (target.parent_path() != root) return errc::not_regular_file;
    path = target;
  }
  const fs::file_status status = fs::status(path, ec);
  if (ec) return errc::not_found;
  if (!fs::is_regular_file(status)) return errc::not_regular_file;
  const std::uintmax_t bytes = fs::file_size(path, ec);
  if (ec) return errc::io_error;
  size = static_cast<std::uint64_t>(bytes);
  return {};
}

std::error_code fs_file_store::size_of(std::string_view name, std::uint64_t& size) {
  fs::path path;
  return resolve(name, path, size);
}

std::error_code fs_file_store::read(std::string_view name, std::uint64_t offset,
                                    std::uint64_t length, std::string& out) {
  fs::path path;
  std::uint64_t size = 0;
  if (auto ec = resolve(name, path, size)) return ec;
  if (offset >= size || length == 0) return {};
  const std::uint64_t n = std::min(length, size - offset);
  if (n > limits::max_chunk_bytes) return errc::too_large;
  std::ifstream in(path, std::ios::binary);
  if (!in) return errc::io_error;
  in.seekg(static_cast<std::streamoff>(offset));
  const std::size_t start = out.size();
  out.resize(start + static_cast<std::size_t>(n));
  in.read(out.data() + start, static_cast<std::streamsize>(n));
  const auto got = static_cast<std::size_t>(in.gcount());
  out.resize(start + got);  // the file may have shrunk since resolve()
  if (in.bad()) return errc::io_error;
  return {};
}

std::error_code fs_file_store::write(std::string_view name, std::string_view content) {
  if (!is_safe_file_name(name) || name.starts_with(temp_prefix)) return errc::invalid_name;
  const fs::path final_path = dir_ / fs::path(std::string(name));
  std::error_code ec;
  // Never replace a directory (or anything else that is not a file or a link) by a download.
  const fs::file_status existing = fs::symlink_status(final_path, ec);
  if (!ec && fs::exists(existing) && !fs::is_regular_file(existing) && !fs::is_symlink(existing)) {
    return errc::not_regular_file;
  }
  // The temporary name is predictable, so whoever can write to the shared directory could plant a
  // symlink (we would write through it, outside the directory, as whoever runs the peer) or a
  // FIFO (we would block forever) there: create it exclusively, never following a link.
  fs::path temp;
  int fd = -1;
  for (int attempt = 0; attempt < 16 && fd < 0; ++attempt) {
    temp = dir_ / (std::string(temp_prefix) + std::to_string(::getpid()) + "-" +
                   std::to_string(++temp_counter_));
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return errc::io_error;
  }
  if (fd < 0) return errc::io_error;
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  const bool closed = ::close(fd) == 0;
  if (done != content.size() || !closed) {
    fs::remove(temp, ec);
    return errc::io_error;
  }
  // rename() replaces a symlink itself, never the file it points to.
  fs::rename(temp, final_path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return errc::io_error;
  }
  return {};
}

}  // namespace eachare
