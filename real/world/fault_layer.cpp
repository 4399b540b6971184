#include "real/world/fault_layer.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "node/core/errors.hpp"
#include "node/core/peer_node.hpp"
#include "node/protocol/codec.hpp"
#include "real/world/local_peer.hpp"
#include "real/world/real_world.hpp"

namespace eachare::real {

using sim::trace_event;
using sim::trace_kind;

// One request of a local peer, alive until its completion ran and every timer naming it fired.
struct fault_exchange {
  explicit fault_exchange(boost::asio::io_context& io) : deadline(io) {}
  std::uint64_t id = 0;
  node_id from = sim::no_node;
  node_id to_node = sim::no_node;
  peer_id to = no_peer;
  message_type type = message_type::hello;
  std::uint32_t incarnation = 0;
  send_handler on_done;
  bool done = false;
  send_id inner = 0;  // the asio_transport send of the line (not of a duplicate)
  boost::asio::steady_timer deadline;
};

namespace {

using exchange = fault_exchange;

trace_event wire(trace_kind k, const exchange& x, node_id at, peer_id other,
                 std::uint64_t value = 0, std::uint64_t sender_clock = 0) {
  trace_event t;
  t.kind = k;
  t.node = at;
  t.peer = other;
  t.has_type = true;
  t.type = x.type;
  t.message_id = x.id;
  t.sender_clock = sender_clock;
  t.clock = sender_clock;
  t.value = value;
  return t;
}

duration transmission(const sim::link_faults& lf, std::size_t bytes) {
  if (lf.bandwidth_bytes_per_s == 0) return duration{0};
  return duration{static_cast<std::int64_t>(static_cast<double>(bytes) * 1e9 /
                                            static_cast<double>(lf.bandwidth_bytes_per_s))};
}

// The one-way delay of a line on a link: a draw, jitter, transmission time.
duration line_delay(real_world& w, const sim::link_faults& lf, std::size_t bytes) {
  duration d = lf.delay.sample(w.draws());
  if (lf.reorder_jitter_ms > 0) {
    d += duration{static_cast<std::int64_t>(w.draws().uniform_real(0, lf.reorder_jitter_ms) * 1e6)};
  }
  return d + transmission(lf, bytes);
}

// Runs fn after `d` of scenario time (scaled to the wall clock); at once when d is zero.
void after(real_world& w, duration d, std::function<void()> fn) {
  if (d <= duration{0}) {
    boost::asio::post(w.io(), std::move(fn));
    return;
  }
  auto timer = std::make_shared<boost::asio::steady_timer>(w.io(), w.wall(d));
  timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

// The requester's completion: once, through the requester's incarnation (held while it is
// paused, dropped when it crashed meanwhile).
void complete(real_world& w, const std::shared_ptr<exchange>& x, std::error_code ec,
              std::optional<message> reply, std::string line) {
  if (x->done) return;
  x->done = true;
  x->deadline.cancel();
  trace_event t = wire(trace_kind::completed, *x, x->from, x->to);
  t.error = static_cast<std::uint32_t>(ec.value());
  w.emit(t);
  auto& self = static_cast<local_peer&>(w.host(x->from));
  self.deliver(x->incarnation, [x, ec, reply = std::move(reply), line = std::move(line)]() mutable {
    auto done = std::move(x->on_done);
    if (done) done(ec, std::move(reply), line);  // none once the node abandoned it
  });
}

}  // namespace

void fault_transport::abandon(send_id id) {
  const auto it = open_.find(id);
  if (it == open_.end()) return;
  const std::shared_ptr<exchange> x = std::move(it->second);
  open_.erase(it);
  if (x->done) return;
  // As the simulator's network: the exchange times out now, its handler called from here.
  ++world_.counters_mut().timed_out;
  world_.emit(wire(trace_kind::timed_out, *x, x->from, x->to));
  complete(world_, x, errc::timed_out, std::nullopt, {});
  if (x->inner != 0) net_.abandon(x->inner);
}

send_id fault_transport::send(peer_id to, const message& msg, send_handler on_done) {
  real_world& w = world_;
  auto x = std::make_shared<exchange>(w.io());
  x->id = w.next_message_id();
  x->from = self_.id();
  x->to = to;
  x->to_node = w.node_at(to);
  x->type = msg.type();
  x->incarnation = incarnation_;
  x->on_done = std::move(on_done);
  ++w.counters_mut().requests_sent;
  w.emit(wire(trace_kind::sent, *x, x->from, to, 0, msg.clock));

  const sim::node_id dst = x->to_node;
  const sim::link_faults& lf = dst == sim::no_node ? w.faults().defaults : w.link(x->from, dst);
  if (!expects_reply(x->type)) {
    // Nothing to wait for but the line itself: a lost HELLO or BYE times out here (a request
    // that expects a reply times out by its node's deadline, which calls abandon()).
    const auto timeout = duration{std::chrono::milliseconds(lf.timeout_ms)};
    x->deadline.expires_after(w.wall(timeout));
    x->deadline.async_wait([&w, x](const boost::system::error_code& ec) {
      if (ec || x->done) return;
      ++w.counters_mut().timed_out;
      w.emit(wire(trace_kind::timed_out, *x, x->from, x->to));
      complete(w, x, errc::timed_out, std::nullopt, {});
    });
  } else {
    if (open_.size() >= purge_at_) {
      std::erase_if(open_, [](const auto& kv) { return kv.second->done; });
      purge_at_ = std::max<std::size_t>(64, open_.size() * 2);
    }
    open_.emplace(x->id, x);
  }
  const send_id id = expects_reply(x->type) ? x->id : 0;

  if (dst != sim::no_node && w.blocked(x->from, dst)) {
    ++w.counters_mut().partitioned;
    w.emit(wire(trace_kind::partitioned, *x, x->from, to, 0));
    return id;  // the line vanishes: the requester times out
  }
  if (lf.drop_probability > 0 && w.draws().bernoulli(lf.drop_probability)) {
    ++w.counters_mut().dropped;
    w.emit(wire(trace_kind::dropped, *x, x->from, to, 0));
    return id;
  }
  const std::string line = encode(msg);
  const bool duplicate =
      lf.duplicate_probability > 0 && w.draws().bernoulli(lf.duplicate_probability);
  if (duplicate) {
    ++w.counters_mut().duplicated;
    w.emit(wire(trace_kind::duplicated, *x, x->from, to, 0));
  }
  asio_transport* net = &net_;
  local_peer* self = &self_;
  const std::uint32_t inc = incarnation_;
  // Writes the line for real (through our asio_transport), and handles its reply's faults.
  auto write = [&w, x, net, self, inc, msg, to, dst](bool copy) {
    if (self->incarnation() != inc) return;  // the sender crashed: its transport is closed
    const send_id sent = net->send(
        to, msg,
        [&w, x, dst, copy](std::error_code ec, std::optional<message> reply,
                           std::string_view reply_line) {
          if (copy) {
            if (reply) w.emit(wire(trace_kind::late_reply, *x, x->from, x->to));
            return;
          }
          if (x->done) {
            if (!ec) w.emit(wire(trace_kind::late_reply, *x, x->from, x->to));
            return;
          }
          if (ec) {
            if (ec == errc::connection_refused) {
              ++w.counters_mut().refused;
              w.emit(wire(trace_kind::refused, *x, x->from, x->to));
            }
            complete(w, x, ec, std::nullopt, {});
            return;
          }
          if (!reply) {
            complete(w, x, {}, std::nullopt, {});
            return;
          }
          // The reply line on the link receiver -> requester.
          if (dst != sim::no_node && w.blocked(dst, x->from)) {
            ++w.counters_mut().partitioned;
            w.emit(wire(trace_kind::partitioned, *x, dst, w.address_id(x->from), 1));
            return;
          }
          const sim::link_faults& back =
              dst == sim::no_node ? w.faults().defaults : w.link(dst, x->from);
          if (back.drop_probability > 0 && w.draws().bernoulli(back.drop_probability)) {
            ++w.counters_mut().dropped;
            w.emit(wire(trace_kind::dropped, *x, dst, w.address_id(x->from), 1));
            return;
          }
          const duration d = line_delay(w, back, reply_line.size());
          after(w, d, [&w, x, reply = std::move(reply), line = std::string(reply_line)]() mutable {
            if (x->done) {
              w.emit(wire(trace_kind::late_reply, *x, x->from, x->to));
              return;
            }
            ++w.counters_mut().delivered;
            w.emit(wire(trace_kind::reply_delivered, *x, x->from, x->to, 0, reply->clock));
            complete(w, x, {}, std::move(reply), std::move(line));
          });
        });
    if (!copy) x->inner = sent;
  };
  // A line for one of our peers that is paused waits until it resumes (the kernel would hold it).
  auto deliver = [&w, dst, write](bool copy) {
    if (dst != sim::no_node && w.status(dst) == sim::node_status::paused &&
        w.host(dst).holds_while_paused()) {
      w.host(dst).when_resumed([write, copy] { write(copy); });
      return;
    }
    write(copy);
  };
  after(w, line_delay(w, lf, line.size() + 1), [deliver] { deliver(false); });
  if (duplicate) after(w, line_delay(w, lf, line.size() + 1), [deliver] { deliver(true); });
  return id;
}

std::optional<message> fault_acceptor::on_message(const message& msg, std::string_view line) {
  real_world& w = world_;
  const peer_id origin = w.mutable_book().intern(msg.origin);
  const node_id from = w.node_at(origin);
  const bool ours = from != sim::no_node && w.host(from).node() != nullptr;
  trace_event t;
  t.node = self_.id();
  t.peer = origin;
  t.has_type = true;
  t.type = msg.type();
  t.sender_clock = msg.clock;
  t.clock = msg.clock;
  if (!ours && from != sim::no_node) {
    // A line from an external program: its link's faults apply here, on our accepting side.
    if (w.blocked(from, self_.id())) {
      ++w.counters_mut().partitioned;
      t.kind = trace_kind::partitioned;
      w.emit(t);
      return std::nullopt;
    }
    const sim::link_faults& lf = w.link(from, self_.id());
    if (lf.drop_probability > 0 && w.draws().bernoulli(lf.drop_probability)) {
      ++w.counters_mut().dropped;
      t.kind = trace_kind::dropped;
      w.emit(t);
      return std::nullopt;
    }
  }
  ++w.counters_mut().delivered;
  t.kind = trace_kind::delivered;
  w.emit(t);
  std::optional<message> reply = node_.on_message(msg, line);
  if (reply) {
    ++w.counters_mut().replies_sent;
    trace_event r;
    r.kind = trace_kind::reply_sent;
    r.node = self_.id();
    r.peer = origin;
    r.has_type = true;
    r.type = reply->type();
    r.sender_clock = reply->clock;
    r.clock = reply->clock;
    w.emit(r);
  }
  return reply;
}

void fault_acceptor::on_bad_input(std::string_view what) {
  ++world_.counters_mut().bad_input;
  trace_event t;
  t.kind = trace_kind::bad_input;
  t.node = self_.id();
  t.detail = what;
  world_.emit(t);
  node_.on_bad_input(what);
}

}  // namespace eachare::real
