// decode_thread: a reply_decoder (sim/reply_decoder.hpp) that makes packed PEER_LIST replies
// whole on one helper thread, earliest delivery first, while the simulation thread runs the
// events before them. At most `window` finished results wait to be taken (each holds a whole
// line and its decoded entries, ~80 bytes per entry), so memory stays bounded however far
// ahead the submissions go; when the simulation thread needs a job nobody has started, it does
// that job itself instead of waiting, and when it needs the one the helper is on, it does the
// next jobs nobody has started until that one is done (at most another `window` of results).
//
// Threading rule: submit / take / release come from one thread (the simulation's). The helper
// thread, started on the first submit and joined by the destructor, touches a job only between
// claiming it and marking it done, under the mutex for both; it runs decode_packed_reply, which
// reads the job's bytes and its name_snapshot and nothing else. The only directory outside
// sim/'s no-threads rule (tools/lint_seam.sh): its results do not depend on its timing.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/reply_decoder.hpp"

namespace eachare::sim {

class decode_thread final : public reply_decoder {
 public:
  explicit decode_thread(std::size_t window = 64);
  ~decode_thread() override;
  decode_thread(const decode_thread&) = delete;
  decode_thread& operator=(const decode_thread&) = delete;

  ticket submit(packed_reply job) override;
  decoded_reply& take(ticket t) override;
  using reply_decoder::release;
  void release(ticket t, std::string& bytes) override;

  // What the helper did and what the simulation thread had to do itself (for benchmarks).
  struct counters {
    std::uint64_t submitted = 0;
    std::uint64_t by_helper = 0;        // finished by the helper thread
    std::uint64_t by_caller = 0;        // not started when taken: done by the simulation thread
    std::uint64_t waited = 0;           // taken while the helper was on it
    std::uint64_t ahead_by_caller = 0;  // done by the simulation thread while it waited
    std::uint64_t never_taken = 0;      // released without a take (the reply was not delivered)
    std::uint64_t released = 0;         // every job, taken or not: submitted - released are open
    std::uint64_t results = 0;          // results ever made (each is reused): the memory high mark
  };
  counters stats() const;

 private:
  enum class state : std::uint8_t { free, pending, running, done, taken };
  struct job_slot {
    packed_reply job;
    decoded_reply* out = nullptr;  // from spare_ while running / done / taken
    state st = state::free;
    bool ahead_by_caller = false;  // done by the simulation thread while it waited (ready_ahead_)
    std::uint32_t gen = 0;         // tells a stale queue entry from the slot's current job
  };
  struct queued {
    std::int64_t due_ns;
    std::uint64_t order;  // submission order: equal due times go first come, first served
    ticket t;
    std::uint32_t gen;
  };
  static bool later(const queued& a, const queued& b);
  void run();
  // Under the mutex: drops queue entries whose job was claimed or released meanwhile.
  void prune();
  decoded_reply* spare_output();  // under the mutex
  // Under the mutex, with the queue's front pruned: claims that job, makes it whole with the
  // mutex released, and marks it done (the caller counts it).
  job_slot* do_front(std::unique_lock<std::mutex>& lock);
  // Under the mutex: a done job is taken or released (its count goes down).
  void done_taken(job_slot& s);
  // Under the mutex: whether the helper sleeps and a result taken or released should wake it.
  bool room_again() const;

  const std::size_t window_;
  mutable std::mutex mutex_;
  std::condition_variable work_;  // the helper: a job, room in the window, or stop
  std::condition_variable done_;  // the simulation thread: the job it waits for is done
  std::vector<std::unique_ptr<job_slot>> slots_;  // a slot never moves; the vector may
  std::vector<ticket> free_slots_;
  std::vector<queued> queue_;  // a min-heap on (due_ns, order), with stale entries
  std::vector<std::unique_ptr<decoded_reply>> outputs_;  // every output ever made
  std::deque<decoded_reply*> spare_;                     // released results, reused oldest first
  std::size_t ready_ = 0;                                // done and not yet taken or released
  // Done by the simulation thread ahead of its turn while it waited, not yet taken: bounded by
  // the window on its own, so that they never hold the helper back.
  std::size_t ready_ahead_ = 0;
  std::uint64_t next_order_ = 0;
  bool stop_ = false;
  bool helper_waiting_ = false;  // on work_; the simulation thread wakes it only then
  counters stats_;
  std::thread helper_;  // last: started on the first submit, after everything above exists
};

}  // namespace eachare::sim
