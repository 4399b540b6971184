// reply_decoder: the port through which the simulated network has packed PEER_LIST replies
// (sim/packed_peer_list.hpp) made whole — line written, line decoded — before they are
// delivered. A large discovery spends ~40 % of its time there, work that depends on nothing
// but the packed bytes, so an implementation may do it on another core
// (sim/threaded/decode_thread.hpp) while the simulation thread runs the events before the
// delivery. Without one, the network does the same work itself at delivery.
//
// Threading rule: the network calls every member from the simulation thread. What take()
// returns is decode_packed_reply's result for the job's bytes, whichever thread computed it and
// whenever: nothing the simulation observes depends on the implementation or its timing, so a
// run's trace is the same with or without one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/packed_peer_list.hpp"

namespace eachare::sim {

struct packed_reply {
  std::string bytes;                           // pack_peer_list's output
  std::shared_ptr<const name_snapshot> names;  // covers every id in `bytes`
  std::int64_t due_ns = 0;  // virtual time of its delivery: the order work is wanted in
};

class reply_decoder {
 public:
  using ticket = std::uint32_t;
  static constexpr ticket no_ticket = 0xFFFFFFFFu;
  virtual ~reply_decoder() = default;
  // Takes the job over; the ticket names it until release().
  virtual ticket submit(packed_reply job) = 0;
  // The result, computed now if nobody started it; waits if it is being computed. Valid (and
  // its message may be moved from) until release(t).
  virtual decoded_reply& take(ticket t) = 0;
  // Done with job t, taken or not (a reply that is never delivered: the requester's exchange
  // ended first). The job's bytes go back into `bytes` (emptied, its capacity kept), for the
  // caller's next packing: a new buffer for each packed reply was most of the simulation
  // thread's allocation in a large discovery.
  virtual void release(ticket t, std::string& bytes) = 0;
  void release(ticket t) {
    std::string dropped;
    release(t, dropped);
  }
};

}  // namespace eachare::sim
