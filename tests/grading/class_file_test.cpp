#include "sim/cli/class_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "real/external/workspace.hpp"
#include "sim/scenario/loader.hpp"

namespace eachare::cli {
namespace {

namespace fs = std::filesystem;

// A class file in a fresh directory under the system temp directory (with a subs/ folder).
class ClassFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "class-file-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "subs" / "ada");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto p = (dir_ / "class.yaml").string();
    std::ofstream(p) << text;
    return p;
  }
  // The one error line loading `text` gives.
  std::string error_of(const std::string& text) {
    const auto p = write(text);
    try {
      (void)load_class_file(p);
    } catch (const scenario::scenario_error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
      EXPECT_EQ(what.rfind(p + ":", 0), 0u) << what;
      return what.substr(p.size() + 1);
    }
    ADD_FAILURE() << "no error for " << text;
    return "";
  }
  fs::path dir_;
};

TEST_F(ClassFileTest, ReadsStudentsInFileOrderWithCwdFromTheFilesDirectory) {
  const auto c = load_class_file(
      write("ep: 2\ntimeout_s: 90\nstudents:\n"
            "  zed: {cmd: \"python3 peer.py {addr} {neighbours} {shared}\", cwd: subs/ada,\n"
            "        env: {PYTHONUNBUFFERED: \"1\"}}\n"
            "  ada: {cmd: \"./peer {addr}\"}\n"));
  ASSERT_EQ(c.students.size(), 2u);
  EXPECT_EQ(c.ep, 2);
  EXPECT_EQ(c.timeout_s, 90.0);
  EXPECT_EQ(c.students[0].name, "zed");
  EXPECT_EQ(c.students[0].cmd, "python3 peer.py {addr} {neighbours} {shared}");
  EXPECT_EQ(c.students[0].cwd, (dir_ / "subs" / "ada").string());
  ASSERT_EQ(c.students[0].env.size(), 1u);
  EXPECT_EQ(c.students[0].env[0].first, "PYTHONUNBUFFERED");
  EXPECT_EQ(c.students[0].env[0].second, "1");
  EXPECT_EQ(c.students[0].line, 4);
  EXPECT_EQ(c.students[1].name, "ada");
  EXPECT_EQ(c.students[1].cwd, "");
}

TEST_F(ClassFileTest, CmdAsAListOfWordsSplitsBackIntoTheSameWords) {
  const auto c = load_class_file(
      write("students:\n  ada: {cmd: [java, -cp, \"my dir\", 'say \"hi\"', \"{addr}\"]}\n"));
  ASSERT_EQ(c.students.size(), 1u);
  EXPECT_EQ(external::split_template(c.students[0].cmd),
            (std::vector<std::string>{"java", "-cp", "my dir", "say \"hi\"", "{addr}"}));
}

TEST_F(ClassFileTest, EachBadInputIsOneLineWithItsPosition) {
  EXPECT_EQ(error_of("ep: 3\n").substr(0, 40), "1:1: missing key 'students' in the class");
  EXPECT_EQ(error_of("students:\n  ada: {cmd: \"./p {addr}\", cdw: x}\n"),
            "2:28: unknown key 'cdw' in student 'ada' (expected one of: cmd, cwd, env)");
  EXPECT_EQ(error_of("students:\n  ada: {cwd: subs}\n").substr(0, 36),
            "2:8: missing key 'cmd' in student 'a");
  EXPECT_EQ(error_of("students:\n  ada: {cmd: \"./p {shared}\"}\n").substr(0, 45),
            "2:14: the command template has no {addr}, so ");
  EXPECT_EQ(error_of("students:\n  ada: {cmd: \"./p '{addr}\"}\n").substr(0, 45),
            "2:14: the command template has an unclosed ' ");
  EXPECT_EQ(error_of("ep: 4\nstudents:\n  ada: {cmd: \"./p {addr}\"}\n"),
            "1:5: expected ep 1, 2 or 3, got '4'");
  EXPECT_EQ(error_of("timeout_s: -1\nstudents:\n  ada: {cmd: \"./p {addr}\"}\n").substr(0, 45),
            "1:12: expected a number of seconds above 0 an");
  EXPECT_EQ(error_of("students:\n  ada: {cmd: \"./p {addr}\", env: {\"A=B\": x}}\n").substr(0, 40),
            "2:34: expected an environment variable n");
  EXPECT_EQ(error_of("students:\n  ada: ./p {addr}\n"),
            "2:8: expected a mapping {cmd, cwd, env} for student 'ada', got './p {addr}'");
  EXPECT_EQ(error_of("- a\n- b\n").substr(0, 45), "1:1: expected a mapping with 'students' (a cl");
}

TEST(ClassFile, AMissingFileIsOneLine) {
  try {
    (void)load_class_file("/nonexistent/class.yaml");
    FAIL() << "no error";
  } catch (const scenario::scenario_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/class.yaml:1:1: cannot read the class file (no such file)");
  }
}

}  // namespace
}  // namespace eachare::cli
