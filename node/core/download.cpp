#include "node/core/download.hpp"

#include <algorithm>
#include <cassert>

#include "node/core/errors.hpp"

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

chunk_failure classify_chunk_failure(std::error_code ec) {
  if (!ec) return chunk_failure::bad_reply;  // a reply came, but not the chunk asked for
  if (ec == errc::connection_refused || ec == errc::unreachable ||
      ec == std::errc::connection_refused) {
    return chunk_failure::refused;
  }
  // Whoever noticed the deadline (the transport, or a deadline kept by the node) says timed_out.
  if (ec == errc::timed_out || ec == std::errc::timed_out) return chunk_failure::timed_out;
  if (ec == errc::malformed_reply || ec == errc::unexpected_reply || ec == errc::line_too_long) {
    return chunk_failure::bad_reply;
  }
  // Resets, closes without a reply, and local trouble (e.g. out of descriptors): the holder
  // may be fine, so this weighs least.
  return chunk_failure::broken;
}

const char* to_string(chunk_failure f) {
  switch (f) {
    case chunk_failure::refused:
      return "refused";
    case chunk_failure::timed_out:
      return "timed out";
    case chunk_failure::broken:
      return "connection broken";
    case chunk_failure::bad_reply:
      return "unusable reply";
  }
  return "?";
}

namespace {

std::uint32_t failure_weight(chunk_failure f) {
  // A refusal means nobody listens and a bad reply will likely repeat; a timeout or a reset is
  // what a busy or lossy holder produces now and then.
  return f == chunk_failure::refused || f == chunk_failure::bad_reply ? 2u : 1u;
}

}  // namespace

chunk_scheduler::chunk_scheduler(std::uint64_t chunks, std::uint32_t holders,
                                 download_policy policy)
    : policy_(policy), chunks_(chunks), holders_(holders) {
  assert(holders > 0);
  policy_.max_in_flight = std::max<std::uint32_t>(1, policy_.max_in_flight);
  policy_.max_attempts = std::max<std::uint32_t>(1, policy_.max_attempts);
  policy_.retire_score = std::max<std::uint32_t>(1, policy_.retire_score);
  const std::uint32_t first =
      std::clamp<std::uint32_t>(policy_.initial_window, 1, policy_.max_in_flight);
  for (holder_state& h : holders_) h.window = first;
  if (chunks_ == 0) state_ = state::complete;
}

bool chunk_scheduler::has_room(const holder_state& h, duration now) const {
  return !h.dropped && h.in_flight < h.window && now >= h.rest_until;
}

std::optional<std::uint32_t> chunk_scheduler::pick(std::uint32_t start, duration now) const {
  const auto n = static_cast<std::uint32_t>(holders_.size());
  for (std::uint32_t k = 0; k < n; ++k) {
    const std::uint32_t i = (start + k) % n;
    if (has_room(holders_[i], now)) return i;
  }
  return std::nullopt;
}

std::uint32_t chunk_scheduler::live_holders() const {
  return static_cast<std::uint32_t>(std::count_if(
      holders_.begin(), holders_.end(), [](const holder_state& h) { return !h.dropped; }));
}

std::optional<chunk_scheduler::request> chunk_scheduler::next(duration now) {
  if (state_ != state::running || in_flight_ >= policy_.max_in_flight) return std::nullopt;
  request r;
  if (!retry_.empty()) {
    // Any holder with room will do, but start after the one that failed this chunk, so another
    // holder takes it when there is one.
    const waiting& w = retry_.front();
    const auto h = pick(w.last_holder + 1, now);
    if (!h) return std::nullopt;  // no holder has room: fresh chunks would not fit either
    r = request{w.chunk, *h, w.attempts + 1};
    retry_.pop_front();
    ++retries_;
  } else if (next_fresh_ < chunks_) {
    const auto h = pick(cursor_, now);
    if (!h) return std::nullopt;
    r = request{next_fresh_++, *h, 1};
    cursor_ = static_cast<std::uint32_t>((*h + 1) % holders_.size());
  } else {
    return std::nullopt;
  }
  flying_.emplace(r.chunk, flight{r, holders_[r.holder].epoch});
  ++in_flight_;
  ++holders_[r.holder].in_flight;
  return r;
}

bool chunk_scheduler::awaited(const request& r) const {
  auto it = flying_.find(r.chunk);
  return it != flying_.end() && it->second.req == r;
}

void chunk_scheduler::succeeded(const request& r) {
  if (!awaited(r)) return;
  flying_.erase(r.chunk);
  --in_flight_;
  holder_state& h = holders_[r.holder];
  --h.in_flight;
  h.score = 0;
  h.failures = 0;
  h.delivered = true;
  if (!h.dropped && (!h.failed_once || ++h.acked >= h.window)) {
    h.window = std::min(h.window + 1, policy_.max_in_flight);
    h.acked = 0;
  }
  if (++done_ == chunks_ && state_ == state::running) state_ = state::complete;
}

void chunk_scheduler::failed(const request& r, chunk_failure why, duration now) {
  if (!awaited(r)) return;
  const std::uint64_t sent_epoch = flying_.at(r.chunk).epoch;
  flying_.erase(r.chunk);
  --in_flight_;
  holder_state& h = holders_[r.holder];
  --h.in_flight;
  last_failure_ = why;
  if (!h.dropped && sent_epoch == h.epoch) {
    ++h.epoch;
    h.failed_once = true;
    h.acked = 0;
    h.score += failure_weight(why);
    ++h.failures;
    h.window = std::max<std::uint32_t>(1, h.window / 2);
    const std::uint32_t doublings = std::min<std::uint32_t>(h.failures - 1, 20);
    h.rest_until = now + std::min<duration>(policy_.backoff_max,
                                            policy_.backoff_base * (std::int64_t{1} << doublings));
    if (h.score >= policy_.retire_score) {
      h.dropped = true;
      ++dropped_;
    }
  }
  if (state_ != state::running) return;
  if (r.attempt >= policy_.max_attempts) {
    state_ = state::out_of_attempts;
    exhausted_chunk_ = r.chunk;
    return;
  }
  retry_.push_back(waiting{r.chunk, r.holder, r.attempt});
  if (live_holders() == 0) state_ = state::no_holder_left;
}

std::optional<chunk_scheduler::duration> chunk_scheduler::wake_at(duration now) const {
  if (state_ != state::running || in_flight_ >= policy_.max_in_flight) return std::nullopt;
  if (retry_.empty() && next_fresh_ >= chunks_) return std::nullopt;
  std::optional<duration> earliest;
  for (const holder_state& h : holders_) {
    if (h.dropped || h.in_flight >= h.window || h.rest_until <= now) continue;
    if (!earliest || h.rest_until < *earliest) earliest = h.rest_until;
  }
  return earliest;
}

}  // namespace eachare
