#include "node/asio/asio_transport.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <utility>
#include <vector>

#include "node/core/errors.hpp"
#include "node/core/peer_node.hpp"
#include "node/protocol/peer_address.hpp"

namespace eachare {

std::optional<message> node_inbound_handler::on_message(const message& msg, std::string_view line) {
  return node_.on_message(msg, line);
}

void node_inbound_handler::on_bad_input(std::string_view what) {
  node_.on_bad_input(what);
}

namespace detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class outbound_request;
class inbound_session;

// The line as the node and the console see it: a '\r' before the '\n' and anything from a NUL
// on are quirks of the sender (§7), and a raw '\r' or NUL would garble the console line.
void clean_line(std::string& line) {
  const auto nul = line.find('\0');
  if (nul != std::string::npos) line.resize(nul);
  while (!line.empty() && line.back() == '\r') line.pop_back();
}

// The line an async_read_until completion delivered, taken out of `buffer`: up to the '\n' (a
// stray NUL after it, §7, is dropped) or, at EOF, whatever came (§7: no '\n' at all, the close
// ends the line). nullopt when there is no line: an error, or EOF with nothing read.
std::optional<std::string> take_line(const error_code& ec, std::size_t n, std::string& buffer) {
  if (!ec) {
    buffer.resize(n - 1);
    return std::move(buffer);
  }
  if (ec == asio::error::eof && !buffer.empty()) return std::move(buffer);
  return std::nullopt;
}

// Longest reply line of `type` worth reading: a PEER_LIST over limits::max_peer_list_bytes can
// only be refused by decode, so reading stops there instead of buffering up to max_line_bytes.
std::size_t reply_line_limit(const transport_options& options, message_type type) {
  if (type == message_type::peer_list) {
    return std::min(options.max_line_bytes, limits::max_peer_list_bytes);
  }
  return options.max_line_bytes;
}

std::string endpoint_text(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// An IPv4 address seen through an IPv6 socket (::ffff:a.b.c.d) as the IPv4 address.
asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

std::string endpoint_text(const tcp::socket& socket) {
  error_code ec;
  const tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "?";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// State shared by the transport object and every connection it started, so a connection that
// outlives the transport (its handler still queued in the io_context) never touches freed memory.
struct transport_state : std::enable_shared_from_this<transport_state> {
  transport_state(asio::io_context& io_context, address_book& address_book, transport_options opts)
      : io(io_context),
        book(address_book),
        options(opts),
        acceptor(io_context),
        accept_retry(io_context) {}

  asio::io_context& io;
  address_book& book;
  transport_options options;
  inbound_handler* handler = nullptr;

  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  bool accept_in_flight = false;
  // An accepted connection waiting for a slot (only when every slot is writing a reply).
  std::optional<tcp::socket> parked;
  bool closed = false;
  bool limit_warned = false;
  bool accept_failing = false;  // warned about an accept error; cleared by the next success

  std::size_t inbound_active = 0;
  std::size_t reply_bytes_in_flight = 0;  // sum of the replies inbound sessions are writing
  std::size_t outbound_active = 0;
  std::uint64_t inbound_accepted = 0;
  std::uint64_t next_id = 1;

  // Requests that expect a reply, by (destination, reply type), oldest first: the quirk of §7
  // completes them from the listener.
  std::map<std::pair<peer_id, message_type>, std::deque<std::weak_ptr<outbound_request>>> pending;
  std::map<std::uint64_t, std::weak_ptr<outbound_request>> outbound;
  // Sends waiting for one of max_outbound_connections (strong: nothing else holds them yet).
  std::deque<std::shared_ptr<outbound_request>> outbound_queue;
  std::size_t outbound_started = 0;
  std::map<std::uint64_t, std::weak_ptr<inbound_session>> inbound;
  // Inbound lines allowed past max_request_line_bytes, by the pending key they may answer.
  std::map<std::pair<peer_id, message_type>, std::size_t> long_inbound;

  void warn(std::string_view what) {
    if (handler != nullptr) handler->on_bad_input(what);
  }
  void do_accept();
  void start_session(tcp::socket socket);
  void warn_limit(std::string_view what);
  // The oldest inbound connection still sending its line, if any: the one a new connection
  // replaces when the limit is reached.
  std::shared_ptr<inbound_session> oldest_reader() const;
  void on_accept(const error_code& ec, tcp::socket socket);
  void inbound_finished(std::uint64_t id);
  // Starts queued sends while slots are free (never once closed).
  void start_queued();
  // Moves from msg and line only when it returns true. `remote` is the inbound socket's peer:
  // only a line from the IP of the request's destination may complete it (the ORIGIN is only
  // text), and only while options.late_replies is on; each use and each refusal is one warning.
  bool try_complete_pending(message& msg, std::string& line, const tcp::endpoint& remote);
  // Whether an inbound line starting with `head` may grow to max_line_bytes: it must be a reply
  // type from a peer with a request of that reply type still waiting, and fewer such long lines
  // in flight than waiting requests. On true, `key` is the slot taken (release_long_inbound).
  bool take_long_inbound(std::string_view head, const tcp::endpoint& remote,
                         std::pair<peer_id, message_type>& key);
  void release_long_inbound(const std::pair<peer_id, message_type>& key);
};

// ---------------------------------------------------------------------------------------------
// One outbound message: resolve, connect, write the line, maybe read one reply line, close.
class outbound_request : public std::enable_shared_from_this<outbound_request> {
 public:
  outbound_request(std::shared_ptr<transport_state> state, std::uint64_t id, peer_id to,
                   peer_address address, const message& msg, send_handler on_done)
      : state_(std::move(state)),
        id_(id),
        to_(to),
        address_(std::move(address)),
        request_type_(msg.type()),
        socket_(state_->io),
        resolver_(state_->io),
        timer_(state_->io),
        on_done_(std::move(on_done)) {
    line_ = encode(msg);
    line_.push_back('\n');
    if (const auto* dl = std::get_if<dl_body>(&msg.body)) {
      dl_name_ = dl->name;
      dl_index_ = dl->chunk_index;
    }
  }

  std::uint64_t id() const { return id_; }
  bool expects() const { return expects_reply(request_type_); }
  message_type reply_type() const { return reply_type_for(request_type_); }
  bool matches_file(const file_body& f) const {
    return f.name == dl_name_ && f.chunk_index == dl_index_;
  }
  // Whether `ip` is an address this request connects (or tries to connect) to: a reply on a new
  // connection to our listener is taken only from the destination's own IP.
  bool sent_to_ip(const asio::ip::address& ip) const {
    return std::any_of(endpoints_.begin(), endpoints_.end(),
                       [&](const tcp::endpoint& e) { return e.address() == ip; });
  }

  void start() {
    started_ = true;
    ++state_->outbound_started;
    arm(state_->options.connect_timeout);
    error_code ec;
    const auto ip = asio::ip::make_address_v4(address_.host, ec);
    if (!ec) {
      endpoints_.emplace_back(ip, address_.port);
      connect_next();
      return;
    }
    do_resolve();
  }

  // The reply came on a new connection to our listener (quirk §7).
  void complete_from_listener(message& reply, std::string& line) {
    finish({}, std::optional<message>(std::in_place, std::move(reply)), std::move(line));
  }

  void cancel() { finish(errc::cancelled, std::nullopt, {}); }
  // The node's reply deadline passed: release everything, call nobody.
  void abandon() {
    on_done_ = nullptr;
    finish(errc::cancelled, std::nullopt, {});
  }

 private:
  void arm(std::chrono::milliseconds after) {
    const std::uint64_t gen = ++timer_gen_;
    timer_.expires_after(after);
    timer_.async_wait(
        [self = shared_from_this(), gen](const error_code& ec) { self->on_deadline(ec, gen); });
  }

  void on_deadline(const error_code& ec, std::uint64_t gen) {
    if (ec || gen != timer_gen_ || done_) return;
    finish(waiting_late_reply_ ? std::error_code(errc::closed_without_reply)
                               : std::error_code(errc::timed_out),
           std::nullopt, {});
  }

  void do_resolve() {
    resolver_.async_resolve(
        address_.host, std::to_string(address_.port),
        [self = shared_from_this()](const error_code& ec, tcp::resolver::results_type results) {
          self->on_resolve(ec, std::move(results));
        });
  }

  void on_resolve(const error_code& ec, const tcp::resolver::results_type& results) {
    if (done_) return;
    if (ec) return finish(errc::unreachable, std::nullopt, {});
    for (const auto& r : results) endpoints_.push_back(r.endpoint());
    connect_next();
  }

  // Tries the endpoints in turn, as asio::async_connect over a range would, but opens each
  // socket itself: the range algorithm (Boost 1.74) reports a failed open, such as our own
  // EMFILE, as operation_aborted, which looked like a cancellation (or, mapped, a reset).
  void connect_next() {
    if (next_endpoint_ == endpoints_.size()) {
      return finish(endpoints_.empty() ? std::error_code(errc::unreachable)
                                       : asio_transport::map_error(last_connect_error_),
                    std::nullopt, {});
    }
    const tcp::endpoint endpoint = endpoints_[next_endpoint_++];
    error_code ec;
    socket_.close(ec);
    socket_.open(endpoint.protocol(), ec);
    if (ec) {
      // Out of descriptors: trying the other endpoints cannot help. Posted, so that a queue of
      // sends failing at once does not recurse through start_queued().
      asio::post(state_->io, [self = shared_from_this(), ec] {
        if (!self->done_) self->finish(asio_transport::map_error(ec), std::nullopt, {});
      });
      return;
    }
    socket_.async_connect(
        endpoint, [self = shared_from_this()](const error_code& cec) { self->on_connect(cec); });
  }

  void on_connect(const error_code& ec) {
    if (done_) return;
    if (ec) {
      last_connect_error_ = ec;
      return connect_next();
    }
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    arm(state_->options.reply_timeout);
    do_write();
  }

  void do_write() {
    asio::async_write(
        socket_, asio::buffer(line_),
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(const error_code& ec) {
    if (done_) return;
    if (ec) return finish(asio_transport::map_error(ec), std::nullopt, {});
    // Half-close: peers that read until EOF instead of '\n' still see the end of our line.
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    if (!expects()) return finish({}, std::nullopt, {});
    do_read();
  }

  void do_read() {
    asio::async_read_until(
        socket_, asio::dynamic_buffer(reply_, reply_line_limit(state_->options, reply_type()) + 1),
        '\n',
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (done_) return;
    std::optional<std::string> got = take_line(ec, n, reply_);
    if (!got && ec == asio::error::eof) {
      // Nothing on this socket; the reply may still come on a new connection (quirk §7).
      if (state_->options.late_reply_grace.count() <= 0) {
        return finish(errc::closed_without_reply, std::nullopt, {});
      }
      waiting_late_reply_ = true;
      error_code ignored;
      socket_.close(ignored);
      arm(state_->options.late_reply_grace);
      return;
    }
    if (!got && ec == asio::error::not_found) return finish(errc::line_too_long, std::nullopt, {});
    if (!got) return finish(asio_transport::map_error(ec), std::nullopt, {});
    std::string line = std::move(*got);
    clean_line(line);
    message reply;
    if (!decode(line, reply).ok()) return finish(errc::malformed_reply, std::nullopt, line);
    if (reply.type() != reply_type()) return finish(errc::unexpected_reply, std::nullopt, line);
    finish({}, std::move(reply), std::move(line));
  }

  void finish(std::error_code ec, std::optional<message> reply, std::string line) {
    if (done_) return;
    done_ = true;
    ++timer_gen_;
    error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
    unregister();
    // Posted: a completion never runs inside send(), close() or another connection's handler
    // that is still touching its own state.
    asio::post(state_->io, [done = std::move(on_done_), ec, reply = std::move(reply),
                            line = std::move(line)]() mutable {
      if (done) done(ec, std::move(reply), line);
    });
  }

  void unregister() {
    state_->outbound.erase(id_);
    --state_->outbound_active;
    if (started_) {
      --state_->outbound_started;
      state_->start_queued();
    } else {
      std::erase_if(state_->outbound_queue, [this](const auto& p) { return p.get() == this; });
    }
    if (!expects()) return;
    auto it = state_->pending.find({to_, reply_type()});
    if (it == state_->pending.end()) return;
    auto& queue = it->second;
    std::erase_if(queue, [this](const std::weak_ptr<outbound_request>& w) {
      auto p = w.lock();
      return !p || p.get() == this;
    });
    if (queue.empty()) state_->pending.erase(it);
  }

  std::shared_ptr<transport_state> state_;
  std::uint64_t id_;
  peer_id to_;
  peer_address address_;
  message_type request_type_;
  std::string dl_name_;
  std::uint64_t dl_index_ = 0;
  tcp::socket socket_;
  tcp::resolver resolver_;
  std::vector<tcp::endpoint> endpoints_;  // to try in turn (one for an IPv4 literal)
  std::size_t next_endpoint_ = 0;
  error_code last_connect_error_;
  asio::steady_timer timer_;
  std::uint64_t timer_gen_ = 0;
  bool done_ = false;
  bool started_ = false;
  bool waiting_late_reply_ = false;
  std::string line_;
  std::string reply_;
  send_handler on_done_;
};

// ---------------------------------------------------------------------------------------------
// One inbound connection: read one line (bounded in size and time), hand it over, write at most
// one reply, close.
class inbound_session : public std::enable_shared_from_this<inbound_session> {
 public:
  inbound_session(std::shared_ptr<transport_state> state, std::uint64_t id, tcp::socket socket)
      : state_(std::move(state)), id_(id), socket_(std::move(socket)), timer_(state_->io) {}

  void start() {
    remote_ = endpoint_text(socket_);
    error_code ignored;
    remote_endpoint_ = socket_.remote_endpoint(ignored);
    phase_ = phase::reading;
    limit_ = std::min(state_->options.max_request_line_bytes, state_->options.max_line_bytes);
    arm(state_->options.read_timeout);
    do_read();
  }

  void cancel() { finish(); }
  bool reading() const { return !done_ && phase_ == phase::reading; }

 private:
  enum class phase { reading, writing, draining };

  void arm(std::chrono::milliseconds after) {
    const std::uint64_t gen = ++timer_gen_;
    timer_.expires_after(after);
    timer_.async_wait(
        [self = shared_from_this(), gen](const error_code& ec) { self->on_deadline(ec, gen); });
  }

  void on_deadline(const error_code& ec, std::uint64_t gen) {
    if (ec || gen != timer_gen_ || done_) return;
    const auto ms = std::to_string(state_->options.read_timeout.count());
    if (phase_ == phase::reading) {
      state_->warn("no complete line from " + remote_ + " within " + ms + " ms; connection closed");
    } else if (phase_ == phase::writing) {
      state_->warn("reply to " + remote_ + " not taken within " + ms + " ms; connection closed");
    }
    finish();
  }

  void do_read() {
    asio::async_read_until(
        socket_, asio::dynamic_buffer(buffer_, limit_ + 1), '\n',
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (done_) return;
    std::optional<std::string> line = take_line(ec, n, buffer_);
    if (!line && ec == asio::error::not_found) {
      if (!long_line_ && limit_ < state_->options.max_line_bytes &&
          state_->take_long_inbound(buffer_, remote_endpoint_, long_key_)) {
        long_line_ = true;  // an awaited reply (quirk §7): read on up to the full bound
        limit_ = reply_line_limit(state_->options, long_key_.second);
        return do_read();
      }
      state_->warn("line from " + remote_ + " longer than " + std::to_string(limit_) +
                   " bytes; connection closed");
      return finish();
    }
    if (!line) return finish();  // closed without a line (a probe), or broken: nothing to say
    buffer_.clear();
    buffer_.shrink_to_fit();
    release_long_line();
    handle(std::move(*line));
  }

  void handle(std::string line) {
    clean_line(line);
    message msg;
    const decode_status status = decode(line, msg);
    if (!status.ok()) {
      const std::string detail =
          status.detail.empty() ? std::string(to_string(status.error)) : status.detail;
      state_->warn("malformed message from " + remote_ + ": " + detail);
      return finish();
    }
    if (is_reply_type(msg.type()) && state_->try_complete_pending(msg, line, remote_endpoint_)) {
      return finish();
    }
    if (state_->handler == nullptr) return finish();
    std::optional<message> reply = state_->handler->on_message(msg, line);
    if (done_) return;  // the transport was closed from inside the handler
    if (!reply) return finish();
    out_ = encode(*reply);
    out_.push_back('\n');
    reply.reset();
    auto& in_flight = state_->reply_bytes_in_flight;
    if (in_flight > 0 && in_flight + out_.size() > state_->options.max_reply_bytes_in_flight) {
      state_->warn("reply of " + std::to_string(out_.size()) + " bytes to " + remote_ +
                   " dropped: " + std::to_string(in_flight) +
                   " bytes of replies are still being written; connection closed");
      return finish();
    }
    counted_ = out_.size();
    in_flight += counted_;
    phase_ = phase::writing;
    arm(state_->options.read_timeout);
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](const error_code& wec, std::size_t) { self->on_write(wec); });
  }

  void on_write(const error_code& ec) {
    if (done_) return;
    release_reply();
    out_.clear();
    out_.shrink_to_fit();
    if (ec) return finish();
    // Lingering close: wait for the client's EOF so closing with unread input never resets the
    // connection under a reply the client has not read yet.
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    phase_ = phase::draining;
    arm(std::min(state_->options.read_timeout, std::chrono::milliseconds(2000)));
    do_drain();
  }

  void do_drain() {
    socket_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (self->done_) return;
                              if (ec) return self->finish();
                              self->do_drain();
                            });
  }

  // Returns out_'s share of the budget. out_ itself is freed only once no write uses it: Asio
  // owns the buffer until the write's handler ran, even after a close.
  void release_reply() {
    state_->reply_bytes_in_flight -= counted_;
    counted_ = 0;
  }

  void release_long_line() {
    if (!long_line_) return;
    long_line_ = false;
    state_->release_long_inbound(long_key_);
  }

  void finish() {
    if (done_) return;
    done_ = true;
    ++timer_gen_;
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    release_long_line();
    release_reply();
    state_->inbound_finished(id_);
  }

  std::shared_ptr<transport_state> state_;
  std::uint64_t id_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::uint64_t timer_gen_ = 0;
  phase phase_ = phase::reading;
  bool done_ = false;
  std::size_t limit_ = 0;
  std::size_t counted_ = 0;  // out_'s share of reply_bytes_in_flight
  bool long_line_ = false;
  std::pair<peer_id, message_type> long_key_{no_peer, message_type::hello};
  std::string remote_;
  tcp::endpoint remote_endpoint_;
  std::string buffer_;
  std::string out_;
  std::array<char, 512> drain_{};
};

std::shared_ptr<inbound_session> transport_state::oldest_reader() const {
  for (const auto& [id, w] : inbound) {  // ids grow with age
    auto p = w.lock();
    if (p && p->reading()) return p;
  }
  return nullptr;
}

void transport_state::do_accept() {
  if (closed || accept_in_flight || !acceptor.is_open()) return;
  // At the limit, a new connection replaces the oldest one still sending its line, so clients
  // that stall (slow-loris) cannot hold every slot for a whole read timeout while real peers
  // wait. Only when every slot is writing a reply do new connections wait in the backlog.
  if (parked) return;  // inbound_finished() starts it, then resumes accepting
  if (inbound_active >= options.max_inbound_connections && !oldest_reader()) {
    warn_limit("new connections wait");
    return;  // inbound_finished() resumes accepting
  }
  accept_in_flight = true;
  acceptor.async_accept([self = shared_from_this()](const error_code& ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void transport_state::on_accept(const error_code& ec, tcp::socket socket) {
  accept_in_flight = false;
  if (closed) return;
  if (ec) {
    if (ec == asio::error::operation_aborted) return;
    // E.g. out of file descriptors: back off briefly instead of spinning, and say so once, or
    // a listener that stopped taking connections would look alive but mute.
    if (!accept_failing) {
      accept_failing = true;
      warn("accepting a connection failed (" + ec.message() + "); retrying every 100 ms");
    }
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([self = shared_from_this()](const error_code& wec) {
      if (!wec) self->do_accept();
    });
    return;
  }
  accept_failing = false;
  if (inbound_active >= options.max_inbound_connections) {
    auto oldest = oldest_reader();
    if (!oldest) {
      // Every slot turned to writing since the accept started: the connection waits, unread,
      // for the next free slot, and do_accept() stops accepting until then.
      parked.emplace(std::move(socket));
      warn_limit("new connections wait");
      return;
    }
    warn_limit("the oldest connections still sending their line are closed for new ones");
    oldest->cancel();
  }
  start_session(std::move(socket));
  do_accept();
}

void transport_state::warn_limit(std::string_view what) {
  if (limit_warned) return;
  limit_warned = true;
  warn("inbound connection limit (" + std::to_string(options.max_inbound_connections) +
       ") reached; " + std::string(what));
}

void transport_state::start_session(tcp::socket socket) {
  ++inbound_accepted;
  ++inbound_active;
  const std::uint64_t id = next_id++;
  auto session = std::make_shared<inbound_session>(shared_from_this(), id, std::move(socket));
  inbound.emplace(id, session);
  session->start();
}

void transport_state::start_queued() {
  while (!closed && !outbound_queue.empty() &&
         outbound_started < std::max<std::size_t>(1, options.max_outbound_connections)) {
    auto next = std::move(outbound_queue.front());
    outbound_queue.pop_front();
    next->start();
  }
}

void transport_state::inbound_finished(std::uint64_t id) {
  inbound.erase(id);
  --inbound_active;
  if (parked && !closed) {
    tcp::socket next = std::move(*parked);
    parked.reset();
    start_session(std::move(next));
  }
  if (inbound_active < options.max_inbound_connections) limit_warned = false;
  do_accept();
}

bool transport_state::try_complete_pending(message& msg, std::string& line,
                                           const tcp::endpoint& remote) {
  const peer_id from = book.find(msg.origin);
  if (from == no_peer) return false;
  auto it = pending.find({from, msg.type()});
  if (it == pending.end()) return false;
  std::shared_ptr<outbound_request> chosen;
  if (const auto* f = std::get_if<file_body>(&msg.body)) {
    // Only the DL it answers: a stray or late FILE handed to another chunk's request would fail
    // that chunk and retire a good holder for the whole download.
    for (auto& w : it->second) {
      auto p = w.lock();
      if (p && p->matches_file(*f)) {
        chosen = p;
        break;
      }
    }
  } else {
    for (auto& w : it->second) {
      if ((chosen = w.lock())) break;
    }
  }
  if (!chosen) return false;
  const std::string what = std::string(to_string(msg.type())) + " from " + endpoint_text(remote) +
                           " on our listener with ORIGIN " + msg.origin;
  if (!options.late_replies) {
    warn(what + " not taken as the reply to our request (late replies are off)");
    return false;
  }
  if (!chosen->sent_to_ip(unmapped(remote.address()))) {
    warn(what + " refused as the reply to our request: it does not come from that peer's IP");
    return false;
  }
  warn(what + " taken as the reply to our request (late reply, protocol.md §3)");
  chosen->complete_from_listener(msg, line);
  return true;
}

bool transport_state::take_long_inbound(std::string_view head, const tcp::endpoint& remote,
                                        std::pair<peer_id, message_type>& key) {
  if (!options.late_replies) return false;
  // The first three fields: ORIGIN CLOCK TYPE (runs of spaces tolerated, as the codec does).
  std::array<std::string_view, 3> fields;
  std::size_t pos = 0;
  for (auto& field : fields) {
    while (pos < head.size() && head[pos] == ' ') ++pos;
    const std::size_t start = pos;
    while (pos < head.size() && head[pos] != ' ') ++pos;
    if (pos == head.size()) return false;  // a field cut by the limit is not a header
    field = head.substr(start, pos - start);
  }
  message_type type;
  if (fields[2] == "PEER_LIST" || fields[2] == "PEERS_LIST") {
    type = message_type::peer_list;
  } else if (fields[2] == "LS_LIST") {
    type = message_type::ls_list;
  } else if (fields[2] == "FILE") {
    type = message_type::file;
  } else {
    return false;
  }
  const peer_id from = book.find(fields[0]);
  if (from == no_peer) return false;
  const auto waiting = pending.find({from, type});
  if (waiting == pending.end()) return false;
  // Only from the IP we sent to (what try_complete_pending will require of the whole line).
  const auto ip = unmapped(remote.address());
  if (std::none_of(waiting->second.begin(), waiting->second.end(), [&](const auto& w) {
        const auto p = w.lock();
        return p && p->sent_to_ip(ip);
      })) {
    return false;
  }
  std::size_t& taken = long_inbound[waiting->first];
  if (taken >= waiting->second.size()) {
    if (taken == 0) long_inbound.erase(waiting->first);
    return false;
  }
  ++taken;
  key = waiting->first;
  return true;
}

void transport_state::release_long_inbound(const std::pair<peer_id, message_type>& key) {
  const auto it = long_inbound.find(key);
  if (it == long_inbound.end()) return;
  if (--it->second == 0) long_inbound.erase(it);
}

}  // namespace detail

// -----------------------------------------------------------------------------------------------

asio_transport::asio_transport(boost::asio::io_context& io, address_book& book,
                               transport_options options)
    : state_(std::make_shared<detail::transport_state>(io, book, options)) {}

asio_transport::~asio_transport() {
  close();
}

void asio_transport::set_inbound_handler(inbound_handler* handler) {
  state_->handler = handler;
}

std::error_code asio_transport::listen(std::string_view host, std::uint16_t port) {
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  boost::system::error_code ec;
  tcp::endpoint endpoint;
  const auto ip = asio::ip::make_address_v4(std::string(host), ec);
  if (!ec) {
    endpoint = tcp::endpoint(ip, port);
  } else {
    tcp::resolver resolver(state_->io);
    auto results = resolver.resolve(tcp::v4(), std::string(host), std::to_string(port), ec);
    if (ec || results.empty()) return errc::unreachable;
    endpoint = results.begin()->endpoint();
  }
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return ec;
  }
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return ec;
  }
  state_->closed = false;
  state_->do_accept();
  return {};
}

std::uint16_t asio_transport::local_port() const {
  boost::system::error_code ec;
  if (!state_->acceptor.is_open()) return 0;
  const auto ep = state_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void asio_transport::close() {
  auto& st = *state_;
  if (st.closed) return;
  st.closed = true;
  // Cancelled sessions still complete on the io thread after this returns, and the handler may
  // be gone by then (its owner closes the transport before destroying it): nothing reaches the
  // handler after close().
  st.handler = nullptr;
  boost::system::error_code ignored;
  st.acceptor.close(ignored);
  st.accept_retry.cancel();
  st.parked.reset();
  // Copy first: cancelling unregisters from these maps.
  std::vector<std::shared_ptr<detail::outbound_request>> out;
  for (auto& [id, w] : st.outbound) {
    if (auto p = w.lock()) out.push_back(p);
  }
  std::vector<std::shared_ptr<detail::inbound_session>> in;
  for (auto& [id, w] : st.inbound) {
    if (auto p = w.lock()) in.push_back(p);
  }
  for (auto& p : out) p->cancel();
  for (auto& p : in) p->cancel();
}

void asio_transport::abandon(send_id id) {
  auto& st = *state_;
  const auto it = st.outbound.find(id);
  if (it == st.outbound.end()) return;
  if (auto p = it->second.lock()) p->abandon();
}

send_id asio_transport::send(peer_id to, const message& msg, send_handler on_done) {
  auto& st = *state_;
  std::optional<peer_address> address;
  if (to < st.book.size()) address = peer_address::parse(st.book.name(to));
  if (!address || st.closed) {
    const std::error_code ec =
        st.closed ? std::error_code(errc::cancelled) : std::error_code(errc::unreachable);
    boost::asio::post(st.io, [on_done = std::move(on_done), ec] {
      if (on_done) on_done(ec, std::nullopt, {});
    });
    return 0;
  }
  const std::uint64_t id = st.next_id++;
  auto request = std::make_shared<detail::outbound_request>(state_, id, to, std::move(*address),
                                                            msg, std::move(on_done));
  ++st.outbound_active;
  st.outbound.emplace(id, request);
  if (request->expects()) st.pending[{to, request->reply_type()}].push_back(request);
  st.outbound_queue.push_back(std::move(request));
  st.start_queued();
  return id;
}

std::size_t asio_transport::inbound_active() const {
  return state_->inbound_active;
}
std::size_t asio_transport::outbound_active() const {
  return state_->outbound_active;
}
std::size_t asio_transport::outbound_queued() const {
  return state_->outbound_queue.size();
}
std::uint64_t asio_transport::inbound_accepted() const {
  return state_->inbound_accepted;
}

std::error_code asio_transport::map_error(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  if (!ec) return {};
  if (ec == error::connection_refused) return errc::connection_refused;
  if (ec == error::timed_out) return errc::timed_out;
  if (ec == error::connection_reset || ec == error::broken_pipe ||
      ec == error::connection_aborted) {
    return errc::connection_reset;
  }
  if (ec == error::eof) return errc::closed_without_reply;
  if (ec == error::host_not_found || ec == error::host_not_found_try_again ||
      ec == error::network_unreachable || ec == error::host_unreachable || ec == error::no_data) {
    return errc::unreachable;
  }
  if (ec == error::operation_aborted) return errc::cancelled;
  // Our own descriptor shortage, not the peer's fault (the socket could not even be opened).
  if (ec == error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system) {
    return errc::out_of_descriptors;
  }
  return errc::connection_reset;
}

}  // namespace eachare
