#include "node/cli/menu.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>
#include <thread>

namespace eachare::cli {
namespace {

TEST(Menu, RendersTheExactMenuOfTheAssignment) {
  const std::vector<std::string> expected{"Escolha um comando:",
                                          "\t[1] Listar peers",
                                          "\t[2] Obter peers",
                                          "\t[3] Listar arquivos locais",
                                          "\t[4] Buscar arquivos",
                                          "\t[5] Exibir estatisticas",
                                          "\t[6] Alterar tamanho de chunk",
                                          "\t[9] Sair",
                                          ">"};
  EXPECT_EQ(render_menu(), expected);
}

TEST(Menu, RendersPeerListingInInsertionOrder) {
  address_book book;
  const peer_id a = book.intern("127.0.0.1:9002");
  const peer_id b = book.intern("127.0.0.1:9003");
  const auto lines =
      render_peer_listing({{a, peer_status::online, 3}, {b, peer_status::offline, 0}}, book);
  const std::vector<std::string> expected{"Lista de peers:", "\t[0] voltar para o menu anterior",
                                          "\t[1] 127.0.0.1:9002 ONLINE",
                                          "\t[2] 127.0.0.1:9003 OFFLINE"};
  EXPECT_EQ(lines, expected);
}

TEST(Menu, RendersTheSearchTableExactlyAsTheProtocolPage) {
  address_book book;
  const peer_id p2 = book.intern("127.0.0.1:9002");
  const peer_id p3 = book.intern("127.0.0.1:9003");
  const auto lines =
      render_search_table({{"hello.txt", 7, {p2}}, {"mil.txt", 1000, {p2, p3}}}, book);
  const std::vector<std::string> expected{
      "Arquivos encontrados na rede:",
      "     Nome       | Tamanho | Peer",
      "[ 0] <Cancelar> |         |",
      "[ 1] hello.txt  | 7       | 127.0.0.1:9002",
      "[ 2] mil.txt    | 1000    | 127.0.0.1:9002, 127.0.0.1:9003",
  };
  EXPECT_EQ(lines, expected);
}

TEST(Menu, SearchTableWidensForLongNames) {
  address_book book;
  const peer_id p = book.intern("h:1");
  const auto lines = render_search_table({{"a-rather-long-name.bin", 123456789012, {p}}}, book);
  ASSERT_EQ(lines.size(), 4u);
  // Name column: 22 wide (the longest name); size column: 12 wide.
  EXPECT_EQ(lines[1], "     Nome" + std::string(18, ' ') + " | Tamanho      | Peer");
  EXPECT_EQ(lines[2],
            "[ 0] <Cancelar>" + std::string(12, ' ') + " | " + std::string(12, ' ') + " |");
  EXPECT_EQ(lines[3], "[ 1] a-rather-long-name.bin | 123456789012 | h:1");
}

TEST(Menu, RendersStatisticsWithFiveDecimals) {
  const auto lines = render_statistics({{256, 2, 1000, 3, 0.003456, 0.001744}});
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "Tam. chunk | N peers | Tam. arquivo | N | Tempo [s] | Desvio");
  EXPECT_EQ(lines[1], "256 | 2 | 1000 | 3 | 0.00346 | 0.00174");
}

TEST(Menu, RendersLocalFilesTabIndented) {
  EXPECT_EQ(render_local_files({{"a.txt", 1}, {"b.txt", 2}}),
            (std::vector<std::string>{"\ta.txt", "\tb.txt"}));
}

TEST(Menu, ParsesChoicesAndRefusesEverythingElse) {
  EXPECT_EQ(parse_menu_choice("1"), menu_choice::list_peers);
  EXPECT_EQ(parse_menu_choice(" 4 \r"), menu_choice::search);
  EXPECT_EQ(parse_menu_choice("9"), menu_choice::quit);
  EXPECT_FALSE(parse_menu_choice("7"));
  EXPECT_FALSE(parse_menu_choice("0"));
  EXPECT_FALSE(parse_menu_choice(""));
  EXPECT_FALSE(parse_menu_choice("1a"));
  EXPECT_FALSE(parse_menu_choice("banana"));
  EXPECT_FALSE(parse_menu_choice("99999999999999999999999"));
}

TEST(Menu, ParsesIndexesWithinRange) {
  EXPECT_EQ(parse_index("0", 2), 0u);
  EXPECT_EQ(parse_index("2", 2), 2u);
  EXPECT_FALSE(parse_index("3", 2));
  EXPECT_FALSE(parse_index("-1", 2));
  EXPECT_FALSE(parse_index("x", 2));
  EXPECT_EQ(parse_integer("-5"), -5);
  EXPECT_EQ(parse_integer("+128"), 128);
  EXPECT_FALSE(parse_integer("12.5"));
}

// A scripted stdin.
class script final : public line_source {
 public:
  explicit script(std::vector<std::string> lines) : lines_(std::move(lines)) {}
  std::optional<std::string> next_line() override {
    if (next_ >= lines_.size()) return std::nullopt;
    return lines_[next_++];
  }

 private:
  std::vector<std::string> lines_;
  std::size_t next_ = 0;
};

TEST(MenuLoop, PostsCommandsAndWaitsForTheirCompletion) {
  std::ostringstream text;
  console out(text);
  menu_mailbox mailbox;
  script input({"1", "2", "2", "6", "128", "4", "1", "9"});
  std::vector<command> posted;
  address_book book;
  const peer_id p = book.intern("127.0.0.1:9002");
  const peer_id q = book.intern("127.0.0.1:9003");
  // Plays the node: answers every command at once with its completion event.
  menu_loop loop(out, mailbox, input, [&](command cmd) {
    posted.push_back(cmd);
    std::visit(
        [&](const auto& c) {
          using T = std::decay_t<decltype(c)>;
          if constexpr (std::is_same_v<T, cmd_list_peers>) {
            mailbox.push({menu_event_kind::peer_listing, {p, q}, {}});
          } else if constexpr (std::is_same_v<T, cmd_hello>) {
            mailbox.push({menu_event_kind::hello_done, {}, {}});
          } else if constexpr (std::is_same_v<T, cmd_get_peers>) {
            mailbox.push({menu_event_kind::get_peers_done, {}, {}});
          } else if constexpr (std::is_same_v<T, cmd_set_chunk_size>) {
            mailbox.push({menu_event_kind::chunk_size_changed, {}, {}});
          } else if constexpr (std::is_same_v<T, cmd_search>) {
            mailbox.push({menu_event_kind::search_results, {}, {{"mil.txt", 1000, {p, q}}}});
          } else if constexpr (std::is_same_v<T, cmd_download>) {
            mailbox.push({menu_event_kind::download_finished, {}, {}});
          } else if constexpr (std::is_same_v<T, cmd_bye>) {
            mailbox.push({menu_event_kind::exit_ready, {}, {}});
          }
        },
        cmd);
  });
  EXPECT_TRUE(loop.run());
  ASSERT_EQ(posted.size(), 7u);
  EXPECT_TRUE(std::holds_alternative<cmd_list_peers>(posted[0]));
  ASSERT_TRUE(std::holds_alternative<cmd_hello>(posted[1]));
  EXPECT_EQ(std::get<cmd_hello>(posted[1]).to, q);
  EXPECT_TRUE(std::holds_alternative<cmd_get_peers>(posted[2]));
  ASSERT_TRUE(std::holds_alternative<cmd_set_chunk_size>(posted[3]));
  EXPECT_EQ(std::get<cmd_set_chunk_size>(posted[3]).size, 128);
  EXPECT_TRUE(std::holds_alternative<cmd_search>(posted[4]));
  ASSERT_TRUE(std::holds_alternative<cmd_download>(posted[5]));
  EXPECT_EQ(std::get<cmd_download>(posted[5]).name, "mil.txt");
  EXPECT_EQ(std::get<cmd_download>(posted[5]).size, 1000u);
  EXPECT_TRUE(std::holds_alternative<cmd_bye>(posted[6]));
  EXPECT_NE(text.str().find("Digite novo tamanho de chunk:\n"), std::string::npos);
  EXPECT_NE(text.str().find("Digite o numero do arquivo para fazer o download:\n>\n"),
            std::string::npos);
}

TEST(MenuLoop, InvalidInputIsRefusedAndEndOfInputStopsTheMenu) {
  std::ostringstream text;
  console out(text);
  menu_mailbox mailbox;
  script input({"banana", "6", "abc", "1", "7"});
  std::vector<command> posted;
  menu_loop loop(out, mailbox, input, [&](command cmd) {
    posted.push_back(cmd);
    if (std::holds_alternative<cmd_list_peers>(cmd)) {
      mailbox.push({menu_event_kind::peer_listing, {}, {}});
    }
  });
  EXPECT_FALSE(loop.run());
  ASSERT_EQ(posted.size(), 1u);  // only the listing; "7" is out of range, nothing else valid
  const std::string s = text.str();
  EXPECT_NE(s.find("Invalid option: \"banana\"\n"), std::string::npos);
  EXPECT_NE(s.find("Invalid chunk size: \"abc\""), std::string::npos);
  EXPECT_NE(s.find("Invalid option: \"7\"\n"), std::string::npos);
  EXPECT_NE(s.find("Warning: end of standard input"), std::string::npos);
}

TEST(FdLineSource, OverLongLineIsCutAndTheLinesAfterItStillArrive) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  // A pipe holds far less than the long line: a writer thread feeds it while we read.
  std::thread writer([fd = fds[1]] {
    std::string text(3 * fd_line_source::max_line_bytes, 'x');
    text += "\n5\n";
    std::size_t done = 0;
    while (done < text.size()) {
      const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(fd);
  });
  fd_line_source input(fds[0]);
  const auto first = input.next_line();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size(), fd_line_source::max_line_bytes);
  EXPECT_EQ(input.next_line(), std::optional<std::string>("5"));
  EXPECT_EQ(input.next_line(), std::nullopt);
  writer.join();
  ::close(fds[0]);
}

}  // namespace
}  // namespace eachare::cli
