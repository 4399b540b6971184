#include "node/core/peer_node.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "node/core/download.hpp"
#include "node/core/errors.hpp"
#include "node/core/splitmix64.hpp"
#include "node/protocol/codec.hpp"

namespace eachare {
namespace {

// Largest file a download will write. An LS_LIST size comes from the network; the bytes go to
// disk as they arrive (file_store parts), so this bounds disk use, not memory.
constexpr std::uint64_t max_download_bytes = 1ull << 30;
// A commit that fails (disk full, permission denied) is tried again this many times, waiting
// 1 s, 2 s, 4 s: the data stays in the part meanwhile, so freeing space saves the download.
constexpr int max_commit_attempts = 4;

// Names in warnings come from the network: keep the console line a single printable line.
std::string printable(std::string_view s) {
  constexpr std::size_t max_shown = 80;
  std::string out;
  out.reserve(std::min(s.size(), max_shown) + 3);
  for (std::size_t i = 0; i < s.size() && i < max_shown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
  }
  if (s.size() > max_shown) out += "...";
  return out;
}

double to_seconds(duration d) {
  return std::chrono::duration<double>(d).count();
}

// A std::map allocated on first insertion. A node keeps four maps of operations, almost always
// empty; in the simulator a million idle peers paid 48 bytes for each (an empty std::map holds
// its header inline), 8 here. Lookups in a map never created use one shared empty map, so
// find() == end() holds as for a std::map; it is never modified, so sharing it between nodes
// on different threads is safe.
template <class K, class V>
class lazy_map {
 public:
  using map_type = std::map<K, V>;
  using iterator = typename map_type::iterator;

  iterator begin() { return get().begin(); }
  iterator end() { return get().end(); }
  iterator find(const K& k) { return get().find(k); }
  std::size_t size() const { return map_ ? map_->size() : 0; }
  // Only with an iterator of this map, which exists only when the map does.
  iterator erase(iterator it) { return map_->erase(it); }
  typename map_type::node_type extract(iterator it) { return map_->extract(it); }
  V& operator[](const K& k) { return make()[k]; }
  template <class... Args>
  std::pair<iterator, bool> emplace(Args&&... args) {
    return make().emplace(std::forward<Args>(args)...);
  }
  template <class... Args>
  std::pair<iterator, bool> try_emplace(const K& k, Args&&... args) {
    return make().try_emplace(k, std::forward<Args>(args)...);
  }

 private:
  static map_type& empty() {
    static map_type none;
    return none;
  }
  map_type& get() { return map_ ? *map_ : empty(); }
  map_type& make() {
    if (!map_) map_ = std::make_unique<map_type>();
    return *map_;
  }
  std::unique_ptr<map_type> map_;
};

}  // namespace

// Operation state. Completions capture an operation id, never a pointer into these maps: the
// operation may have finished (a download that failed over) before a late completion arrives.
struct peer_node::impl {
  struct round_op {
    std::size_t pending = 0;
    std::size_t asked = 0;
    timer_id deadline = 0;
  };

  struct search_op {
    std::vector<peer_id> targets;                // in the order they were asked (table order)
    std::vector<std::vector<file_entry>> files;  // per target; empty when it failed
    std::size_t pending = 0;
  };

  struct download_op {
    download_op(std::uint64_t chunk_count_, std::uint32_t holder_count, download_policy policy)
        : chunks(chunk_count_, holder_count, policy) {}
    std::string name;
    std::uint64_t size = 0;
    std::uint64_t chunk_size = 0;  // as sent in DL (0 in ep 2: whole file)
    std::vector<peer_id> holders;
    chunk_scheduler chunks;       // which chunk goes where, retries, dropped holders
    std::optional<part_id> part;  // the temporary file the chunks are written into
    double seconds = 0;           // first DL to last chunk, once every chunk arrived
    int commit_attempts = 0;
    std::optional<duration> started;  // first DL sent
    std::string last_error;           // the last failed chunk's reason, for the failure line
    std::optional<timer_id> wake;     // armed while holders rest and work waits for them
    duration wake_time{0};
  };

  struct bye_op {
    std::uint32_t pending = 0;
  };

  // A request waiting for its reply under the node's deadline. The transport gets a handler
  // that names the slot (16 bytes: std::function keeps it inline), the operation's own handler
  // waits here; whichever of the reply and the deadline comes first takes it, and bumping `gen`
  // turns the other into a no-op. Slots are reused, so memory follows the requests in flight,
  // not the peers known.
  struct awaited_reply {
    send_handler done;
    timer_id timer = 0;
    send_id ticket = 0;
    std::uint32_t gen = 0;
    std::uint32_t next_free = 0;  // free-list link while unused
  };
  static constexpr std::uint32_t no_slot = 0xFFFFFFFFu;
  // Allocated with the first request that waits for a reply: a node that only says HELLO and BYE
  // (the million-peer runs) pays one pointer for it.
  struct awaited_pool {
    std::vector<awaited_reply> slots;
    std::uint32_t free = no_slot;
    std::uint32_t count = 0;
  };

  impl(peer_node& node, std::uint64_t rng_seed) : n(node), rng(rng_seed) {}
  ~impl() {
    // No deadline may fire into a destroyed node.
    if (awaited) {
      for (const awaited_reply& a : awaited->slots) {
        if (a.done && a.timer != 0) n.sched_.cancel(a.timer);
      }
    }
    // A resting download's wake-up timer must not call into a destroyed node, and its part
    // must not outlive it.
    for (auto& [op, d] : downloads) {
      if (d.wake) n.sched_.cancel(*d.wake);
      if (d.part) n.files_.discard_part(*d.part);
    }
  }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  peer_node& n;
  splitmix64 rng;
  std::uint64_t next_op = 1;
  std::size_t hellos = 0;
  lazy_map<std::uint64_t, round_op> rounds;
  lazy_map<std::uint64_t, search_op> searches;
  lazy_map<std::uint64_t, download_op> downloads;
  // BYE operations, keyed by the low 32 bits of their op id: a BYE completion captures `this`,
  // that key and the target (16 bytes, which std::function keeps inline; with the 64-bit id it
  // was 24 and each BYE sent cost a heap block). Two keys collide only if 2^32 operations
  // started while a BYE still waited. The first BYE in flight is kept inline (bye_pending != 0)
  // and only a second concurrent one uses the map: a million simulated peers saying BYE paid a
  // map and its node (~130 bytes with malloc's headers) each.
  std::uint32_t bye_key = 0;
  std::uint32_t bye_pending = 0;
  lazy_map<std::uint32_t, bye_op> byes;
  std::unique_ptr<awaited_pool> awaited;
  // Peers refused by a full table since the last warning about it.
  std::size_t not_added = 0;

  // One warning for the peers a full table refused during one event (a PEER_LIST reply may
  // carry thousands: one line, not one each).
  void warn_not_added(std::string_view source) {
    if (not_added == 0) return;
    n.obs_.on_warning("peer table full (" + std::to_string(n.table_.size()) + " peers, limit " +
                      std::to_string(n.table_.max_entries()) + "): " + std::to_string(not_added) +
                      " new peer(s) from " + std::string(source) + " not added");
    not_added = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Events and table updates.

  // What an update of p's record did, as observers are told it; nothing when it changed nothing
  // (`full` is counted for warn_not_added).
  std::optional<peer_change> change_of(peer_id p, table_change change) {
    if (change == table_change::unchanged) return std::nullopt;
    if (change == table_change::full) {
      ++not_added;
      return std::nullopt;
    }
    const peer_record* r = n.table_.find(p);
    assert(r != nullptr);
    return peer_change{p, static_cast<std::uint32_t>(r - n.table_.records().data()), r->status,
                       change == table_change::added, r->clock};
  }

  void emit_change(peer_id p, table_change change) {
    const std::optional<peer_change> c = change_of(p, change);
    if (!c) return;
    if (c->added) {
      n.obs_.on_peer_added(p, c->status, c->clock);
    } else {
      n.obs_.on_peer_updated(p, c->status, c->clock);
    }
  }

  // The receive rules shared by requests and replies: clock, then the sender's direct update.
  void receive(peer_id from, const message& msg, std::string_view line, bool is_request) {
    if (is_request) {
      n.obs_.on_request_received(from, msg, line);
    } else {
      n.obs_.on_reply_received(from, msg, line);
    }
    n.obs_.on_clock_changed(n.clock_.on_receive(msg.clock));
    if (from == n.self_) return;  // never list ourselves, even if someone impersonates us
    const peer_status status =
        msg.type() == message_type::bye ? peer_status::offline : peer_status::online;
    // Part 1 keeps no per-peer clocks: its PEER_LIST shows 0 for everyone.
    const std::uint64_t stored_clock = n.config_.ep == 1 ? 0 : msg.clock;
    emit_change(from, n.table_.on_direct(from, status, stored_clock));
    // printable() builds a string: only when there is something to warn about (it was ~4 % of
    // a 100,000-peer HELLO storm, on every delivery).
    if (not_added != 0) warn_not_added(printable(msg.origin));
  }

  // ------------------------------------------------------------------------------------------
  // Sending.

  message make(message_body body) const {
    message m;
    m.origin = n.config_.self;
    m.body = std::move(body);
    return m;
  }

  // Stamps a message with a fresh tick and announces it; every send attempt and every reply.
  void stamp(peer_id to, message& msg) {
    msg.clock = n.clock_.tick();
    n.obs_.on_clock_changed(msg.clock);
    n.obs_.on_sending(to, msg);
  }

  void send(peer_id to, message msg, send_handler done) {
    stamp(to, msg);
    if (!expects_reply(msg.type()) || n.config_.reply_timeout <= duration{0}) {
      n.net_.send(to, msg, std::move(done));
      return;
    }
    if (!awaited) awaited = std::make_unique<awaited_pool>();
    auto& slots = awaited->slots;
    std::uint32_t slot = awaited->free;
    if (slot != no_slot) {
      awaited->free = slots[slot].next_free;
    } else {
      slot = static_cast<std::uint32_t>(slots.size());
      slots.emplace_back();
    }
    ++awaited->count;
    const std::uint32_t gen = slots[slot].gen;
    slots[slot].done = std::move(done);
    // Armed before the send: in the simulator the deadline then orders among equal-time events
    // exactly where the network's own timeout used to.
    const timer_id timer = n.sched_.schedule_after(
        n.config_.reply_timeout, [this, slot, gen] { on_reply_deadline(slot, gen); });
    const send_id ticket =
        n.net_.send(to, msg,
                    [this, slot, gen](std::error_code ec, std::optional<message>&& reply,
                                      std::string_view line) {
                      on_awaited_reply(slot, gen, ec, std::move(reply), line);
                    });
    // Indexed again: the send may not have grown the pool, but nothing here relies on that.
    awaited->slots[slot].timer = timer;
    awaited->slots[slot].ticket = ticket;
  }

  awaited_reply* awaited_slot(std::uint32_t slot, std::uint32_t gen) {
    if (!awaited || slot >= awaited->slots.size()) return nullptr;
    awaited_reply& a = awaited->slots[slot];
    return a.gen == gen && a.done ? &a : nullptr;
  }

  // Takes the slot's handler and frees the slot; nothing when (slot, gen) is already settled.
  send_handler settle_awaited(std::uint32_t slot, std::uint32_t gen) {
    awaited_reply* a = awaited_slot(slot, gen);
    if (a == nullptr) return {};
    send_handler done = std::move(a->done);
    a->done = nullptr;
    ++a->gen;
    a->next_free = awaited->free;
    awaited->free = slot;
    --awaited->count;
    return done;
  }

  void on_awaited_reply(std::uint32_t slot, std::uint32_t gen, std::error_code ec,
                        std::optional<message>&& reply, std::string_view line) {
    const awaited_reply* a = awaited_slot(slot, gen);
    const timer_id timer = a != nullptr ? a->timer : 0;
    send_handler done = settle_awaited(slot, gen);
    if (!done) return;  // the deadline passed first: the reply is ignored
    if (timer != 0) n.sched_.cancel(timer);
    done(ec, std::move(reply), line);
  }

  // The reply deadline passed: the request failed with timed_out, as any failed send does.
  void on_reply_deadline(std::uint32_t slot, std::uint32_t gen) {
    awaited_reply* a = awaited_slot(slot, gen);
    if (a == nullptr) return;
    a->timer = 0;  // it fired: nothing to cancel
    // The transport may complete the send right here with timed_out (through on_awaited_reply).
    n.net_.abandon(a->ticket);
    send_handler done = settle_awaited(slot, gen);
    if (!done) return;
    done(make_error_code(errc::timed_out), std::nullopt, {});
  }

  void on_send_failure(peer_id to, std::error_code ec) {
    n.obs_.on_send_failed(to, ec);
    // The peer answered, but with nothing we can use: say so, or an interoperability bug looks
    // like a peer that is merely down.
    if (ec == errc::malformed_reply || ec == errc::unexpected_reply || ec == errc::line_too_long) {
      n.obs_.on_warning("unusable reply from " + n.book_.name(to) + ": " + ec.message());
    }
    if (ec == errc::out_of_descriptors) {
      // Our shortage, not the peer's: its status stays as it was.
      n.obs_.on_warning("could not reach " + n.book_.name(to) + ": " + ec.message());
      return;
    }
    if (to == n.self_) return;
    emit_change(to, n.table_.set_status(to, peer_status::offline));
  }

  // The part of every request's completion that does not depend on the operation: failure
  // bookkeeping, or the reply's clock and the responder's status. Returns the reply when it is
  // the expected type.
  const message* complete(peer_id to, std::error_code ec, const std::optional<message>& reply,
                          std::string_view line, message_type expected) {
    if (ec) {
      on_send_failure(to, ec);
      return nullptr;
    }
    if (!reply) {
      on_send_failure(to, make_error_code(errc::closed_without_reply));
      return nullptr;
    }
    receive(to, *reply, line, /*is_request=*/false);
    if (reply->type() != expected) {
      n.obs_.on_warning("expected " + std::string(to_string(expected)) + " from " +
                        n.book_.name(to) + ", got " + std::string(to_string(reply->type())));
      return nullptr;
    }
    return &*reply;
  }

  // ------------------------------------------------------------------------------------------
  // Inbound requests.

  bool on_message(const message& msg, std::string_view line, peer_id from, message& out) {
    assert(from < n.book_.size() && n.book_.name(from) == msg.origin);
    receive(from, msg, line, /*is_request=*/true);
    std::optional<message> reply;
    switch (msg.type()) {
      case message_type::get_peers:
        reply_peer_list(from, out);
        return true;
      case message_type::ls:
        reply = reply_ls_list(from);
        break;
      case message_type::dl:
        reply = reply_file(from, std::get<dl_body>(msg.body));
        break;
      default:
        break;
    }
    if (!reply) return false;
    out = std::move(*reply);
    return true;
  }

  // The whole table by id but for the requester and ourselves, as reply_peer_list's loop would
  // list it when nothing is left out and clocks go as they are: a record and a peer_ref have one
  // layout (the id, then clock << 1 | online), so the table is copied a run at a time between
  // the (at most two) records left out, not an entry at a time (most of building a reply).
  void copy_table_by_id(peer_id requester, std::vector<peer_ref>& out) const {
    static_assert(sizeof(peer_record) == sizeof(peer_ref));
    const auto& records = n.table_.records();
    std::size_t cut[2];
    std::size_t cuts = 0;
    if (const peer_record* r = n.table_.find(requester)) {
      cut[cuts++] = static_cast<std::size_t>(r - records.data());
    }
    if (n.self_ != requester) {
      if (const peer_record* r = n.table_.find(n.self_)) {
        cut[cuts++] = static_cast<std::size_t>(r - records.data());
      }
    }
    if (cuts == 2 && cut[1] < cut[0]) std::swap(cut[0], cut[1]);
    out.resize(records.size() - cuts);
    std::size_t from = 0;
    std::size_t to = 0;
    for (std::size_t k = 0; k <= cuts; ++k) {
      const std::size_t end = k < cuts ? cut[k] : records.size();
      std::memcpy(static_cast<void*>(out.data() + to), records.data() + from,
                  (end - from) * sizeof(peer_ref));
      to += end - from;
      from = end + 1;
    }
#ifndef NDEBUG
    std::size_t k = 0;
    for (const peer_record& r : records) {
      if (r.id == requester || r.id == n.self_) continue;
      assert(out[k] == peer_ref(r.id, r.status, r.clock));
      ++k;
    }
    assert(k == out.size());
#endif
  }

  // Into `reply`, whose PEER_LIST buffers (if it holds one) are reused.
  void reply_peer_list(peer_id requester, message& reply) {
    reply.origin = n.config_.self;
    auto* reused = std::get_if<peer_list_body>(&reply.body);
    auto& list = reused != nullptr ? *reused : reply.body.emplace<peer_list_body>();
    list.entries.clear();
    list.by_id.clear();
    // By id when the transport writes the line from our own book: no string per entry (a
    // discovery builds hundreds of millions of entries).
    const bool by_id = n.net_.shares_address_book();
    const auto& records = n.table_.records();
    const std::size_t most = std::min(records.size(), limits::max_peer_list_entries);
    if (by_id) {
      list.by_id.reserve(most);
    } else {
      list.entries.reserve(most);
    }
    // The line must stay within limits::max_peer_list_bytes whatever clock and count it ends up
    // with, so the header is counted at its widest.
    std::size_t bytes =
        peer_list_header_size(n.config_.self, limits::max_clock, limits::max_peer_list_entries);
    // Each entry is at most its separators, the book's longest name, "OFFLINE" and a 19-digit
    // clock: when even that many cannot pass the bound, no entry's size needs counting.
    const std::size_t widest_entry = 3 + n.book_.longest_name() + 7 + 19;
    const bool may_pass_bound = bytes + most * widest_entry > limits::max_peer_list_bytes;
    if (by_id && !may_pass_bound && n.config_.ep != 1 &&
        records.size() <= limits::max_peer_list_entries) {
      copy_table_by_id(requester, list.by_id);
      stamp(requester, reply);
      return;
    }
    std::size_t count = 0;
    std::size_t left_out = 0;
    for (const peer_record& r : records) {
      if (r.id == requester || r.id == n.self_) continue;
      if (count == limits::max_peer_list_entries) {
        ++left_out;
        continue;
      }
      // Part 1 has no per-peer clocks on the wire: its PEER_LIST says 0 for everyone, whatever a
      // mixed network's lists taught the table.
      const std::uint64_t clock = n.config_.ep == 1 ? 0 : r.clock;
      if (may_pass_bound) {
        const std::size_t size = encoded_size(n.book_.name_size(r.id), r.status, clock);
        if (bytes + size > limits::max_peer_list_bytes) {
          ++left_out;
          continue;
        }
        bytes += size;
      }
      ++count;
      if (by_id) {
        list.by_id.push_back(peer_ref{r.id, r.status, clock});
      } else {
        list.entries.emplace_back(n.book_.name(r.id), r.status, clock, r.id);
      }
    }
    if (left_out > 0) {
      n.obs_.on_warning("PEER_LIST to " + n.book_.name(requester) + " leaves out " +
                        std::to_string(left_out) + " peer(s): over " +
                        std::to_string(limits::max_peer_list_entries) + " entries or " +
                        std::to_string(limits::max_peer_list_bytes) + " bytes");
    }
    stamp(requester, reply);
  }

  std::optional<message> reply_ls_list(peer_id requester) {
    std::vector<stored_file> listed = n.files_.list();
    message reply;
    reply.origin = n.config_.self;
    auto& files = reply.body.emplace<ls_list_body>().files;
    files.reserve(std::min(listed.size(), limits::max_ls_list_entries));
    for (stored_file& f : listed) {
      if (files.size() == limits::max_ls_list_entries) break;
      if (!is_safe_file_name(f.name)) continue;
      files.push_back(file_entry{std::move(f.name), f.size});
    }
    stamp(requester, reply);
    return reply;
  }

  std::optional<message> refuse_dl(peer_id requester, const dl_body& dl, std::string_view why) {
    n.obs_.on_warning("refused DL of '" + printable(dl.name) + "' from " + n.book_.name(requester) +
                      ": " + std::string(why));
    return std::nullopt;
  }

  std::optional<message> reply_file(peer_id requester, const dl_body& dl) {
    if (!is_safe_file_name(dl.name)) return refuse_dl(requester, dl, "unsafe file name");
    std::uint64_t size = 0;
    if (auto ec = n.files_.size_of(dl.name, size)) return refuse_dl(requester, dl, ec.message());
    const chunk_range range = chunk_bounds(size, dl.chunk_size, dl.chunk_index);
    if (range.length > limits::max_chunk_bytes) {
      return refuse_dl(requester, dl,
                       "chunk of " + std::to_string(range.length) + " bytes is over the limit");
    }
    message reply;
    reply.origin = n.config_.self;
    auto& file = reply.body.emplace<file_body>();
    file.name = dl.name;
    file.chunk_index = dl.chunk_index;
    if (range.length > 0) {
      file.data.reserve(range.length);
      if (auto ec = n.files_.read(dl.name, range.offset, range.length, file.data)) {
        return refuse_dl(requester, dl, ec.message());
      }
    }
    file.size_field = file.data.size();
    stamp(requester, reply);
    return reply;
  }

  // ------------------------------------------------------------------------------------------
  // Commands.

  void operator()(const cmd_list_peers&) {
    std::vector<peer_row> rows;
    rows.reserve(n.table_.size());
    for (const peer_record& r : n.table_.records()) rows.push_back({r.id, r.status, r.clock});
    n.obs_.on_peer_listing(rows);
  }

  void operator()(const cmd_hello& c) {
    if (c.to == no_peer || c.to >= n.book_.size() || c.to == n.self_) {
      n.obs_.on_command_refused("no such peer to greet");
      return;
    }
    if (n.table_.add_if_absent(c.to)) {
      emit_change(c.to, table_change::added);
    } else if (n.table_.find(c.to) == nullptr) {
      emit_change(c.to, table_change::full);
      warn_not_added("menu 1");
    }
    ++hellos;
    send(c.to, make(hello_body{}),
         [this, to = c.to](std::error_code ec, std::optional<message>&&, std::string_view) {
           --hellos;
           if (ec) {
             on_send_failure(to, ec);
           } else {
             emit_change(to, n.table_.set_status(to, peer_status::online));
           }
           n.obs_.on_hello_done(to);
         });
  }

  void operator()(const cmd_get_peers& c) {
    const auto& records = n.table_.records();
    std::vector<peer_id> targets;
    if (c.fanout > 0 && c.fanout < records.size()) {
      // Partial Fisher-Yates over table positions, then back to table order so the sends (and
      // the trace) do not depend on the order of the draws.
      std::vector<std::uint32_t> positions(records.size());
      for (std::uint32_t i = 0; i < positions.size(); ++i) positions[i] = i;
      for (std::uint32_t i = 0; i < c.fanout; ++i) {
        const auto j = i + static_cast<std::uint32_t>(rng.below(positions.size() - i));
        std::swap(positions[i], positions[j]);
      }
      positions.resize(c.fanout);
      std::sort(positions.begin(), positions.end());
      targets.reserve(positions.size());
      for (std::uint32_t pos : positions) targets.push_back(records[pos].id);
    } else {
      targets.reserve(records.size());
      for (const peer_record& r : records) targets.push_back(r.id);
    }
    if (targets.empty()) {
      n.obs_.on_get_peers_done();
      return;
    }
    const std::uint64_t op = next_op++;
    round_op& round = rounds[op];
    round.pending = targets.size();
    round.asked = targets.size();
    round.deadline = n.sched_.schedule_after(n.config_.get_peers_round_limit,
                                             [this, op] { on_round_deadline(op); });
    for (peer_id to : targets) {
      send(to, make(get_peers_body{}),
           [this, op, to](std::error_code ec, std::optional<message>&& reply,
                          std::string_view line) { on_peer_list(op, to, ec, reply, line); });
    }
  }

  void on_peer_list(std::uint64_t op, peer_id to, std::error_code ec,
                    const std::optional<message>& reply, std::string_view line) {
    if (const message* m = complete(to, ec, reply, line, message_type::peer_list)) {
      // The changes are reported together once the list is applied (observer::on_peers_changed).
      // One scratch per thread, not per node: a simulation holds thousands of nodes.
      thread_local std::vector<peer_change> changes;
      changes.clear();
      const auto& entries = std::get<peer_list_body>(m->body).entries;
      const peer_entry* const end = entries.data() + entries.size();
      for (const peer_entry* at = entries.data(); at != end; ++at) {
        const peer_entry& e = *at;
        if (end - at > 12) __builtin_prefetch(at + 12);
        // Interned first: an id compare is cheaper than a string compare with our own address.
        // A transport that shares our book gives each entry its id there (peer_entry::book_id:
        // the simulator, which wrote the line from those ids); decoded elsewhere it is
        // no_book_id and the address is interned.
        assert(e.book_id == no_book_id || n.book_.name(e.book_id) == e.address);
        const peer_id p = e.book_id != no_book_id ? e.book_id : n.book_.intern(e.address);
        if (p == n.self_) continue;
        if (const auto c = change_of(p, n.table_.on_list_entry(p, e.status, e.clock))) {
          changes.push_back(*c);
        }
      }
      if (!changes.empty()) n.obs_.on_peers_changed(changes);
      // The source's text only when there is something to warn about: not a string per reply.
      if (not_added != 0) warn_not_added("the PEER_LIST of " + n.book_.name(to));
    }
    auto it = rounds.find(op);
    if (it == rounds.end()) return;  // a late reply after the round's deadline
    if (--it->second.pending == 0) {
      n.sched_.cancel(it->second.deadline);
      rounds.erase(it);
      n.obs_.on_get_peers_done();
    }
  }

  // The round took limits::max_get_peers_round: menu 2 is done; replies still on their way
  // update the table when they come, but no longer hold the menu.
  void on_round_deadline(std::uint64_t op) {
    auto it = rounds.find(op);
    if (it == rounds.end()) return;
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(n.config_.get_peers_round_limit);
    n.obs_.on_warning("get_peers round stopped after " + std::to_string(seconds.count()) +
                      " s: " + std::to_string(it->second.pending) + " of " +
                      std::to_string(it->second.asked) + " peer(s) had not answered");
    rounds.erase(it);
    n.obs_.on_get_peers_done();
  }

  void operator()(const cmd_list_local&) {
    n.obs_.on_local_files(n.files_.list());
  }

  void operator()(const cmd_search&) {
    search_op s;
    for (const peer_record& r : n.table_.records()) {
      if (r.status == peer_status::online) s.targets.push_back(r.id);
    }
    if (s.targets.empty()) {
      n.last_search_.reset();
      n.obs_.on_search_results(n.last_search());
      return;
    }
    s.files.resize(s.targets.size());
    s.pending = s.targets.size();
    const std::uint64_t op = next_op++;
    const std::vector<peer_id> targets = s.targets;
    searches.emplace(op, std::move(s));
    for (std::size_t i = 0; i < targets.size(); ++i) {
      send(targets[i], make(ls_body{}),
           [this, op, i, to = targets[i]](std::error_code ec, std::optional<message>&& reply,
                                          std::string_view line) {
             on_ls_list(op, i, to, ec, std::move(reply), line);
           });
    }
  }

  void on_ls_list(std::uint64_t op, std::size_t target, peer_id to, std::error_code ec,
                  std::optional<message>&& reply, std::string_view line) {
    const message* m = complete(to, ec, reply, line, message_type::ls_list);
    auto it = searches.find(op);
    if (it == searches.end()) return;
    search_op& s = it->second;
    if (m != nullptr) {
      auto& files = s.files[target];
      files = std::move(std::get<ls_list_body>(reply->body).files);
      // Names no download could use ("..", "a/b", control characters) never reach the table:
      // one warning per reply, however many there were.
      const auto unusable =
          std::erase_if(files, [](const file_entry& f) { return !is_safe_file_name(f.name); });
      if (unusable > 0) {
        n.obs_.on_warning("LS_LIST of " + n.book_.name(to) + ": " + std::to_string(unusable) +
                          " unusable file name(s) left out");
      }
    }
    if (--s.pending > 0) return;

    // Rows in first-seen order: targets in the order asked, files in the order listed, so the
    // table is the same whatever order the replies arrived in.
    std::vector<search_row> rows;
    std::map<std::pair<std::string_view, std::uint64_t>, std::size_t> row_of;
    for (std::size_t t = 0; t < s.targets.size(); ++t) {
      for (const file_entry& f : s.files[t]) {
        auto [where, added] = row_of.try_emplace({f.name, f.size}, rows.size());
        if (added) {
          rows.push_back(search_row{f.name, f.size, {s.targets[t]}});
        } else if (rows[where->second].holders.back() != s.targets[t]) {
          rows[where->second].holders.push_back(s.targets[t]);
        }
      }
    }
    searches.erase(it);
    n.last_search_ = std::make_unique<std::vector<search_row>>(std::move(rows));
    n.obs_.on_search_results(*n.last_search_);
  }

  void operator()(const cmd_download& c) {
    const search_row* row = nullptr;
    for (const search_row& r : n.last_search()) {
      if (r.name == c.name && (!c.size || r.size == *c.size)) {
        row = &r;
        break;
      }
    }
    if (row == nullptr || row->holders.empty()) {
      n.obs_.on_command_refused("no search result for '" + printable(c.name) + "'");
      return;
    }
    if (!is_safe_file_name(row->name)) {
      n.obs_.on_command_refused("unsafe file name '" + printable(row->name) + "'");
      return;
    }
    if (row->size > max_download_bytes) {
      n.obs_.on_command_refused("file '" + row->name + "' has " + std::to_string(row->size) +
                                " bytes, over the limit of " + std::to_string(max_download_bytes));
      return;
    }
    download_policy policy;
    policy.max_in_flight = std::max<std::uint32_t>(1, n.config_.max_chunks_in_flight);
    const std::uint64_t chunk_size = n.config_.ep == 2 ? 0 : n.chunk_size_;
    const std::uint64_t op = next_op++;
    download_op& d = downloads
                         .try_emplace(op, chunk_count(row->size, chunk_size),
                                      static_cast<std::uint32_t>(row->holders.size()), policy)
                         .first->second;
    d.name = row->name;
    d.size = row->size;
    d.chunk_size = chunk_size;
    d.holders = row->holders;
    n.obs_.on_download_started(c.name);
    part_id part = 0;
    if (auto ec = n.files_.open_part(d.name, d.size, part)) {
      fail(downloads.find(op), "could not create the temporary file: " + ec.message());
      return;
    }
    d.part = part;
    pump(op);
  }

  // Sends every DL the scheduler allows now; arms a wake-up when holders are only resting.
  void pump(std::uint64_t op) {
    auto it = downloads.find(op);
    if (it == downloads.end()) return;
    download_op& d = it->second;
    const duration now = n.sched_.now();
    while (auto r = d.chunks.next(now)) {
      if (!d.started) d.started = now;
      const peer_id to = d.holders[r->holder];
      send(to, make(dl_body{d.name, d.chunk_size, r->chunk}),
           [this, op, req = *r, to](std::error_code ec, std::optional<message>&& reply,
                                    std::string_view line) {
             on_file(op, req, to, ec, reply, line);
           });
    }
    const auto wake = d.chunks.wake_at(now);
    if (!wake || (d.wake && d.wake_time <= *wake)) return;
    if (d.wake) n.sched_.cancel(*d.wake);
    d.wake_time = *wake;
    d.wake = n.sched_.schedule_after(*wake - now, [this, op] {
      auto w = downloads.find(op);
      if (w == downloads.end()) return;
      w->second.wake.reset();
      pump(op);
    });
  }

  void on_file(std::uint64_t op, const chunk_scheduler::request& req, peer_id to,
               std::error_code ec, const std::optional<message>& reply, std::string_view line) {
    const message* m = complete(to, ec, reply, line, message_type::file);
    auto it = downloads.find(op);
    if (it == downloads.end()) return;  // the download already ended
    download_op& d = it->second;
    // An attempt already settled (its chunk was retried elsewhere) never completes a chunk.
    if (!d.chunks.awaited(req)) return;

    const chunk_range range = chunk_bounds(d.size, d.chunk_size, req.chunk);
    std::string why;
    std::error_code cause = ec;
    if (m == nullptr) {
      if (!ec && !reply) cause = make_error_code(errc::closed_without_reply);
      why = cause ? cause.message() : "reply of the wrong type";
    } else {
      const auto& file = std::get<file_body>(m->body);
      // The size field is not checked: some peers echo the chunk size there (protocol.md §7).
      if (file.name != d.name) {
        why = "reply names '" + printable(file.name) + "'";
      } else if (file.chunk_index != req.chunk) {
        why = "reply carries chunk " + std::to_string(file.chunk_index);
      } else if (file.data.size() != range.length) {
        why = "reply has " + std::to_string(file.data.size()) + " bytes, expected " +
              std::to_string(range.length);
      } else if (auto wec = n.files_.write_part(*d.part, range.offset, file.data)) {
        // Our disk, not the holder: retrying elsewhere would not help.
        fail(it, "could not write the file: " + wec.message());
        return;
      }
    }
    if (!why.empty()) {
      // No warning per failed chunk (at chunk 256 a bad minute would flood the console): the
      // retries are summed up in the download's last line; only a dropped holder is announced.
      const bool was_dropped = d.chunks.dropped(req.holder);
      d.chunks.failed(req, classify_chunk_failure(cause), n.sched_.now());
      d.last_error =
          "chunk " + std::to_string(req.chunk) + " from " + n.book_.name(to) + ": " + why;
      if (!was_dropped && d.chunks.dropped(req.holder)) {
        n.obs_.on_warning("holder " + n.book_.name(to) + " dropped from the download of " + d.name +
                          " after repeated failures (last: " + why + ")");
      }
      switch (d.chunks.status()) {
        case chunk_scheduler::state::no_holder_left:
          fail(it, "every holder failed (last: " + d.last_error + ")");
          return;
        case chunk_scheduler::state::out_of_attempts:
          fail(it, "chunk " + std::to_string(req.chunk) + " failed " + std::to_string(req.attempt) +
                       " times (last: " + d.last_error + ")");
          return;
        default:
          break;
      }
      pump(op);
      return;
    }
    d.chunks.succeeded(req);
    if (d.chunks.status() == chunk_scheduler::state::complete) {
      finish(it);
    } else {
      pump(op);
    }
  }

  void summarise(const download_op& d) {
    n.obs_.on_download_summary(d.name, d.chunks.retries(), d.chunks.holders_dropped());
  }

  void finish(std::map<std::uint64_t, download_op>::iterator it) {
    download_op& d = it->second;
    assert(d.started);
    d.seconds = to_seconds(n.sched_.now() - *d.started);
    if (d.wake) n.sched_.cancel(*d.wake);
    d.wake.reset();
    commit(it->first);
  }

  // Commits the part; on failure keeps it (and the download) and tries again later, so a full
  // disk or a wrong permission fixed meanwhile does not cost the download.
  void commit(std::uint64_t op) {
    auto it = downloads.find(op);
    if (it == downloads.end()) return;
    download_op& d = it->second;
    const std::error_code ec = n.files_.commit_part(*d.part);
    if (ec) {
      if (++d.commit_attempts < max_commit_attempts) {
        const auto wait = std::chrono::seconds(1) * (1 << (d.commit_attempts - 1));
        n.obs_.on_warning("could not write " + d.name + ": " + ec.message() +
                          "; the data is kept, trying again in " + std::to_string(wait.count()) +
                          " s");
        d.wake = n.sched_.schedule_after(wait, [this, op] {
          auto w = downloads.find(op);
          if (w == downloads.end()) return;
          w->second.wake.reset();
          commit(op);
        });
        return;
      }
      fail(it, "could not write the file: " + ec.message());
      return;
    }
    d.part.reset();
    auto node = downloads.extract(it);
    download_op& done = node.mapped();
    summarise(done);
    // "N peers" is the holders used: those that supplied chunks of this file, not every holder
    // the search listed (part 2 asks one; a holder dropped before its first chunk gave none).
    std::uint32_t used = 0;
    for (std::uint32_t h = 0; h < done.holders.size(); ++h)
      used += done.chunks.delivered(h) ? 1 : 0;
    n.stats_.record(done.chunk_size, used, done.size, done.seconds);
    n.obs_.on_download_finished(done.name, download_outcome::completed, "");
  }

  void fail(std::map<std::uint64_t, download_op>::iterator it, std::string_view why) {
    auto node = downloads.extract(it);
    if (node.mapped().wake) n.sched_.cancel(*node.mapped().wake);
    if (node.mapped().part) n.files_.discard_part(*node.mapped().part);
    summarise(node.mapped());
    n.obs_.on_download_finished(node.mapped().name, download_outcome::failed, why);
  }

  void operator()(const cmd_show_stats&) {
    n.obs_.on_statistics(n.stats_.rows());
  }

  void operator()(const cmd_set_chunk_size& c) {
    if (n.config_.ep == 2) {
      n.obs_.on_command_refused("part 2 always downloads the whole file (DL <name> 0 0)");
      return;
    }
    if (c.size <= 0) {
      n.obs_.on_command_refused("chunk size must be a positive integer");
      return;
    }
    const auto size = static_cast<std::uint64_t>(c.size);
    if (size > limits::max_chunk_bytes) {
      n.obs_.on_command_refused("chunk size must be at most " +
                                std::to_string(limits::max_chunk_bytes) + " bytes");
      return;
    }
    n.chunk_size_ = size;
    n.obs_.on_chunk_size_changed(size);
  }

  void operator()(const cmd_bye&) {
    n.obs_.on_leaving();
    std::vector<peer_id> targets;
    for (const peer_record& r : n.table_.records()) {
      if (r.status == peer_status::online) targets.push_back(r.id);
    }
    if (targets.empty()) {
      n.obs_.on_exit_ready();
      return;
    }
    const auto op = static_cast<std::uint32_t>(next_op++);
    const auto count = static_cast<std::uint32_t>(targets.size());
    if (bye_pending == 0) {
      bye_key = op;
      bye_pending = count;
    } else {
      byes[op].pending = count;
    }
    for (peer_id to : targets) {
      send(to, make(bye_body{}),
           [this, op, to](std::error_code ec, std::optional<message>&&, std::string_view) {
             if (ec) on_send_failure(to, ec);
             if (bye_sent(op)) n.obs_.on_exit_ready();
           });
    }
  }

  // One BYE of operation `op` completed: true when it was the operation's last.
  bool bye_sent(std::uint32_t op) {
    if (bye_pending != 0 && bye_key == op) return --bye_pending == 0;
    auto it = byes.find(op);
    if (it == byes.end()) return false;
    if (--it->second.pending != 0) return false;
    byes.erase(it);
    return true;
  }
};

peer_node::peer_node(node_config config, address_book& book, transport& net, scheduler& sched,
                     file_store& files, observer& obs)
    : config_(keep_settings(config)),
      book_(book),
      net_(net),
      sched_(sched),
      files_(files),
      obs_(obs),
      self_(book_.intern(config_.self)),
      clock_(clock_rule_for_ep(config_.ep)),
      chunk_size_(config_.ep == 2 ? 0 : config.chunk_size),
      table_(config.max_known_peers),
      impl_(std::make_unique<impl>(*this, config.rng_seed)) {}

peer_node::settings peer_node::keep_settings(node_config& c) {
  settings s{std::move(c.self),      nullptr, c.get_peers_round_limit, c.reply_timeout,
             c.max_chunks_in_flight, c.ep};
  if (!c.neighbours.empty())
    s.neighbours = std::make_unique<std::vector<std::string>>(std::move(c.neighbours));
  return s;
}

const std::vector<search_row>& peer_node::last_search() const {
  static const std::vector<search_row> none;
  return last_search_ ? *last_search_ : none;
}

peer_node::~peer_node() {
  // A round's deadline timer points into impl_.
  for (const auto& [op, round] : impl_->rounds) sched_.cancel(round.deadline);
}

void peer_node::start() {
  const std::vector<std::string> none;
  for (const std::string& address : config_.neighbours ? *config_.neighbours : none) {
    const peer_id p = book_.intern(address);
    if (p == self_) continue;
    if (table_.add_if_absent(p)) {
      obs_.on_peer_added(p, peer_status::offline, 0);
    } else if (table_.find(p) == nullptr) {
      impl_->emit_change(p, table_change::full);
    }
  }
  impl_->warn_not_added("the neighbours file");
  // Read once: the table has them now (80 bytes per node less for a million simulated peers).
  config_.neighbours.reset();
}

void peer_node::on_command(const command& cmd) {
  std::visit(*impl_, cmd);
}

std::optional<message> peer_node::on_message(const message& msg, std::string_view line) {
  return on_message(msg, line, book_.intern(msg.origin));
}

std::optional<message> peer_node::on_message(const message& msg, std::string_view line,
                                             peer_id origin) {
  std::optional<message> reply(std::in_place);
  if (!impl_->on_message(msg, line, origin, *reply)) reply.reset();
  return reply;
}

bool peer_node::on_message(const message& msg, std::string_view line, peer_id origin,
                           message& reply) {
  return impl_->on_message(msg, line, origin, reply);
}

void peer_node::on_bad_input(std::string_view what) {
  obs_.on_warning(what);
}

std::size_t peer_node::replies_awaited() const {
  return impl_->awaited ? impl_->awaited->count : 0;
}

std::size_t peer_node::operations_in_flight() const {
  return impl_->hellos + impl_->rounds.size() + impl_->searches.size() + impl_->downloads.size() +
         impl_->byes.size() + (impl_->bye_pending != 0 ? 1 : 0);
}

}  // namespace eachare
