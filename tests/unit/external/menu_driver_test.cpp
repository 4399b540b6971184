#include "real/external/menu_driver.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "real/external/console_parser.hpp"
#include "real/external/workspace.hpp"
#include "sim/memory_file_store.hpp"
#include "tests/support/free_port.hpp"

namespace eachare::external {
namespace {

using namespace std::chrono_literals;

using test::free_port;

driver_bounds quick() {
  driver_bounds b;
  b.startup = 10s;
  b.step = 10s;
  b.download = 20s;
  b.exit = 10s;
  return b;
}

// One fixture peer in the workspace, started from a template the way the grader starts one.
struct fixture_peer {
  std::string name;
  std::string address;
  std::filesystem::path shared;
  std::unique_ptr<external_process> proc;
  std::unique_ptr<menu_driver> menu;
};

fixture_peer start(workspace& ws, const std::string& name, const std::vector<std::string>& nbrs,
                   const std::string& extra = "") {
  fixture_peer f;
  f.name = name;
  f.address = "127.0.0.1:" + std::to_string(free_port());
  const auto n = ws.write_neighbours(name, nbrs);
  f.shared = ws.shared_dir(name);
  const auto cmd = split_template(std::string(EACHARE_PYTHON) + " " + EACHARE_FIXTURE +
                                  " {addr} {neighbours} {shared} " + extra);
  spawn_options o;
  o.argv = expand(cmd, f.address, n.string(), f.shared.string());
  f.proc = std::make_unique<external_process>(o, clock::now());
  f.menu = std::make_unique<menu_driver>(*f.proc, quick());
  return f;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MenuDriver, DrivesEveryMenuOptionOfTheFixture) {
  workspace ws("menu-driver");
  auto b = start(ws, "b", {});
  ws.put_generated("b", "mil.txt", 1000, 5);
  ASSERT_TRUE(b.menu->start().ok);
  auto a = start(ws, "a", {b.address});
  auto s = a.menu->start();
  ASSERT_TRUE(s.ok) << s.error;

  std::vector<listed_peer> peers;
  s = a.menu->list_peers(&peers);
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(peers.size(), 1u);
  EXPECT_EQ(peers[0].address, b.address);
  EXPECT_EQ(peers[0].status, "OFFLINE");
  s = a.menu->hello(b.address);
  ASSERT_TRUE(s.ok) << s.error;
  s = a.menu->get_peers();
  ASSERT_TRUE(s.ok) << s.error;
  std::vector<search_entry> rows;
  s = a.menu->search(&rows);
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].name, "mil.txt");
  EXPECT_EQ(rows[0].size, 1000u);
  EXPECT_EQ(rows[0].holders, std::vector<std::string>{b.address});
  s = a.menu->set_chunk_size(100);
  ASSERT_TRUE(s.ok) << s.error;
  s = a.menu->download("mil.txt", 1000);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(read_all(a.shared / "mil.txt"), sim::generate_file_content(5, "mil.txt", 1000));
  std::vector<std::string> names;
  s = a.menu->list_local(&names);
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_EQ(names, std::vector<std::string>{"mil.txt"});
  std::vector<stats_entry> stats;
  s = a.menu->show_stats(&stats);
  ASSERT_TRUE(s.ok) << s.error;
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].chunk_size, 100u);
  EXPECT_EQ(stats[0].file_size, 1000u);
  EXPECT_EQ(stats[0].count, 1u);
  s = a.menu->quit();
  ASSERT_TRUE(s.ok) << s.error;
  EXPECT_TRUE(check_console_clock(a.proc->lines(), 3).empty());
  EXPECT_TRUE(check_console_clock(b.proc->lines(), 3).empty());
}

TEST(MenuDriver, TheClockCheckCatchesTheFixturesClockMutants) {
  workspace ws("menu-driver");
  for (const char* mutant : {"ep1-clock", "no-reply-clock"}) {
    auto b = start(ws, std::string("b-") + mutant, {});
    ASSERT_TRUE(b.menu->start().ok);
    // b's clock runs ahead: each GET_PEERS it answers is stamped above anything a knows.
    auto c = start(ws, std::string("c-") + mutant, {b.address});
    ASSERT_TRUE(c.menu->start().ok);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(c.menu->get_peers().ok);
    auto a = start(ws, std::string("a-") + mutant, {b.address}, std::string("--mutant ") + mutant);
    ASSERT_TRUE(a.menu->start().ok);
    ASSERT_TRUE(a.menu->get_peers().ok);
    const auto v = check_console_clock(a.proc->lines(), 3);
    ASSERT_FALSE(v.empty()) << mutant;
    EXPECT_NE(v[0].what.find("PEER_LIST"), std::string::npos) << v[0].what;
  }
}

TEST(MenuDriver, ABlockBufferedProgramFailsTheStartupBoundByName) {
  workspace ws("menu-driver");
  auto a = start(ws, "a", {}, "--mutant block-buffered");
  driver_bounds b = quick();
  b.startup = 1500ms;
  menu_driver m(*a.proc, b);
  const auto s = m.start();
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("startup bound of 1500 ms"), std::string::npos) << s.error;
}

TEST(MenuDriver, AProgramThatExitsAtOnceSaysHowItEnded) {
  spawn_options o;
  o.argv = {"/bin/sh", "-c", "echo usage: peer ADDR; exit 2"};
  external_process p(o, clock::now());
  menu_driver m(p, quick());
  const auto s = m.start();
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("exited with code 2"), std::string::npos) << s.error;
  // Its last words are usually why (an interpreter's error, a usage line): quoted.
  EXPECT_NE(s.error.find("its last output: \"usage: peer ADDR\""), std::string::npos) << s.error;
}

TEST(MenuDriver, AProgramThatNeverPrintsTheMenuFailsTheStartupBound) {
  spawn_options o;
  o.argv = {"/bin/sh", "-c", "echo starting; sleep 60"};
  external_process p(o, clock::now());
  driver_bounds b = quick();
  b.startup = 500ms;
  menu_driver m(p, b);
  const auto s = m.start();
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.error.find("within the startup bound of 500 ms"), std::string::npos) << s.error;
}

}  // namespace
}  // namespace eachare::external
