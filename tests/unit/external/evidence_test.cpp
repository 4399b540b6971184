#include "real/external/evidence.hpp"

#include <gtest/gtest.h>

#include "tests/unit/external/console_lines.hpp"

namespace eachare::external {
namespace {

using namespace std::chrono_literals;

console_line at(std::int64_t ms, const std::string& text) {
  return {std::chrono::milliseconds(ms), text, false};
}

using test_support::a;
using test_support::g;

TEST(Evidence, RebuildsRequestsRepliesAndWhenTheProgramHandledThem) {
  peer_console ours{
      a,
      {
          at(10, "=> Atualizando relogio para 50"),
          at(10, "Encaminhando mensagem \"" + a + " 50 GET_PEERS\" para " + g),
          at(15, "Resposta recebida: \"" + g + " 52 PEER_LIST 0\""),
          at(30, "Mensagem recebida: \"" + g + " 53 DL x 4 1\""),
          at(31, "Encaminhando mensagem \"" + a + " 55 FILE x 4 1 QUJD...\" para " + g),
      }};
  const std::vector<console_line> program = {
      at(12, "Mensagem recebida: \"" + a + " 50 GET_PEERS\""),
      at(12, "=> Atualizando relogio para 51"),
      at(33, "Resposta recebida: \"" + a + " 55 FILE x 4 1 QUJDRA==\""),
      at(34, "=> Atualizando relogio para 56"),
  };
  const auto w = wire_from_consoles({ours}, g, program, {std::chrono::milliseconds(25)});
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].from, a);
  EXPECT_FALSE(w[0].reply);
  ASSERT_TRUE(w[0].handled_by);
  EXPECT_EQ(*w[0].handled_by, 12ms);
  EXPECT_TRUE(w[1].reply);
  EXPECT_EQ(w[1].request, a + " 50 GET_PEERS");
  ASSERT_TRUE(w[1].sent_after);
  EXPECT_EQ(*w[1].sent_after, 12ms);  // the program answered after it handled the request
  EXPECT_EQ(w[2].line, g + " 53 DL x 4 1");
  ASSERT_TRUE(w[2].sent_after);
  EXPECT_EQ(*w[2].sent_after, 25ms);  // the menu step that started it began at 25 ms
  EXPECT_TRUE(w[3].reply);
  EXPECT_EQ(w[3].request, g + " 53 DL x 4 1");
  EXPECT_EQ(w[3].line, a + " 55 FILE x 4 1");  // the cut base64 dropped
  ASSERT_TRUE(w[3].handled_by);
  EXPECT_EQ(*w[3].handled_by, 34ms);
  for (const auto& c : check_wire(w, g, 3)) {
    EXPECT_TRUE(c.passed()) << c.name << ": "
                            << (c.violations.empty() ? c.note : c.violations[0].what);
  }
}

// Under load the program's console (read from its pty by another thread) can be stamped later
// than ours: a reply we read at 15 ms whose request its console shows handled at 900 ms was still
// sent by 15 ms, and an earlier line of the program with a higher clock seen at 500 ms must not
// count as "certainly before" it.
TEST(Evidence, AReplyIsNeverTakenAsSentAfterWeReadIt) {
  peer_console ours{a,
                    {
                        at(10, "=> Atualizando relogio para 50"),
                        at(10, "Encaminhando mensagem \"" + a + " 50 GET_PEERS\" para " + g),
                        at(15, "Resposta recebida: \"" + g + " 52 PEER_LIST 0\""),
                        at(500, "Mensagem recebida: \"" + g + " 80 GET_PEERS\""),
                    }};
  const std::vector<console_line> program = {
      at(900, "Mensagem recebida: \"" + a + " 50 GET_PEERS\""),
      at(900, "=> Atualizando relogio para 51"),
  };
  const auto w = wire_from_consoles({ours}, g, program);
  ASSERT_EQ(w.size(), 3u);
  ASSERT_TRUE(w[1].reply);
  ASSERT_TRUE(w[1].sent_after);
  EXPECT_EQ(*w[1].sent_after, 15ms);
  for (const auto& c : check_wire(w, g, 3)) {
    if (c.name == "wire: clock rising") {
      EXPECT_TRUE(c.violations.empty()) << c.violations.front().what;
    }
  }
}

}  // namespace
}  // namespace eachare::external
