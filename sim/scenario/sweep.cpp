#include "sim/scenario/sweep.hpp"

#include <charconv>

namespace eachare::scenario {

namespace {

// A whole decimal number and nothing else (no sign, no spaces).
std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

}  // namespace

std::string seed_range::text() const {
  if (first == last) return std::to_string(first);
  return std::to_string(first) + ".." + std::to_string(last);
}

std::optional<seed_range> parse_seed_range(std::string_view text, std::string& error) {
  const auto dots = text.find("..");
  seed_range r;
  if (dots == std::string_view::npos) {
    const auto n = parse_decimal(text);
    if (!n || *n == 0) {
      error = "--seeds expects N (seeds 1..N, N >= 1) or A..B, got '" + std::string(text) + "'";
      return std::nullopt;
    }
    r.first = 1;
    r.last = *n;
  } else {
    const auto a = parse_decimal(text.substr(0, dots));
    const auto b = parse_decimal(text.substr(dots + 2));
    if (!a || !b) {
      error = "--seeds expects A..B with two decimal numbers, got '" + std::string(text) + "'";
      return std::nullopt;
    }
    if (*a > *b) {
      error = "--seeds " + std::string(text) + ": the first seed is larger than the last";
      return std::nullopt;
    }
    r.first = *a;
    r.last = *b;
  }
  // count() would wrap for 0..2^64-1; anything near that is over the bound anyway.
  if (r.last - r.first >= max_sweep_runs) {
    error = "--seeds " + std::string(text) + ": more than " + std::to_string(max_sweep_runs) +
            " seeds (the most one sweep runs)";
    return std::nullopt;
  }
  return r;
}

std::string shard_spec::text() const {
  return std::to_string(index) + "/" + std::to_string(count);
}

std::optional<shard_spec> parse_shard(std::string_view text, std::string& error) {
  const auto slash = text.find('/');
  const auto i =
      slash == std::string_view::npos ? std::nullopt : parse_decimal(text.substr(0, slash));
  const auto n =
      slash == std::string_view::npos ? std::nullopt : parse_decimal(text.substr(slash + 1));
  if (!i || !n) {
    error =
        "--shard expects I/N (the I-th of N shares, 1 <= I <= N), got '" + std::string(text) + "'";
    return std::nullopt;
  }
  if (*n == 0 || *n > max_sweep_runs) {
    error = "--shard " + std::string(text) + ": N must be between 1 and " +
            std::to_string(max_sweep_runs);
    return std::nullopt;
  }
  if (*i == 0 || *i > *n) {
    error = "--shard " + std::string(text) + ": I must be between 1 and " + std::to_string(*n) +
            " (shards are counted from 1)";
    return std::nullopt;
  }
  return shard_spec{static_cast<std::size_t>(*i), static_cast<std::size_t>(*n)};
}

std::vector<std::size_t> shard_items(std::size_t total, const shard_spec& shard) {
  std::vector<std::size_t> out;
  if (shard.count == 0 || shard.index == 0) return out;
  for (std::size_t k = shard.index - 1; k < total; k += shard.count) out.push_back(k);
  return out;
}

std::optional<std::uint64_t> sweep_size(std::size_t files, const std::optional<seed_range>& seeds) {
  const std::uint64_t per_file = seeds ? seeds->count() : 1;
  if (files > 0 && per_file > max_sweep_runs / files) return std::nullopt;
  return files * per_file;
}

std::vector<sweep_run> plan_sweep(std::size_t files, const std::optional<seed_range>& seeds,
                                  const std::optional<std::uint64_t>& fixed_seed,
                                  const shard_spec& shard) {
  const std::uint64_t per_file = seeds ? seeds->count() : 1;
  std::vector<sweep_run> out;
  for (const auto k : shard_items(files * static_cast<std::size_t>(per_file), shard)) {
    sweep_run r;
    r.index = k;
    r.file = k / static_cast<std::size_t>(per_file);
    if (seeds) {
      r.seed = seeds->at(k % per_file);
    } else {
      r.seed = fixed_seed;
    }
    out.push_back(r);
  }
  return out;
}

}  // namespace eachare::scenario
