#include "node/core/peer_node.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "node/core/download.hpp"
#include "node/core/errors.hpp"
#include "tests/support/fake_transport.hpp"
#include "tests/support/manual_scheduler.hpp"
#include "tests/support/memory_store.hpp"
#include "tests/support/recording_observer.hpp"

namespace eachare {
namespace {

using test::fake_transport;
using test::manual_scheduler;
using test::memory_store;
using test::recording_observer;
using test::send_outcome;
using strings = std::vector<std::string>;
using namespace std::chrono_literals;

constexpr const char* self_addr = "127.0.0.1:9001";
constexpr const char* p2 = "127.0.0.1:9002";
constexpr const char* p3 = "127.0.0.1:9003";
constexpr const char* p4 = "127.0.0.1:9004";

message make_msg(std::string origin, std::uint64_t clock, message_body body) {
  message m;
  m.origin = std::move(origin);
  m.clock = clock;
  m.body = std::move(body);
  return m;
}

// 1000 bytes that are not all alike, so a misplaced chunk shows.
std::string thousand_bytes() {
  std::string s(1000, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>((i * 7 + i / 256) % 256);
  return s;
}

node_config config_with(std::vector<std::string> neighbours, int ep = 3) {
  node_config c;
  c.self = self_addr;
  c.ep = ep;
  c.neighbours = std::move(neighbours);
  // These tests complete sends by hand whenever they like: no reply deadline of the node's
  // (the ReplyDeadline tests set one).
  c.reply_timeout = duration{0};
  return c;
}

// One node under test with every port faked. Ports are declared before the node so they
// outlive it.
struct harness {
  explicit harness(node_config config) { make(std::move(config)); }
  harness() : harness(config_with({p2, p3})) {}

  void make(node_config config) {
    node = std::make_unique<peer_node>(std::move(config), book, net, sched, files, obs);
    node->start();
  }

  peer_id id(std::string_view address) { return book.intern(address); }
  const peer_record& record(std::string_view address) {
    const peer_record* r = node->peers().find(book.find(address));
    EXPECT_NE(r, nullptr) << address;
    static const peer_record none{};
    return r ? *r : none;
  }
  // A direct HELLO from `address`, making it ONLINE.
  void hello_from(std::string_view address, std::uint64_t clock = 1) {
    node->on_message(make_msg(std::string(address), clock, hello_body{}), "");
  }
  void command(const command& c) { node->on_command(c); }

  address_book book;
  fake_transport net;
  manual_scheduler sched;
  memory_store files;
  recording_observer obs{book};
  std::unique_ptr<peer_node> node;
};

// Remote peers scripted at the message level: they list and serve their files, accept HELLO
// and BYE, answer GET_PEERS with an empty list. `refuse_dl` lets a test fail chosen requests.
struct remote_peers {
  address_book& book;
  std::map<peer_id, std::map<std::string, std::string>> files;
  std::function<bool(peer_id, const dl_body&)> refuse_dl;
  std::uint64_t clock = 100;

  std::optional<send_outcome> operator()(peer_id to, const message& m) {
    const std::string& origin = book.name(to);
    auto& mine = files[to];
    switch (m.type()) {
      case message_type::ls: {
        ls_list_body body;
        for (const auto& [name, content] : mine) body.files.push_back({name, content.size()});
        return send_outcome{{}, make_msg(origin, ++clock, std::move(body))};
      }
      case message_type::dl: {
        const auto& dl = std::get<dl_body>(m.body);
        if (refuse_dl && refuse_dl(to, dl)) {
          return send_outcome{make_error_code(errc::connection_refused), std::nullopt};
        }
        const std::string& content = mine.at(dl.name);
        const chunk_range r = chunk_bounds(content.size(), dl.chunk_size, dl.chunk_index);
        file_body f{dl.name, r.length, dl.chunk_index, content.substr(r.offset, r.length)};
        return send_outcome{{}, make_msg(origin, ++clock, std::move(f))};
      }
      case message_type::get_peers:
        return send_outcome{{}, make_msg(origin, ++clock, peer_list_body{})};
      default:
        return send_outcome{};
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Start, HELLO and the clock.

TEST(PeerNode, StartAddsNeighboursOffline) {
  harness h;
  EXPECT_EQ(h.obs.events(),
            (strings{"added 127.0.0.1:9002 OFFLINE", "added 127.0.0.1:9003 OFFLINE"}));
  EXPECT_EQ(h.node->peers().size(), 2u);
  EXPECT_EQ(h.node->peers().online_count(), 0u);
  EXPECT_EQ(h.node->clock(), 0u);
  EXPECT_EQ(h.net.send_count(), 0u);
}

TEST(PeerNode, StartSkipsSelfAndDuplicateNeighbours) {
  harness h(config_with({p2, self_addr, p2}));
  EXPECT_EQ(h.obs.events(), (strings{"added 127.0.0.1:9002 OFFLINE"}));
  EXPECT_EQ(h.node->peers().size(), 1u);
}

TEST(PeerNode, HelloTicksTheClockBeforeAnnouncingTheSend) {
  harness h;
  h.obs.clear();
  h.command(cmd_hello{h.id(p2)});
  EXPECT_EQ(h.obs.events(), (strings{"clock 1", "send 127.0.0.1:9002 HELLO"}));
  ASSERT_EQ(h.net.send_count(), 1u);
  EXPECT_EQ(h.net.sent(0).to, h.id(p2));
  EXPECT_EQ(h.net.sent(0).msg, make_msg(self_addr, 1, hello_body{}));
  EXPECT_EQ(h.node->operations_in_flight(), 1u);

  h.net.succeed(0);
  EXPECT_EQ(h.obs.events().size(), 2u) << "completion must wait for delivery";
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events(), (strings{"clock 1", "send 127.0.0.1:9002 HELLO",
                                     "updated 127.0.0.1:9002 ONLINE", "hello done 127.0.0.1:9002"}))
      << "the menu waits for `hello done`, so it must come after the status line";
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.node->peers().online_count(), 1u);
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, FailedSendMarksPeerOfflineAfterCountingItsTick) {
  harness h;
  h.hello_from(p2, 3);
  h.obs.clear();
  h.command(cmd_hello{h.id(p2)});
  h.net.complete(0, errc::connection_refused);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events(),
            (strings{"clock 5", "send 127.0.0.1:9002 HELLO",
                     "send failed 127.0.0.1:9002 connection refused",
                     "updated 127.0.0.1:9002 OFFLINE", "hello done 127.0.0.1:9002"}));
  EXPECT_EQ(h.node->clock(), 5u);
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
  EXPECT_EQ(h.record(p2).clock, 3u) << "a failed send leaves the stored clock alone";
  EXPECT_EQ(h.node->peers().online_count(), 0u);
}

TEST(PeerNode, OurOwnDescriptorShortageWarnsAndDoesNotMarkThePeerOffline) {
  harness h;
  h.hello_from(p2);
  h.command(cmd_get_peers{});
  h.obs.clear();
  h.net.complete(0, errc::out_of_descriptors);
  h.net.deliver_all();
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.obs.with_prefix("warning "),
            (strings{"warning could not reach 127.0.0.1:9002: too many open files here (local "
                     "EMFILE/ENFILE)"}));
  EXPECT_EQ(h.obs.count("updated 127.0.0.1:9002"), 0u);
}

TEST(PeerNode, HelloToUnknownPeerAddsItFirst) {
  harness h;
  h.obs.clear();
  h.command(cmd_hello{h.id(p4)});
  EXPECT_EQ(h.obs.events(),
            (strings{"added 127.0.0.1:9004 OFFLINE", "clock 1", "send 127.0.0.1:9004 HELLO"}));
}

TEST(PeerNode, HelloToNoPeerOrSelfIsRefused) {
  harness h;
  h.obs.clear();
  h.command(cmd_hello{no_peer});
  h.command(cmd_hello{h.node->self()});
  h.command(cmd_hello{12345});
  EXPECT_EQ(h.obs.count("refused"), 3u);
  EXPECT_EQ(h.net.send_count(), 0u);
  EXPECT_EQ(h.node->clock(), 0u);
}

TEST(PeerNode, ReceivingHelloTakesMaxPlusOneAndMarksSenderOnline) {
  harness h;
  h.obs.clear();
  EXPECT_EQ(h.node->on_message(make_msg(p2, 5, hello_body{}), "x"), std::nullopt);
  EXPECT_EQ(h.obs.events(),
            (strings{"request 127.0.0.1:9002 HELLO", "clock 6", "updated 127.0.0.1:9002 ONLINE"}));
  EXPECT_EQ(h.record(p2).clock, 5u);
  // A smaller received clock: the local one still moves by one.
  h.hello_from(p2, 2);
  EXPECT_EQ(h.node->clock(), 7u);
  EXPECT_EQ(h.record(p2).clock, 5u);
  EXPECT_EQ(h.net.send_count(), 0u) << "HELLO gets no reply";
}

TEST(PeerNode, PartOneIgnoresTheReceivedClock) {
  harness h(config_with({p2}, /*ep=*/1));
  h.hello_from(p2, 50);
  EXPECT_EQ(h.node->clock(), 1u);
  EXPECT_EQ(h.record(p2).clock, 0u) << "part 1 lists every clock as 0";
  h.hello_from(p2, 50);
  EXPECT_EQ(h.node->clock(), 2u);
}

TEST(PeerNode, UnknownSenderIsAddedOnline) {
  harness h;
  h.obs.clear();
  h.hello_from(p4, 2);
  EXPECT_EQ(h.obs.events().back(), "added 127.0.0.1:9004 ONLINE");
  EXPECT_EQ(h.node->peers().records().back().id, h.id(p4));
}

TEST(PeerNode, ByeMarksSenderOffline) {
  harness h;
  h.hello_from(p2, 1);
  h.obs.clear();
  EXPECT_EQ(h.node->on_message(make_msg(p2, 4, bye_body{}), ""), std::nullopt);
  EXPECT_EQ(h.obs.events(),
            (strings{"request 127.0.0.1:9002 BYE", "clock 5", "updated 127.0.0.1:9002 OFFLINE"}));
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
  EXPECT_EQ(h.node->peers().online_count(), 0u);
}

TEST(PeerNode, ReplyTypeArrivingAsRequestIsOnlyADirectUpdate) {
  harness h;
  peer_list_body list;
  list.entries.push_back({p4, peer_status::online, 9});
  EXPECT_EQ(h.node->on_message(make_msg(p2, 3, std::move(list)), ""), std::nullopt);
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.node->peers().find(h.book.find(p4)), nullptr) << "entries are not applied";
  EXPECT_EQ(h.net.send_count(), 0u);
  EXPECT_EQ(h.node->clock(), 4u);
}

TEST(PeerNode, BadInputIsOneWarningAndNoStateChange) {
  harness h;
  h.obs.clear();
  h.node->on_bad_input("malformed line from 127.0.0.1:5555: bad clock field");
  EXPECT_EQ(h.obs.events(),
            (strings{"warning malformed line from 127.0.0.1:5555: bad clock field"}));
  EXPECT_EQ(h.node->clock(), 0u);
  EXPECT_EQ(h.node->peers().size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// GET_PEERS / PEER_LIST.

TEST(PeerNode, GetPeersReplyExcludesRequesterAndListsStoredClocks) {
  harness h;
  h.hello_from(p3, 4);
  h.hello_from(p4, 1);
  h.obs.clear();
  const auto reply = h.node->on_message(make_msg(p2, 2, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->origin, self_addr);
  EXPECT_EQ(reply->clock, 8u);  // HELLOs took it to 5 and 6, GET_PEERS to 7, the reply to 8
  const auto& entries = std::get<peer_list_body>(reply->body).entries;
  EXPECT_EQ(entries,
            (std::vector<peer_entry>{{p3, peer_status::online, 4}, {p4, peer_status::online, 1}}));
  EXPECT_EQ(h.obs.events(),
            (strings{"request 127.0.0.1:9002 GET_PEERS", "clock 7", "updated 127.0.0.1:9002 ONLINE",
                     "clock 8", "send 127.0.0.1:9002 PEER_LIST 2"}));
  EXPECT_EQ(h.net.send_count(), 0u) << "the reply goes back on the same connection";
}

TEST(PeerNode, GetPeersFromTheOnlyPeerGetsAnEmptyList) {
  harness h(config_with({}));
  const auto reply = h.node->on_message(make_msg(p2, 1, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_TRUE(std::get<peer_list_body>(reply->body).entries.empty());
}

TEST(PeerNode, PeerListAddsUnknownUpdatesOnGreaterClockAndSkipsSelf) {
  harness h;
  h.command(cmd_get_peers{});
  ASSERT_EQ(h.net.send_count(), 2u);
  EXPECT_EQ(h.net.sent(0).to, h.id(p2));
  EXPECT_EQ(h.net.sent(1).to, h.id(p3));
  h.obs.clear();

  peer_list_body from2;
  from2.entries = {{self_addr, peer_status::online, 9},
                   {p3, peer_status::online, 2},
                   {p4, peer_status::offline, 7}};
  h.net.reply(0, make_msg(p2, 3, std::move(from2)));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events(),
            (strings{"reply 127.0.0.1:9002 PEER_LIST 3", "clock 4", "updated 127.0.0.1:9002 ONLINE",
                     "updated 127.0.0.1:9003 ONLINE", "added 127.0.0.1:9004 OFFLINE"}));
  EXPECT_EQ(h.record(p3).clock, 2u);
  EXPECT_EQ(h.record(p4).clock, 7u);
  EXPECT_EQ(h.node->peers().find(h.node->self()), nullptr);
  // The list's changes were reported together, in list order, each with its table row; the
  // sender's own update (a direct message, before the list) was not part of them.
  const auto row_of = [&](std::string_view a) {
    return static_cast<std::uint32_t>(h.node->peers().find(h.id(a)) -
                                      h.node->peers().records().data());
  };
  ASSERT_EQ(h.obs.change_lists().size(), 1u);
  const auto& changes = h.obs.change_lists()[0];
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].peer, h.id(p3));
  EXPECT_EQ(changes[0].row, row_of(p3));
  EXPECT_FALSE(changes[0].added);
  EXPECT_EQ(changes[0].status, peer_status::online);
  EXPECT_EQ(changes[0].clock, 2u);
  EXPECT_EQ(changes[1].peer, h.id(p4));
  EXPECT_EQ(changes[1].row, row_of(p4));
  EXPECT_TRUE(changes[1].added);
  EXPECT_EQ(changes[1].status, peer_status::offline);
  EXPECT_EQ(changes[1].clock, 7u);

  h.obs.clear();
  peer_list_body from3;
  from3.entries = {{p4, peer_status::online, 7},    // equal clock: no update
                   {p2, peer_status::offline, 1}};  // older than the stored 3: no update
  h.net.reply(1, make_msg(p3, 1, std::move(from3)));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events(), (strings{"reply 127.0.0.1:9003 PEER_LIST 2", "clock 5",
                                     "updated 127.0.0.1:9003 ONLINE", "get_peers done"}));
  EXPECT_TRUE(h.obs.change_lists().empty());  // a list that changes nothing reports nothing
  EXPECT_EQ(h.record(p4).status, peer_status::offline);
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, HelloWithTheClockCeilingDoesNotWrapTheClock) {
  // `127.0.0.1:47999 18446744073709551615 HELLO` once printed "Atualizando relogio para 0"; such
  // a line no longer decodes, and the ceiling itself keeps the clock there.
  harness h;
  h.hello_from(p2, limits::max_clock - 1);
  EXPECT_EQ(h.node->clock(), limits::max_clock);
  h.hello_from(p3, limits::max_clock);
  EXPECT_EQ(h.node->clock(), limits::max_clock);
  EXPECT_EQ(h.record(p3).clock, limits::max_clock);
  const auto reply = h.node->on_message(make_msg(p4, 1, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->clock, limits::max_clock);
  message back;
  EXPECT_TRUE(decode(encode(*reply), back).ok()) << "our reply stays decodable";
}

TEST(PeerNode, PeerListFromAFullTableNamesHowManyWereNotAdded) {
  node_config c = config_with({p2, p3});
  c.max_known_peers = 3;
  harness h(c);
  h.command(cmd_get_peers{});
  h.obs.clear();
  peer_list_body list;
  for (int port = 9100; port < 9110; ++port) {
    list.entries.push_back({"127.0.0.1:" + std::to_string(port), peer_status::online, 1});
  }
  h.net.reply(0, make_msg(p2, 3, std::move(list)));
  h.net.deliver_all();
  EXPECT_EQ(h.node->peers().size(), 3u);
  EXPECT_EQ(h.obs.count("added "), 1u);
  EXPECT_EQ(h.obs.with_prefix("warning "),
            (strings{"warning peer table full (3 peers, limit 3): 9 new peer(s) from the "
                     "PEER_LIST of 127.0.0.1:9002 not added"}));
}

TEST(PeerNode, DirectMessageFromAnUnknownPeerIntoAFullTableIsServedButNotAdded) {
  node_config c = config_with({p2});
  c.max_known_peers = 1;
  harness h(c);
  const auto reply = h.node->on_message(make_msg(p3, 4, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(h.node->peers().size(), 1u);
  EXPECT_EQ(h.node->clock(), 6u);
  EXPECT_TRUE(h.obs.contains(
      "warning peer table full (1 peers, limit 1): 1 new peer(s) from 127.0.0.1:9003 not added"));
}

TEST(PeerNode, NeighboursBeyondTheTableLimitAreLeftOutWithOneWarning) {
  node_config c = config_with({p2, p3, p4});
  c.max_known_peers = 2;
  harness h(c);
  EXPECT_EQ(h.node->peers().size(), 2u);
  EXPECT_EQ(h.obs.with_prefix("warning "),
            (strings{"warning peer table full (2 peers, limit 2): 1 new peer(s) from the "
                     "neighbours file not added"}));
}

TEST(PeerNode, DefaultTableLimitIsTheNamedOne) {
  harness h;
  EXPECT_EQ(h.node->peers().max_entries(), limits::max_known_peers);
}

TEST(PeerNode, GetPeersRoundEndsAtItsTimeLimitAndLateRepliesStillCount) {
  harness h;
  h.command(cmd_get_peers{});
  ASSERT_EQ(h.net.send_count(), 2u);
  h.net.reply(0, make_msg(p2, 1, peer_list_body{}));
  h.net.deliver_all();
  h.sched.advance(limits::max_get_peers_round - 1ms);
  EXPECT_EQ(h.obs.count("get_peers done"), 0u);
  h.sched.advance(1ms);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
  EXPECT_TRUE(
      h.obs.contains("warning get_peers round stopped after 30 s: 1 of 2 peer(s) had "
                     "not answered"));
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
  peer_list_body late;
  late.entries = {{p4, peer_status::online, 2}};
  h.net.reply(1, make_msg(p3, 1, std::move(late)));
  h.net.deliver_all();
  EXPECT_EQ(h.record(p4).status, peer_status::online);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u) << "the round ended once";
}

TEST(PeerNode, GetPeersRoundThatFinishesInTimeLeavesNoTimer) {
  harness h;
  h.command(cmd_get_peers{});
  h.net.reply(0, make_msg(p2, 1, peer_list_body{}));
  h.net.complete(1, errc::connection_refused);
  h.net.deliver_all();
  EXPECT_EQ(h.sched.pending_timers(), 0u);
  h.sched.advance(limits::max_get_peers_round);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
  EXPECT_EQ(h.obs.count("warning "), 0u);
}

TEST(PeerNode, PeerListReplyStaysWithinTheByteLimit) {
  // 40,000 peers with 240-byte names would be a 10 MB line: more than any peer accepts.
  node_config c = config_with({});
  c.max_known_peers = 40'000;
  harness h(c);
  const std::string pad(230, 'h');
  for (int i = 0; i < 40'000; ++i) {
    h.hello_from(pad + std::to_string(i) + ".example:9000", 1);
  }
  h.obs.clear();
  const auto reply = h.node->on_message(make_msg(p2, 1, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  const std::string line = encode(*reply);
  EXPECT_LE(line.size(), limits::max_peer_list_bytes);
  message back;
  EXPECT_TRUE(decode(line, back).ok());
  const auto sent = std::get<peer_list_body>(reply->body).entries.size();
  EXPECT_LT(sent, 40'000u);
  EXPECT_GT(sent, 30'000u);
  EXPECT_EQ(h.obs.count("warning PEER_LIST to 127.0.0.1:9002 leaves out " +
                        std::to_string(40'000 - sent) + " peer(s)"),
            1u);
}

// The same table answers GET_PEERS with the same list whether the transport takes it by book id
// (the simulator) or as text: same peers, statuses, clocks and order; the same ones left out
// under the byte limit, with the same warning.
TEST(PeerNode, PeerListReplyByIdNamesWhatTheTextReplyLists) {
  for (const int peers : {5, 40'000}) {
    node_config c = config_with({p3});
    c.max_known_peers = 40'000;
    std::vector<message> replies;
    std::vector<std::size_t> warnings;
    for (const bool by_id : {false, true}) {
      harness h(c);
      h.net.shares_book = by_id;
      // Long names when there are many: the line would pass the byte limit (as above).
      const std::string pad(peers > 5 ? 230 : 0, 'h');
      for (int i = 0; i < peers; ++i) {
        h.hello_from(pad + "n" + std::to_string(i) + ".example:9000",
                     static_cast<std::uint64_t>(i % 7 + 1));
      }
      h.node->on_message(make_msg(p3, 50, bye_body{}), "");  // one OFFLINE entry
      h.obs.clear();
      auto reply = h.node->on_message(make_msg(p2, 60, get_peers_body{}), "");
      ASSERT_TRUE(reply.has_value());
      auto& list = std::get<peer_list_body>(reply->body);
      if (by_id) {
        EXPECT_TRUE(list.entries.empty());
        ASSERT_FALSE(list.by_id.empty());
        // Named from the book, as the simulator names them.
        for (const peer_ref& e : list.by_id) {
          list.entries.emplace_back(h.book.name(e.book_id), e.status(), e.clock(), e.book_id);
        }
        list.by_id.clear();
      } else {
        EXPECT_TRUE(list.by_id.empty());
      }
      replies.push_back(*reply);
      warnings.push_back(h.obs.count("warning PEER_LIST to 127.0.0.1:9002 leaves out"));
    }
    EXPECT_EQ(replies[0], replies[1]) << peers;
    EXPECT_EQ(std::get<peer_list_body>(replies[0].body).entries.size(),
              std::get<peer_list_body>(replies[1].body).entries.size());
    EXPECT_EQ(warnings[0], peers > 5 ? 1u : 0u);
    EXPECT_EQ(warnings[1], warnings[0]);
  }
}

// The overload that writes into the caller's message: a reply there from before (another type,
// or a longer list) never leaks into the new one, and a request without a reply leaves it alone.
TEST(PeerNode, ReplyWrittenIntoAKeptMessageIsTheReplyOnMessageReturns) {
  for (const bool by_id : {false, true}) {
    harness h;
    h.net.shares_book = by_id;
    for (int i = 0; i < 6; ++i) h.hello_from("10.0.0." + std::to_string(i) + ":9000", 1);
    message kept;
    kept.origin = "stale:1";
    kept.clock = 999;
    kept.body = file_body{"f", 1, 0, "xyz"};
    ASSERT_TRUE(h.node->on_message(make_msg(p2, 5, get_peers_body{}), "", h.id(p2), kept));
    auto first = h.node->on_message(make_msg(p3, 6, get_peers_body{}), "", h.id(p3));
    ASSERT_TRUE(first.has_value());
    // A PEER_LIST of the 6 peers and the other neighbour, like the one returned, with our
    // ORIGIN and a fresh clock.
    ASSERT_EQ(kept.type(), message_type::peer_list);
    EXPECT_EQ(std::get<peer_list_body>(kept.body).size(), 7u);
    EXPECT_EQ(std::get<peer_list_body>(first->body).size(), 7u);
    EXPECT_EQ(kept.origin, first->origin);
    EXPECT_LT(kept.clock, first->clock);
    EXPECT_NE(kept.clock, 999u);
    // Again into the same message, after a BYE made one peer OFFLINE: the list is rebuilt.
    h.node->on_message(make_msg("10.0.0.0:9000", 7, bye_body{}), "");
    ASSERT_TRUE(h.node->on_message(make_msg(p2, 8, get_peers_body{}), "", h.id(p2), kept));
    const auto again = h.node->on_message(make_msg(p2, 9, get_peers_body{}), "", h.id(p2));
    ASSERT_TRUE(again.has_value());
    const auto& a = std::get<peer_list_body>(kept.body);
    const auto& b = std::get<peer_list_body>(again->body);
    EXPECT_EQ(a.entries, b.entries);
    EXPECT_EQ(a.by_id, b.by_id);
    EXPECT_EQ(a.size(), b.size());
    EXPECT_EQ(by_id, !a.by_id.empty());
    // No reply: `kept` is left as it was.
    const message before = kept;
    EXPECT_FALSE(h.node->on_message(make_msg(p3, 10, hello_body{}), "", h.id(p3), kept));
    EXPECT_EQ(kept, before);
  }
}

TEST(PeerNode, GetPeersAsksOnlyTheSnapshotTakenAtTheStart) {
  harness h;
  h.command(cmd_get_peers{});
  peer_list_body list;
  list.entries = {{p4, peer_status::online, 1}};
  h.net.reply(0, make_msg(p2, 1, std::move(list)));
  h.net.deliver_all();
  EXPECT_EQ(h.node->peers().size(), 3u);
  EXPECT_EQ(h.obs.count("get_peers done"), 0u);
  h.net.complete(1, errc::timed_out);
  h.net.deliver_all();
  EXPECT_EQ(h.net.send_count(), 2u) << "peer learned meanwhile is not asked in this round";
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
  EXPECT_EQ(h.record(p3).status, peer_status::offline);
  EXPECT_EQ(h.record(p4).status, peer_status::online);
}

TEST(PeerNode, GetPeersAsksOfflinePeersToo) {
  harness h;
  h.hello_from(p3);
  h.command(cmd_get_peers{});
  EXPECT_EQ(h.net.send_count(), 2u);
}

TEST(PeerNode, GetPeersWithNoPeersIsDoneAtOnce) {
  harness h(config_with({}));
  h.command(cmd_get_peers{});
  EXPECT_EQ(h.obs.events(), (strings{"get_peers done"}));
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
}

std::vector<peer_id> fanout_targets(std::uint64_t seed, std::uint32_t fanout) {
  std::vector<std::string> neighbours;
  for (int port = 9002; port < 9012; ++port)
    neighbours.push_back("127.0.0.1:" + std::to_string(port));
  node_config c = config_with(neighbours);
  c.rng_seed = seed;
  harness h(c);
  h.command(cmd_get_peers{fanout});
  std::vector<peer_id> to;
  for (const auto& s : h.net.sends()) to.push_back(s.to);
  return to;
}

TEST(PeerNode, FanoutPicksDistinctPeersDeterministicallyForASeed) {
  const auto a = fanout_targets(7, 3);
  ASSERT_EQ(a.size(), 3u);
  EXPECT_TRUE(a[0] < a[1] && a[1] < a[2]) << "distinct, in table order";
  EXPECT_EQ(fanout_targets(7, 3), a);
  bool some_seed_differs = false;
  for (std::uint64_t seed = 1; seed < 20; ++seed) some_seed_differs |= fanout_targets(seed, 3) != a;
  EXPECT_TRUE(some_seed_differs);
  EXPECT_EQ(fanout_targets(7, 10).size(), 10u);
  EXPECT_EQ(fanout_targets(7, 50).size(), 10u) << "fanout above the table size asks everyone";
}

TEST(PeerNode, FanoutRoundsDrawAgainEachTime) {
  std::vector<std::string> neighbours;
  for (int port = 9002; port < 9032; ++port)
    neighbours.push_back("127.0.0.1:" + std::to_string(port));
  harness h(config_with(neighbours));
  std::set<peer_id> asked;
  for (int round = 0; round < 10; ++round) h.command(cmd_get_peers{2});
  for (const auto& s : h.net.sends()) asked.insert(s.to);
  EXPECT_EQ(h.net.send_count(), 20u);
  EXPECT_GT(asked.size(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Search.

TEST(PeerNode, SearchAsksOnlineFromTableAndGroupsByNameAndSize) {
  harness h(config_with({p2, p3, p4, "127.0.0.1:9005"}));
  h.hello_from(p2);
  h.hello_from(p3);
  h.hello_from(p4);
  h.command(cmd_search{});
  ASSERT_EQ(h.net.send_count(), 3u) << "9005 is OFFLINE";
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(h.net.sent(i).msg.type(), message_type::ls);

  // Replies arrive in reverse order; the table is still in table order.
  h.net.reply(2, make_msg(p4, 1, ls_list_body{{{"a.txt", 5}}}));
  h.net.deliver_all();
  h.net.reply(1, make_msg(p3, 1, ls_list_body{{{"mil.txt", 1000}, {"a.txt", 6}}}));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.count("search"), 0u);
  h.net.reply(0, make_msg(p2, 1, ls_list_body{{{"mil.txt", 1000}, {"hello.txt", 7}}}));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events().back(),
            "search mil.txt:1000@127.0.0.1:9002,127.0.0.1:9003 hello.txt:7@127.0.0.1:9002 "
            "a.txt:6@127.0.0.1:9003 a.txt:5@127.0.0.1:9004");
  ASSERT_EQ(h.node->last_search().size(), 4u);
  EXPECT_EQ(h.node->last_search()[0].holders, (std::vector<peer_id>{h.id(p2), h.id(p3)}));
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, SearchSkipsFailedPeersAndMarksThemOffline) {
  harness h;
  h.hello_from(p2);
  h.hello_from(p3);
  h.command(cmd_search{});
  h.net.complete(0, errc::connection_reset);
  h.net.reply(1, make_msg(p3, 1, ls_list_body{{{"x", 1}}}));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events().back(), "search x:1@127.0.0.1:9003");
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
}

TEST(PeerNode, SearchLeavesOutUnusableNamesWithOneWarningPerReply) {
  harness h;
  h.hello_from(p2);
  h.command(cmd_search{});
  ASSERT_EQ(h.net.send_count(), 1u);
  ls_list_body list;
  list.files = {{"..", 1}, {"a/b", 2}, {"x\x1b[2J", 3}, {"ok.txt", 4}, {".", 5}};
  h.net.reply(0, make_msg(p2, 1, std::move(list)));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.with_prefix("warning "),
            (strings{"warning LS_LIST of 127.0.0.1:9002: 4 unusable file name(s) left out"}));
  EXPECT_TRUE(h.obs.contains("search ok.txt:4@127.0.0.1:9002"));
}

TEST(PeerNode, SearchWithNoOnlinePeerGivesAnEmptyTableAtOnce) {
  harness h;
  h.command(cmd_search{});
  EXPECT_EQ(h.obs.events().back(), "search");
  EXPECT_TRUE(h.node->last_search().empty());
  EXPECT_EQ(h.net.send_count(), 0u);
}

TEST(PeerNode, LsReplyListsTheSharedFiles) {
  harness h;
  h.files.put("b.txt", "bb");
  h.files.put("a.txt", "a");
  h.files.put("has space", "no");
  const auto reply = h.node->on_message(make_msg(p2, 1, ls_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(std::get<ls_list_body>(reply->body).files,
            (std::vector<file_entry>{{"a.txt", 1}, {"b.txt", 2}}));
}

TEST(PeerNode, ListLocalShowsTheStore) {
  harness h;
  h.files.put("a.txt", "abc");
  h.obs.clear();
  h.command(cmd_list_local{});
  EXPECT_EQ(h.obs.events(), (strings{"local a.txt:3"}));
}

TEST(PeerNode, ListPeersShowsInsertionOrder) {
  harness h;
  h.hello_from(p4);
  h.hello_from(p3);
  h.obs.clear();
  h.command(cmd_list_peers{});
  EXPECT_EQ(h.obs.events(), (strings{"peers 127.0.0.1:9002:OFFLINE 127.0.0.1:9003:ONLINE "
                                     "127.0.0.1:9004:ONLINE"}));
}

// ---------------------------------------------------------------------------------------------
// Serving DL.

TEST(PeerNode, DlServesTheRequestedChunkWithItsRealSize) {
  harness h;
  const std::string content = thousand_bytes();
  h.files.put("mil.txt", content);
  const auto reply = h.node->on_message(make_msg(p2, 1, dl_body{"mil.txt", 256, 3}), "");
  ASSERT_TRUE(reply.has_value());
  const auto& f = std::get<file_body>(reply->body);
  EXPECT_EQ(f.name, "mil.txt");
  EXPECT_EQ(f.chunk_index, 3u);
  EXPECT_EQ(f.size_field, 232u);
  EXPECT_EQ(f.data, content.substr(768));
  EXPECT_EQ(h.obs.events().back(), "send 127.0.0.1:9002 FILE mil.txt 232 3");
}

TEST(PeerNode, DlWithChunkSizeZeroServesTheWholeFile) {
  harness h;
  h.files.put("mil.txt", thousand_bytes());
  const auto reply = h.node->on_message(make_msg(p2, 1, dl_body{"mil.txt", 0, 0}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(std::get<file_body>(reply->body).data, thousand_bytes());
}

TEST(PeerNode, DlPastTheEndGetsAnEmptyChunk) {
  harness h;
  h.files.put("mil.txt", thousand_bytes());
  const auto reply = h.node->on_message(make_msg(p2, 1, dl_body{"mil.txt", 256, 9}), "");
  ASSERT_TRUE(reply.has_value());
  const auto& f = std::get<file_body>(reply->body);
  EXPECT_TRUE(f.data.empty());
  EXPECT_EQ(f.size_field, 0u);
  EXPECT_EQ(f.chunk_index, 9u);
}

TEST(PeerNode, DlOfAnUnsafeOrMissingNameIsRefusedWithAWarningAndNoReply) {
  harness h;
  h.files.put("mil.txt", thousand_bytes());
  h.files.put_directory("dir");
  for (const char* name :
       {"../../etc/passwd", "/etc/passwd", "sub/mil.txt", "..", "a\\b", "nope.txt", "dir"}) {
    SCOPED_TRACE(name);
    h.obs.clear();
    const std::uint64_t clock_before = h.node->clock();
    EXPECT_EQ(h.node->on_message(make_msg(p2, 0, dl_body{name, 256, 0}), ""), std::nullopt);
    ASSERT_EQ(h.obs.count("warning refused DL of"), 1u);
    EXPECT_EQ(h.obs.count("send"), 0u);
    EXPECT_EQ(h.node->clock(), clock_before + 1) << "only the receive moved the clock";
  }
  EXPECT_TRUE(h.files.reads().empty()) << "nothing was read";
  EXPECT_TRUE(h.files.commits().empty());
  EXPECT_EQ(h.net.send_count(), 0u);
  EXPECT_EQ(h.obs.with_prefix("warning").back(),
            "warning refused DL of 'dir' from 127.0.0.1:9002: not a regular file");
}

// ---------------------------------------------------------------------------------------------
// Downloads.

// A node whose last search found `mil.txt` (1000 bytes) on 9002 and 9003, served by `remote`.
struct download_fixture {
  explicit download_fixture(node_config config = config_with({p2, p3}))
      : h(std::move(config)), remote{h.book, {}, {}, 100} {
    content = thousand_bytes();
    remote.files[h.id(p2)]["mil.txt"] = content;
    remote.files[h.id(p3)]["mil.txt"] = content;
    h.net.set_responder([this](peer_id to, const message& m) { return remote(to, m); });
    h.hello_from(p2);
    h.hello_from(p3);
    h.command(cmd_search{});
    h.net.deliver_all();
    first_dl = h.net.send_count();
    h.obs.clear();
  }

  std::vector<const dl_body*> dls() const {
    std::vector<const dl_body*> out;
    for (std::size_t i = first_dl; i < h.net.send_count(); ++i) {
      if (const auto* dl = std::get_if<dl_body>(&h.net.sent(i).msg.body)) out.push_back(dl);
    }
    return out;
  }

  harness h;
  remote_peers remote;
  std::string content;
  std::size_t first_dl = 0;
};

TEST(PeerNode, DownloadSpreadsChunksOverHoldersAndReassembles) {
  download_fixture f;
  ASSERT_EQ(f.h.obs.events().size(), 0u);
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  ASSERT_EQ(f.h.net.send_count() - f.first_dl, 4u);
  std::vector<peer_id> to;
  for (std::size_t i = f.first_dl; i < f.h.net.send_count(); ++i) {
    to.push_back(f.h.net.sent(i).to);
    const auto& dl = std::get<dl_body>(f.h.net.sent(i).msg.body);
    EXPECT_EQ(dl, (dl_body{"mil.txt", 256, i - f.first_dl}));
  }
  const peer_id a = f.h.id(p2), b = f.h.id(p3);
  EXPECT_EQ(to, (std::vector<peer_id>{a, b, a, b}));
  EXPECT_EQ(f.h.obs.events().front(), "download started mil.txt");

  f.h.sched.advance(2ms);
  f.h.net.deliver_all();
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_EQ(f.h.files.commits(), (strings{"mil.txt"}));
  EXPECT_EQ(f.h.obs.events().back(), "download mil.txt completed");
  EXPECT_EQ(f.h.node->operations_in_flight(), 0u);

  const auto rows = f.h.node->stats().rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].chunk_size, 256u);
  EXPECT_EQ(rows[0].holders, 2u);
  EXPECT_EQ(rows[0].file_size, 1000u);
  EXPECT_EQ(rows[0].count, 1u);
  EXPECT_DOUBLE_EQ(rows[0].mean_seconds, 0.002);
  EXPECT_DOUBLE_EQ(rows[0].stddev_seconds, 0.0);

  f.h.command(cmd_show_stats{});
  EXPECT_EQ(f.h.obs.events().back(), "statistics 1");
  ASSERT_EQ(f.h.obs.statistics.size(), 1u);
  EXPECT_EQ(f.h.obs.statistics[0].count, 1u);
}

TEST(PeerNode, DownloadUsesTheNewChunkSize) {
  download_fixture f;
  f.h.command(cmd_set_chunk_size{128});
  EXPECT_EQ(f.h.obs.events().back(), "chunk size 128");
  EXPECT_EQ(f.h.node->chunk_size(), 128u);
  f.h.command(cmd_download{"mil.txt", 1000});
  f.h.net.deliver_all();
  const auto dls = f.dls();
  ASSERT_EQ(dls.size(), 8u);
  for (const auto* dl : dls) EXPECT_EQ(dl->chunk_size, 128u);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  ASSERT_EQ(f.h.node->stats().rows().size(), 1u);
  EXPECT_EQ(f.h.node->stats().rows()[0].chunk_size, 128u);
}

TEST(PeerNode, RepliesArrivingOutOfOrderStillReassembleTheFile) {
  download_fixture f;
  f.h.net.set_responder(nullptr);
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  auto pending = f.h.net.pending();
  ASSERT_EQ(pending.size(), 4u);
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    const auto& s = f.h.net.sent(*it);
    f.h.net.reply(*it, *f.remote(s.to, s.msg)->reply);
    f.h.net.deliver_all();
  }
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
}

TEST(PeerNode, HolderFailingMidDownloadIsRetriedOnTheOther) {
  download_fixture f;
  const peer_id bad = f.h.id(p3);
  f.remote.refuse_dl = [bad](peer_id to, const dl_body& dl) {
    return to == bad && dl.chunk_index == 3;
  };
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  const auto dls = f.dls();
  ASSERT_EQ(dls.size(), 5u);
  EXPECT_EQ(f.h.net.sent(f.h.net.send_count() - 1).to, f.h.id(p2));
  EXPECT_EQ(dls.back()->chunk_index, 3u);
  EXPECT_EQ(f.h.obs.count("warning"), 0u) << "a retry is summed up, not announced";
  EXPECT_EQ(f.h.obs.last_retries, 1u);
  EXPECT_EQ(f.h.obs.last_holders_dropped, 0u) << "one failure does not drop a holder";
  EXPECT_EQ(f.h.record(p3).status, peer_status::offline);
  EXPECT_EQ(f.h.node->stats().rows().at(0).holders, 2u);
}

TEST(PeerNode, OnlyHolderFailingOnceIsAskedAgainAfterItsRest) {
  download_fixture f;
  f.remote.files.erase(f.h.id(p3));  // 9002 is the only holder
  f.h.command(cmd_search{});
  f.h.net.deliver_all();
  f.h.obs.clear();
  bool failed_once = false;
  f.remote.refuse_dl = [&failed_once](peer_id, const dl_body& dl) {
    if (dl.chunk_index != 2 || failed_once) return false;
    failed_once = true;
    return true;
  };
  const std::size_t before = f.h.net.send_count();
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr) << "the holder rests after its failure";
  EXPECT_EQ(f.h.sched.pending_timers(), 1u);
  f.h.sched.advance(49ms);
  EXPECT_EQ(f.h.net.send_count() - before, 4u) << "chunks 0-3 sent; 2 failed and waits";
  f.h.sched.advance(1ms);
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.net.send_count() - before, 5u);
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_EQ(f.h.obs.last_retries, 1u);
  EXPECT_EQ(f.h.obs.count("warning"), 0u);
  EXPECT_EQ(f.h.obs.events().back(), "download mil.txt completed");
}

TEST(PeerNode, HoldersThatOnlyTimeOutFailTheDownloadAfterSeveralTriesEach) {
  download_fixture f;
  f.h.net.set_responder([](peer_id, const message& m) -> std::optional<send_outcome> {
    if (m.type() == message_type::dl) return send_outcome{make_error_code(errc::timed_out), {}};
    return std::nullopt;
  });
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  for (int i = 0; i < 100 && f.h.obs.downloads_finished == 0; ++i) {
    f.h.net.deliver_all();
    f.h.sched.advance(1s);
  }
  EXPECT_EQ(f.h.obs.count("download mil.txt failed every holder failed (last: chunk "), 1u);
  EXPECT_EQ(f.h.obs.last_holders_dropped, 2u);
  // Four timeouts in a row drop a holder; the first burst (two requests each) counts once.
  EXPECT_EQ(f.dls().size(), 10u);
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
  EXPECT_TRUE(f.h.node->stats().empty());
  EXPECT_EQ(f.h.sched.pending_timers(), 0u);
  EXPECT_EQ(f.h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, DestroyingTheNodeCancelsARestingDownloadsWakeUp) {
  download_fixture f;
  f.remote.files.erase(f.h.id(p3));  // 9002 is the only holder
  f.h.command(cmd_search{});
  f.h.net.deliver_all();
  f.remote.refuse_dl = [](peer_id, const dl_body& dl) { return dl.chunk_index == 0; };
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.sched.pending_timers(), 1u);
  f.h.node.reset();
  EXPECT_EQ(f.h.sched.pending_timers(), 0u);
}

TEST(PeerNode, WrongChunkContentCountsAsAFailedChunk) {
  download_fixture f;
  f.remote.files[f.h.id(p3)]["mil.txt"] = "short";  // 9003 serves a different (5-byte) file
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  // Both bad replies came from requests sent together (one burst): they count once, so the
  // holder rests but is not dropped; its chunks went to the other holder.
  EXPECT_EQ(f.h.obs.count("warning"), 0u);
  EXPECT_EQ(f.h.obs.last_retries, 2u);
  EXPECT_EQ(f.h.obs.last_holders_dropped, 0u);
  EXPECT_EQ(f.h.node->stats().rows().at(0).holders, 1u) << "only 9002 supplied chunks";
}

TEST(PeerNode, OnlyHolderServingBadChunksIsDroppedWithOneLine) {
  download_fixture f;
  f.remote.files.erase(f.h.id(p2));  // 9003 is the only holder
  f.h.command(cmd_search{});
  f.h.net.deliver_all();
  f.h.obs.clear();
  f.remote.files[f.h.id(p3)]["mil.txt"] = "short";  // and serves a different (5-byte) file
  f.h.command(cmd_download{"mil.txt", 1000});
  for (int i = 0; i < 20 && f.h.obs.downloads_finished == 0; ++i) {
    f.h.net.deliver_all();
    f.h.sched.advance(1s);
  }
  EXPECT_EQ(f.h.obs.count("warning holder 127.0.0.1:9003 dropped from the download of mil.txt "
                          "after repeated failures (last: reply has "),
            1u);
  EXPECT_EQ(f.h.obs.count("download mil.txt failed every holder failed"), 1u);
  EXPECT_EQ(f.h.obs.last_holders_dropped, 1u);
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
}

TEST(PeerNode, DownloadFailsWhenEveryHolderFailsAndWritesNothing) {
  download_fixture f;
  f.remote.refuse_dl = [](peer_id, const dl_body&) { return true; };
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  for (int i = 0; i < 20 && f.h.obs.downloads_finished == 0; ++i) {
    f.h.net.deliver_all();
    f.h.sched.advance(1s);  // the holders rest between failures
  }
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
  EXPECT_TRUE(f.h.files.commits().empty());
  EXPECT_TRUE(f.h.node->stats().empty());
  EXPECT_EQ(f.h.obs.count("download mil.txt failed every holder failed (last: chunk "), 1u);
  EXPECT_EQ(f.h.obs.downloads_finished, 1u);
  EXPECT_EQ(f.h.obs.last_holders_dropped, 2u);
  EXPECT_EQ(f.h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, DownloadWritesChunksAsTheyArriveSoMemoryHoldsOnlyChunksInFlight) {
  download_fixture f;
  f.h.net.set_responder(nullptr);
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  EXPECT_EQ(f.h.files.open_parts(), 1u) << "the temporary file exists from the start";
  EXPECT_EQ(f.h.files.part_bytes(), 0u) << "and holds nothing before a chunk arrives";
  const std::size_t first = f.h.net.pending().front();
  const auto& s = f.h.net.sent(first);
  f.h.net.reply(first, *f.remote(s.to, s.msg)->reply);
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.files.part_bytes(), 256u) << "chunk 0 went to the file when it arrived";
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
  while (!f.h.net.pending().empty()) {
    const std::size_t i = f.h.net.pending().front();
    const auto& sent = f.h.net.sent(i);
    f.h.net.reply(i, *f.remote(sent.to, sent.msg)->reply);
    f.h.net.deliver_all();
  }
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_EQ(f.h.files.open_parts(), 0u);
}

// Peak resident set of this process, in bytes.
std::size_t peak_rss_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<std::size_t>(u.ru_maxrss) * 1024;
}

TEST(PeerNode, GibibyteDownloadAtChunkSizeOneClaimsNoMemoryUpFront) {
  harness h;
  h.net.set_responder([&h](peer_id to, const message& m) -> std::optional<send_outcome> {
    if (m.type() != message_type::ls) return std::nullopt;  // DLs stay in flight
    return send_outcome{{},
                        make_msg(h.book.name(to), 50, ls_list_body{{{"huge.bin", 1ull << 30}}})};
  });
  h.hello_from(p2);
  h.hello_from(p3);
  h.command(cmd_search{});
  h.net.deliver_all();
  h.command(cmd_set_chunk_size{1});
  const std::size_t before = peak_rss_bytes();
  const std::size_t sends = h.net.send_count();
  h.command(cmd_download{"huge.bin", std::nullopt});
  EXPECT_EQ(h.net.send_count() - sends, 4u) << "two DLs per holder to start with";
  EXPECT_LT(peak_rss_bytes() - before, std::size_t{64} << 20)
      << "neither the content (1 GiB) nor per-chunk state (2^30 chunks) was allocated";
  EXPECT_EQ(h.files.part_bytes(), 0u);
}

TEST(PeerNode, FailedCommitKeepsTheDataAndSucceedsWhenTheDiskRecovers) {
  download_fixture f;
  f.h.files.fail_commits(std::make_error_code(std::errc::no_space_on_device), 2);
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.obs.count("warning could not write mil.txt: No space left on device; the data "
                          "is kept, trying again in 1 s"),
            1u);
  EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(f.h.files.open_parts(), 1u) << "the data is kept";
  EXPECT_EQ(f.h.obs.downloads_finished, 0u);
  f.h.sched.advance(1s);
  EXPECT_EQ(f.h.obs.count("warning could not write mil.txt: No space left on device; the data "
                          "is kept, trying again in 2 s"),
            1u);
  f.h.sched.advance(2s);
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_EQ(f.h.obs.events().back(), "download mil.txt completed");
  ASSERT_EQ(f.h.node->stats().rows().size(), 1u);
  EXPECT_DOUBLE_EQ(f.h.node->stats().rows()[0].mean_seconds, 0.0) << "the waits are not timed";
  EXPECT_EQ(f.h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, CommitThatKeepsFailingReportsTheSystemsOwnError) {
  for (const auto e : {std::errc::no_space_on_device, std::errc::permission_denied}) {
    download_fixture f;
    const std::error_code ec = std::make_error_code(e);
    f.h.files.fail_commits(ec);
    f.h.command(cmd_download{"mil.txt", std::nullopt});
    f.h.net.deliver_all();
    f.h.sched.advance(10s);
    EXPECT_EQ(f.h.obs.events().back(),
              "download mil.txt failed could not write the file: " + ec.message());
    EXPECT_EQ(f.h.files.open_parts(), 0u) << "given up: the part is discarded";
    EXPECT_EQ(f.h.files.get("mil.txt"), nullptr);
    EXPECT_TRUE(f.h.node->stats().empty());
    EXPECT_EQ(f.h.node->operations_in_flight(), 0u);
  }
}

TEST(PeerNode, ChunkThatCannotBeWrittenFailsTheDownloadWithTheRealError) {
  download_fixture f;
  f.h.files.fail_writes(std::make_error_code(std::errc::no_space_on_device));
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.obs.count("download mil.txt failed could not write the file: No space left on "
                          "device"),
            1u);
  EXPECT_EQ(f.h.obs.downloads_finished, 1u);
  EXPECT_EQ(f.h.files.open_parts(), 0u);
  EXPECT_TRUE(f.h.node->stats().empty());
}

TEST(PeerNode, DownloadKeepsAtMostTheConfiguredChunksInFlight) {
  node_config c = config_with({p2, p3});
  c.max_chunks_in_flight = 2;
  download_fixture f(c);
  f.h.net.set_responder(nullptr);
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  EXPECT_EQ(f.h.net.pending().size(), 2u);
  std::size_t rounds = 0;
  while (!f.h.net.pending().empty()) {
    ASSERT_LE(f.h.net.pending().size(), 2u);
    const std::size_t i = f.h.net.pending().front();
    const auto& s = f.h.net.sent(i);
    f.h.net.reply(i, *f.remote(s.to, s.msg)->reply);
    f.h.net.deliver_all();
    ++rounds;
  }
  EXPECT_EQ(rounds, 4u);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
}

TEST(PeerNode, ZeroByteFileTakesOneRequest) {
  download_fixture f;
  f.remote.files[f.h.id(p2)]["empty"] = "";
  f.h.command(cmd_search{});
  f.h.net.deliver_all();
  const std::size_t before = f.h.net.send_count();
  f.h.command(cmd_download{"empty", 0});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.net.send_count() - before, 1u);
  ASSERT_NE(f.h.files.get("empty"), nullptr);
  EXPECT_TRUE(f.h.files.get("empty")->empty());
}

TEST(PeerNode, PartTwoDownloadsTheWholeFileFromTheFirstHolderThenTheNext) {
  download_fixture f(config_with({p2, p3}, /*ep=*/2));
  const peer_id first = f.h.id(p2);
  f.remote.refuse_dl = [first](peer_id to, const dl_body&) { return to == first; };
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  const auto dls = f.dls();
  ASSERT_EQ(dls.size(), 2u);
  EXPECT_EQ(*dls[0], (dl_body{"mil.txt", 0, 0}));
  EXPECT_EQ(*dls[1], (dl_body{"mil.txt", 0, 0}));
  EXPECT_EQ(f.h.net.sent(f.h.net.send_count() - 1).to, f.h.id(p3));
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_EQ(f.h.node->stats().rows().at(0).chunk_size, 0u);
  EXPECT_EQ(f.h.node->stats().rows().at(0).holders, 1u) << "one holder supplied the file";
}

TEST(PeerNode, PartTwoRefusesToChangeTheChunkSize) {
  harness h(config_with({p2}, /*ep=*/2));
  h.obs.clear();
  h.command(cmd_set_chunk_size{128});
  EXPECT_EQ(h.obs.events(),
            (strings{"refused part 2 always downloads the whole file (DL <name> 0 0)"}));
  EXPECT_EQ(h.node->chunk_size(), 0u);
}

TEST(PeerNode, StatisticsCountOnlyTheHoldersThatSuppliedChunks) {
  download_fixture f;
  f.h.command(cmd_set_chunk_size{1000});  // one chunk, two holders listed
  f.h.command(cmd_download{"mil.txt", 1000});
  f.h.net.deliver_all();
  ASSERT_EQ(f.dls().size(), 1u);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  ASSERT_EQ(f.h.node->stats().rows().size(), 1u);
  EXPECT_EQ(f.h.node->stats().rows()[0].holders, 1u);
}

TEST(PeerNode, UnusableReplyGetsAWarningBesidesTheOfflineStatus) {
  harness h;
  h.command(cmd_get_peers{});
  h.obs.clear();
  h.net.complete(0, errc::malformed_reply);
  h.net.complete(1, errc::connection_refused);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.count("warning unusable reply from 127.0.0.1:9002: "), 1u);
  EXPECT_EQ(h.obs.count("warning"), 1u) << "a refused connection is no reply at all";
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
}

TEST(PeerNode, DownloadWithoutASearchRowIsRefused) {
  download_fixture f;
  f.h.command(cmd_download{"other.txt", std::nullopt});
  f.h.command(cmd_download{"mil.txt", 999});
  EXPECT_EQ(f.h.obs.events(), (strings{"refused no search result for 'other.txt'",
                                       "refused no search result for 'mil.txt'"}));
  EXPECT_EQ(f.h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, DownloadOverOneGibibyteIsRefusedBeforeAnyRequest) {
  harness h;
  h.hello_from(p2);
  h.command(cmd_search{});
  ls_list_body list;
  list.files = {{"huge.bin", (1ull << 30) + 1}};
  h.net.reply(0, make_msg(p2, 1, std::move(list)));
  h.net.deliver_all();
  const std::size_t sends = h.net.send_count();
  h.obs.clear();
  h.command(cmd_download{"huge.bin", std::nullopt});
  EXPECT_EQ(h.obs.events(), (strings{"refused file 'huge.bin' has 1073741825 bytes, over the limit "
                                     "of 1073741824"}));
  EXPECT_EQ(h.net.send_count(), sends);
}

TEST(PeerNode, ChunkSizeMustBePositive) {
  harness h;
  h.obs.clear();
  h.command(cmd_set_chunk_size{0});
  h.command(cmd_set_chunk_size{-5});
  EXPECT_EQ(h.obs.events(), (strings{"refused chunk size must be a positive integer",
                                     "refused chunk size must be a positive integer"}));
  EXPECT_EQ(h.node->chunk_size(), 256u);
}

// ---------------------------------------------------------------------------------------------
// Leaving.

TEST(PeerNode, ByeGoesToOnlinePeersOnlyAndReportsExitReady) {
  harness h;
  h.hello_from(p3, 2);
  h.obs.clear();
  h.command(cmd_bye{});
  EXPECT_EQ(h.obs.events(), (strings{"leaving", "clock 4", "send 127.0.0.1:9003 BYE"}));
  EXPECT_EQ(h.node->operations_in_flight(), 1u);
  h.net.succeed(0);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events().back(), "exit ready");
  EXPECT_EQ(h.record(p3).status, peer_status::online) << "a delivered BYE changes no status";
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
}

TEST(PeerNode, ByeWaitsForFailuresTooAndMarksThemOffline) {
  harness h;
  h.hello_from(p2);
  h.hello_from(p3);
  h.command(cmd_bye{});
  h.net.complete(1, errc::timed_out);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.count("exit ready"), 0u);
  h.net.succeed(0);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.count("exit ready"), 1u);
  EXPECT_EQ(h.record(p3).status, peer_status::offline);
}

TEST(PeerNode, ByeWithNobodyOnlineIsReadyAtOnce) {
  harness h;
  h.obs.clear();
  h.command(cmd_bye{});
  EXPECT_EQ(h.obs.events(), (strings{"leaving", "exit ready"}));
  EXPECT_EQ(h.node->clock(), 0u);
}

// ---------------------------------------------------------------------------------------------
// Odd completions and overlapping operations.

TEST(PeerNode, SuccessWithoutTheExpectedReplyCountsAsAFailedSend) {
  harness h;
  h.hello_from(p2);
  h.command(cmd_get_peers{});
  h.net.succeed(0);
  h.net.complete(1, errc::malformed_reply);
  h.net.deliver_all();
  EXPECT_EQ(h.obs.with_prefix("send failed"),
            (strings{"send failed 127.0.0.1:9002 connection closed without a reply",
                     "send failed 127.0.0.1:9003 malformed reply"}));
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
}

TEST(PeerNode, ReplyOfTheWrongTypeUpdatesClockButIsNotUsed) {
  harness h;
  h.command(cmd_get_peers{});
  h.net.reply(0, make_msg(p2, 10, ls_list_body{{{"x", 1}}}));
  h.net.complete(1, errc::timed_out);
  h.net.deliver_all();
  EXPECT_EQ(h.node->clock(), 11u);
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.obs.count("warning expected PEER_LIST from 127.0.0.1:9002, got LS_LIST"), 1u);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
}

TEST(PeerNode, MessageClaimingOurOwnAddressNeverEntersTheTable) {
  harness h;
  h.hello_from(self_addr, 4);
  EXPECT_EQ(h.node->clock(), 5u);
  EXPECT_EQ(h.node->peers().find(h.node->self()), nullptr);
  EXPECT_EQ(h.node->peers().size(), 2u);
}

TEST(PeerNode, OverlappingOperationsFinishWhateverTheCompletionOrder) {
  harness h;
  h.hello_from(p2);
  h.hello_from(p3);
  h.command(cmd_get_peers{});
  h.command(cmd_search{});
  h.command(cmd_get_peers{});
  h.command(cmd_hello{h.id(p2)});
  h.command(cmd_bye{});
  EXPECT_EQ(h.node->operations_in_flight(), 5u);
  const auto pending = h.net.pending();
  ASSERT_EQ(pending.size(), 9u);
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    const auto& s = h.net.sent(*it);
    switch (s.msg.type()) {
      case message_type::get_peers:
        h.net.reply(*it, make_msg(h.book.name(s.to), 1, peer_list_body{}));
        break;
      case message_type::ls:
        h.net.reply(*it, make_msg(h.book.name(s.to), 1, ls_list_body{{{"f", 1}}}));
        break;
      default:
        h.net.succeed(*it);
        break;
    }
    h.net.deliver_all();
  }
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
  EXPECT_EQ(h.obs.count("get_peers done"), 2u);
  EXPECT_EQ(h.obs.count("exit ready"), 1u);
  EXPECT_EQ(h.obs.with_prefix("search").back(), "search f:1@127.0.0.1:9002,127.0.0.1:9003");
}

TEST(PeerNode, MessageWithAKnownOriginIdBehavesLikeTheTextOrigin) {
  harness by_text;
  harness by_id;
  const message hello = make_msg(p4, 9, hello_body{});
  const message ask = make_msg(p4, 12, get_peers_body{});
  by_text.node->on_message(hello, "");
  const auto text_reply = by_text.node->on_message(ask, "");
  by_id.node->on_message(hello, "", by_id.book.intern(p4));
  const auto id_reply = by_id.node->on_message(ask, "", by_id.book.intern(p4));
  EXPECT_EQ(by_id.obs.events(), by_text.obs.events());
  EXPECT_EQ(id_reply, text_reply);
  EXPECT_EQ(by_id.record(p4).status, peer_status::online);
  EXPECT_EQ(by_id.record(p4).clock, 12u);
}

TEST(PeerNode, PartOneListsEveryClockAsZero) {
  harness h(config_with({p2, p3}, /*ep=*/1));
  h.hello_from(p3, 40);
  const auto reply = h.node->on_message(make_msg(p2, 7, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(std::get<peer_list_body>(reply->body).entries,
            (std::vector<peer_entry>{{p3, peer_status::online, 0}}));
  EXPECT_EQ(reply->clock, 3u);
}

TEST(PeerNode, PartOneListsClocksLearnedFromOtherListsAsZeroToo) {
  harness h(config_with({p2, p3}, /*ep=*/1));
  h.command(cmd_get_peers{});
  peer_list_body list;
  list.entries.push_back({p4, peer_status::online, 9});  // from a part-3 peer in a mixed network
  h.net.reply(0, make_msg(p2, 5, std::move(list)));
  h.net.complete(1, errc::connection_refused);
  h.net.deliver_all();
  ASSERT_NE(h.node->peers().find(h.book.find(p4)), nullptr);
  const auto reply = h.node->on_message(make_msg(p3, 7, get_peers_body{}), "");
  ASSERT_TRUE(reply.has_value());
  for (const peer_entry& e : std::get<peer_list_body>(reply->body).entries) {
    EXPECT_EQ(e.clock, 0u) << e.address;
  }
}

TEST(PeerNode, ChunkSizeOverTheLimitIsRefused) {
  harness h;
  h.obs.clear();
  h.command(cmd_set_chunk_size{static_cast<std::int64_t>(limits::max_chunk_bytes) + 1});
  EXPECT_EQ(h.obs.count("refused chunk size must be at most"), 1u);
  h.command(cmd_set_chunk_size{static_cast<std::int64_t>(limits::max_chunk_bytes)});
  EXPECT_EQ(h.node->chunk_size(), limits::max_chunk_bytes);
}

// ---------------------------------------------------------------------------------------------
// Sweep: a whole session (HELLO, two discovery rounds, search, download) with the n-th send of
// the node under test failing, for every n. Remote peers are real peer_nodes answering through
// the responder, sharing one address book as the simulator does.

struct network {
  struct remote {
    explicit remote(network& owner, node_config c)
        : obs(owner.book), node(std::move(c), owner.book, unused, sched, files, obs) {
      node.start();
    }
    fake_transport unused;
    manual_scheduler sched;
    memory_store files;
    recording_observer obs;
    peer_node node;
  };

  explicit network(std::size_t fail_nth, bool newest_first = false)
      : newest_first_(newest_first), obs(book) {
    net.fail_nth_send(fail_nth);
    node_config cb;
    cb.self = p2;
    cb.neighbours = {p3};
    node_config cc;
    cc.self = p3;
    cc.neighbours = {p2};
    b = std::make_unique<remote>(*this, cb);
    c = std::make_unique<remote>(*this, cc);
    b->files.put("mil.txt", thousand_bytes());
    c->files.put("mil.txt", thousand_bytes());
    c->files.put("only_c.txt", "c");
    net.set_responder([this](peer_id to, const message& m) -> std::optional<send_outcome> {
      peer_node* target = to == book.find(p2) ? &b->node : to == book.find(p3) ? &c->node : nullptr;
      if (target == nullptr) return send_outcome{make_error_code(errc::connection_refused), {}};
      auto reply = target->on_message(m, encode(m));
      if (expects_reply(m.type()) && !reply) {
        return send_outcome{make_error_code(errc::closed_without_reply), {}};
      }
      return send_outcome{{}, std::move(reply)};
    });
    node_config ca = config_with({p2});
    ca.max_chunks_in_flight = 3;
    a = std::make_unique<peer_node>(ca, book, net, sched, files, obs);
    a->start();
  }

  // Completions, then time for any holder resting after a failure, until nothing is left.
  void deliver() {
    for (int i = 0; i < 100; ++i) {
      if (newest_first_) {
        net.deliver_all_newest_first();
      } else {
        net.deliver_all();
      }
      if (sched.pending_timers() == 0) return;
      sched.advance(std::chrono::seconds(1));
    }
  }

  void run() {
    a->on_command(cmd_hello{book.find(p2)});
    deliver();
    a->on_command(cmd_get_peers{});
    deliver();
    a->on_command(cmd_get_peers{});
    deliver();
    a->on_command(cmd_search{});
    deliver();
    a->on_command(cmd_download{"mil.txt", std::nullopt});
    deliver();
    a->on_command(cmd_bye{});
    deliver();
  }

  bool newest_first_;

  address_book book;
  fake_transport net;
  manual_scheduler sched;
  memory_store files;
  recording_observer obs;
  std::unique_ptr<remote> b, c;
  std::unique_ptr<peer_node> a;
};

TEST(PeerNode, SessionWithoutFailuresDiscoversSearchesAndDownloads) {
  network n(0);
  n.run();
  EXPECT_EQ(n.a->peers().size(), 2u);
  EXPECT_EQ(n.obs.with_prefix("search").back(),
            "search mil.txt:1000@127.0.0.1:9002,127.0.0.1:9003 only_c.txt:1@127.0.0.1:9003");
  ASSERT_NE(n.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*n.files.get("mil.txt"), thousand_bytes());
  EXPECT_EQ(n.obs.count("exit ready"), 1u);
  EXPECT_EQ(n.a->operations_in_flight(), 0u);
  // The remotes saw A: B through HELLO, C through the second round.
  EXPECT_EQ(n.b->node.peers().find(n.book.find(self_addr))->status, peer_status::offline)
      << "A's BYE reached B";
  EXPECT_GE(n.net.send_count(), 12u);
}

void sweep_every_send_failure(bool newest_first) {
  std::size_t total = 0;
  {
    network clean(0, newest_first);
    clean.run();
    total = clean.net.send_count();
    ASSERT_NE(clean.files.get("mil.txt"), nullptr);
  }
  ASSERT_GT(total, 10u);
  std::size_t completed_downloads = 0;
  for (std::size_t n = 1; n <= total + 1; ++n) {
    SCOPED_TRACE("send " + std::to_string(n) + " fails");
    network net(n, newest_first);
    net.run();
    EXPECT_EQ(net.a->operations_in_flight(), 0u);
    EXPECT_TRUE(net.net.pending().empty());
    EXPECT_EQ(net.net.queued(), 0u);
    EXPECT_EQ(net.obs.count("exit ready"), 1u);
    EXPECT_EQ(net.obs.count("get_peers done"), 2u);
    if (n <= total) {
      EXPECT_EQ(net.obs.count("send failed"), 1u);
    }
    if (const std::string* got = net.files.get("mil.txt")) {
      EXPECT_EQ(*got, thousand_bytes());
      ++completed_downloads;
      EXPECT_EQ(net.obs.count("download mil.txt completed"), 1u);
    } else {
      EXPECT_EQ(net.obs.count("download mil.txt completed"), 0u);
    }
  }
  EXPECT_GT(completed_downloads, total / 2) << "most single failures are survived";
}

TEST(PeerNode, SweepFailingEachSendInTurnAlwaysFinishesEveryOperation) {
  sweep_every_send_failure(/*newest_first=*/false);
}

TEST(PeerNode, SweepWithCompletionsInReverseOrderAlwaysFinishesEveryOperation) {
  sweep_every_send_failure(/*newest_first=*/true);
}

}  // namespace
}  // namespace eachare

// ---------------------------------------------------------------------------------------------
// The requester's reply deadline (node_config::reply_timeout): the one meaning of "timed out".

namespace eachare {
namespace {

node_config with_deadline(std::vector<std::string> neighbours, duration timeout) {
  node_config c = config_with(std::move(neighbours));
  c.reply_timeout = timeout;
  return c;
}

TEST(PeerNodeReplyDeadline, ReplyBeforeTheDeadlineCompletesAndDisarmsIt) {
  harness h(with_deadline({p2}, 2s));
  h.command(cmd_get_peers{});
  ASSERT_EQ(h.net.send_count(), 1u);
  EXPECT_EQ(h.node->replies_awaited(), 1u);
  EXPECT_EQ(h.sched.pending_timers(), 2u) << "the request's deadline and the round's limit";
  h.sched.advance(2s - 1ms);
  peer_list_body list;
  list.entries = {{p3, peer_status::online, 4}};
  h.net.reply(0, make_msg(p2, 7, std::move(list)));
  h.net.deliver_all();
  EXPECT_EQ(h.node->replies_awaited(), 0u);
  EXPECT_EQ(h.sched.pending_timers(), 0u) << "the reply cancels the deadline";
  EXPECT_EQ(h.record(p2).status, peer_status::online);
  EXPECT_EQ(h.record(p3).status, peer_status::online);
  EXPECT_FALSE(h.net.abandoned(0));
  h.sched.advance(1h);
  EXPECT_EQ(h.obs.count("send failed"), 0u);
  EXPECT_EQ(h.obs.count("get_peers done"), 1u);
}

TEST(PeerNodeReplyDeadline, NoReplyTimesOutAtTheDeadlineAndMarksThePeerOffline) {
  harness h(with_deadline({p2}, 2s));
  h.hello_from(p2);
  h.command(cmd_get_peers{});
  h.obs.clear();
  h.sched.advance(2s - 1ns);
  EXPECT_EQ(h.obs.events(), strings{}) << "nothing happens before the deadline";
  h.sched.advance(1ns);
  EXPECT_EQ(h.obs.events(), (strings{"send failed 127.0.0.1:9002 timed out",
                                     "updated 127.0.0.1:9002 OFFLINE", "get_peers done"}))
      << "the same lines as any failed send, at exactly send time + reply_timeout";
  EXPECT_TRUE(h.net.abandoned(0)) << "the transport is told to let the request go";
  EXPECT_EQ(h.node->replies_awaited(), 0u);
  EXPECT_EQ(h.node->operations_in_flight(), 0u);
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
}

TEST(PeerNodeReplyDeadline, ReplyAfterTheDeadlineIsIgnored) {
  harness h(with_deadline({p2}, 2s));
  h.command(cmd_get_peers{});
  const std::uint64_t clock_before = h.node->clock();
  h.sched.advance(2s);
  ASSERT_EQ(h.record(p2).status, peer_status::offline);
  h.obs.clear();
  peer_list_body list;
  list.entries = {{p3, peer_status::online, 4}};
  h.net.reply(0, make_msg(p2, 50, std::move(list)));
  h.net.deliver_all();
  EXPECT_EQ(h.obs.events(), strings{}) << "no clock update, no table change, no second outcome";
  EXPECT_EQ(h.node->clock(), clock_before);
  EXPECT_EQ(h.record(p2).status, peer_status::offline);
  EXPECT_EQ(h.node->peers().find(h.book.find(p3)), nullptr);
}

TEST(PeerNodeReplyDeadline, TransportFailureBeforeTheDeadlineIsReportedAsItsOwn) {
  harness h(with_deadline({p2}, 2s));
  h.command(cmd_get_peers{});
  h.net.complete(0, errc::connection_refused);
  h.net.deliver_all();
  EXPECT_TRUE(h.obs.contains("send failed 127.0.0.1:9002 connection refused"));
  EXPECT_EQ(h.sched.pending_timers(), 0u);
  h.sched.advance(1h);
  EXPECT_EQ(h.obs.count("send failed"), 1u);
}

TEST(PeerNodeReplyDeadline, HelloAndByeWaitForNoReplyAndArmNoDeadline) {
  harness h(with_deadline({p2}, 2s));
  h.command(cmd_hello{h.id(p2)});
  EXPECT_EQ(h.node->replies_awaited(), 0u);
  EXPECT_EQ(h.sched.pending_timers(), 0u);
  h.sched.advance(1h);
  h.net.succeed(0);
  h.net.deliver_all();
  EXPECT_EQ(h.record(p2).status, peer_status::online) << "a slow HELLO still succeeds";
}

TEST(PeerNodeReplyDeadline, SlowDownloadChunkTimesOutAndIsRetriedElsewhere) {
  download_fixture f(with_deadline({p2, p3}, 2s));
  // p2 never answers a DL; p3 answers at once.
  const peer_id slow = f.h.id(p2);
  f.h.net.set_responder([&f, slow](peer_id to, const message& m) -> std::optional<send_outcome> {
    if (to == slow && m.type() == message_type::dl) return std::nullopt;
    return f.remote(to, m);
  });
  f.h.command(cmd_download{"mil.txt", std::nullopt});
  f.h.net.deliver_all();
  EXPECT_EQ(f.h.obs.count("download mil.txt completed"), 0u) << "p2's chunks are still awaited";
  f.h.sched.advance(2s);
  for (int i = 0; i < 20 && f.h.obs.count("download mil.txt") == 0; ++i) {
    f.h.net.deliver_all();
    f.h.sched.advance(1s);
  }
  EXPECT_EQ(f.h.obs.count("download mil.txt completed"), 1u);
  ASSERT_NE(f.h.files.get("mil.txt"), nullptr);
  EXPECT_EQ(*f.h.files.get("mil.txt"), f.content);
  EXPECT_TRUE(f.h.obs.contains("send failed 127.0.0.1:9002 timed out"));
  EXPECT_GT(f.h.obs.last_retries, 0u);
}

TEST(PeerNodeReplyDeadline, ZeroMeansNoDeadlineOfTheNodesOwn) {
  harness h(with_deadline({p2}, duration{0}));
  h.command(cmd_get_peers{});
  EXPECT_EQ(h.node->replies_awaited(), 0u);
  EXPECT_EQ(h.sched.pending_timers(), 1u) << "only the round's limit";
}

TEST(PeerNodeReplyDeadline, DestroyingTheNodeCancelsItsDeadlines) {
  harness h(with_deadline({p2, p3}, 2s));
  h.command(cmd_get_peers{});
  EXPECT_EQ(h.sched.pending_timers(), 3u);
  h.node.reset();
  EXPECT_EQ(h.sched.pending_timers(), 0u);
}

TEST(PeerNodeReplyDeadline, SlotsAreReusedSoMemoryFollowsRequestsInFlight) {
  harness h(with_deadline({p2}, 2s));
  h.net.set_responder([&h](peer_id to, const message&) -> std::optional<send_outcome> {
    return send_outcome{{}, make_msg(h.book.name(to), 1, peer_list_body{})};
  });
  for (int round = 0; round < 100; ++round) {
    h.command(cmd_get_peers{});
    h.net.deliver_all();
  }
  EXPECT_EQ(h.node->replies_awaited(), 0u);
  EXPECT_EQ(h.sched.pending_timers(), 0u);
  EXPECT_EQ(h.obs.count("get_peers done"), 100u);
}

}  // namespace
}  // namespace eachare
