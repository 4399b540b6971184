// Fuzz target: peer_node::on_message over the fake ports of tests/support, fed a sequence of
// lines. Each input line is one event:
//   `!` + a letter: a menu command — h hello (to the first known peer), g get_peers, s search,
//       d download (the first row of the last search), c set_chunk_size (the number after it),
//       l list peers, f list local files, t statistics, b bye;
//   `<` + a line: the reply to the oldest pending send (when it decodes; else that send fails
//       with malformed_reply), then every queued completion runs;
//   `x`: the oldest pending send fails (connection_refused), then completions run;
//   `~`: the scheduler advances one second;
//   anything else: an inbound request line, decoded and handed to on_message, or on_bad_input.
// Invariants, checked after every event (and the clock at every change): the Lamport clock never
// decreases; the peer table holds only interned addresses, never self, each once; statistics and
// pending operations stay bounded by what the input could make; the node never asks to write a
// file outside its shared directory (an unsafe name, or a path).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.hpp"
#include "node/core/address_book.hpp"
#include "node/core/errors.hpp"
#include "node/core/peer_node.hpp"
#include "node/protocol/codec.hpp"
#include "tests/support/fake_transport.hpp"
#include "tests/support/manual_scheduler.hpp"
#include "tests/support/memory_store.hpp"

namespace {

using namespace eachare;

// Checks every clock the node reports: never lower than the one before, and after a receive
// above the clock the message carried (max(local, received) + 1: a clock that wrapped around to
// 0 went down). The node runs ep 3; in ep 1 a receive ignores the received clock.
class clock_watch final : public observer {
 public:
  void on_clock_changed(std::uint64_t value) override {
    FUZZ_CHECK(value >= last_, "the Lamport clock never decreases");
    if (received_) {
      // (Except at limits::max_clock, where the clock saturates instead of wrapping.)
      FUZZ_CHECK(value > *received_ || value == limits::max_clock,
                 "a receive moves the clock past the received clock");
      received_.reset();
    }
    last_ = value;
  }
  void on_request_received(peer_id, const message& msg, std::string_view) override {
    received_ = msg.clock;
  }
  void on_reply_received(peer_id, const message& msg, std::string_view) override {
    received_ = msg.clock;
  }

 private:
  std::uint64_t last_ = 0;
  std::optional<std::uint64_t> received_;
};

// The shared directory: forwards to the fake store, and fails the run when the node asks to
// write anything but a plain file name in it.
class guarded_store final : public file_store {
 public:
  explicit guarded_store(test::memory_store& inner) : inner_(inner) {}
  std::vector<stored_file> list() override { return inner_.list(); }
  std::error_code size_of(std::string_view name, std::uint64_t& size) override {
    return inner_.size_of(name, size);
  }
  std::error_code read(std::string_view name, std::uint64_t offset, std::uint64_t length,
                       std::string& out) override {
    return inner_.read(name, offset, length, out);
  }
  std::error_code open_part(std::string_view name, std::uint64_t size, part_id& part) override {
    FUZZ_CHECK(is_safe_file_name(name), "a write stays inside the shared directory");
    return inner_.open_part(name, size, part);
  }
  std::error_code write_part(part_id part, std::uint64_t offset, std::string_view data) override {
    return inner_.write_part(part, offset, data);
  }
  std::error_code commit_part(part_id part) override { return inner_.commit_part(part); }
  void discard_part(part_id part) override { inner_.discard_part(part); }

 private:
  test::memory_store& inner_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  address_book book;
  test::fake_transport net;
  test::manual_scheduler sched;
  test::memory_store files;
  files.put("a.txt", "hello world, this is a shared file");
  files.put("b.bin", std::string(1000, 'b'));
  guarded_store store(files);
  clock_watch obs;
  node_config config;
  config.self = "127.0.0.1:9000";
  config.ep = 3;
  config.neighbours = {"127.0.0.1:9001", "127.0.0.1:9002"};
  peer_node node(config, book, net, sched, store, obs);
  node.start();

  std::size_t events = 0;
  std::uint64_t shown = 0;
  auto check = [&] {
    FUZZ_CHECK(node.clock() >= shown, "the clock the node shows never decreases");
    shown = node.clock();
    std::set<peer_id> in_table;
    for (const auto& r : node.peers().records()) {
      FUZZ_CHECK(r.id < book.size(), "a table entry is an interned address");
      FUZZ_CHECK(r.id != node.self(), "the node never lists itself");
      FUZZ_CHECK(in_table.insert(r.id).second, "each peer once in the table");
    }
    FUZZ_CHECK(node.peers().size() <= book.size(), "the table is bounded by the addresses seen");
    FUZZ_CHECK(node.operations_in_flight() <= events + 1, "operations bounded by the commands");
  };

  while (!input.empty()) {
    const auto nl = input.find('\n');
    const std::string_view line = input.substr(0, nl);
    input.remove_prefix(nl == std::string_view::npos ? input.size() : nl + 1);
    ++events;
    const auto pending = net.pending();
    if (!line.empty() && line[0] == '!' && line.size() >= 2) {
      switch (line[1]) {
        case 'h':
          if (!node.peers().records().empty())
            node.on_command(cmd_hello{node.peers().records().front().id});
          break;
        case 'g':
          node.on_command(cmd_get_peers{});
          break;
        case 's':
          node.on_command(cmd_search{});
          break;
        case 'd':
          if (!node.last_search().empty())
            node.on_command(cmd_download{node.last_search().front().name, std::nullopt});
          break;
        case 'c': {
          std::int64_t v = 0;
          for (const char c : line.substr(2)) {
            if (c < '0' || c > '9' || v > 1'000'000'000'000) break;
            v = v * 10 + (c - '0');
          }
          node.on_command(cmd_set_chunk_size{line.size() > 2 && line[2] == '-' ? -v : v});
          break;
        }
        case 'l':
          node.on_command(cmd_list_peers{});
          break;
        case 'f':
          node.on_command(cmd_list_local{});
          break;
        case 't':
          node.on_command(cmd_show_stats{});
          break;
        case 'b':
          node.on_command(cmd_bye{});
          break;
        default:
          break;
      }
    } else if (!line.empty() && line[0] == '<') {
      if (!pending.empty()) {
        message reply;
        if (decode(line.substr(1), reply).ok()) {
          net.reply(pending.front(), std::move(reply));
        } else {
          net.complete(pending.front(), make_error_code(errc::malformed_reply));
        }
      }
    } else if (line == "x") {
      if (!pending.empty())
        net.complete(pending.front(), make_error_code(errc::connection_refused));
    } else if (line == "~") {
      sched.advance(std::chrono::seconds(1));
    } else {
      message m;
      const auto status = decode(line, m);
      if (status.ok()) {
        (void)node.on_message(m, line);
      } else {
        node.on_bad_input(status.detail);
      }
    }
    net.deliver_all();
    check();
  }
  // Whatever is still pending fails, as a transport's timeout would make it (a failure may start
  // another send: a download asks the next holder).
  for (int round = 0; round < 1000 && !net.pending().empty(); ++round) {
    for (const auto i : net.pending()) net.complete(i, make_error_code(errc::timed_out));
    net.deliver_all();
    check();
  }
  return 0;
}
