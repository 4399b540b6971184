#include "node/cli/console_observer.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "node/protocol/codec.hpp"

namespace eachare::cli {
namespace {

class ConsoleObserverTest : public ::testing::Test {
 protected:
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(text_.str());
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
  }
  std::ostringstream text_;
  console out_{text_};
  address_book book_;
  menu_mailbox mailbox_;
};

TEST_F(ConsoleObserverTest, PrintsTheExactTraceLines) {
  console_observer obs(out_, book_, &mailbox_);
  const peer_id p = book_.intern("127.0.0.1:9002");
  obs.on_clock_changed(3);
  obs.on_sending(p, message{"127.0.0.1:9001", 3, hello_body{}});
  obs.on_request_received(p, message{}, "127.0.0.1:9002 4 GET_PEERS");
  obs.on_reply_received(p, message{}, "127.0.0.1:9002 5 LS_LIST 0");
  obs.on_peer_added(p, peer_status::online, 0);
  obs.on_peer_updated(p, peer_status::offline, 0);
  obs.on_warning("something odd");
  obs.on_download_started("mil.txt");
  obs.on_download_finished("mil.txt", download_outcome::completed, "");
  obs.on_chunk_size_changed(128);
  obs.on_leaving();
  const std::vector<std::string> expected{
      "=> Atualizando relogio para 3",
      "Encaminhando mensagem \"127.0.0.1:9001 3 HELLO\" para 127.0.0.1:9002",
      "Mensagem recebida: \"127.0.0.1:9002 4 GET_PEERS\"",
      "Resposta recebida: \"127.0.0.1:9002 5 LS_LIST 0\"",
      "Adicionando novo peer 127.0.0.1:9002 status ONLINE",
      "Atualizando peer 127.0.0.1:9002 status OFFLINE",
      "Warning: something odd",
      "arquivo escolhido mil.txt",
      "Download do arquivo mil.txt finalizado.",
      "Tamanho de chunk alterado: 128",
      "Saindo...",
  };
  EXPECT_EQ(lines(), expected);
  EXPECT_TRUE(mailbox_.wait_for({menu_event_kind::download_finished}));
}

TEST_F(ConsoleObserverTest, RetriesAreSummedUpAfterTheAssignmentsDownloadLine) {
  console_observer obs(out_, book_, &mailbox_);
  obs.on_download_summary("a.bin", 0, 0);
  obs.on_download_finished("a.bin", download_outcome::completed, "");
  obs.on_download_summary("b.bin", 3, 1);
  obs.on_download_finished("b.bin", download_outcome::completed, "");
  obs.on_download_summary("c.bin", 1, 0);
  obs.on_download_finished("c.bin", download_outcome::completed, "");
  obs.on_download_summary("d.bin", 5, 2);
  obs.on_download_finished("d.bin", download_outcome::failed, "every holder failed");
  obs.on_download_finished("e.bin", download_outcome::completed, "");  // no summary: none shown
  EXPECT_EQ(lines(), (std::vector<std::string>{
                         "Download do arquivo a.bin finalizado.",
                         "Download do arquivo b.bin finalizado. (3 retries, 1 holder dropped)",
                         "Download do arquivo c.bin finalizado. (1 retry)",
                         "Download failed for file d.bin: every holder failed (5 retries, 2 "
                         "holders dropped)",
                         "Download do arquivo e.bin finalizado.",
                     }));
  EXPECT_EQ(console_text::download_summary_suffix(0, 1), " (1 holder dropped)");
}

TEST_F(ConsoleObserverTest, QuietModeKeepsResultsAndWarningsOnly) {
  console_observer obs(out_, book_, &mailbox_, console_options{true, 100});
  const peer_id p = book_.intern("127.0.0.1:9002");
  obs.on_clock_changed(3);
  obs.on_sending(p, message{"127.0.0.1:9001", 3, hello_body{}});
  obs.on_peer_updated(p, peer_status::offline, 0);
  obs.on_warning("w");
  obs.on_chunk_size_changed(64);
  EXPECT_EQ(lines(), (std::vector<std::string>{"Warning: w", "Tamanho de chunk alterado: 64"}));
}

TEST_F(ConsoleObserverTest, TruncatesFileLinesButNotOthers) {
  const std::string data(3000, 'x');
  const message file{"127.0.0.1:9002", 9, file_body{"big.bin", data.size(), 2, data}};
  const std::string wire = encode(file);
  const std::string shown = console_line(wire, 100);
  const std::string header = "127.0.0.1:9002 9 FILE big.bin 3000 2 ";
  EXPECT_EQ(shown, header + wire.substr(header.size(), 100) + "...");
  EXPECT_EQ(console_line(file, 100), shown);  // the sending side shows the same text
  const message small{"127.0.0.1:9002", 9, file_body{"s.bin", 3, 0, "abc"}};
  EXPECT_EQ(console_line(small, 100), encode(small));
  EXPECT_EQ(console_line(encode(small), 100), encode(small));
  const std::string list = "127.0.0.1:9002 4 PEER_LIST 1 " + std::string(300, 'a') + ":1:ONLINE:0";
  EXPECT_EQ(console_line(list, 100), list);
}

TEST_F(ConsoleObserverTest, RendersResultsAndNotifiesTheMenu) {
  console_observer obs(out_, book_, &mailbox_);
  const peer_id p = book_.intern("127.0.0.1:9002");
  obs.on_peer_listing({{p, peer_status::online, 0}});
  const auto e = mailbox_.wait_for({menu_event_kind::peer_listing});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->peers, std::vector<peer_id>{p});
  obs.on_search_results({{"a.txt", 1, {p}}});
  const auto s = mailbox_.wait_for({menu_event_kind::search_results});
  ASSERT_TRUE(s);
  ASSERT_EQ(s->search.size(), 1u);
  EXPECT_EQ(s->search[0].name, "a.txt");
  const auto l = lines();
  EXPECT_EQ(l[2], "\t[1] 127.0.0.1:9002 ONLINE");
  EXPECT_EQ(l.back(), "[ 1] a.txt      | 1       | 127.0.0.1:9002");
}

}  // namespace
}  // namespace eachare::cli
