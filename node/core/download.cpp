#include "node/core/download.hpp"

#include <algorithm>

namespace eachare {

std::uint64_t chunk_count(std::uint64_t file_size, std::uint64_t chunk_size) {
  if (chunk_size == 0 || file_size == 0) return 1;
  return file_size / chunk_size + (file_size % chunk_size != 0 ? 1 : 0);
}

chunk_range chunk_bounds(std::uint64_t file_size, std::uint64_t chunk_size, std::uint64_t index) {
  if (chunk_size == 0) {
    return index == 0 ? chunk_range{0, file_size} : chunk_range{file_size, 0};
  }
  // Checked before multiplying, so a huge index cannot overflow index * chunk_size.
  if (index >= chunk_count(file_size, chunk_size)) {
    return chunk_range{file_size, 0};
  }
  const std::uint64_t offset = index * chunk_size;
  return chunk_range{offset, std::min(chunk_size, file_size - offset)};
}

}  // namespace eachare
