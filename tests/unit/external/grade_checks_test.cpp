#include "real/external/grade_checks.hpp"

#include <gtest/gtest.h>

#include "tests/unit/external/console_lines.hpp"

namespace eachare::external {
namespace {

using namespace std::chrono_literals;

using test_support::a;
using test_support::console;
using test_support::g;

wire_line to_g(std::chrono::milliseconds t, const std::string& line,
               std::optional<std::chrono::milliseconds> handled = std::nullopt) {
  wire_line w{t, a, g, line, false, {}, {}, {}};
  if (handled) w.handled_by = *handled;
  return w;
}

wire_line from_g(std::chrono::milliseconds t, const std::string& line, bool reply = false,
                 const std::string& request = {}) {
  return {t, g, a, line, reply, request, {}, t};
}

const grade_check& named(const std::vector<grade_check>& v, const std::string& name) {
  for (const auto& c : v) {
    if (c.name == name) return c;
  }
  static grade_check none;
  ADD_FAILURE() << "no check " << name;
  return none;
}

TEST(GradeChecks, AWellBehavedExchangePassesEveryWireCheck) {
  const std::vector<wire_line> w = {
      to_g(10ms, a + " 50 GET_PEERS", 12ms),
      from_g(12ms, g + " 52 PEER_LIST 0", true, a + " 50 GET_PEERS"),
      from_g(20ms, g + " 53 LS"),
      to_g(21ms, a + " 80 LS_LIST 0", 30ms),
      from_g(40ms, g + " 82 DL x 256 3"),
      to_g(41ms, a + " 90 DL x 256 1", 42ms),
      from_g(42ms, g + " 92 FILE x 1 1 QQ==", true, a + " 90 DL x 256 1"),
  };
  for (const auto& c : check_wire(w, g, 3)) {
    EXPECT_TRUE(c.passed()) << c.name << ": "
                            << (c.violations.empty() ? c.note : c.violations[0].what);
  }
}

TEST(GradeChecks, AMissingMaxPlusOneShowsOnTheWireWithBothLinesQuoted) {
  const std::vector<wire_line> w = {
      to_g(10ms, a + " 50 GET_PEERS", 12ms),
      from_g(12ms, g + " 2 PEER_LIST 0", true, a + " 50 GET_PEERS"),
      from_g(500ms, g + " 3 HELLO"),
  };
  const auto checks = check_wire(w, g, 3);
  const auto& m = named(checks, "wire: max+1 after what it received");
  ASSERT_EQ(m.violations.size(), 2u);
  EXPECT_NE(m.violations[0].what.find("at least 52"), std::string::npos) << m.violations[0].what;
  EXPECT_NE(m.violations[1].what.find("\"127.0.0.1:7101 50 GET_PEERS\""), std::string::npos)
      << m.violations[1].what;
  EXPECT_NE(m.violations[1].what.find("at 0.500 s"), std::string::npos) << m.violations[1].what;
  EXPECT_TRUE(named(check_wire(w, g, 1), "wire: max+1 after what it received").passed());
}

TEST(GradeChecks, AWrongChunkSyntaxAndFallingClockAreCaught) {
  const std::vector<wire_line> w = {
      to_g(10ms, a + " 1 DL x 256 2", 12ms),
      from_g(12ms, g + " 5 FILE x 256 3 QQ==", true, a + " 1 DL x 256 2"),
      from_g(13ms, "garbage"),
      from_g(900ms, g + " 4 HELLO"),
  };
  const auto checks = check_wire(w, g, 3);
  EXPECT_EQ(named(checks, "wire: reply matches request").violations.size(), 1u);
  EXPECT_EQ(named(checks, "wire: syntax").violations.size(), 1u);
  ASSERT_EQ(named(checks, "wire: clock rising").violations.size(), 1u);
}

TEST(GradeChecks, WithoutAnyLineTheWireChecksAreNotObservable) {
  const auto checks = check_wire({}, g, 3);
  EXPECT_FALSE(named(checks, "wire: syntax").observable);
  EXPECT_FALSE(named(checks, "wire: syntax").passed());
  EXPECT_NE(named(checks, "wire: reply matches request").note.find("not observable"),
            std::string::npos);
}

TEST(GradeChecks, ABYEThatLeavesTheSenderOnlineFailsTheTableCheck) {
  const auto lines = console({
      "Adicionando novo peer 127.0.0.1:7101 status OFFLINE",
      "Mensagem recebida: \"127.0.0.1:7101 3 HELLO\"",
      "=> Atualizando relogio para 4",
      "Atualizando peer 127.0.0.1:7101 status ONLINE",
      "Mensagem recebida: \"127.0.0.1:7101 5 BYE\"",
      "=> Atualizando relogio para 6",
      "Atualizando peer 127.0.0.1:7101 status ONLINE",
  });
  const auto checks = check_console(lines, 3);
  const auto& t = named(checks, "console: peer-table change after each message");
  ASSERT_EQ(t.violations.size(), 1u);
  EXPECT_NE(t.violations[0].what.find("not OFFLINE"), std::string::npos) << t.violations[0].what;
  EXPECT_TRUE(named(checks, "console: clock per send and receive").passed());
  const auto at = console_table_at(lines, 45ms);
  ASSERT_EQ(at.size(), 1u);
  EXPECT_EQ(at[0].second, "ONLINE");
}

TEST(GradeChecks, InvalidUtf8OnTheConsoleIsQuotedAsEscapes) {
  const auto checks = check_console(console({"ok", "bad \xff"}), 3);
  const auto& u = named(checks, "console: well-formed text");
  ASSERT_EQ(u.violations.size(), 1u);
  EXPECT_NE(u.violations[0].what.find("bad \\xff"), std::string::npos) << u.violations[0].what;
  EXPECT_FALSE(named(checks, "console: clock per send and receive").observable);
}

}  // namespace
}  // namespace eachare::external
