#include "node/core/stats.hpp"

#include <cmath>

namespace eachare {

void download_stats::record(std::uint64_t chunk_size, std::uint32_t holders,
                            std::uint64_t file_size, double seconds) {
  if (!samples_) samples_ = std::make_unique<std::map<key, std::vector<double>>>();
  (*samples_)[key{chunk_size, holders, file_size}].push_back(seconds);
}

std::vector<stats_row> download_stats::rows() const {
  std::vector<stats_row> out;
  if (!samples_) return out;
  out.reserve(samples_->size());
  for (const auto& [k, xs] : *samples_) {
    stats_row row;
    row.chunk_size = std::get<0>(k);
    row.holders = std::get<1>(k);
    row.file_size = std::get<2>(k);
    row.count = static_cast<std::uint32_t>(xs.size());
    row.mean_seconds = mean(xs);
    row.stddev_seconds = sample_stddev(xs);
    out.push_back(row);
  }
  return out;
}

double mean(const std::vector<double>& xs) {
  if (xs.empty()) return 0;
  double sum = 0;
  for (double x : xs) sum += x;
  return sum / static_cast<double>(xs.size());
}

double sample_stddev(const std::vector<double>& xs) {
  if (xs.size() < 2) return 0;
  const double m = mean(xs);
  double sq = 0;
  for (double x : xs) sq += (x - m) * (x - m);
  return std::sqrt(sq / static_cast<double>(xs.size() - 1));
}

}  // namespace eachare
