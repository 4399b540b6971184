#include "real/external/console_parser.hpp"

#include <gtest/gtest.h>

#include "tests/unit/external/console_lines.hpp"

namespace eachare::external {
namespace {

using test_support::console;

TEST(ConsoleParser, ReadsEveryLineOfProtocolSection4) {
  auto e = parse_console_line("=> Atualizando relogio para 12");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::clock_update);
  EXPECT_EQ(e->clock, 12u);
  e = parse_console_line("Encaminhando mensagem \"127.0.0.1:9001 3 HELLO\" para 127.0.0.1:9002");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::sending);
  EXPECT_EQ(e->message, "127.0.0.1:9001 3 HELLO");
  EXPECT_EQ(e->address, "127.0.0.1:9002");
  EXPECT_EQ(e->clock, 3u);
  EXPECT_EQ(e->type, "HELLO");
  e = parse_console_line("Resposta recebida: \"127.0.0.1:9002 8 FILE a.txt 256 0 QUJD...\"");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::reply_received);
  EXPECT_EQ(e->origin, "127.0.0.1:9002");
  EXPECT_EQ(e->type, "FILE");
  e = parse_console_line("Adicionando novo peer 127.0.0.1:9003 status OFFLINE");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::peer_added);
  EXPECT_EQ(e->address, "127.0.0.1:9003");
  EXPECT_EQ(e->status, "OFFLINE");
  e = parse_console_line("Atualizando peer 127.0.0.1:9003 status ONLINE");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::peer_updated);
  e = parse_console_line("Download do arquivo mil.txt finalizado.");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, console_kind::download_done);
  EXPECT_EQ(e->name, "mil.txt");
  EXPECT_FALSE(parse_console_line("\t[1] Listar peers"));
  EXPECT_FALSE(parse_console_line("=> Atualizando relogio para x"));
}

TEST(ConsoleParser, AcceptsAConsistentPart3ClockSequence) {
  const auto lines = console({
      "=> Atualizando relogio para 1",
      "Encaminhando mensagem \"127.0.0.1:1 1 GET_PEERS\" para 127.0.0.1:2",
      "Resposta recebida: \"127.0.0.1:2 40 PEER_LIST 0\"",
      "=> Atualizando relogio para 41",
      "Atualizando peer 127.0.0.1:2 status ONLINE",
      "Mensagem recebida: \"127.0.0.1:2 3 HELLO\"",
      "=> Atualizando relogio para 42",
  });
  std::uint64_t checks = 0;
  EXPECT_TRUE(check_console_clock(lines, 3, &checks).empty());
  EXPECT_EQ(checks, 3u);
}

TEST(ConsoleParser, CatchesThePart1RuleInAPart3RunQuotingTheLine) {
  const auto lines = console({
      "Mensagem recebida: \"127.0.0.1:2 50 HELLO\"",
      "=> Atualizando relogio para 1",
  });
  const auto v = check_console_clock(lines, 3);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].what.find("max(0, 50) + 1 = 51"), std::string::npos) << v[0].what;
  EXPECT_NE(v[0].what.find("console line 2: \"=> Atualizando relogio para 1\""), std::string::npos)
      << v[0].what;
  EXPECT_TRUE(check_console_clock(lines, 1).empty());
}

TEST(ConsoleParser, CatchesAReplyWithoutAClockUpdate) {
  const auto lines = console({
      "=> Atualizando relogio para 1",
      "Encaminhando mensagem \"127.0.0.1:1 1 LS\" para 127.0.0.1:2",
      "Resposta recebida: \"127.0.0.1:2 9 LS_LIST 0\"",
      "Atualizando peer 127.0.0.1:2 status ONLINE",
      "=> Atualizando relogio para 2",
      "Encaminhando mensagem \"127.0.0.1:1 2 LS\" para 127.0.0.1:3",
  });
  const auto v = check_console_clock(lines, 3);
  ASSERT_FALSE(v.empty());
  EXPECT_NE(v[0].what.find("127.0.0.1:2 9 LS_LIST 0"), std::string::npos) << v[0].what;
}

TEST(ConsoleParser, CatchesASendWhoseLineDisagreesWithTheConsoleClock) {
  const auto lines = console({
      "=> Atualizando relogio para 1",
      "Encaminhando mensagem \"127.0.0.1:1 7 HELLO\" para 127.0.0.1:2",
  });
  const auto v = check_console_clock(lines, 3);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].what.find("carries clock 7"), std::string::npos);
}

}  // namespace
}  // namespace eachare::external
