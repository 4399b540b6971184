#include "real/external/external_process.hpp"

#include <signal.h>

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <thread>

namespace eachare::external {
namespace {

using namespace std::chrono_literals;

spawn_options sh(const std::string& script, bool pty = true) {
  spawn_options o;
  o.argv = {"/bin/sh", "-c", script};
  o.use_pty = pty;
  return o;
}

bool alive(pid_t pid) {
  // A zombie (reparented, not yet reaped by init) counts as gone.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

TEST(ExternalProcess, AProgramThatDoesNotExistGetsOneClearLine) {
  spawn_options o;
  o.argv = {"/nonexistent/eachare-peer", "{addr}"};
  try {
    external_process p(o, clock::now());
    FAIL() << "started a program that does not exist";
  } catch (const spawn_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot start '/nonexistent/eachare-peer'"), std::string::npos) << what;
    EXPECT_NE(what.find("No such file"), std::string::npos) << what;
  }
  o.argv = {"/bin/true"};
  o.cwd = "/nonexistent-dir";
  EXPECT_THROW(external_process(o, clock::now()), spawn_error);
}

TEST(ExternalProcess, APseudoTerminalGetsLinesAPipeWouldHaveBuffered) {
  const char* script = "import time; print('hello', flush=False); time.sleep(30)";
  spawn_options o;
  o.argv = {EACHARE_PYTHON, "-c", script};
  o.env = {{"PYTHONUNBUFFERED", ""}};  // empty: Python buffers a pipe as it does by default
  external_process tty(o, clock::now());
  EXPECT_TRUE(tty.wait_line([](std::string_view l) { return l == "hello"; }, 0, 10s));
  o.use_pty = false;
  external_process pipe(o, clock::now());
  EXPECT_FALSE(pipe.wait_line([](std::string_view l) { return l == "hello"; }, 0, 1s));
}

TEST(ExternalProcess, TypedLinesReachStdinAndAreNotEchoed) {
  external_process p(sh("read x; echo \"got $x\""), clock::now());
  std::string why;
  ASSERT_TRUE(p.write_line("42", 5s, &why)) << why;
  const auto at = p.wait_line([](std::string_view l) { return l == "got 42"; }, 0, 10s);
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, 0u) << "the typed line was echoed back";
  ASSERT_TRUE(p.wait_exit(10s));
}

TEST(ExternalProcess, KillingTheGroupLeavesNothingBehind) {
  external_process p(sh("sleep 60 & echo $!; wait"), clock::now());
  const auto at = p.wait_line([](std::string_view l) { return !l.empty(); }, 0, 10s);
  ASSERT_TRUE(at);
  const pid_t child = static_cast<pid_t>(std::stol(p.line(*at).text));
  ASSERT_TRUE(alive(child));
  p.kill_group(500ms);
  EXPECT_FALSE(p.running());
  // SIGKILL is delivered asynchronously: poll (up to 5 s) until the child is gone.
  for (int i = 0; i < 250 && alive(child); ++i) std::this_thread::sleep_for(20ms);
  EXPECT_FALSE(alive(child)) << "the program's child " << child << " survived";
}

TEST(ExternalProcess, AFloodIsBoundedAndFlagged) {
  auto o = sh("yes flood");
  o.max_output_bytes = 1 << 20;
  external_process p(o, clock::now());
  for (int i = 0; i < 500 && !p.flooded(); ++i) p.wait_exit(20ms);
  EXPECT_TRUE(p.flooded());
  EXPECT_LE(p.line_count(), (1u << 20) / 5);
}

TEST(ExternalProcess, AProgramThatStopsReadingStdinMakesTheWriteFailNamingTheBound) {
  for (bool pty : {true, false}) {
    external_process p(sh("sleep 60", pty), clock::now());
    std::string why;
    bool ok = true;
    for (int i = 0; i < 200 && ok; ++i) ok = p.write_line(std::string(1000, 'x'), 200ms, &why);
    EXPECT_FALSE(ok);
    EXPECT_NE(why.find("stopped reading stdin"), std::string::npos) << why;
    EXPECT_NE(why.find("stdin bound of 200 ms"), std::string::npos) << why;
  }
}

TEST(ExternalProcess, ALongLineIsCutAndMarked) {
  auto o = sh("head -c 100000 /dev/zero | tr '\\0' a; echo; echo after");
  o.max_line_bytes = 1000;
  external_process p(o, clock::now());
  const auto at = p.wait_line([](std::string_view l) { return l == "after"; }, 0, 10s);
  ASSERT_TRUE(at);
  EXPECT_TRUE(p.line(0).cut);
  EXPECT_EQ(p.line(0).text.size(), 1000u);
}

TEST(ExternalProcess, InvalidUtf8IsDetectedAndQuotedAsEscapes) {
  EXPECT_TRUE(valid_utf8("relógio ok"));
  EXPECT_FALSE(valid_utf8("\xff\xfe"));
  EXPECT_FALSE(valid_utf8("\xc3"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));  // surrogate
  EXPECT_EQ(escape_bytes("a\xffz\t"), "a\\xffz\\t");
  external_process p(sh("printf 'bad \\377 byte\\n'"), clock::now());
  const auto at = p.wait_line([](std::string_view l) { return l.rfind("bad", 0) == 0; }, 0, 10s);
  ASSERT_TRUE(at);
  EXPECT_FALSE(valid_utf8(p.line(*at).text));
  EXPECT_EQ(escape_bytes(p.line(*at).text), "bad \\xff byte");
}

TEST(ExternalProcess, ReportsHowItEnded) {
  external_process p(sh("exit 3"), clock::now());
  const auto st = p.wait_exit(10s);
  ASSERT_TRUE(st);
  EXPECT_EQ(describe_status(*st), "exited with code 3");
}

}  // namespace
}  // namespace eachare::external
