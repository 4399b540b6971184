#include "sim/memory_file_store.hpp"

#include <gtest/gtest.h>

#include "node/core/errors.hpp"

namespace eachare::sim {
namespace {

TEST(MemoryFileStore, ListsSafeNamesInByteOrder) {
  memory_file_store s;
  s.put("b.txt", std::string_view("bb"));
  s.put("a b", std::string_view("space"));
  s.put("A.txt", std::string_view("x"));
  s.put("a.txt", std::string_view("aaa"));
  const auto files = s.list();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0], (stored_file{"A.txt", 1}));
  EXPECT_EQ(files[1], (stored_file{"a.txt", 3}));
  EXPECT_EQ(files[2], (stored_file{"b.txt", 2}));
}

TEST(MemoryFileStore, ReadsRangesAndRefusesUnsafeOrMissingNames) {
  memory_file_store s;
  s.put("f", std::string_view("0123456789"));
  std::string out;
  EXPECT_FALSE(s.read("f", 3, 4, out));
  EXPECT_EQ(out, "3456");
  out.clear();
  EXPECT_FALSE(s.read("f", 8, 100, out));
  EXPECT_EQ(out, "89");
  out.clear();
  EXPECT_FALSE(s.read("f", 10, 5, out));
  EXPECT_EQ(out, "");
  EXPECT_EQ(s.read("../f", 0, 1, out), make_error_code(errc::invalid_name));
  EXPECT_EQ(s.read("g", 0, 1, out), make_error_code(errc::not_found));
  std::uint64_t size = 0;
  EXPECT_FALSE(s.size_of("f", size));
  EXPECT_EQ(size, 10u);
  EXPECT_EQ(s.size_of("a/b", size), make_error_code(errc::invalid_name));
}

TEST(MemoryFileStore, WriteCommitsWholeFileAndSnapshotRestores) {
  memory_file_store s;
  s.put("init", std::string_view("i"));
  const auto snap = s.take_snapshot();
  EXPECT_FALSE(s.write("new", "content"));
  EXPECT_EQ(s.write("bad name", "x"), make_error_code(errc::invalid_name));
  EXPECT_EQ(*s.get("new"), "content");
  EXPECT_EQ(s.writes(), 1u);
  EXPECT_FALSE(s.write("init", "replaced"));
  EXPECT_EQ(*s.get("init"), "replaced");
  s.restore(snap);
  EXPECT_EQ(s.get("new"), nullptr);
  EXPECT_EQ(*s.get("init"), "i");
}

TEST(GenerateFileContent, DependsOnlyOnSeedNameAndSize) {
  const std::string a = generate_file_content(1, "mil.txt", 1000);
  EXPECT_EQ(a.size(), 1000u);
  EXPECT_EQ(a, generate_file_content(1, "mil.txt", 1000));
  EXPECT_NE(a, generate_file_content(2, "mil.txt", 1000));
  EXPECT_NE(a, generate_file_content(1, "mil2.txt", 1000));
  EXPECT_NE(a.substr(0, 999), generate_file_content(1, "mil.txt", 999));
  EXPECT_EQ(generate_file_content(1, "empty", 0), "");
}

}  // namespace
}  // namespace eachare::sim
