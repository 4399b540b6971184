// sweep: a sweep as a plan of independent runs — the seeds (`--seeds 1..1000`), the share of the
// runs one shard takes (`--shard I/N`), and the ordered list of (file, seed) pairs. The shard rule
// works on any ordered list of independent items, so grading shares (implementation, file) pairs
// with the same `shard_spec` and `shard_items`. Plain values and pure functions; safe from any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eachare::scenario {

// The most runs one sweep may plan (files x seeds). Every result is kept until the reports are
// written, so this bounds memory (a run's report entry is about a kilobyte).
constexpr std::uint64_t max_sweep_runs = 10'000'000;

// `--seeds A..B` (every seed from A to B inclusive) or `--seeds N` (1..N).
struct seed_range {
  std::uint64_t first = 1;
  std::uint64_t last = 1;

  std::uint64_t count() const { return last - first + 1; }
  std::uint64_t at(std::uint64_t i) const { return first + i; }
  // "1..1000" (or "7" for a single seed).
  std::string text() const;
};

// Decimal numbers only: "A..B" with A <= B, or "N" with N >= 1. On failure returns nothing and
// sets `error` to one line saying what was wrong.
std::optional<seed_range> parse_seed_range(std::string_view text, std::string& error);

// `--shard I/N`: the I-th of N shares, I counted from 1. Item k (counted from 0) of an ordered list
// belongs to shard (k mod N) + 1: round robin, so shards of a sweep whose files cost very
// different amounts still get about the same work.
struct shard_spec {
  std::size_t index = 1;
  std::size_t count = 1;

  bool contains(std::size_t item) const { return item % count == index - 1; }
  bool whole() const { return count == 1; }
  // "2/4".
  std::string text() const;
};

// "I/N" with 1 <= I <= N; N at most max_sweep_runs. On failure returns nothing and sets `error`.
std::optional<shard_spec> parse_shard(std::string_view text, std::string& error);

// The items of 0 .. total-1 that belong to `shard`, ascending.
std::vector<std::size_t> shard_items(std::size_t total, const shard_spec& shard);

// One run of a sweep: its position in the whole sweep (every shard counted), the index of its file
// on the command line, and the seed (unset: the file's own `seed:`).
struct sweep_run {
  std::size_t index = 0;
  std::size_t file = 0;
  std::optional<std::uint64_t> seed;
};

// The runs of `shard`, in sweep order: file by file as given, seeds ascending within a file.
// Without `seeds`, one run per file at `fixed_seed` (the --seed flag) or the file's own seed.
// The caller has checked files x seeds <= max_sweep_runs.
std::vector<sweep_run> plan_sweep(std::size_t files, const std::optional<seed_range>& seeds,
                                  const std::optional<std::uint64_t>& fixed_seed,
                                  const shard_spec& shard);

// files x seeds (one seed per file without a range); nothing when it exceeds max_sweep_runs.
std::optional<std::uint64_t> sweep_size(std::size_t files, const std::optional<seed_range>& seeds);

}  // namespace eachare::scenario
