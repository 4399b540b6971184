#include "node/asio/asio_transport.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <functional>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "node/core/errors.hpp"
#include "tests/support/wait_bound.hpp"

namespace eachare {
namespace {

using namespace std::chrono_literals;
using tcp = boost::asio::ip::tcp;
using test::generous;

// Runs an io_context on its own thread; tests hand work to it with run().
class io_thread {
 public:
  io_thread() : guard_(boost::asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}
  ~io_thread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  boost::asio::io_context& io() { return io_; }
  template <typename F>
  auto run(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    if (result.wait_for(generous) != std::future_status::ready) {
      ADD_FAILURE() << "io thread did not run the task";
      std::abort();
    }
    return result.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

// Records inbound traffic; replies with whatever `reply` returns.
class recording_handler final : public inbound_handler {
 public:
  std::function<std::optional<message>(const message&)> reply = [](const message&) {
    return std::optional<message>{};
  };

  std::optional<message> on_message(const message& msg, std::string_view line) override {
    std::optional<message> r = reply(msg);
    std::lock_guard lock(mutex_);
    messages_.push_back(msg);
    lines_.emplace_back(line);
    cv_.notify_all();
    return r;
  }
  void on_bad_input(std::string_view what) override {
    std::lock_guard lock(mutex_);
    warnings_.emplace_back(what);
    cv_.notify_all();
  }
  bool wait_messages(std::size_t n, std::chrono::milliseconds bound = generous) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, bound, [&] { return messages_.size() >= n; });
  }
  bool wait_warnings(std::size_t n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, generous, [&] { return warnings_.size() >= n; });
  }
  std::vector<message> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::string> warnings() {
    std::lock_guard lock(mutex_);
    return warnings_;
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<message> messages_;
  std::vector<std::string> lines_;
  std::vector<std::string> warnings_;
};

struct send_result {
  std::error_code ec;
  std::optional<message> reply;
  std::string line;
};

// One peer: a transport listening on an ephemeral loopback port.
struct peer {
  explicit peer(io_thread& t, transport_options options = {})
      : thread(t), net(t.io(), book, options) {
    net.set_inbound_handler(&handler);
    port = thread.run([&] {
      EXPECT_FALSE(net.listen("127.0.0.1", 0));
      return net.local_port();
    });
    self = "127.0.0.1:" + std::to_string(port);
  }
  ~peer() {
    thread.run([&] {
      net.close();
      return 0;
    });
  }
  std::future<send_result> send(const std::string& to, message msg) {
    auto promise = std::make_shared<std::promise<send_result>>();
    auto future = promise->get_future();
    thread.run([&, promise, msg = std::move(msg)] {
      const peer_id id = book.intern(to);
      net.send(id, msg,
               [promise](std::error_code ec, std::optional<message> reply, std::string_view line) {
                 promise->set_value({ec, std::move(reply), std::string(line)});
               });
      return 0;
    });
    return future;
  }
  send_result send_and_wait(const std::string& to, message msg) {
    auto f = send(to, std::move(msg));
    if (f.wait_for(generous) != std::future_status::ready) {
      ADD_FAILURE() << "send never completed";
      return {};
    }
    return f.get();
  }

  io_thread& thread;
  address_book book;
  recording_handler handler;
  asio_transport net;
  std::uint16_t port = 0;
  std::string self;
};

message make(std::string origin, std::uint64_t clock, message_body body) {
  return message{std::move(origin), clock, std::move(body)};
}

// Polls `pred` on the io thread until it holds (true) or the bound passes (false).
template <typename Pred>
bool eventually(io_thread& t, Pred pred, std::chrono::milliseconds bound = generous) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!t.run(pred)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

std::uint16_t free_port() {
  boost::asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A blocking client socket for wire-level misbehaviour, with a receive timeout.
struct raw_client {
  // `from`: the local address to connect from (any 127.0.0.0/8 address is ours on Linux).
  explicit raw_client(std::uint16_t port, const char* from = nullptr) : socket(io) {
    if (from != nullptr) {
      socket.open(tcp::v4());
      socket.bind(tcp::endpoint(boost::asio::ip::make_address_v4(from), 0));
    }
    socket.connect(tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), port));
    timeval tv{20, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  void write(std::string_view bytes) {
    boost::system::error_code ec;
    boost::asio::write(socket, boost::asio::buffer(bytes.data(), bytes.size()), ec);
  }
  // Everything until the server closes (or the 20 s timeout). `closed` says it was a close.
  std::string read_all(bool& closed) {
    std::string out;
    char buf[4096];
    closed = false;
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket.read_some(boost::asio::buffer(buf), ec);
      out.append(buf, n);
      if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) {
        closed = true;
        return out;
      }
      if (ec) return out;
    }
  }
  // Writes `bytes`, ends our side and waits until the server closes: one complete line from
  // a client that then goes away.
  void send_and_close(std::string_view bytes) {
    write(bytes);
    socket.shutdown(tcp::socket::shutdown_send);
    bool closed = false;
    read_all(closed);
  }
  boost::asio::io_context io;
  tcp::socket socket;
};

// A holder that answers one request its own way: on its thread it accepts our connection, reads
// the request line, then runs `answer` with that connection (reply on a new connection, let a
// forger write first, close without a reply, ...) and closes it.
struct quirky_holder {
  boost::asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0)};
  const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  std::thread thread;

  void serve(std::function<void(tcp::socket& request)> answer) {
    thread = std::thread([this, answer = std::move(answer)] {
      tcp::socket s(io);
      acceptor.accept(s);
      std::string buf;
      boost::asio::read_until(s, boost::asio::dynamic_buffer(buf), '\n');
      answer(s);
      boost::system::error_code ignored;
      s.close(ignored);
    });
  }
  void join() { thread.join(); }
  ~quirky_holder() {
    if (thread.joinable()) thread.join();
  }
};

TEST(AsioTransport, SendToAClosedPortIsRefused) {
  io_thread t;
  peer a(t);
  const auto r =
      a.send_and_wait("127.0.0.1:" + std::to_string(free_port()), make(a.self, 1, hello_body{}));
  EXPECT_EQ(r.ec, errc::connection_refused);
  EXPECT_FALSE(r.reply);
}

TEST(AsioTransport, HelloReachesTheListenerWithoutAReply) {
  io_thread t;
  peer a(t);
  peer b(t);
  const auto r = b.send_and_wait(a.self, make(b.self, 3, hello_body{}));
  EXPECT_FALSE(r.ec) << r.ec.message();
  EXPECT_FALSE(r.reply);
  ASSERT_TRUE(a.handler.wait_messages(1));
  const auto got = a.handler.messages();
  EXPECT_EQ(got[0], make(b.self, 3, hello_body{}));
}

TEST(AsioTransport, RequestGetsItsReplyOnTheSameConnection) {
  io_thread t;
  peer a(t);
  peer b(t);
  a.handler.reply = [&](const message&) {
    return std::optional<message>(
        make(a.self, 7, peer_list_body{{{"10.0.0.1:5000", peer_status::online, 4}}}));
  };
  const auto r = b.send_and_wait(a.self, make(b.self, 6, get_peers_body{}));
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->type(), message_type::peer_list);
  EXPECT_EQ(r.line, a.self + " 7 PEER_LIST 1 10.0.0.1:5000:ONLINE:4");
}

TEST(AsioTransport, LargeFileReplyArrivesWhole) {
  io_thread t;
  peer a(t);
  peer b(t);
  std::string data(3 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 % 251);
  a.handler.reply = [&](const message&) {
    return std::optional<message>(make(a.self, 2, file_body{"big.bin", data.size(), 0, data}));
  };
  const auto r = b.send_and_wait(a.self, make(b.self, 1, dl_body{"big.bin", 0, 0}));
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(std::get<file_body>(r.reply->body).data, data);
}

TEST(AsioTransport, ServerThatNeverRepliesTimesOut) {
  io_thread t;
  transport_options options;
  options.reply_timeout = 300ms;
  peer b(t, options);
  // Listening but never accepting: the kernel completes the handshake, nobody answers.
  boost::asio::io_context silent_io;
  tcp::acceptor silent(silent_io, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
  const auto r = b.send_and_wait("127.0.0.1:" + std::to_string(silent.local_endpoint().port()),
                                 make(b.self, 1, ls_body{}));
  EXPECT_EQ(r.ec, errc::timed_out);
}

TEST(AsioTransport, WrongReplyTypeIsUnexpected) {
  io_thread t;
  peer a(t);
  peer b(t);
  a.handler.reply = [&](const message&) {
    return std::optional<message>(make(a.self, 2, ls_list_body{}));
  };
  const auto r = b.send_and_wait(a.self, make(b.self, 1, get_peers_body{}));
  EXPECT_EQ(r.ec, errc::unexpected_reply);
}

TEST(AsioTransport, HalfALineThenStallIsClosedWithAWarning) {
  io_thread t;
  transport_options options;
  options.read_timeout = 300ms;
  peer a(t, options);
  raw_client c(a.port);
  c.write("127.0.0.1:9 1 HEL");
  bool closed = false;
  EXPECT_EQ(c.read_all(closed), "");
  EXPECT_TRUE(closed);
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("no complete line from 127.0.0.1:"), std::string::npos)
      << a.handler.warnings()[0];
  EXPECT_TRUE(a.handler.messages().empty());
}

TEST(AsioTransport, OverLongLineIsClosedWithAWarning) {
  io_thread t;
  transport_options options;
  options.max_line_bytes = 1024;
  peer a(t, options);
  raw_client c(a.port);
  c.write(std::string(5000, 'A'));
  bool closed = false;
  c.read_all(closed);
  EXPECT_TRUE(closed);
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("longer than 1024 bytes"), std::string::npos)
      << a.handler.warnings()[0];
}

TEST(AsioTransport, MalformedLineGetsAWarningNoReplyAndTheListenerKeepsServing) {
  io_thread t;
  peer a(t);
  peer b(t);
  {
    raw_client c(a.port);
    c.write("this is not a message\n");
    bool closed = false;
    EXPECT_EQ(c.read_all(closed), "");
    EXPECT_TRUE(closed);
  }
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_EQ(a.handler.warnings()[0].rfind("malformed message from 127.0.0.1:", 0), 0u)
      << a.handler.warnings()[0];
  {
    raw_client c(a.port);
    c.write("127.0.0.1:9 1 FROBNICATE\n");
    bool closed = false;
    EXPECT_EQ(c.read_all(closed), "");
  }
  ASSERT_TRUE(a.handler.wait_warnings(2));
  const auto r = b.send_and_wait(a.self, make(b.self, 1, hello_body{}));
  EXPECT_FALSE(r.ec);
  ASSERT_TRUE(a.handler.wait_messages(1));
  EXPECT_EQ(a.handler.messages().size(), 1u);
}

TEST(AsioTransport, LineEndedByCloseInsteadOfNewlineIsAccepted) {
  io_thread t;
  peer a(t);
  { raw_client(a.port).send_and_close("127.0.0.1:9 4 HELLO"); }
  ASSERT_TRUE(a.handler.wait_messages(1));
  EXPECT_EQ(a.handler.messages()[0], make("127.0.0.1:9", 4, hello_body{}));
}

TEST(AsioTransport, ReplyOnANewConnectionCompletesThePendingRequest) {
  io_thread t;
  peer b(t);
  // A quirky peer: reads our GET_PEERS, answers by connecting to our listener, closes ours.
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  quirky.serve([&](tcp::socket&) {
    raw_client(b.port).send_and_close(quirky_address + " 9 PEER_LIST 1 10.1.1.1:1:OFFLINE:0\n");
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, get_peers_body{}));
  quirky.join();
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->origin, quirky_address);
  EXPECT_EQ(r.line, quirky_address + " 9 PEER_LIST 1 10.1.1.1:1:OFFLINE:0");
  // The reply completed the request; the node never saw it as a request.
  EXPECT_TRUE(b.handler.messages().empty());
  // It came from the IP we sent to; the use of the tolerance is one line.
  ASSERT_EQ(b.handler.warnings().size(), 1u);
  EXPECT_NE(b.handler.warnings()[0].find("PEER_LIST from 127.0.0.1:"), std::string::npos);
  EXPECT_NE(b.handler.warnings()[0].find("with ORIGIN " + quirky_address +
                                         " taken as the reply to our request (late reply"),
            std::string::npos)
      << b.handler.warnings()[0];
}

// The ORIGIN is only text: a FILE claiming to be the holder but coming from another IP must not
// supply the chunk. 127.0.0.2 is ours too (Linux routes 127.0.0.0/8 to the loopback).
TEST(AsioTransport, LateReplyFromAnotherIpIsRefusedAndLogged) {
  io_thread t;
  peer b(t);
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  quirky.serve([&](tcp::socket& s) {
    raw_client(b.port, "127.0.0.2").send_and_close(quirky_address + " 8 FILE a.bin 4 1 ZXZpbA==\n");
    b.handler.wait_messages(1);
    boost::asio::write(s, boost::asio::buffer(quirky_address + " 9 FILE a.bin 4 1 Z29vZA==\n"));
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, dl_body{"a.bin", 4, 1}));
  quirky.join();
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(std::get<file_body>(r.reply->body).data, "good");
  // The forged line was an ordinary inbound message, and its refusal one warning.
  ASSERT_EQ(b.handler.messages().size(), 1u);
  EXPECT_EQ(std::get<file_body>(b.handler.messages()[0].body).data, "evil");
  ASSERT_EQ(b.handler.warnings().size(), 1u);
  EXPECT_NE(b.handler.warnings()[0].find("FILE from 127.0.0.2:"), std::string::npos)
      << b.handler.warnings()[0];
  EXPECT_NE(b.handler.warnings()[0].find("refused as the reply to our request: it does not come "
                                         "from that peer's IP"),
            std::string::npos)
      << b.handler.warnings()[0];
}

TEST(AsioTransport, LateRepliesSwitchedOffAreOrdinaryMessages) {
  io_thread t;
  transport_options options;
  options.late_replies = false;
  options.late_reply_grace = 100ms;
  peer b(t, options);
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  quirky.serve([&](tcp::socket&) {
    // The right IP, but the tolerance is off; no reply on the request's own connection.
    raw_client(b.port).send_and_close(quirky_address + " 4 LS_LIST 1 x.bin:10\n");
    b.handler.wait_messages(1);
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, ls_body{}));
  quirky.join();
  EXPECT_EQ(r.ec, errc::closed_without_reply);
  ASSERT_EQ(b.handler.messages().size(), 1u);
  EXPECT_EQ(b.handler.messages()[0].type(), message_type::ls_list);
  ASSERT_EQ(b.handler.warnings().size(), 1u);
  EXPECT_NE(b.handler.warnings()[0].find("not taken as the reply to our request (late replies "
                                         "are off)"),
            std::string::npos)
      << b.handler.warnings()[0];
}

TEST(AsioTransport, UnsolicitedLongLineIsCutAtTheRequestBound) {
  io_thread t;
  transport_options options;
  options.read_timeout = 60s;  // only the size bound may end this connection within the test
  peer a(t, options);
  raw_client c(a.port);
  // A reply type, but nobody here waits for a reply from that origin: request bound applies.
  c.write("127.0.0.1:9 1 FILE x.bin 0 0 " + std::string(300 * 1024, 'A'));
  bool closed = false;
  c.read_all(closed);
  EXPECT_TRUE(closed);
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("longer than " +
                                         std::to_string(options.max_request_line_bytes) + " bytes"),
            std::string::npos)
      << a.handler.warnings()[0];
  EXPECT_TRUE(a.handler.messages().empty());
}

TEST(AsioTransport, AwaitedLongReplyOnANewConnectionMayUseTheFullBound) {
  io_thread t;
  peer b(t);
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  std::string data(512 * 1024, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 % 251);
  quirky.serve([&](tcp::socket&) {
    raw_client(b.port).send_and_close(
        encode(make(quirky_address, 9, file_body{"big.bin", data.size(), 3, data})) + "\n");
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, dl_body{"big.bin", 4096, 3}));
  quirky.join();
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(std::get<file_body>(r.reply->body).data, data);
  ASSERT_EQ(b.handler.warnings().size(), 1u);  // the late reply's one line
  EXPECT_NE(b.handler.warnings()[0].find("taken as the reply"), std::string::npos);
}

TEST(AsioTransport, FileOnANewConnectionCompletesOnlyTheChunkItAnswers) {
  io_thread t;
  peer b(t);
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  quirky.serve([&](tcp::socket& s) {
    // A stray FILE for another chunk (say, of a request that already timed out).
    raw_client(b.port).send_and_close(quirky_address + " 8 FILE a.bin 4 7 c3RyYQ==\n");
    b.handler.wait_messages(1);
    boost::asio::write(s, boost::asio::buffer(quirky_address + " 9 FILE a.bin 4 1 Z29vZA==\n"));
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, dl_body{"a.bin", 4, 1}));
  quirky.join();
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(std::get<file_body>(r.reply->body).chunk_index, 1u);
  EXPECT_EQ(std::get<file_body>(r.reply->body).data, "good");
  // The stray went to the node as a direct message instead.
  ASSERT_EQ(b.handler.messages().size(), 1u);
  EXPECT_EQ(std::get<file_body>(b.handler.messages()[0].body).chunk_index, 7u);
}

TEST(AsioTransport, LateReplyOnANewConnectionAfterTheCloseStillCompletes) {
  io_thread t;
  transport_options options;
  options.late_reply_grace = 5000ms;  // generous: the answer comes well within it
  peer b(t, options);
  quirky_holder quirky;
  const std::string& quirky_address = quirky.address;
  quirky.serve([&](tcp::socket& s) {
    s.close();  // closes ours first, without a reply, then answers on a new connection
    raw_client(b.port).send_and_close(quirky_address + " 4 LS_LIST 1 x.bin:10\n");
  });
  const auto r = b.send_and_wait(quirky_address, make(b.self, 1, ls_body{}));
  quirky.join();
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(r.reply->type(), message_type::ls_list);
  EXPECT_TRUE(b.handler.messages().empty());
}

TEST(AsioTransport, StrayReplyWithNoPendingRequestGoesToTheHandler) {
  io_thread t;
  peer a(t);
  {
    raw_client c(a.port);
    c.write("127.0.0.1:9 2 LS_LIST 0\n");
    bool closed = false;
    c.read_all(closed);
  }
  ASSERT_TRUE(a.handler.wait_messages(1));
  EXPECT_EQ(a.handler.messages()[0].type(), message_type::ls_list);
}

TEST(AsioTransport, AtTheInboundBoundANewConnectionReplacesTheOldestStalledOne) {
  io_thread t;
  transport_options options;
  options.max_inbound_connections = 2;
  options.read_timeout = 60s;  // the stalled clients never time out within the test
  peer a(t, options);
  raw_client staller1(a.port);
  staller1.write("127.0.0.1:9 1 ");
  raw_client staller2(a.port);
  staller2.write("127.0.0.1:9 1 ");
  ASSERT_TRUE(eventually(t, [&] { return a.net.inbound_accepted() == 2; }));
  // Both slots are taken by clients stalled mid-line; a real peer still gets through at once.
  raw_client waiting(a.port);
  waiting.write("127.0.0.1:9 2 HELLO\n");
  ASSERT_TRUE(a.handler.wait_messages(1));
  EXPECT_EQ(a.handler.messages()[0].clock, 2u);
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("limit (2)"), std::string::npos)
      << a.handler.warnings()[0];
  // The oldest stalled client was the one closed.
  bool closed = false;
  staller1.read_all(closed);
  EXPECT_TRUE(closed);
  EXPECT_LE(t.run([&] { return a.net.inbound_active(); }), 2u);
}

TEST(AsioTransport, InboundConnectionsBeyondTheBoundWaitWhileEverySlotIsWriting) {
  io_thread t;
  transport_options options;
  options.max_inbound_connections = 1;
  peer a(t, options);
  // The only slot writes a reply far larger than the socket buffers to a client not reading it.
  const std::string big(16 * 1024 * 1024, 'z');
  a.handler.reply = [&](const message& m) {
    if (m.type() != message_type::dl) return std::optional<message>{};
    return std::optional<message>(make(a.self, 2, file_body{"big.bin", big.size(), 0, big}));
  };
  auto writer = std::make_unique<raw_client>(a.port);
  writer->write("127.0.0.1:9 1 DL big.bin 0 0\n");
  ASSERT_TRUE(a.handler.wait_messages(1));
  raw_client waiting(a.port);
  waiting.write("127.0.0.1:9 2 HELLO\n");
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("limit (1)"), std::string::npos);
  EXPECT_FALSE(a.handler.wait_messages(2, 300ms));
  writer.reset();  // the reply fails, the slot frees
  ASSERT_TRUE(a.handler.wait_messages(2));
  EXPECT_EQ(a.handler.messages()[1].clock, 2u);
}

TEST(AsioTransport, RepliesBeyondTheWriteBudgetAreDroppedNotHeld) {
  io_thread t;
  transport_options options;
  options.max_reply_bytes_in_flight = 64 * 1024;
  peer a(t, options);
  const std::string big(16 * 1024 * 1024, 'z');  // over the budget alone: the first still goes
  a.handler.reply = [&](const message&) {
    return std::optional<message>(make(a.self, 2, file_body{"big.bin", big.size(), 0, big}));
  };
  // A client that asks and never reads keeps its reply in flight.
  auto hoarder = std::make_unique<raw_client>(a.port);
  hoarder->write("127.0.0.1:9 1 DL big.bin 0 0\n");
  ASSERT_TRUE(a.handler.wait_messages(1));
  {
    raw_client second(a.port);
    second.write("127.0.0.1:9 2 DL big.bin 0 0\n");
    bool closed = false;
    EXPECT_EQ(second.read_all(closed), "");
    EXPECT_TRUE(closed);
  }
  ASSERT_TRUE(a.handler.wait_warnings(1));
  EXPECT_NE(a.handler.warnings()[0].find("dropped"), std::string::npos) << a.handler.warnings()[0];
  hoarder.reset();  // its write fails, the budget is free again
  ASSERT_TRUE(eventually(t, [&] { return a.net.inbound_active() == 0; }));
  raw_client third(a.port);
  third.write("127.0.0.1:9 3 DL big.bin 0 0\n");
  third.socket.shutdown(tcp::socket::shutdown_send);
  bool closed = false;
  const std::string reply = third.read_all(closed);
  EXPECT_TRUE(closed);
  EXPECT_GT(reply.size(), big.size());
}

TEST(AsioTransport, ListenerSurvivesRunningOutOfDescriptors) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers' runtime needs descriptors of its own (UBSan's vptr check opens a pipe to
  // probe memory) and reports a false error when none are left.
  GTEST_SKIP() << "needs a process that can run out of descriptors; not under sanitizers";
#endif
  io_thread t;
  peer a(t);
  // The client socket exists before the descriptors run out; connect() needs no new one.
  boost::asio::io_context cio;
  tcp::socket client(cio);
  client.open(tcp::v4());
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  std::vector<int> filler;
  {
    rlimit low = old_limit;
    low.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    for (;;) {
      const int fd = ::dup(0);
      if (fd < 0) break;
      filler.push_back(fd);
    }
  }
  client.connect(tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), a.port));
  const std::string hello = "127.0.0.1:9 5 HELLO\n";
  boost::asio::write(client, boost::asio::buffer(hello));
  // accept() fails with EMFILE: the listener says so and keeps retrying.
  const bool warned = a.handler.wait_warnings(1);
  for (const int fd : filler) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  ASSERT_TRUE(warned);
  EXPECT_NE(a.handler.warnings()[0].find("accepting a connection failed"), std::string::npos)
      << a.handler.warnings()[0];
  ASSERT_TRUE(a.handler.wait_messages(1));
  EXPECT_EQ(a.handler.messages()[0].clock, 5u);
}

TEST(AsioTransport, ConnectWithoutAFreeDescriptorIsReportedAsOursNotAsAReset) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "needs a process that can run out of descriptors; not under sanitizers";
#endif
  io_thread t;
  peer a(t);
  peer b(t);
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old_limit), 0);
  std::vector<int> filler;
  {
    rlimit low = old_limit;
    low.rlim_cur = 256;
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
    for (;;) {
      const int fd = ::dup(0);
      if (fd < 0) break;
      filler.push_back(fd);
    }
  }
  const auto r = b.send_and_wait(a.self, make(b.self, 1, hello_body{}));
  for (const int fd : filler) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old_limit), 0);
  EXPECT_EQ(r.ec, errc::out_of_descriptors) << r.ec.message();
  EXPECT_NE(r.ec.message().find("too many open files"), std::string::npos);
}

TEST(AsioTransport, MapsDescriptorShortageToItsOwnError) {
  EXPECT_EQ(asio_transport::map_error(boost::asio::error::no_descriptors),
            errc::out_of_descriptors);
  EXPECT_EQ(asio_transport::map_error(boost::system::errc::make_error_code(
                boost::system::errc::too_many_files_open_in_system)),
            errc::out_of_descriptors);
  EXPECT_EQ(asio_transport::map_error(boost::asio::error::connection_reset),
            errc::connection_reset);
}

TEST(AsioTransport, CloseCancelsPendingRequests) {
  io_thread t;
  peer b(t);
  boost::asio::io_context silent_io;
  tcp::acceptor silent(silent_io, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
  auto f = b.send("127.0.0.1:" + std::to_string(silent.local_endpoint().port()),
                  make(b.self, 1, get_peers_body{}));
  // The request is registered once send() returned on the io thread.
  t.run([&] {
    b.net.close();
    return 0;
  });
  ASSERT_EQ(f.wait_for(generous), std::future_status::ready);
  EXPECT_EQ(f.get().ec, errc::cancelled);
}

TEST(AsioTransport, OutboundConnectionsBeyondTheBoundWaitTheirTurnAndCloseCancelsThemAll) {
  io_thread t;
  transport_options options;
  options.max_outbound_connections = 2;
  options.reply_timeout = 60s;  // only close() may end these requests within the test
  peer b(t, options);
  // Accepts and holds every connection without a word, counting them.
  boost::asio::io_context sio;
  tcp::acceptor silent(sio, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0));
  const std::string silent_address = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::unique_ptr<tcp::socket>> held;
  std::atomic<bool> stop{false};
  std::thread server([&] {
    for (;;) {
      auto s = std::make_unique<tcp::socket>(sio);
      boost::system::error_code ec;
      silent.accept(*s, ec);
      if (ec || stop) return;
      std::lock_guard lock(mutex);
      held.push_back(std::move(s));
      cv.notify_all();
    }
  });
  std::vector<std::future<send_result>> sent;
  for (int i = 0; i < 5; ++i) sent.push_back(b.send(silent_address, make(b.self, 1, ls_body{})));
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, generous, [&] { return held.size() >= 2; }));
    EXPECT_FALSE(cv.wait_for(lock, 300ms, [&] { return held.size() > 2; }));
  }
  EXPECT_EQ(t.run([&] { return b.net.outbound_active(); }), 5u);
  EXPECT_EQ(t.run([&] { return b.net.outbound_queued(); }), 3u);
  t.run([&] {
    b.net.close();
    return 0;
  });
  for (auto& f : sent) {
    ASSERT_EQ(f.wait_for(generous), std::future_status::ready);
    EXPECT_EQ(f.get().ec, errc::cancelled);
  }
  EXPECT_EQ(t.run([&] { return b.net.outbound_active(); }), 0u);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(held.size(), 2u);  // the queued ones never connected
  }
  // Wake the accept() still waiting with one last connection; the server then sees `stop`.
  stop = true;
  {
    boost::asio::io_context cio;
    tcp::socket poke(cio);
    boost::system::error_code ignored;
    poke.connect(silent.local_endpoint(), ignored);
  }
  server.join();
}

TEST(AsioTransport, QueuedOutboundSendsStartAsEarlierOnesFinish) {
  io_thread t;
  transport_options options;
  options.max_outbound_connections = 1;
  peer a(t);
  peer b(t, options);
  std::vector<std::future<send_result>> sent;
  for (int i = 0; i < 6; ++i) sent.push_back(b.send(a.self, make(b.self, 1, hello_body{})));
  for (auto& f : sent) {
    ASSERT_EQ(f.wait_for(generous), std::future_status::ready);
    EXPECT_FALSE(f.get().ec);
  }
  EXPECT_TRUE(a.handler.wait_messages(6));
}

// A scripted server: accepts one connection, reads the request line, writes `reply` verbatim,
// closes. Returns the address to send to.
class scripted_server {
 public:
  explicit scripted_server(std::string reply)
      : acceptor_(io_, tcp::endpoint(boost::asio::ip::make_address_v4("127.0.0.1"), 0)),
        thread_([this, reply = std::move(reply)] {
          tcp::socket s(io_);
          acceptor_.accept(s);
          std::string buf;
          boost::system::error_code ec;
          boost::asio::read_until(s, boost::asio::dynamic_buffer(buf), '\n', ec);
          boost::asio::write(s, boost::asio::buffer(reply), ec);
          s.shutdown(tcp::socket::shutdown_both, ec);
        }) {}
  ~scripted_server() { thread_.join(); }
  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }

 private:
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

TEST(AsioTransport, ReplyEndedByCloseInsteadOfNewlineIsAccepted) {
  io_thread t;
  peer b(t);
  scripted_server server("127.0.0.1:7 3 LS_LIST 1 a.txt:5");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, ls_body{}));
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_TRUE(r.reply);
  EXPECT_EQ(std::get<ls_list_body>(r.reply->body).files, (std::vector<file_entry>{{"a.txt", 5}}));
}

TEST(AsioTransport, CarriageReturnAndNulNeverReachTheLineTheConsolePrints) {
  io_thread t;
  peer a(t);
  {
    raw_client c(a.port);
    c.write("127.0.0.1:9 4 HELLO\r\n");
    bool closed = false;
    c.read_all(closed);
  }
  {
    raw_client c(a.port);
    c.write(std::string("127.0.0.1:9 5 HELLO\0junk", 24));
    c.socket.shutdown(tcp::socket::shutdown_send);
    bool closed = false;
    c.read_all(closed);
  }
  ASSERT_TRUE(a.handler.wait_messages(2));
  EXPECT_EQ(a.handler.lines(),
            (std::vector<std::string>{"127.0.0.1:9 4 HELLO", "127.0.0.1:9 5 HELLO"}));
  peer b(t);
  scripted_server server("127.0.0.1:7 3 PEER_LIST 0\r\n");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.line, "127.0.0.1:7 3 PEER_LIST 0");
}

TEST(AsioTransport, ReplyWithNulAfterNewlineIsAccepted) {
  io_thread t;
  peer b(t);
  scripted_server server(std::string("127.0.0.1:7 3 PEER_LIST 0\n\0", 27));
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.line, "127.0.0.1:7 3 PEER_LIST 0");
}

TEST(AsioTransport, CloseWithoutReplyFailsAfterTheGrace) {
  io_thread t;
  transport_options options;
  options.late_reply_grace = 100ms;
  peer b(t, options);
  scripted_server server("");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  EXPECT_EQ(r.ec, errc::closed_without_reply);
}

TEST(AsioTransport, MalformedReplyIsReported) {
  io_thread t;
  peer b(t);
  scripted_server server("nonsense\n");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  EXPECT_EQ(r.ec, errc::malformed_reply);
  EXPECT_EQ(r.line, "nonsense");
}

TEST(AsioTransport, OverLongReplyIsRefused) {
  io_thread t;
  transport_options options;
  options.max_line_bytes = 64;
  peer b(t, options);
  scripted_server server("127.0.0.1:7 3 PEER_LIST 1 " + std::string(200, 'a') + ":1:ONLINE:0\n");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  EXPECT_EQ(r.ec, errc::line_too_long);
}

TEST(AsioTransport, PeerListReplyIsReadOnlyUpToItsOwnByteLimit) {
  io_thread t;
  peer b(t);
  // One byte over limits::max_peer_list_bytes, far below max_line_bytes: refused as too long
  // while reading, not buffered whole and refused by decode.
  std::string line = "127.0.0.1:7 3 PEER_LIST 1 h:1:ONLINE:0 ";
  line += std::string(limits::max_peer_list_bytes + 1 - line.size(), 'x');
  scripted_server server(line + "\n");
  const auto r = b.send_and_wait(server.address(), make(b.self, 1, get_peers_body{}));
  EXPECT_EQ(r.ec, errc::line_too_long);
}

TEST(AsioTransport, UnparsableDestinationIsUnreachable) {
  io_thread t;
  peer b(t);
  const auto r = b.send_and_wait("no-port-here", make(b.self, 1, hello_body{}));
  EXPECT_EQ(r.ec, errc::unreachable);
}

}  // namespace
}  // namespace eachare
