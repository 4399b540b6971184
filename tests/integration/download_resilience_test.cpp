// Downloads over real sockets from holders that are slow, flaky or die (issue 7): a real
// `eachare` process downloads from test_holder servers and must finish, or fail cleanly.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/test_holder.hpp"

namespace eachare::testing {
namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr std::chrono::milliseconds download_bound = 120s;

// A peer whose neighbours are the given holders; it learns they are up (option 2), searches
// (option 4) and downloads row 1. Returns the download's last line, or "" when none came.
class downloader {
 public:
  explicit downloader(const std::vector<const test_holder*>& holders) : dir_("dl") {
    std::string text;
    for (const test_holder* h : holders) text += h->address() + "\n";
    write_file(dir_ / "neighbours.txt", text);
    fs::create_directories(dir_ / "shared");
    for (int attempt = 0; attempt < 5 && !peer_; ++attempt) {
      peer_ = start_peer(free_port(), dir_ / "neighbours.txt", dir_ / "shared");
    }
  }

  bool started() const { return peer_ != nullptr; }
  process& proc() { return *peer_; }
  fs::path shared() const { return dir_ / "shared"; }

  // Options 2 and 4, then row 1: the download starts; returns false when a step did not show.
  bool start_download() {
    std::size_t m = peer_->mark();
    peer_->write_line("2");
    if (!peer_->wait_line("Escolha um comando:", m)) return false;
    m = peer_->mark();
    peer_->write_line("4");
    if (!peer_->wait_line("Digite o numero do arquivo para fazer o download:", m)) return false;
    peer_->write_line("1");
    return peer_->wait_line("arquivo escolhido data.bin", m).has_value();
  }

  // Starts a new peer process on the same shared directory (after the old one was killed).
  bool restart() {
    peer_.reset();
    for (int attempt = 0; attempt < 5 && !peer_; ++attempt) {
      peer_ = start_peer(free_port(), dir_ / "neighbours.txt", dir_ / "shared");
    }
    return peer_ != nullptr;
  }

  std::string download(const std::string& name, double* seconds = nullptr) {
    std::size_t m = peer_->mark();
    peer_->write_line("2");
    if (!peer_->wait_line("Escolha um comando:", m)) return "";
    m = peer_->mark();
    peer_->write_line("4");
    if (!peer_->wait_line("Digite o numero do arquivo para fazer o download:", m)) return "";
    const auto start = clock_type::now();
    peer_->write_line("1");
    const auto last = peer_->wait_line_if(
        [&](const std::string& l) {
          return l.starts_with("Download do arquivo " + name + " finalizado.") ||
                 l.starts_with("Download failed for file " + name);
        },
        m, download_bound);
    if (seconds) *seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    return last ? peer_->lines()[*last] : "";
  }

  // Files in the shared directory other than `except`, temporary ones included.
  std::vector<std::string> other_files(const std::string& except = "") const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_ / "shared")) {
      const std::string n = e.path().filename().string();
      if (n != except) out.push_back(n);
    }
    return out;
  }

 private:
  temp_dir dir_;
  std::unique_ptr<process> peer_;
};

TEST(DownloadResilience, OneConnectionAtATimeHolderWithBacklogOneServes100KBAtChunk256) {
  const std::string content = deterministic_bytes(100 * 1000, 11);
  test_holder holder("data.bin", content);  // backlog 1, one connection at a time
  downloader d({&holder});
  ASSERT_TRUE(d.started());
  double seconds = 0;
  const std::string last = d.download("data.bin", &seconds);
  ASSERT_TRUE(last.starts_with("Download do arquivo data.bin finalizado."))
      << last << "\n"
      << d.proc().transcript();
  EXPECT_EQ(read_file(d.shared() / "data.bin"), content);
  EXPECT_TRUE(d.other_files("data.bin").empty());
  // The figure of issue 7: time and retries (the last line's summary, if any).
  std::printf(
      "[ figure ] 100 KB at chunk 256 from a one-connection-at-a-time holder: %.3f s, "
      "%zu connections, last line \"%s\"\n",
      seconds, holder.connections(), last.c_str());
}

TEST(DownloadResilience, HolderResettingEverySeventhConnectionStillServesTheFile) {
  const std::string content = deterministic_bytes(20 * 1000, 12);
  test_holder_options o;
  o.reset_every = 7;
  test_holder holder("data.bin", content, o);
  downloader d({&holder});
  ASSERT_TRUE(d.started());
  const std::string last = d.download("data.bin");
  ASSERT_TRUE(last.starts_with("Download do arquivo data.bin finalizado. ("))
      << last << "\n"
      << d.proc().transcript();
  EXPECT_GT(holder.resets(), 5u);
  EXPECT_NE(last.find(" retries"), std::string::npos) << last;
  EXPECT_EQ(last.find("dropped"), std::string::npos) << "a reset now and then drops nobody";
  EXPECT_EQ(read_file(d.shared() / "data.bin"), content);
}

TEST(DownloadResilience, HolderCrashingMidDownloadIsDroppedAndTheOtherFinishes) {
  // Large enough (15,625 chunks) that the download is still running when the crashed holder has
  // rested and been refused often enough to be dropped; at 157 and at 1,563 chunks the healthy
  // holder sometimes finished first (1 run in 8-20), ending with retries but nobody dropped.
  const std::string content = deterministic_bytes(4000 * 1000, 13);
  test_holder healthy("data.bin", content);
  test_holder_options o;
  o.crash_after = 30;  // GET_PEERS, LS, then 28 connections of the download
  test_holder dying("data.bin", content, o);
  downloader d({&healthy, &dying});
  ASSERT_TRUE(d.started());
  const std::string last = d.download("data.bin");
  ASSERT_TRUE(last.starts_with("Download do arquivo data.bin finalizado. ("))
      << last << "\n"
      << d.proc().transcript();
  EXPECT_NE(last.find("1 holder dropped"), std::string::npos) << last;
  EXPECT_EQ(read_file(d.shared() / "data.bin"), content);
  EXPECT_TRUE(d.other_files("data.bin").empty());
}

TEST(DownloadResilience, AllHoldersGoneIsACleanFailureWithNoFileLeft) {
  const std::string content = deterministic_bytes(40 * 1000, 14);
  test_holder_options o;
  o.crash_after = 12;
  test_holder a("data.bin", content, o);
  test_holder b("data.bin", content, o);
  downloader d({&a, &b});
  ASSERT_TRUE(d.started());
  const std::string last = d.download("data.bin");
  EXPECT_TRUE(last.starts_with("Download failed for file data.bin: every holder failed"))
      << last << "\n"
      << d.proc().transcript();
  EXPECT_NE(last.find("2 holders dropped"), std::string::npos) << last;
  EXPECT_TRUE(d.other_files().empty()) << "no file, not even a temporary one";
  EXPECT_FALSE(d.proc().wait_exit(200ms)) << "a failed download does not stop the peer";
}

// Polls `pred` every 10 ms for up to 20 s.
bool eventually(const std::function<bool()>& pred) {
  const auto deadline = clock_type::now() + std::chrono::seconds(20);
  while (clock_type::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(DownloadResilience, KillNineMidDownloadLeavesNoFileUnderTheNameAndTheNextStartCleansUp) {
  const std::string content = deterministic_bytes(40 * 1000, 15);
  test_holder_options o;
  o.stall_after_chunks = 60;  // the download hangs with 60 of 157 chunks written
  test_holder holder("data.bin", content, o);
  downloader d({&holder});
  ASSERT_TRUE(d.started());
  ASSERT_TRUE(d.start_download()) << d.proc().transcript();
  ASSERT_TRUE(eventually([&] { return holder.chunks_served() >= 60; }));
  const auto parts = [&] {
    std::vector<std::string> out;
    for (const std::string& n : d.other_files()) {
      if (n.starts_with(".eachare-part-")) out.push_back(n);
    }
    return out;
  };
  // Chunks go to the temporary file as they arrive: it holds data before the kill.
  ASSERT_TRUE(eventually([&] {
    const auto p = parts();
    return p.size() == 1 && fs::file_size(d.shared() / p[0]) > 0;
  }));
  d.proc().signal(SIGKILL);
  ASSERT_TRUE(d.proc().wait_exit());
  EXPECT_FALSE(fs::exists(d.shared() / "data.bin")) << "no partial file under the name";
  EXPECT_EQ(parts().size(), 1u) << "the killed peer's temporary file is left behind";

  ASSERT_TRUE(d.restart());
  EXPECT_TRUE(d.proc().wait_line(
      "Warning: removed 1 temporary files of interrupted downloads (.eachare-part-*)"))
      << d.proc().transcript();
  EXPECT_TRUE(d.other_files().empty()) << "the stale part was removed at start";
}

}  // namespace
}  // namespace eachare::testing
