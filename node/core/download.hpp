// Chunked downloads (protocol.md §2, §5 option 4): the chunk arithmetic, and chunk_scheduler, the
// pure state machine that decides which chunk goes to which holder, when a failed chunk is tried
// again, and when a holder or the whole download is given up. peer_node does the sending and the
// bookkeeping of content; everything here is deterministic and does no I/O.
//
// Threading rule: plain values; a chunk_scheduler belongs to one download on the node's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <system_error>
#include <vector>

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

// Why one DL exchange did not yield its chunk. The classification is by error code only, so a
// timeout weighs the same whether the transport reported it or a node-side deadline did (both
// say errc::timed_out).
enum class chunk_failure : std::uint8_t {
  refused,    // nobody listens (connection_refused, unreachable): the holder is likely gone
  timed_out,  // no connection or no reply in time: the holder may only be slow or busy
  broken,     // the connection broke or closed without the reply (reset, closed_without_reply)
  bad_reply,  // a reply came but was unusable: malformed, wrong type, wrong name/index/size
};

// Maps a transport error to its class; an empty code (a reply that arrived but was unusable) and
// any code not named above are bad_reply or broken as documented in download.cpp.
chunk_failure classify_chunk_failure(std::error_code ec);
const char* to_string(chunk_failure f);

// What chunk_scheduler allows; the defaults are the node's (protocol.md §5 option 4).
struct download_policy {
  // DL requests in flight over all holders at once.
  std::uint32_t max_in_flight = 16;
  // A holder's own window starts here and grows by one per chunk it delivers (up to
  // max_in_flight) until its first failure, then by one per window's worth of chunks; it halves
  // (at least 1) on each failure. Failures of requests that were already in flight when the
  // holder last failed are the same burst (a full backlog resets them all at once): they are
  // retried but count once, for the window, the rest and the score alike.
  std::uint32_t initial_window = 2;
  // Requests per chunk, the first one included; past it the download fails.
  std::uint32_t max_attempts = 8;
  // Consecutive-failure score at which a holder is dropped for the rest of the download: a
  // refusal or a bad reply adds 2, a timeout or a broken connection 1; a delivered chunk resets
  // it. So a holder is dropped after 2 refusals in a row, or after 4 timeouts in a row.
  std::uint32_t retire_score = 4;
  // After a failure a holder rests backoff_base * 2^(consecutive failures - 1), at most
  // backoff_max, before it is asked again; other holders take the chunk meanwhile.
  std::chrono::nanoseconds backoff_base = std::chrono::milliseconds(50);
  std::chrono::nanoseconds backoff_max = std::chrono::milliseconds(800);
};

// The state of one download's chunks and holders. Memory is O(holders + chunks in flight or
// waiting for a retry), never O(chunks): chunks below the fresh cursor that are neither in
// flight nor waiting are done, so a 1 GiB file at chunk size 1 costs no more than at 1 MiB.
class chunk_scheduler {
 public:
  using duration = std::chrono::nanoseconds;

  // One DL to send: chunk `chunk` to holder index `holder`, its `attempt`-th try (1-based).
  struct request {
    std::uint64_t chunk = 0;
    std::uint32_t holder = 0;
    std::uint32_t attempt = 0;
    friend bool operator==(const request&, const request&) = default;
  };

  enum class state : std::uint8_t { running, complete, no_holder_left, out_of_attempts };

  chunk_scheduler(std::uint64_t chunks, std::uint32_t holders, download_policy policy = {});

  // The next DL to send at `now`, or nothing (window full, holders resting, or nothing left).
  // Retries come before fresh chunks; a retry goes to another holder than the one that failed
  // it when one has room.
  std::optional<request> next(duration now);
  // True when `r` is the attempt still awaited: a late or repeated completion of an attempt that
  // was already settled is not (the caller ignores it).
  bool awaited(const request& r) const;
  void succeeded(const request& r);
  void failed(const request& r, chunk_failure why, duration now);

  state status() const { return state_; }
  // When next() gave nothing only because holders are resting: the earliest time one may be
  // asked again. Nothing when no wake-up is needed (work in flight will call back, or done).
  std::optional<duration> wake_at(duration now) const;

  std::uint64_t chunks() const { return chunks_; }
  std::uint64_t done() const { return done_; }
  std::uint32_t in_flight() const { return in_flight_; }
  // DL requests sent again after a failure.
  std::uint64_t retries() const { return retries_; }
  std::uint32_t holders_dropped() const { return dropped_; }
  bool dropped(std::uint32_t holder) const { return holders_[holder].dropped; }
  // The holder supplied at least one chunk.
  bool delivered(std::uint32_t holder) const { return holders_[holder].delivered; }
  std::uint32_t window(std::uint32_t holder) const { return holders_[holder].window; }
  // For out_of_attempts: the chunk that ran out, and the class of its last failure.
  std::uint64_t exhausted_chunk() const { return exhausted_chunk_; }
  chunk_failure last_failure() const { return last_failure_; }
  // Entries of per-chunk state held now (in flight + waiting for a retry); bounded by the
  // windows, whatever the number of chunks.
  std::size_t chunk_state_entries() const { return flying_.size() + retry_.size(); }

 private:
  struct holder_state {
    std::uint32_t window = 1;
    std::uint32_t in_flight = 0;
    std::uint32_t score = 0;     // consecutive-failure score
    std::uint32_t failures = 0;  // consecutive failures, for the backoff
    std::uint32_t acked = 0;     // chunks delivered since the window last grew (after a failure)
    std::uint64_t epoch = 0;     // counted failures so far; a request remembers it when sent
    duration rest_until{0};
    bool dropped = false;
    bool delivered = false;
    bool failed_once = false;
  };
  struct flight {
    request req;
    std::uint64_t epoch = 0;  // the holder's epoch when sent
  };
  struct waiting {
    std::uint64_t chunk = 0;
    std::uint32_t last_holder = 0;
    std::uint32_t attempts = 0;  // made so far
  };

  // The first holder at or after `start` (cyclically) with room at `now`, or none.
  std::optional<std::uint32_t> pick(std::uint32_t start, duration now) const;
  bool has_room(const holder_state& h, duration now) const;
  std::uint32_t live_holders() const;

  download_policy policy_;
  std::uint64_t chunks_;
  std::vector<holder_state> holders_;
  std::map<std::uint64_t, flight> flying_;  // chunk -> its awaited attempt
  std::deque<waiting> retry_;               // failed chunks, oldest first
  std::uint64_t next_fresh_ = 0;
  std::uint32_t cursor_ = 0;  // round-robin start for fresh chunks
  std::uint64_t done_ = 0;
  std::uint32_t in_flight_ = 0;
  std::uint64_t retries_ = 0;
  std::uint32_t dropped_ = 0;
  state state_ = state::running;
  std::uint64_t exhausted_chunk_ = 0;
  chunk_failure last_failure_ = chunk_failure::broken;
};

}  // namespace eachare
