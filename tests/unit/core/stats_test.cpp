#include "node/core/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace eachare {
namespace {

TEST(Stats, MeanAndSampleStddevUseNMinusOne) {
  const std::vector<double> xs{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(xs), 5.0);
  // Sum of squared deviations is 32; n-1 = 7.
  EXPECT_DOUBLE_EQ(sample_stddev(xs), std::sqrt(32.0 / 7.0));
}

TEST(Stats, SingleSampleHasZeroDeviation) {
  EXPECT_DOUBLE_EQ(sample_stddev({0.25}), 0.0);
  EXPECT_DOUBLE_EQ(mean({0.25}), 0.25);
  EXPECT_DOUBLE_EQ(sample_stddev({}), 0.0);
  EXPECT_DOUBLE_EQ(mean({}), 0.0);
}

TEST(Stats, GroupsByChunkSizeHoldersAndFileSize) {
  download_stats s;
  EXPECT_TRUE(s.empty());
  s.record(256, 2, 1000, 0.002);
  s.record(256, 2, 1000, 0.004);
  s.record(256, 1, 1000, 0.010);
  EXPECT_FALSE(s.empty());
  const auto rows = s.rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].chunk_size, 256u);
  EXPECT_EQ(rows[1].holders, 2u);
  EXPECT_EQ(rows[1].file_size, 1000u);
  EXPECT_EQ(rows[1].count, 2u);
  EXPECT_DOUBLE_EQ(rows[1].mean_seconds, 0.003);
  EXPECT_NEAR(rows[1].stddev_seconds, std::sqrt(2.0) * 0.001, 1e-12);
  EXPECT_EQ(rows[0].count, 1u);
  EXPECT_DOUBLE_EQ(rows[0].stddev_seconds, 0.0);
}

TEST(Stats, RowsComeOutInKeyOrderWhateverTheRecordingOrder) {
  download_stats s;
  s.record(512, 1, 10, 1);
  s.record(128, 3, 10, 1);
  s.record(128, 1, 99, 1);
  s.record(128, 1, 10, 1);
  const auto rows = s.rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ((std::tuple{rows[0].chunk_size, rows[0].holders, rows[0].file_size}),
            (std::tuple{128ull, 1u, 10ull}));
  EXPECT_EQ((std::tuple{rows[1].chunk_size, rows[1].holders, rows[1].file_size}),
            (std::tuple{128ull, 1u, 99ull}));
  EXPECT_EQ((std::tuple{rows[2].chunk_size, rows[2].holders, rows[2].file_size}),
            (std::tuple{128ull, 3u, 10ull}));
  EXPECT_EQ(rows[3].chunk_size, 512u);
}

}  // namespace
}  // namespace eachare
