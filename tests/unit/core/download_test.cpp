#include "node/core/download.hpp"

#include <gtest/gtest.h>

namespace eachare {
namespace {

TEST(Download, ThousandBytesAt256TakeFourChunksEndingWith232Bytes) {
  EXPECT_EQ(chunk_count(1000, 256), 4u);
  EXPECT_EQ(chunk_bounds(1000, 256, 0), (chunk_range{0, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 1), (chunk_range{256, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 2), (chunk_range{512, 256}));
  EXPECT_EQ(chunk_bounds(1000, 256, 3), (chunk_range{768, 232}));
}

TEST(Download, ExactMultipleHasNoEmptyTail) {
  EXPECT_EQ(chunk_count(1024, 256), 4u);
  EXPECT_EQ(chunk_bounds(1024, 256, 3), (chunk_range{768, 256}));
  EXPECT_EQ(chunk_bounds(1024, 256, 4), (chunk_range{1024, 0}));
}

TEST(Download, ZeroByteFileStillTakesOneRequest) {
  EXPECT_EQ(chunk_count(0, 256), 1u);
  EXPECT_EQ(chunk_bounds(0, 256, 0), (chunk_range{0, 0}));
  EXPECT_EQ(chunk_count(0, 0), 1u);
}

TEST(Download, ChunkSizeZeroMeansTheWholeFileInOneRequest) {
  EXPECT_EQ(chunk_count(1000, 0), 1u);
  EXPECT_EQ(chunk_bounds(1000, 0, 0), (chunk_range{0, 1000}));
  EXPECT_EQ(chunk_bounds(1000, 0, 1), (chunk_range{1000, 0}));
}

TEST(Download, IndexPastTheEndIsEmptyAtFileSize) {
  EXPECT_EQ(chunk_bounds(1000, 256, 4), (chunk_range{1000, 0}));
  EXPECT_EQ(chunk_bounds(1000, 256, 99), (chunk_range{1000, 0}));
  // Huge indexes must not overflow into a bogus in-range offset.
  EXPECT_EQ(chunk_bounds(1000, 256, UINT64_MAX), (chunk_range{1000, 0}));
  EXPECT_EQ(chunk_bounds(1000, UINT64_MAX, 1), (chunk_range{1000, 0}));
}

TEST(Download, ChunkLargerThanFileIsTheWholeFile) {
  EXPECT_EQ(chunk_count(100, 256), 1u);
  EXPECT_EQ(chunk_bounds(100, 256, 0), (chunk_range{0, 100}));
}

TEST(Download, ChunksTileTheFileExactly) {
  for (std::uint64_t size : {1u, 7u, 255u, 256u, 257u, 1000u, 4099u}) {
    for (std::uint64_t cs : {1u, 3u, 128u, 256u, 1000u}) {
      std::uint64_t next = 0;
      const std::uint64_t n = chunk_count(size, cs);
      for (std::uint64_t i = 0; i < n; ++i) {
        const chunk_range r = chunk_bounds(size, cs, i);
        ASSERT_EQ(r.offset, next) << size << "@" << cs << " #" << i;
        ASSERT_GT(r.length, 0u);
        next += r.length;
      }
      EXPECT_EQ(next, size) << size << "@" << cs;
    }
  }
}

}  // namespace
}  // namespace eachare
