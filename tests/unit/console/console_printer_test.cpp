// console_printer: the one formatter of console lines, shared by the real console and the
// simulator's transcripts. Driven here with a vector sink, as the simulator drives it.
#include "node/console/console_printer.hpp"

#include <gtest/gtest.h>

namespace eachare::console_text {
namespace {

TEST(ConsolePrinter, WritesTheTraceLinesAndResultsToItsSink) {
  address_book book;
  vector_sink sink;
  console_printer printer(sink, book);
  const peer_id p = book.intern("127.0.0.1:9002");
  printer.on_peer_added(p, peer_status::offline, 0);
  printer.on_clock_changed(1);
  printer.on_sending(p, message{"127.0.0.1:9001", 1, ls_body{}});
  printer.on_reply_received(p, message{}, "127.0.0.1:9002 3 LS_LIST 1 a.txt:7");
  printer.on_search_results({search_row{"a.txt", 7, {p}}});
  printer.on_download_finished("a.txt", download_outcome::failed, "every holder failed");
  printer.on_statistics({});
  printer.on_command_refused("no search result for 'b.txt'");
  const std::vector<std::string> expected{
      "Adicionando novo peer 127.0.0.1:9002 status OFFLINE",
      "=> Atualizando relogio para 1",
      "Encaminhando mensagem \"127.0.0.1:9001 1 LS\" para 127.0.0.1:9002",
      "Resposta recebida: \"127.0.0.1:9002 3 LS_LIST 1 a.txt:7\"",
      "Arquivos encontrados na rede:",
      "     Nome       | Tamanho | Peer",
      "[ 0] <Cancelar> |         |",
      "[ 1] a.txt      | 7       | 127.0.0.1:9002",
      "Download failed for file a.txt: every holder failed",
      "Tam. chunk | N peers | Tam. arquivo | N | Tempo [s] | Desvio",
      "Warning: no search result for 'b.txt'",
  };
  EXPECT_EQ(sink.all(), expected);
}

TEST(ConsolePrinter, QuietLeavesOutTheMessageTraceOnly) {
  address_book book;
  vector_sink sink;
  console_printer printer(sink, book, printer_options{true, default_file_preview_chars});
  const peer_id p = book.intern("127.0.0.1:9002");
  printer.on_peer_updated(p, peer_status::online, 4);
  printer.on_clock_changed(5);
  printer.on_warning("w");
  printer.on_leaving();
  EXPECT_EQ(sink.all(), (std::vector<std::string>{"Warning: w", "Saindo..."}));
}

}  // namespace
}  // namespace eachare::console_text
