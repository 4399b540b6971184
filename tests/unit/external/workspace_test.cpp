#include "real/external/workspace.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "sim/memory_file_store.hpp"

namespace eachare::external {
namespace {

TEST(Workspace, SplitsATemplateLikeAShellAndKeepsPlaceholders) {
  const auto w = split_template("python3 'my peer.py' {addr} \"{neighbours}\" {shared} a\\ b");
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[1], "my peer.py");
  EXPECT_EQ(w[2], "{addr}");
  EXPECT_EQ(w[5], "a b");
  const auto e = expand(w, "127.0.0.1:9000", "/n.txt", "/s");
  EXPECT_EQ(e[2], "127.0.0.1:9000");
  EXPECT_EQ(e[3], "/n.txt");
  EXPECT_EQ(e[4], "/s");
}

TEST(Workspace, RefusesATemplateWithoutAddrInOneLine) {
  try {
    split_template("python3 peer.py {neighbours} {shared}");
    FAIL() << "accepted a template without {addr}";
  } catch (const template_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("{addr}"), std::string::npos);
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_THROW(split_template("python3 'peer.py {addr}"), template_error);
  EXPECT_THROW(split_template("   "), template_error);
}

TEST(Workspace, WritesNeighboursAndGeneratedFilesAndRemovesItselfUnlessKept) {
  std::filesystem::path root;
  {
    workspace ws("unit-test");
    root = ws.root();
    const auto n = ws.write_neighbours("p1", {"127.0.0.1:1", "127.0.0.1:2"});
    std::ifstream in(n);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), "127.0.0.1:1\n127.0.0.1:2\n");
    ws.put_generated("p1", "mil.txt", 1000, 7);
    std::ifstream f(ws.shared_dir("p1") / "mil.txt", std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    EXPECT_EQ(bytes.str(), sim::generate_file_content(7, "mil.txt", 1000));
  }
  EXPECT_FALSE(std::filesystem::exists(root));
  {
    workspace ws("unit-test", true);
    root = ws.root();
  }
  EXPECT_TRUE(std::filesystem::exists(root));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace eachare::external
