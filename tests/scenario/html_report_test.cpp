// Tests of the HTML report: the pictures drawn from a run's trace, in-process and from the saved
// JSON lines (which must give the same file), counted against the run's own figures.
#include "sim/scenario/html_report.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/loader.hpp"
#include "sim/scenario/report.hpp"
#include "sim/scenario/runner.hpp"
#include "tests/scenario/shared_scenarios.hpp"

namespace eachare::scenario {
namespace {

struct drawn {
  run_result result;
  std::string live;   // drawn in-process
  std::string saved;  // drawn from the JSON lines
};

drawn draw(const std::string& yaml, html_options o = {}) {
  const auto s = load_string(yaml, "inline.yaml");
  picture_collector live(o);
  picture_collector saved(o);
  std::vector<std::string> names;
  for (const auto& p : s.peers) names.push_back(p.name);
  live.set_peer_names(names);
  saved.set_peer_names(names);
  run_options ro;
  ro.trace_events = [&](const sim::trace_event& e, const address_book& b) { live.add(e, b); };
  ro.trace_sink = [&](std::string_view line) { EXPECT_TRUE(saved.add_json_line(line)) << line; };
  drawn d;
  report_entry e;
  e.result = run(s, ro);
  d.result = e.result;
  const auto entry = json_entry(e);
  d.live = live.html_section(entry);
  d.saved = saved.html_section(entry);
  return d;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// `html` with the five entities the report writes turned back into characters: the text a browser
// shows.
std::string text_of(std::string html) {
  const std::pair<std::string, std::string> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, c] : entities) {
    for (auto at = html.find(entity); at != std::string::npos; at = html.find(entity, at + 1)) {
      html.replace(at, entity.size(), c);
    }
  }
  return html;
}

// The part of `html` inside the first <svg class="css">...</svg>.
std::string svg(const std::string& html, const std::string& css) {
  const auto start = html.find("<svg class=\"" + css + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</svg>", start) - start);
}

const std::string lossy_partition = R"(name: lossy-partition
duration_ms: 8000
peers: {count: 6, topology: ring}
network:
  delay: {dist: exponential, min_ms: 1, mean_ms: 10}
  drop_probability: 0.1
  duplicate_probability: 0.05
timeline:
  - {at_ms: 0, every_ms: 500, until_ms: 6000, do: get_peers, peers: all}
  - {at_ms: 1000, do: partition, groups: [[p0, p1, p2], [p3, p4, p5]]}
  - {at_ms: 3000, do: heal}
  - {at_ms: 3500, do: crash, peer: p4}
  - {at_ms: 4500, do: restart, peer: p4}
checks:
  - lamport_order
  - discovery_convergence: {within_ms: 4000}
)";

TEST(HtmlReport, SavedTraceDrawsTheSamePictureAsTheRunningWorld) {
  const auto d = draw(lossy_partition);
  EXPECT_FALSE(d.live.empty());
  EXPECT_EQ(d.live, d.saved);
}

TEST(HtmlReport, DiagramHasALanePerPeerAndAnArrowPerLineTheNetworkCarried) {
  const auto d = draw(lossy_partition);
  const auto st = svg(d.live, "spacetime");
  ASSERT_FALSE(st.empty());
  EXPECT_EQ(count(st, "<g class=\"lane\""), 6u);
  EXPECT_GT(d.result.messages_dropped, 0u);
  EXPECT_GT(d.result.messages_partitioned, 0u);
  EXPECT_GT(d.result.messages_duplicated, 0u);
  EXPECT_EQ(count(st, "<g class=\"msg delivered"), d.result.messages_delivered);
  EXPECT_EQ(count(st, "<g class=\"msg dropped"), d.result.messages_dropped);
  EXPECT_EQ(count(st, "<g class=\"msg partitioned"), d.result.messages_partitioned);
  EXPECT_EQ(count(st, "<g class=\"timeout\""), d.result.timeouts);
  EXPECT_EQ(count(st, "<g class=\"mark crashed\""), 1u);
  EXPECT_EQ(count(st, "<g class=\"mark restarted\""), 1u);
  EXPECT_GE(count(st, "<g class=\"partition\""), 1u);
  // Hover: every arrow carries its wire line.
  EXPECT_NE(st.find("data-line=\"127.0.0.1:9000 1 GET_PEERS\""), std::string::npos);
}

TEST(HtmlReport, ConvergencePlotIsFullExactlyWhenTheWorldSaysConverged) {
  const auto d = draw(lossy_partition);
  const auto plot = svg(d.live, "convergence");
  ASSERT_FALSE(plot.empty());
  EXPECT_TRUE(d.result.all_checks_passed());
  // The check's figure names the convergence moment; the plot has a point at 1.0 there.
  std::smatch m;
  const std::string figure = d.result.checks[1].figure;
  ASSERT_TRUE(std::regex_search(figure, m, std::regex("converged at ([0-9.]+) s")));
  const double at_ms = std::stod(m[1]) * 1000;
  const std::regex point("data-t-ms=\"([0-9.]+)\" data-frac=\"1.0000\"");
  bool found = false;
  for (auto it = std::sregex_iterator(plot.begin(), plot.end(), point);
       it != std::sregex_iterator(); ++it) {
    found = found || std::abs(std::stod((*it)[1]) - at_ms) < 1.0;
  }
  EXPECT_TRUE(found) << figure;
  EXPECT_GE(count(plot, "class=\"mark heal\""), 1u);
  EXPECT_GE(count(plot, "class=\"mark crash\""), 1u);
  EXPECT_GE(count(plot, "class=\"mark converged\""), 1u);
  EXPECT_GE(count(plot, "class=\"mark partition\""), 1u);
}

TEST(HtmlReport, FailingWindowHighlightsTheViolatingReceiveAndListsItsPast) {
  const auto d = draw(testing::ep1_peer_in_ep3_network);
  const auto window = svg(d.live, "window");
  ASSERT_FALSE(window.empty());
  EXPECT_EQ(count(window, "class=\"msg delivered violation\" data-id=\"7\""), 1u);
  EXPECT_EQ(count(window, "class=\"violation-mark\""), 1u);
  // The six HELLOs to b that raised a's clock happen before the violating receive.
  EXPECT_EQ(count(window, "<g class=\"msg delivered"), 7u);
  EXPECT_NE(
      text_of(d.live).find("\"kind\":\"received\",\"node\":2,\"peer\":\"127.0.0.1:6000\","
                           "\"type\":\"HELLO\",\"id\":7,\"sender_clock\":7,\"clock\":1}   <-- "
                           "the first violation"),
      std::string::npos);
  EXPECT_EQ(d.live, d.saved);
}

TEST(HtmlReport, ManyPeersShowTheViolationsPeersThenTheBusiestOrTheChosenOnes) {
  const std::string ring30 = R"(name: ring30
duration_ms: 3000
peers: {count: 30, topology: ring}
timeline:
  - {at_ms: 0, every_ms: 500, do: get_peers, peers: all}
checks:
  - peer_state: {at_ms: 100, peer: p17, knows: {p29: ONLINE}}
)";
  const auto d = draw(ring30);
  const auto st = svg(d.live, "spacetime");
  EXPECT_EQ(count(st, "<g class=\"lane\""), 20u);
  EXPECT_NE(st.find("<g class=\"lane\" data-node=\"17\""), std::string::npos);
  EXPECT_NE(st.find("<g class=\"lane\" data-node=\"29\""), std::string::npos);
  EXPECT_NE(d.live.find("20 of 30 peers shown"), std::string::npos);

  html_options chosen;
  chosen.diagram_peers = {"p1", "127.0.0.1:9007", "nobody"};
  const auto c = draw(ring30, chosen);
  const auto cst = svg(c.live, "spacetime");
  EXPECT_EQ(count(cst, "<g class=\"lane\""), 2u);
  EXPECT_NE(cst.find("data-node=\"7\""), std::string::npos);
  EXPECT_NE(text_of(c.live).find("--diagram-peers: no peer 'nobody'"), std::string::npos);
}

TEST(HtmlReport, DocumentFetchesNothing) {
  const auto d = draw(lossy_partition);
  const auto doc = html_document("t", {d.live});
  EXPECT_EQ(doc.find("src="), std::string::npos);
  EXPECT_EQ(doc.find("href="), std::string::npos);
  EXPECT_EQ(doc.find("@import"), std::string::npos);
  // The only URL is the SVG namespace name, which browsers never fetch.
  std::string rest = doc;
  for (auto at = rest.find("http"); at != std::string::npos; at = rest.find("http", at + 1)) {
    EXPECT_EQ(rest.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << rest.substr(at, 40);
  }
}

TEST(HtmlReport, ALineThatIsNotATraceEventIsRefused) {
  picture_collector c;
  EXPECT_FALSE(c.add_json_line("not json"));
  EXPECT_FALSE(c.add_json_line("{\"t_ns\":1,\"kind\":\"no_such_kind\"}"));
  EXPECT_FALSE(c.add_json_line("{\"t_ns\":1}"));
  EXPECT_TRUE(c.add_json_line("{\"t_ns\":1,\"kind\":\"heal\"}"));
}

}  // namespace
}  // namespace eachare::scenario
