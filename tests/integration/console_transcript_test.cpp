// The simulator's console transcript (`eachare-sim run --console`) against a real run: two
// `eachare` processes over loopback play a scenario through their menus, the simulator plays the
// same scenario, and every peer's console must print the lines of its transcript, in order —
// apart from the menu and its prompts (which a transcript leaves out) and the measured times of
// the statistics table.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "node/console/console_text.hpp"
#include "sim/memory_file_store.hpp"
#include "sim/scenario/loader.hpp"
#include "sim/scenario/runner.hpp"
#include "tests/integration/harness.hpp"

namespace eachare::testing {
namespace {

namespace fs = std::filesystem;

constexpr std::uint64_t seed = 5;
constexpr std::uint64_t file_size = 300;  // one chunk at 512: no chunk replies to reorder

std::string scenario_text(const std::string& a0, const std::string& a1) {
  return "name: transcript\n"
         "seed: " +
         std::to_string(seed) +
         "\n"
         "duration_ms: 8000\n"
         "peers:\n"
         "  - {name: p0, address: \"" +
         a0 +
         "\", neighbors: [p1]}\n"
         "  - {name: p1, address: \"" +
         a1 +
         "\", neighbors: [p0]}\n"
         "files:\n"
         "  - {name: f.txt, size: " +
         std::to_string(file_size) +
         ", on: p1}\n"
         "timeline:\n"
         "  - {at_ms: 0, do: list_peers, peer: p0}\n"
         "  - {at_ms: 0, do: hello, peer: p0, to: p1}\n"
         "  - {at_ms: 500, do: list_local, peer: p1}\n"
         "  - {at_ms: 1000, do: get_peers, peer: p0}\n"
         "  - {at_ms: 1500, do: set_chunk_size, peer: p0, size: 512}\n"
         "  - {at_ms: 2000, do: search, peer: p0}\n"
         "  - {at_ms: 3000, do: download, peer: p0, file: f.txt}\n"
         "  - {at_ms: 4000, do: show_stats, peer: p0}\n"
         "  - {at_ms: 5000, do: bye, peer: p0}\n"
         "  - {at_ms: 6000, do: bye, peer: p1}\n"
         "checks: [lamport_order, download_integrity]\n";
}

// The console without what the menu loop draws (the menu, its prompts) and with the statistics
// table's measured times replaced by a placeholder.
std::vector<std::string> comparable(const std::vector<std::string>& lines) {
  const auto menu = console_text::render_menu();
  static const std::regex stats_row(R"(^(\d+ \| \d+ \| \d+ \| \d+) \| [0-9.]+ \| [0-9.]+$)");
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (std::find(menu.begin(), menu.end(), l) != menu.end()) continue;
    if (l == "Digite o numero do arquivo para fazer o download:" ||
        l == "Digite novo tamanho de chunk:") {
      continue;
    }
    out.push_back(std::regex_replace(l, stats_row, "$1 | <time> | <time>"));
  }
  return out;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

#define WAIT_LINE(proc, text, from)                                           \
  do {                                                                        \
    if (!(proc).wait_line((text), (from))) {                                  \
      ADD_FAILURE() << "missing line: " << (text) << "\n--- transcript ---\n" \
                    << (proc).transcript();                                   \
      return;                                                                 \
    }                                                                         \
  } while (0)

TEST(ConsoleTranscript, RealTwoPeerRunPrintsTheSimulatedTranscriptLineByLine) {
  temp_dir dir("transcript");
  const std::string content = sim::generate_file_content(seed, "f.txt", file_size);
  std::unique_ptr<process> p0;
  std::unique_ptr<process> p1;
  std::string a0;
  std::string a1;
  for (int attempt = 0; attempt < 5 && !p0; ++attempt) {
    p0.reset();
    p1.reset();
    const auto port0 = free_port();
    const auto port1 = free_port();
    a0 = "127.0.0.1:" + std::to_string(port0);
    a1 = "127.0.0.1:" + std::to_string(port1);
    fs::remove_all(dir / "s0");
    fs::remove_all(dir / "s1");
    fs::create_directories(dir / "s0");
    fs::create_directories(dir / "s1");
    write_file(dir / "s1" / "f.txt", content);
    write_file(dir / "n0.txt", a1 + "\n");
    write_file(dir / "n1.txt", a0 + "\n");
    p1 = start_peer(port1, dir / "n1.txt", dir / "s1");
    if (p1) p0 = start_peer(port0, dir / "n0.txt", dir / "s0");
  }
  ASSERT_TRUE(p0 && p1) << "could not start the two peers";

  // The scenario, by menu: p0 [1] then 1 (HELLO to p1); p1 [3]; p0 [2], [6] 512, [4] then 1
  // (download), [5], [9]; then p1 [9].
  std::size_t m = p0->mark();
  p0->write_line("1");
  WAIT_LINE(*p0, "\t[1] " + a1 + " OFFLINE", m);
  p0->write_line("1");
  WAIT_LINE(*p0, "Atualizando peer " + a1 + " status ONLINE", m);
  WAIT_LINE(*p0, "Escolha um comando:", m);
  m = p1->mark();
  WAIT_LINE(*p1, "Atualizando peer " + a0 + " status ONLINE", 0);
  p1->write_line("3");
  WAIT_LINE(*p1, "\tf.txt", m);
  WAIT_LINE(*p1, "Escolha um comando:", m);
  m = p0->mark();
  p0->write_line("2");
  WAIT_LINE(*p0, "Escolha um comando:", m);
  m = p0->mark();
  p0->write_line("6");
  WAIT_LINE(*p0, "Digite novo tamanho de chunk:", m);
  p0->write_line("512");
  WAIT_LINE(*p0, "Tamanho de chunk alterado: 512", m);
  WAIT_LINE(*p0, "Escolha um comando:", m);
  m = p0->mark();
  p0->write_line("4");
  WAIT_LINE(*p0, "Digite o numero do arquivo para fazer o download:", m);
  p0->write_line("1");
  WAIT_LINE(*p0, "Download do arquivo f.txt finalizado.", m);
  WAIT_LINE(*p0, "Escolha um comando:", m);
  m = p0->mark();
  p0->write_line("5");
  WAIT_LINE(*p0, "Tam. chunk | N peers | Tam. arquivo | N | Tempo [s] | Desvio", m);
  WAIT_LINE(*p0, "Escolha um comando:", m);
  m = p1->mark();
  p0->write_line("9");
  ASSERT_EQ(p0->wait_exit(), 0) << p0->transcript();
  WAIT_LINE(*p1, "Atualizando peer " + a0 + " status OFFLINE", m);
  p1->write_line("9");
  ASSERT_EQ(p1->wait_exit(), 0) << p1->transcript();

  // The same scenario in the simulator, with both consoles recorded.
  const auto s = scenario::load_string(scenario_text(a0, a1), "transcript.yaml");
  std::vector<std::vector<std::string>> transcript(2);
  scenario::run_options options;
  options.console_peers = {0, 1};
  options.console_sink = [&](scenario::peer_index p, std::string_view line) {
    transcript[p].emplace_back(line);
  };
  const auto result = scenario::run(s, options);
  ASSERT_TRUE(result.all_checks_passed());

  const auto real0 = comparable(p0->lines());
  const auto real1 = comparable(p1->lines());
  const auto sim0 = comparable(transcript[0]);
  const auto sim1 = comparable(transcript[1]);
  EXPECT_EQ(real0, sim0) << "--- real p0 ---\n"
                         << joined(real0) << "--- simulated p0 ---\n"
                         << joined(sim0);
  EXPECT_EQ(real1, sim1) << "--- real p1 ---\n"
                         << joined(real1) << "--- simulated p1 ---\n"
                         << joined(sim1);
  // The comparison covered every kind of console output, not a trivial prefix.
  EXPECT_GE(sim0.size(), 30u);
  for (const std::string want :
       {"Lista de peers:", "Arquivos encontrados na rede:", "arquivo escolhido f.txt",
        "Tamanho de chunk alterado: 512", "Saindo..."}) {
    EXPECT_NE(std::find(sim0.begin(), sim0.end(), want), sim0.end()) << want;
  }
  EXPECT_NE(std::find(sim1.begin(), sim1.end(), "\tf.txt"), sim1.end());
}

}  // namespace
}  // namespace eachare::testing
