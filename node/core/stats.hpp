// download_stats: the statistics table of option 5 — per (chunk size, holders used, file size),
// count, mean and sample standard deviation of download times. Not thread-safe: owned by one
// peer_node. Rows come out in key order so output is deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "node/core/ports.hpp"

namespace eachare {

class download_stats {
 public:
  void record(std::uint64_t chunk_size, std::uint32_t holders, std::uint64_t file_size,
              double seconds);
  std::vector<stats_row> rows() const;
  bool empty() const { return !samples_ || samples_->empty(); }

 private:
  using key = std::tuple<std::uint64_t, std::uint32_t, std::uint64_t>;
  // Allocated by the first download: every node has a table, few ever download (8 bytes, not
  // an empty std::map's 48, for each of a million simulated peers).
  std::unique_ptr<std::map<key, std::vector<double>>> samples_;
};

// Mean and sample standard deviation (n-1 denominator; 0 for fewer than two samples).
double mean(const std::vector<double>& xs);
double sample_stddev(const std::vector<double>& xs);

}  // namespace eachare
