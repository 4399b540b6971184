#include "real/external/external_peer.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "real/external/console_parser.hpp"
#include "sim/memory_file_store.hpp"
#include "tests/support/free_port.hpp"

namespace eachare::external {
namespace {

using namespace std::chrono_literals;

using test::free_port;

implementation fixture(const std::string& extra = "") {
  implementation im;
  im.name = "fixture";
  im.cmd = split_template(std::string(EACHARE_PYTHON) + " " + EACHARE_FIXTURE +
                          " {addr} {neighbours} {shared} " + extra);
  return im;
}

external_peer_config config(const std::string& peer, const implementation& im,
                            std::vector<std::string> neighbours = {}) {
  external_peer_config c;
  c.peer = peer;
  c.impl = im;
  c.address = "127.0.0.1:" + std::to_string(free_port());
  c.neighbours = std::move(neighbours);
  c.seed = 11;
  c.bounds.startup = 10s;
  c.bounds.step = 10s;
  c.bounds.download = 20s;
  return c;
}

TEST(ExternalPeer, RunsQueuedMenuStepsInOrderAndQuitsWithOption9) {
  workspace ws("external-peer");
  const auto t0 = clock::now();
  auto ca = config("a", fixture());
  ca.files = {{"mil.txt", 1000}};
  external_peer a(ca, ws, t0);
  ASSERT_TRUE(a.start());
  ASSERT_TRUE(a.wait_idle(15s));  // its menu is up: it listens
  external_peer b(config("b", fixture(), {ca.address}), ws, t0);
  ASSERT_TRUE(b.start());
  b.submit({menu_step::kind::hello, ca.address, {}, {}, 0});
  b.submit({menu_step::kind::search, {}, {}, {}, 0});
  b.submit({menu_step::kind::download, {}, "mil.txt", 1000, 0});
  b.submit({menu_step::kind::show_stats, {}, {}, {}, 0});
  ASSERT_TRUE(b.wait_idle(60s));
  b.stop();
  a.stop();
  if (!b.failures().empty()) {
    std::string console;
    for (const auto& l : b.all_lines()) console += l.text + "\n";
    ADD_FAILURE() << b.failures().front().what << "\n" << console;
  }
  EXPECT_FALSE(b.running());
  const auto steps = b.steps();
  ASSERT_EQ(steps.size(), 5u);  // the four steps and 9
  EXPECT_EQ(steps[1].search.size(), 1u);
  ASSERT_EQ(steps[3].stats.size(), 1u);
  EXPECT_EQ(steps[3].stats[0].file_size, 1000u);
  EXPECT_EQ(steps[4].step.what, menu_step::kind::quit);
  std::ifstream in(b.shared() / "mil.txt", std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_EQ(got.str(), sim::generate_file_content(11, "mil.txt", 1000));
  bool bye = false;
  for (const auto& l : b.all_lines()) bye = bye || l.text.find(" BYE\" para ") != std::string::npos;
  EXPECT_TRUE(bye);
}

TEST(ExternalPeer, AFailedStepThatEndsAtTheMenuDoesNotStopTheNextSteps) {
  workspace ws("external-peer");
  external_peer p(config("g", fixture()), ws, clock::now());
  ASSERT_TRUE(p.start());
  p.submit({menu_step::kind::download, {}, "absent.bin", {}, 0});
  p.submit({menu_step::kind::list_local, {}, {}, {}, 0});
  ASSERT_TRUE(p.wait_idle(30s));
  const auto f = p.failures();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].what.find("the search table has no row for absent.bin"), std::string::npos)
      << f[0].what;
  const auto steps = p.steps();
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_TRUE(steps[1].outcome.ok) << steps[1].outcome.error;
  EXPECT_FALSE(p.broken());
  p.stop();
}

TEST(ExternalPeer, AProgramThatDoesNotExistIsOneLineNamingImplementationAndPeer) {
  workspace ws("external-peer");
  implementation im;
  im.name = "ghost";
  im.cmd = {"/nonexistent/peer", "{addr}"};
  external_peer p(config("g", im), ws, clock::now());
  EXPECT_FALSE(p.start());
  const auto f = p.failures();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].what.rfind("ghost as g: cannot start '/nonexistent/peer'", 0), 0u) << f[0].what;
  p.submit({menu_step::kind::get_peers, {}, {}, {}, 0});
  EXPECT_EQ(p.failures().size(), 2u);
}

TEST(ExternalPeer, StepsAfterAFailedStartAreReportedNotRun) {
  workspace ws("external-peer");
  implementation im;
  im.name = "silent";
  im.cmd = {"/bin/sh", "-c", "sleep 60", "{addr}"};
  auto c = config("g", im);
  c.bounds.startup = 500ms;
  external_peer p(c, ws, clock::now());
  ASSERT_TRUE(p.start());
  p.submit({menu_step::kind::get_peers, {}, {}, {}, 0});
  ASSERT_TRUE(p.wait_idle(10s));
  const auto f = p.failures();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].what.find("startup bound of 500 ms"), std::string::npos) << f[0].what;
  EXPECT_NE(f[1].what.find("get_peers (2) not run"), std::string::npos) << f[1].what;
  p.stop();
  EXPECT_FALSE(p.running());
}

}  // namespace
}  // namespace eachare::external
