// Integration tests: real `eachare` processes over loopback, driven through stdin/stdout as a
// grader would, asserting the exact console lines of protocol.md §4-§6.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace eachare::testing {
namespace {

namespace fs = std::filesystem;

std::string addr(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

struct peer_spec {
  std::vector<std::size_t> neighbours;  // indexes into the network's peers (or absent ports)
  std::map<std::string, std::string> files;
  std::vector<std::string> extra_args;
};

// A set of peers on fresh ports; `absent` extra ports are named in neighbour files but never
// started. Started in reverse order so every peer's neighbours already listen.
class network {
 public:
  network(const std::vector<peer_spec>& specs, std::size_t absent = 0) : dir_("net") {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (try_start(specs, absent)) return;
    }
    ADD_FAILURE() << "could not start the peers (ports kept colliding)";
  }
  peer_proc& operator[](std::size_t i) { return peers_[i]; }
  std::uint16_t port(std::size_t i) const { return ports_[i]; }
  const fs::path& root() const { return dir_.path(); }

 private:
  bool try_start(const std::vector<peer_spec>& specs, std::size_t absent) {
    peers_.clear();
    ports_.clear();
    for (std::size_t i = 0; i < specs.size() + absent; ++i) ports_.push_back(free_port());
    peers_.resize(specs.size());
    for (std::size_t i = specs.size(); i-- > 0;) {
      auto& p = peers_[i];
      p.port = ports_[i];
      p.address = addr(p.port);
      p.shared = dir_ / ("shared" + std::to_string(i));
      fs::remove_all(p.shared);
      fs::create_directories(p.shared);
      for (const auto& [name, content] : specs[i].files) write_file(p.shared / name, content);
      std::string text;
      for (auto n : specs[i].neighbours) text += addr(ports_[n]) + "\n";
      const fs::path nfile = dir_ / ("neighbours" + std::to_string(i) + ".txt");
      write_file(nfile, text);
      p.proc = start_peer(p.port, nfile, p.shared, specs[i].extra_args);
      if (!p.proc) return false;
    }
    return true;
  }

  temp_dir dir_;
  std::vector<std::uint16_t> ports_;
  std::vector<peer_proc> peers_;
};

#define EXPECT_LINE(proc, text, from)                                         \
  do {                                                                        \
    if (!(proc).wait_line((text), (from))) {                                  \
      ADD_FAILURE() << "missing line: " << (text) << "\n--- transcript ---\n" \
                    << (proc).transcript();                                   \
    }                                                                         \
  } while (0)

// The walkthrough of the EP report: 1 knows 2, 2 knows 3, 3 knows an absent 4.
TEST(EachareProcess, SeedWalkthroughDiscoversPeersAndSaysBye) {
  network net({{{1}, {{"a.txt", "aaa"}}, {}}, {{2}, {}, {}}, {{3}, {}, {}}}, 1);
  auto& p1 = *net[0].proc;
  auto& p2 = *net[1].proc;
  auto& p3 = *net[2].proc;
  const std::string a1 = net[0].address, a2 = net[1].address, a3 = net[2].address;
  const std::string a4 = addr(net.port(3));

  EXPECT_LINE(p1, "Adicionando novo peer " + a2 + " status OFFLINE", 0);
  EXPECT_LINE(p3, "Adicionando novo peer " + a4 + " status OFFLINE", 0);

  // [1] then 1: HELLO to peer 2.
  std::size_t m1 = p1.mark();
  p1.write_line("1");
  EXPECT_LINE(p1, "Lista de peers:", m1);
  EXPECT_LINE(p1, "\t[0] voltar para o menu anterior", m1);
  EXPECT_LINE(p1, "\t[1] " + a2 + " OFFLINE", m1);
  std::size_t m2 = p2.mark();
  p1.write_line("1");
  EXPECT_LINE(p1, "=> Atualizando relogio para 1", m1);
  EXPECT_LINE(p1, "Encaminhando mensagem \"" + a1 + " 1 HELLO\" para " + a2, m1);
  EXPECT_LINE(p1, "Atualizando peer " + a2 + " status ONLINE", m1);
  EXPECT_LINE(p2, "Mensagem recebida: \"" + a1 + " 1 HELLO\"", m2);
  EXPECT_LINE(p2, "=> Atualizando relogio para 2", m2);
  EXPECT_LINE(p2, "Adicionando novo peer " + a1 + " status ONLINE", m2);

  // [2] first round: peer 2 tells about 3.
  EXPECT_LINE(p1, "Escolha um comando:", m1);
  m1 = p1.mark();
  m2 = p2.mark();
  p1.write_line("2");
  EXPECT_LINE(p1, "=> Atualizando relogio para 2", m1);
  EXPECT_LINE(p1, "Encaminhando mensagem \"" + a1 + " 2 GET_PEERS\" para " + a2, m1);
  EXPECT_LINE(p2, "Mensagem recebida: \"" + a1 + " 2 GET_PEERS\"", m2);
  EXPECT_LINE(p2, "=> Atualizando relogio para 3", m2);
  EXPECT_LINE(p2, "Atualizando peer " + a1 + " status ONLINE", m2);
  EXPECT_LINE(p2, "=> Atualizando relogio para 4", m2);
  const std::string list2 = a2 + " 4 PEER_LIST 1 " + a3 + ":OFFLINE:0";
  EXPECT_LINE(p2, "Encaminhando mensagem \"" + list2 + "\" para " + a1, m2);
  EXPECT_LINE(p1, "Resposta recebida: \"" + list2 + "\"", m1);
  EXPECT_LINE(p1, "=> Atualizando relogio para 5", m1);
  EXPECT_LINE(p1, "Atualizando peer " + a2 + " status ONLINE", m1);
  EXPECT_LINE(p1, "Adicionando novo peer " + a3 + " status OFFLINE", m1);
  EXPECT_LINE(p1, "Escolha um comando:", m1);

  // [2] second round: both 2 and 3 asked; 3 tells about the absent 4.
  m1 = p1.mark();
  std::size_t m3 = p3.mark();
  p1.write_line("2");
  EXPECT_LINE(p3, "Adicionando novo peer " + a1 + " status ONLINE", m3);
  EXPECT_LINE(p1, "Atualizando peer " + a3 + " status ONLINE", m1);
  EXPECT_LINE(p1, "Adicionando novo peer " + a4 + " status OFFLINE", m1);
  EXPECT_LINE(p1, "Escolha um comando:", m1);

  // [1] lists all three in insertion order; 0 goes back.
  m1 = p1.mark();
  p1.write_line("1");
  EXPECT_LINE(p1, "\t[1] " + a2 + " ONLINE", m1);
  EXPECT_LINE(p1, "\t[2] " + a3 + " ONLINE", m1);
  EXPECT_LINE(p1, "\t[3] " + a4 + " OFFLINE", m1);
  p1.write_line("0");

  // [3] local files.
  m1 = p1.mark();
  p1.write_line("3");
  EXPECT_LINE(p1, "\ta.txt", m1);

  // [9] BYE to the ONLINE peers, which mark 1 OFFLINE.
  m1 = p1.mark();
  m2 = p2.mark();
  m3 = p3.mark();
  p1.write_line("9");
  EXPECT_LINE(p1, "Saindo...", m1);
  EXPECT_LINE(p2, "Atualizando peer " + a1 + " status OFFLINE", m2);
  EXPECT_LINE(p3, "Atualizando peer " + a1 + " status OFFLINE", m3);
  EXPECT_TRUE(p2.wait_line_if(
      [&](const std::string& l) {
        return l.starts_with("Mensagem recebida: \"" + a1 + " ") && l.ends_with(" BYE\"");
      },
      m2));
  EXPECT_EQ(p1.wait_exit(), 0) << p1.transcript();
  // Nothing was sent to the absent peer 4 by BYE (it is OFFLINE).
  for (const auto& l : p1.lines()) {
    EXPECT_FALSE(l.find("BYE\" para " + a4) != std::string::npos) << l;
  }
}

TEST(EachareProcess, SearchesAndDownloadsAFileFromTwoHoldersAtChunk128) {
  const std::string content = deterministic_bytes(1000, 7);
  network net({{{1, 2}, {}, {}},
               {{}, {{"data.bin", content}, {"only2.txt", "two"}}, {}},
               {{}, {{"data.bin", content}}, {}}});
  auto& p1 = *net[0].proc;
  const std::string a2 = net[1].address, a3 = net[2].address;

  std::size_t m = p1.mark();
  p1.write_line("2");  // GET_PEERS marks both ONLINE
  EXPECT_LINE(p1, "Atualizando peer " + a2 + " status ONLINE", m);
  EXPECT_LINE(p1, "Atualizando peer " + a3 + " status ONLINE", m);
  EXPECT_LINE(p1, "Escolha um comando:", m);

  m = p1.mark();
  p1.write_line("6");
  EXPECT_LINE(p1, "Digite novo tamanho de chunk:", m);
  p1.write_line("128");
  EXPECT_LINE(p1, "Tamanho de chunk alterado: 128", m);

  m = p1.mark();
  p1.write_line("4");
  EXPECT_LINE(p1, "Arquivos encontrados na rede:", m);
  EXPECT_LINE(p1, "     Nome       | Tamanho | Peer", m);
  EXPECT_LINE(p1, "[ 0] <Cancelar> |         |", m);
  EXPECT_LINE(p1, "[ 1] data.bin   | 1000    | " + a2 + ", " + a3, m);
  EXPECT_LINE(p1, "[ 2] only2.txt  | 3       | " + a2, m);
  EXPECT_LINE(p1, "Digite o numero do arquivo para fazer o download:", m);
  p1.write_line("1");
  EXPECT_LINE(p1, "arquivo escolhido data.bin", m);
  EXPECT_LINE(p1, "Download do arquivo data.bin finalizado.", m);
  EXPECT_EQ(read_file(net[0].shared / "data.bin"), content);
  // 8 chunks of 128, spread over both holders.
  std::size_t to2 = 0, to3 = 0;
  for (std::size_t i = m; i < p1.lines().size(); ++i) {
    const auto& l = p1.lines()[i];
    if (l.find(" DL data.bin 128 ") == std::string::npos) continue;
    if (l.ends_with("para " + a2)) ++to2;
    if (l.ends_with("para " + a3)) ++to3;
  }
  EXPECT_EQ(to2 + to3, 8u);
  EXPECT_GT(to2, 0u);
  EXPECT_GT(to3, 0u);

  m = p1.mark();
  p1.write_line("5");
  EXPECT_LINE(p1, "Tam. chunk | N peers | Tam. arquivo | N | Tempo [s] | Desvio", m);
  EXPECT_TRUE(p1.wait_line_if(
      [](const std::string& l) {
        return l.starts_with("128 | 2 | 1000 | 1 | ") && l.ends_with(" | 0.00000");
      },
      m))
      << p1.transcript();
}

TEST(EachareProcess, PartTwoDownloadsTheWholeFileWithChunkZero) {
  const std::string content = deterministic_bytes(3000, 9);
  network net({{{1}, {}, {"--ep", "2"}}, {{}, {{"whole.bin", content}}, {"--ep", "2"}}});
  auto& p1 = *net[0].proc;
  std::size_t m = p1.mark();
  p1.write_line("2");
  EXPECT_LINE(p1, "Escolha um comando:", m);
  m = p1.mark();
  p1.write_line("4");
  EXPECT_LINE(p1, "Digite o numero do arquivo para fazer o download:", m);
  p1.write_line("1");
  EXPECT_LINE(p1, "Download do arquivo whole.bin finalizado.", m);
  EXPECT_TRUE(p1.wait_line_if(
      [](const std::string& l) { return l.find(" DL whole.bin 0 0\" para ") != std::string::npos; },
      m));
  EXPECT_EQ(read_file(net[0].shared / "whole.bin"), content);
}

class EachareBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    content_ = deterministic_bytes(1000, 3);
    write_file(outside_ / "secret.txt", "secret");
    fs::create_directories(outside_ / "shared");
    write_file(outside_ / "shared" / "mil.txt", content_);
    fs::create_symlink(outside_ / "secret.txt", outside_ / "shared" / "link.txt");
    write_file(outside_ / "neighbours.txt", "");
    for (int attempt = 0; attempt < 5 && !peer_; ++attempt) {
      port_ = free_port();
      peer_ = start_peer(port_, outside_ / "neighbours.txt", outside_ / "shared");
    }
    ASSERT_TRUE(peer_);
  }

  // Sends `bytes` and expects a warning line starting with `warning` and no reply.
  void expect_warning_no_reply(std::string_view bytes, const std::string& warning) {
    const std::size_t m = peer_->mark();
    bool ok = false;
    EXPECT_EQ(wire_exchange(port_, bytes, &ok), "");
    EXPECT_TRUE(ok);
    EXPECT_TRUE(
        peer_->wait_line_if([&](const std::string& l) { return l.starts_with(warning); }, m))
        << "no warning '" << warning << "'\n"
        << peer_->transcript();
    expect_still_serving();
  }
  void expect_still_serving() {
    const std::string reply = wire_exchange(port_, "127.0.0.1:1 1 LS\n");
    // link.txt leads outside the shared directory, so it is not listed either.
    EXPECT_TRUE(reply.ends_with(" LS_LIST 1 mil.txt:1000\n")) << reply;
  }

  temp_dir outside_{"bad"};
  std::string content_;
  std::uint16_t port_ = 0;
  std::unique_ptr<process> peer_;
};

TEST_F(EachareBadInput, MalformedLineGetsAWarningAndNoReply) {
  expect_warning_no_reply("this is garbage\n", "Warning: malformed message from 127.0.0.1:");
  expect_warning_no_reply("127.0.0.1:1 notaclock HELLO\n",
                          "Warning: malformed message from 127.0.0.1:");
  expect_warning_no_reply("127.0.0.1:1 1 PEER_LIST x\n",
                          "Warning: malformed message from 127.0.0.1:");
}

TEST_F(EachareBadInput, UnknownTypeGetsAWarningAndNoReply) {
  expect_warning_no_reply("127.0.0.1:1 1 FROBNICATE\n",
                          "Warning: malformed message from 127.0.0.1:");
}

TEST_F(EachareBadInput, OverLongLineIsClosedWithAWarning) {
  const std::string huge(45 * 1024 * 1024, 'A');
  expect_warning_no_reply(huge, "Warning: line from 127.0.0.1:");
}

TEST_F(EachareBadInput, DownloadOutsideTheSharedDirectoryIsRefused) {
  expect_warning_no_reply("127.0.0.1:1 1 DL ../../etc/passwd 256 0\n", "Warning: ");
  expect_warning_no_reply("127.0.0.1:1 1 DL /etc/passwd 0 0\n", "Warning: ");
  // A symlink whose target is outside the shared directory is refused too.
  expect_warning_no_reply("127.0.0.1:1 1 DL link.txt 0 0\n", "Warning: ");
}

TEST_F(EachareBadInput, ChunkPastTheEndGetsAnEmptyChunk) {
  const std::string reply = wire_exchange(port_, "127.0.0.1:1 5 DL mil.txt 256 10\n");
  EXPECT_NE(reply.find(" FILE mil.txt 0 10"), std::string::npos) << reply;
  const std::string last = wire_exchange(port_, "127.0.0.1:1 9 DL mil.txt 256 3\n");
  EXPECT_NE(last.find(" FILE mil.txt 232 3 "), std::string::npos) << last;
}

TEST_F(EachareBadInput, StdinEndDoesNotStopThePeerAndSigtermSaysBye) {
  line_listener fake;
  const std::string fake_address = addr(fake.port());
  std::size_t m = peer_->mark();
  peer_->close_stdin();
  EXPECT_LINE(*peer_, "Warning: end of standard input; the menu stopped, the peer keeps serving",
              m);
  wire_exchange(port_, fake_address + " 3 HELLO\n");
  EXPECT_LINE(*peer_, "Mensagem recebida: \"" + fake_address + " 3 HELLO\"", m);
  EXPECT_LINE(*peer_, "Adicionando novo peer " + fake_address + " status ONLINE", m);
  peer_->signal(SIGTERM);
  EXPECT_LINE(*peer_, "Saindo...", m);
  const auto bye = fake.accept_line();
  ASSERT_TRUE(bye);
  EXPECT_TRUE(bye->starts_with(addr(port_) + " ")) << *bye;
  EXPECT_TRUE(bye->ends_with(" BYE")) << *bye;
  EXPECT_EQ(peer_->wait_exit(), 0) << peer_->transcript();
}

TEST_F(EachareBadInput, SighupActsAsOptionNine) {
  line_listener fake;
  const std::string fake_address = addr(fake.port());
  const std::size_t m = peer_->mark();
  wire_exchange(port_, fake_address + " 3 HELLO\n");
  EXPECT_LINE(*peer_, "Adicionando novo peer " + fake_address + " status ONLINE", m);
  peer_->signal(SIGHUP);
  EXPECT_LINE(*peer_, "Saindo...", m);
  const auto bye = fake.accept_line();
  ASSERT_TRUE(bye);
  EXPECT_TRUE(bye->ends_with(" BYE")) << *bye;
  EXPECT_EQ(peer_->wait_exit(), 0) << peer_->transcript();
}

// A fake holder on loopback: answers LS with one big file, takes every DL and never answers it
// (the connection stays open), and records the BYE.
class stalling_holder {
 public:
  stalling_holder() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    address_ = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    thread_ = std::thread([this] { run(); });
  }
  ~stalling_holder() {
    stop_ = true;
    thread_.join();
    for (const int c : held_) ::close(c);
    ::close(fd_);
  }
  const std::string& address() const { return address_; }
  bool wait_dl() {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, line_bound, [&] { return !held_.empty(); });
  }
  std::optional<std::string> wait_bye() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, line_bound, [&] { return !bye_.empty(); })) return std::nullopt;
    return bye_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string line;
      char ch = 0;
      pollfd q{c, POLLIN, 0};
      while (line.size() < 4096 && ::poll(&q, 1, 5000) > 0 && ::read(c, &ch, 1) == 1 &&
             ch != '\n') {
        line.push_back(ch);
      }
      std::lock_guard lock(mutex_);
      if (line.ends_with(" LS")) {
        const std::string reply = address_ + " 5 LS_LIST 1 big.bin:100000\n";
        (void)!::write(c, reply.data(), reply.size());
      } else if (line.find(" DL ") != std::string::npos) {
        held_.push_back(c);  // never answered, never closed while the test runs
        cv_.notify_all();
        continue;
      } else if (line.ends_with(" BYE")) {
        bye_ = line;
        cv_.notify_all();
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<int> held_;
  std::string bye_;
  std::thread thread_;
};

TEST_F(EachareBadInput, SigtermDuringAStalledDownloadSaysByeExitsAndLeavesNoPartialFile) {
  stalling_holder holder;
  std::size_t m = peer_->mark();
  wire_exchange(port_, holder.address() + " 1 HELLO\n");
  EXPECT_LINE(*peer_, "Adicionando novo peer " + holder.address() + " status ONLINE", m);
  peer_->write_line("4");
  EXPECT_LINE(*peer_, "Digite o numero do arquivo para fazer o download:", m);
  peer_->write_line("1");
  EXPECT_LINE(*peer_, "arquivo escolhido big.bin", m);
  ASSERT_TRUE(holder.wait_dl()) << peer_->transcript();
  m = peer_->mark();
  peer_->signal(SIGTERM);
  EXPECT_LINE(*peer_, "Saindo...", m);
  const auto bye = holder.wait_bye();
  ASSERT_TRUE(bye) << peer_->transcript();
  EXPECT_TRUE(bye->starts_with(addr(port_) + " ")) << *bye;
  EXPECT_EQ(peer_->wait_exit(), 0) << peer_->transcript();
  for (const auto& entry : fs::directory_iterator(outside_ / "shared")) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "mil.txt" || name == "link.txt") << name;
  }
}

TEST_F(EachareBadInput, StdoutClosedByItsReaderDoesNotStopThePeer) {
  peer_->close_stdout();
  // Every one of these makes the peer print to the broken pipe.
  wire_exchange(port_, "127.0.0.1:1 3 HELLO\n");
  peer_->write_line("3");
  peer_->write_line("banana");
  expect_still_serving();
  expect_still_serving();
  peer_->signal(SIGTERM);
  EXPECT_EQ(peer_->wait_exit(), 0);
}

TEST_F(EachareBadInput, InvalidMenuInputIsRefusedAndTheMenuShownAgain) {
  std::size_t m = peer_->mark();
  peer_->write_line("banana");
  EXPECT_LINE(*peer_, "Invalid option: \"banana\"", m);
  EXPECT_LINE(*peer_, "Escolha um comando:", m);
  m = peer_->mark();
  peer_->write_line("6");
  peer_->write_line("-5");
  EXPECT_TRUE(
      peer_->wait_line_if([](const std::string& l) { return l.starts_with("Warning: "); }, m))
      << peer_->transcript();
  m = peer_->mark();
  peer_->write_line("6");
  peer_->write_line("abc");
  EXPECT_TRUE(peer_->wait_line_if(
      [](const std::string& l) { return l.starts_with("Invalid chunk size"); }, m));
  EXPECT_LINE(*peer_, "Escolha um comando:", m);
}

// ---- start-up errors: one line naming the problem, a usage line, exit code 1 ---------------

struct EachareStartup : ::testing::Test {
  // Runs eachare with `args`; returns (exit code, output lines).
  std::pair<int, std::vector<std::string>> run(std::vector<std::string> args) {
    args.insert(args.begin(), eachare_binary());
    process p(args);
    const auto code = p.wait_exit();
    EXPECT_TRUE(code.has_value());
    return {code.value_or(-1), p.lines()};
  }
  void expect_error(std::vector<std::string> args, const std::string& error) {
    const auto [code, lines] = run(std::move(args));
    EXPECT_EQ(code, 1);
    ASSERT_EQ(lines.size(), 2u) << ::testing::PrintToString(lines);
    EXPECT_EQ(lines[0], error);
    EXPECT_TRUE(lines[1].starts_with("Usage: eachare <ip>:<port> ")) << lines[1];
  }
  temp_dir dir{"startup"};
};

TEST_F(EachareStartup, WrongArgumentCount) {
  expect_error({}, "Error: wrong number of arguments (expected 3, got 0)");
  expect_error({"127.0.0.1:1"}, "Error: wrong number of arguments (expected 3, got 1)");
}

TEST_F(EachareStartup, BadAddress) {
  write_file(dir / "n.txt", "");
  expect_error({"127.0.0.1", (dir / "n.txt").string(), dir.path().string()},
               "Error: invalid address: 127.0.0.1 (expected <ip>:<port>)");
  expect_error({"127.0.0.1:99999", (dir / "n.txt").string(), dir.path().string()},
               "Error: invalid address: 127.0.0.1:99999 (expected <ip>:<port>)");
}

TEST_F(EachareStartup, MissingNeighboursFile) {
  const auto missing = (dir / "nope.txt").string();
  expect_error({"127.0.0.1:1", missing, dir.path().string()},
               "Error: neighbours file not found: " + missing);
}

TEST_F(EachareStartup, SharedDirectoryMissingOrNotADirectory) {
  write_file(dir / "n.txt", "");
  const auto missing = (dir / "nodir").string();
  expect_error({"127.0.0.1:1", (dir / "n.txt").string(), missing},
               "Error: shared directory does not exist: " + missing);
  const auto file = (dir / "n.txt").string();
  expect_error({"127.0.0.1:1", file, file}, "Error: shared directory is not a directory: " + file);
}

TEST_F(EachareStartup, PortInUse) {
  write_file(dir / "n.txt", "");
  line_listener taken;
  expect_error({addr(taken.port()), (dir / "n.txt").string(), dir.path().string()},
               "Error: port " + std::to_string(taken.port()) + " in use on 127.0.0.1");
}

TEST_F(EachareStartup, UnknownOptionAndBadEp) {
  write_file(dir / "n.txt", "");
  expect_error({"127.0.0.1:1", (dir / "n.txt").string(), dir.path().string(), "--frob"},
               "Error: unknown option: --frob");
  expect_error({"127.0.0.1:1", (dir / "n.txt").string(), dir.path().string(), "--ep", "4"},
               "Error: --ep expects 1, 2 or 3");
}

TEST_F(EachareStartup, NeighboursFileWarningsAndDuplicatesDoNotStopThePeer) {
  const std::uint16_t port = free_port();
  write_file(dir / "n.txt", "127.0.0.1:7001\r\n\n  not-an-address  \n127.0.0.1:7001\n" +
                                addr(port) + "\n127.0.0.1:7002\n");
  fs::create_directories(dir / "s");
  auto p = start_peer(port, dir / "n.txt", dir / "s");
  ASSERT_TRUE(p);
  const auto& l = p->lines();
  ASSERT_GE(l.size(), 4u);
  EXPECT_TRUE(l[0].starts_with("Warning: neighbours file line 3: ")) << p->transcript();
  EXPECT_EQ(l[1], "Adicionando novo peer 127.0.0.1:7001 status OFFLINE");
  EXPECT_EQ(l[2], "Adicionando novo peer 127.0.0.1:7002 status OFFLINE");
  EXPECT_EQ(l[3], "Escolha um comando:");
}

TEST_F(EachareStartup, HelpAndVersionExitZero) {
  auto [code, lines] = run({"--version"});
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines[0].starts_with("eachare "));
  std::tie(code, lines) = run({"--help"});
  EXPECT_EQ(code, 0);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines[0].starts_with("Usage: eachare "));
}

}  // namespace
}  // namespace eachare::testing
