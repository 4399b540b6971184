// Chunk arithmetic and holder assignment for chunked downloads (protocol.md §2, §5 option 4).
// Pure functions; no threading concerns. The stateful download itself lives in peer_node.
#pragma once

#include <cstdint>

namespace eachare {

// Number of DL requests a file needs: ceil(size / chunk_size); chunk_size 0 (part 2) means one
// request for the whole file; a zero-byte file still takes one request (an empty chunk 0), so
// the holder is asked and the download is timed like any other.
std::uint64_t chunk_count(std::uint64_t file_size, std::uint64_t chunk_size);

struct chunk_range {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // 0 past the end
  friend bool operator==(const chunk_range&, const chunk_range&) = default;
};

// Bytes [index*chunk_size, min((index+1)*chunk_size, file_size)); chunk_size 0 = whole file for
// index 0. An index past the end gives an empty range at file_size.
chunk_range chunk_bounds(std::uint64_t file_size, std::uint64_t chunk_size, std::uint64_t index);

}  // namespace eachare
