#include "sim/trace.hpp"

#include <gtest/gtest.h>

#include "node/core/errors.hpp"

namespace eachare::sim {
namespace {

trace_event sample() {
  trace_event e;
  e.time = std::chrono::milliseconds(1);
  e.kind = trace_kind::received;
  e.node = 3;
  e.peer = 0;
  e.has_type = true;
  e.type = message_type::get_peers;
  e.message_id = 7;
  e.sender_clock = 4;
  e.clock = 5;
  return e;
}

TEST(Trace, HashDependsOnEveryFieldAndOrder) {
  trace t1, t2;
  t1.emit(sample());
  t2.emit(sample());
  EXPECT_EQ(t1.hash(), t2.hash());
  trace t3;
  trace_event e = sample();
  e.clock = 6;
  t3.emit(e);
  EXPECT_NE(t1.hash(), t3.hash());
  trace t4;
  e = sample();
  e.detail = "x";
  t4.emit(e);
  EXPECT_NE(t1.hash(), t4.hash());

  trace_event other = sample();
  other.kind = trace_kind::sent;
  trace ab, ba;
  ab.emit(sample());
  ab.emit(other);
  ba.emit(other);
  ba.emit(sample());
  EXPECT_NE(ab.hash(), ba.hash());
  EXPECT_EQ(ab.event_count(), 2u);
}

TEST(Trace, ListenersSeeEveryEventUntilRemoved) {
  struct counter final : trace_listener {
    int n = 0;
    void on_trace_event(const trace_event&) override { ++n; }
  } c;
  trace t;
  t.add_listener(c);
  t.emit(sample());
  t.remove_listener(c);
  t.emit(sample());
  EXPECT_EQ(c.n, 1);
}

TEST(TraceJsonlWriter, WritesOneObjectPerEventWithAddressesAsText) {
  address_book book;
  book.intern("127.0.0.1:9000");
  std::vector<std::string> lines;
  trace_jsonl_writer w(book, [&](std::string_view l) { lines.emplace_back(l); });
  trace t;
  t.add_listener(w);
  t.emit(sample());
  trace_event e = sample();
  e.kind = trace_kind::warning;
  e.has_type = false;
  e.error = static_cast<std::uint32_t>(errc::timed_out);
  e.detail = "bad \"line\"\n";
  t.emit(e);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "{\"t_ns\":1000000,\"kind\":\"received\",\"node\":3,\"peer\":\"127.0.0.1:9000\","
            "\"type\":\"GET_PEERS\",\"id\":7,\"sender_clock\":4,\"clock\":5}");
  EXPECT_NE(lines[1].find("\"detail\":\"bad \\\"line\\\"\\n\""), std::string::npos);
  EXPECT_NE(lines[1].find("\"error\":"), std::string::npos);
}

TEST(TraceJsonlWriter, WritesTheWireLineCutAt200BytesAndPartitionSidesWhole) {
  address_book book;
  book.intern("127.0.0.1:9000");
  trace_event e = sample();
  e.kind = trace_kind::sent;
  e.line = "127.0.0.1:9000 4 GET_PEERS";
  EXPECT_NE(trace_jsonl_writer::format(e, book).find("\"line\":\"127.0.0.1:9000 4 GET_PEERS\""),
            std::string::npos);
  const std::string long_line(300, 'x');
  e.line = long_line;
  EXPECT_NE(
      trace_jsonl_writer::format(e, book).find("\"line\":\"" + std::string(200, 'x') + "...\""),
      std::string::npos);

  trace_event p;
  p.kind = trace_kind::partition;
  const std::string sides = "0-3|" + std::string(250, '7');
  p.detail = sides;
  EXPECT_NE(trace_jsonl_writer::format(p, book).find(sides), std::string::npos);
}

TEST(TraceJsonlWriter, NamesTheNodeAndThePeerByTheirScenarioNames) {
  address_book book;
  book.intern("127.0.0.1:9000");
  const peer_id outsider = book.intern("10.0.0.1:1");
  trace_names names;
  names.node = [](node_id n) { return n == 3 ? std::string_view("p3") : std::string_view(); };
  names.peer = [](peer_id p) { return p == 0 ? std::string_view("p0") : std::string_view(); };
  trace_event e = sample();
  EXPECT_EQ(trace_jsonl_writer::format(e, book, &names),
            "{\"t_ns\":1000000,\"kind\":\"received\",\"node\":3,\"name\":\"p3\","
            "\"peer\":\"127.0.0.1:9000\",\"peer_name\":\"p0\",\"type\":\"GET_PEERS\",\"id\":7,"
            "\"sender_clock\":4,\"clock\":5}");
  // An address that is no scenario peer's has no peer_name.
  e.peer = outsider;
  EXPECT_EQ(trace_jsonl_writer::format(e, book, &names).find("peer_name"), std::string::npos);
}

TEST(TraceJsonlWriter, WritesAMeaningfulZeroValueAndTheCommandsName) {
  address_book book;
  trace_event e;
  e.kind = trace_kind::command;
  e.node = 0;
  e.value = 0;  // cmd_list_peers
  EXPECT_EQ(trace_jsonl_writer::format(e, book),
            "{\"t_ns\":0,\"kind\":\"command\",\"node\":0,\"value\":0,\"command\":\"list_peers\"}");
  e.value = 2;
  EXPECT_NE(trace_jsonl_writer::format(e, book).find("\"command\":\"get_peers\""),
            std::string::npos);
  e.kind = trace_kind::download_finished;
  e.value = 0;  // completed
  EXPECT_NE(trace_jsonl_writer::format(e, book).find("\"value\":0"), std::string::npos);
  e.kind = trace_kind::crashed;  // no value of its own: left out
  EXPECT_EQ(trace_jsonl_writer::format(e, book).find("value"), std::string::npos);
}

}  // namespace
}  // namespace eachare::sim
