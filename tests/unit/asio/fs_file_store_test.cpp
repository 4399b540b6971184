#include "node/asio/fs_file_store.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "node/core/errors.hpp"

namespace eachare {
namespace {

namespace fs = std::filesystem;

class FsFileStore : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("eachare-fs-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    shared_ = root_ / "shared";
    fs::create_directories(shared_);
    fs::create_directories(root_ / "outside");
    put(root_ / "outside" / "secret.txt", "top secret");
  }
  void TearDown() override { fs::remove_all(root_); }

  static void put(const fs::path& p, const std::string& content) {
    std::ofstream out(p, std::ios::binary);
    out << content;
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(shared_)) ++n;
    return n;
  }

  fs::path root_;
  fs::path shared_;
};

TEST_F(FsFileStore, ListsRegularFilesSortedWithSizes) {
  put(shared_ / "b.txt", "bb");
  put(shared_ / "a.txt", "a");
  put(shared_ / "C.bin", std::string(1000, 'x'));
  fs::create_directory(shared_ / "subdir");
  fs_file_store store(shared_);
  const auto files = store.list();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], (stored_file{"C.bin", 1000}));
  EXPECT_EQ(files[1], (stored_file{"a.txt", 1}));
  EXPECT_EQ(files[2], (stored_file{"b.txt", 2}));
}

TEST_F(FsFileStore, ListSkipsNamesWithSpacesAndTemporaryFiles) {
  put(shared_ / "with space.txt", "x");
  put(shared_ / (std::string(fs_file_store::temp_prefix) + "1-1"), "partial");
  put(shared_ / "ok.txt", "x");
  fs_file_store store(shared_);
  const auto files = store.list();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].name, "ok.txt");
}

TEST_F(FsFileStore, ReadsByteRangesInBinary) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content.push_back(static_cast<char>(i % 256));
  put(shared_ / "mil.bin", content);
  fs_file_store store(shared_);
  std::string out;
  ASSERT_FALSE(store.read("mil.bin", 256, 256, out));
  EXPECT_EQ(out, content.substr(256, 256));
  out.clear();
  ASSERT_FALSE(store.read("mil.bin", 768, 256, out));
  EXPECT_EQ(out.size(), 232u);
  EXPECT_EQ(out, content.substr(768));
  out.clear();
  ASSERT_FALSE(store.read("mil.bin", 1000, 256, out));
  EXPECT_TRUE(out.empty());
  ASSERT_FALSE(store.read("mil.bin", 5000, 256, out));
  EXPECT_TRUE(out.empty());
  std::uint64_t size = 0;
  ASSERT_FALSE(store.size_of("mil.bin", size));
  EXPECT_EQ(size, 1000u);
}

TEST_F(FsFileStore, RefusesNamesThatLeaveTheDirectory) {
  fs_file_store store(shared_);
  std::string out;
  EXPECT_EQ(store.read("../../etc/passwd", 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read("/etc/passwd", 0, 0, out), errc::invalid_name);
  EXPECT_EQ(store.read("../outside/secret.txt", 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read("a/b", 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read("a\\b", 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read(std::string_view("a\0b", 3), 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read("..", 0, 256, out), errc::invalid_name);
  EXPECT_EQ(store.read("", 0, 256, out), errc::invalid_name);
  EXPECT_TRUE(out.empty());
}

TEST_F(FsFileStore, ReportsMissingFilesAndDirectories) {
  fs::create_directory(shared_ / "dir");
  fs_file_store store(shared_);
  std::string out;
  EXPECT_EQ(store.read("nope.txt", 0, 10, out), errc::not_found);
  EXPECT_EQ(store.read("dir", 0, 10, out), errc::not_regular_file);
}

TEST_F(FsFileStore, RefusesSymlinkLeadingOutside) {
  fs::create_symlink(root_ / "outside" / "secret.txt", shared_ / "link.txt");
  fs::create_symlink("/etc/passwd", shared_ / "passwd");
  fs_file_store store(shared_);
  std::string out;
  EXPECT_EQ(store.read("link.txt", 0, 100, out), errc::not_regular_file);
  EXPECT_EQ(store.read("passwd", 0, 100, out), errc::not_regular_file);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(store.list().empty());
}

// Reads open the name once and check that descriptor: swapping the file between a check and the
// open (which a check-then-reopen read lost) can neither block the peer nor lead it outside.
TEST_F(FsFileStore, FileSwappedForAFifoJustBeforeTheOpenIsRefusedWithoutBlocking) {
  put(shared_ / "f.txt", "hello");
  const fs::path fifo = shared_ / "f.txt";
  fs_file_store store(shared_);
  store.set_before_open_for_tests([&](std::string_view) {
    fs::remove(fifo);
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  });
  auto reading = std::async(std::launch::async, [&store] {
    std::string out;
    const std::error_code ec = store.read("f.txt", 0, 5, out);
    return std::make_pair(ec, out);
  });
  if (reading.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    // Blocked in open() waiting for a writer: be that writer, so the test ends, and fail.
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    if (fd >= 0) ::close(fd);
    reading.wait();
    FAIL() << "read() blocked on a FIFO planted under the file's name";
  }
  const auto [ec, out] = reading.get();
  EXPECT_EQ(ec, errc::not_regular_file);
  EXPECT_TRUE(out.empty());
}

TEST_F(FsFileStore, FileSwappedForASymlinkLeadingOutsideJustBeforeTheOpenIsNotFollowed) {
  put(shared_ / "f.txt", "hello");
  fs_file_store store(shared_);
  store.set_before_open_for_tests([&](std::string_view) {
    fs::remove(shared_ / "f.txt");
    fs::create_symlink(root_ / "outside" / "secret.txt", shared_ / "f.txt");
  });
  std::string out;
  EXPECT_EQ(store.read("f.txt", 0, 100, out), errc::not_regular_file);
  EXPECT_EQ(out.find("secret"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST_F(FsFileStore, FifoOrDeviceUnderTheNameIsNeitherListedNorRead) {
  ASSERT_EQ(::mkfifo((shared_ / "pipe").c_str(), 0644), 0);
  fs::create_symlink("/dev/zero", shared_ / "zero");
  fs_file_store store(shared_);
  std::string out;
  std::uint64_t size = 0;
  EXPECT_EQ(store.read("pipe", 0, 5, out), errc::not_regular_file);
  EXPECT_EQ(store.size_of("pipe", size), errc::not_regular_file);
  EXPECT_EQ(store.read("zero", 0, 5, out), errc::not_regular_file);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(store.list().empty());
}

TEST_F(FsFileStore, FollowsSymlinkToAFileInsideTheDirectory) {
  put(shared_ / "real.txt", "hello");
  fs::create_symlink("real.txt", shared_ / "alias.txt");
  fs::create_directory(shared_ / "sub");
  put(shared_ / "sub" / "deep.txt", "deep");
  fs::create_symlink("sub/deep.txt", shared_ / "deep-link.txt");
  fs_file_store store(shared_);
  std::string out;
  ASSERT_FALSE(store.read("alias.txt", 0, 100, out));
  EXPECT_EQ(out, "hello");
  // Only files directly in the shared directory count, through a link or not.
  EXPECT_EQ(store.read("deep-link.txt", 0, 100, out), errc::not_regular_file);
  const auto files = store.list();
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0], (stored_file{"alias.txt", 5}));
  EXPECT_EQ(files[1], (stored_file{"real.txt", 5}));
}

TEST_F(FsFileStore, WriteReplacesAtomicallyAndLeavesNoTemporary) {
  put(shared_ / "f.txt", "old content");
  fs_file_store store(shared_);
  ASSERT_FALSE(store.write("f.txt", std::string("new\0bytes", 9)));
  EXPECT_EQ(slurp(shared_ / "f.txt"), std::string("new\0bytes", 9));
  ASSERT_FALSE(store.write("g.txt", "fresh"));
  EXPECT_EQ(slurp(shared_ / "g.txt"), "fresh");
  EXPECT_EQ(entries(), 2u);  // no temporary left behind
}

TEST_F(FsFileStore, WriteOverSymlinkReplacesTheLinkNotItsTarget) {
  fs::create_symlink(root_ / "outside" / "secret.txt", shared_ / "trap.txt");
  fs_file_store store(shared_);
  ASSERT_FALSE(store.write("trap.txt", "downloaded"));
  EXPECT_EQ(slurp(root_ / "outside" / "secret.txt"), "top secret");
  EXPECT_FALSE(fs::is_symlink(shared_ / "trap.txt"));
  EXPECT_EQ(slurp(shared_ / "trap.txt"), "downloaded");
}

TEST_F(FsFileStore, WriteNeverFollowsALinkPlantedAtTheTemporaryName) {
  // Someone who can write to the shared directory guesses our next temporary names.
  for (int n = 1; n <= 3; ++n) {
    const std::string temp = std::string(fs_file_store::temp_prefix) + std::to_string(::getpid()) +
                             "-" + std::to_string(n);
    fs::create_symlink(root_ / "outside" / "secret.txt", shared_ / temp);
  }
  fs_file_store store(shared_);
  ASSERT_FALSE(store.write("got.txt", "downloaded"));
  EXPECT_EQ(slurp(root_ / "outside" / "secret.txt"), "top secret");
  EXPECT_EQ(slurp(shared_ / "got.txt"), "downloaded");
  EXPECT_FALSE(fs::is_symlink(shared_ / "got.txt"));
}

TEST_F(FsFileStore, FailedWriteLeavesNothingUnderTheName) {
  fs::create_directory(shared_ / "taken");
  fs_file_store store(shared_);
  EXPECT_TRUE(store.write("taken", "x"));
  EXPECT_TRUE(fs::is_directory(shared_ / "taken"));
  EXPECT_EQ(store.write("../escape.txt", "x"), errc::invalid_name);
  EXPECT_FALSE(fs::exists(root_ / "escape.txt"));
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FsFileStore, WriteIntoAMissingDirectoryFailsCleanly) {
  fs_file_store store(shared_ / "gone");
  EXPECT_TRUE(store.write("f.txt", "x"));
  EXPECT_TRUE(store.list().empty());
}

TEST_F(FsFileStore, PartTakesChunksAtTheirOffsetsAndAppearsOnlyOnCommit) {
  fs_file_store store(shared_);
  part_id part = 0;
  ASSERT_FALSE(store.open_part("f.bin", 10, part));
  ASSERT_FALSE(store.write_part(part, 6, "ghij"));  // out of order, as chunks arrive
  ASSERT_FALSE(store.write_part(part, 0, "abcdef"));
  EXPECT_FALSE(fs::exists(shared_ / "f.bin")) << "nothing under the name before the commit";
  EXPECT_EQ(entries(), 1u) << "only the temporary file";
  EXPECT_TRUE(store.list().empty()) << "which is hidden";
  ASSERT_FALSE(store.commit_part(part));
  EXPECT_EQ(slurp(shared_ / "f.bin"), "abcdefghij");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FsFileStore, FailedCommitKeepsThePartSoItCanBeTriedAgain) {
  fs::create_directory(shared_ / "taken");
  fs_file_store store(shared_);
  part_id part = 0;
  ASSERT_FALSE(store.open_part("taken", 3, part));
  ASSERT_FALSE(store.write_part(part, 0, "xyz"));
  EXPECT_EQ(store.commit_part(part), errc::not_regular_file);
  EXPECT_EQ(entries(), 2u) << "the directory and the kept part";
  fs::remove(shared_ / "taken");
  ASSERT_FALSE(store.commit_part(part));
  EXPECT_EQ(slurp(shared_ / "taken"), "xyz");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(FsFileStore, DiscardedPartLeavesNothing) {
  fs_file_store store(shared_);
  part_id part = 0;
  ASSERT_FALSE(store.open_part("f.bin", 3, part));
  ASSERT_FALSE(store.write_part(part, 0, "abc"));
  store.discard_part(part);
  EXPECT_EQ(entries(), 0u);
  EXPECT_EQ(store.commit_part(part), errc::not_found);
}

TEST_F(FsFileStore, WriteErrorsCarryTheSystemsErrno) {
  fs_file_store gone(shared_ / "gone");
  const std::error_code ec = gone.write("f.txt", "x");
  EXPECT_EQ(ec, std::errc::no_such_file_or_directory) << ec.message();
  EXPECT_NE(ec, errc::io_error) << "no longer flattened to input/output error";
}

TEST_F(FsFileStore, PermissionDeniedIsReportedAsSuch) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  fs::permissions(shared_, fs::perms::owner_read | fs::perms::owner_exec);
  fs_file_store store(shared_);
  EXPECT_EQ(store.write("f.txt", "x"), std::errc::permission_denied);
  fs::permissions(shared_, fs::perms::owner_all);
}

TEST_F(FsFileStore, StalePartsOfDeadPeersAreRemovedAndLivePeersPartsKept) {
  const std::string prefix(fs_file_store::temp_prefix);
  put(shared_ / (prefix + "999999999-1"), "dead peer");  // above any pid_max: not running
  put(shared_ / (prefix + std::to_string(::getpid()) + "-7"), "ours, from before");
  put(shared_ / (prefix + "1-3"), "pid 1 runs");
  put(shared_ / "keep.txt", "a shared file");
  fs_file_store store(shared_);
  const auto removed = store.remove_stale_parts();
  std::vector<std::string> expected{prefix + "999999999-1",
                                    prefix + std::to_string(::getpid()) + "-7"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(removed, expected);
  EXPECT_TRUE(fs::exists(shared_ / (prefix + "1-3")));
  EXPECT_TRUE(fs::exists(shared_ / "keep.txt"));
}

}  // namespace
}  // namespace eachare
