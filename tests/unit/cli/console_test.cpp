#include "node/cli/console.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "node/cli/console_observer.hpp"

namespace eachare::cli {
namespace {

TEST(ConsoleSanitize, LeavesPrintableAsciiTabsAndUtf8Alone) {
  const std::string exact = "\t[1] 127.0.0.1:9002 ONLINE";
  EXPECT_EQ(sanitize_console_text(exact), exact);
  EXPECT_EQ(sanitize_console_text("cancao \xc3\xa7\xc3\xa3o \xe2\x82\xac \xf0\x9f\x98\x80"),
            "cancao \xc3\xa7\xc3\xa3o \xe2\x82\xac \xf0\x9f\x98\x80");
}

TEST(ConsoleSanitize, EscapesEscapeSequencesAndOtherC0Controls) {
  EXPECT_EQ(sanitize_console_text("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(sanitize_console_text("x\ry\nz\x07"), "x\\x0dy\\x0az\\x07");
  EXPECT_EQ(sanitize_console_text(std::string("n\0l", 3)), "n\\x00l");
  EXPECT_EQ(sanitize_console_text("del\x7f"), "del\\x7f");
}

TEST(ConsoleSanitize, EscapesC1ControlsRawOrAsUtf8AndInvalidUtf8) {
  EXPECT_EQ(sanitize_console_text("\x9b"
                                  "2J"),
            "\\x9b2J");  // raw 8-bit CSI
  EXPECT_EQ(sanitize_console_text("\xc2\x9b"
                                  "2J"),
            "\\xc2\\x9b2J");                                            // U+009B as UTF-8
  EXPECT_EQ(sanitize_console_text("\xc3"), "\\xc3");                    // cut sequence
  EXPECT_EQ(sanitize_console_text("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(sanitize_console_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(sanitize_console_text("\xff"), "\\xff");
}

TEST(Console, EveryLineIsSanitizedWhateverTheCaller) {
  std::ostringstream text;
  console out(text);
  out.line("Mensagem recebida: \"127.0.0.1:9002 1 \x1b[2J\"");
  out.lines({"\tnome\x1b]0;titulo\x07", "ok"});
  EXPECT_EQ(text.str(),
            "Mensagem recebida: \"127.0.0.1:9002 1 \\x1b[2J\"\n"
            "\tnome\\x1b]0;titulo\\x07\nok\n");
}

TEST(Console, RawRequestLinesAndLsListNamesReachTheTerminalEscaped) {
  std::ostringstream text;
  console out(text);
  address_book book;
  console_observer obs(out, book, nullptr);
  const peer_id p = book.intern("127.0.0.1:9002");
  obs.on_request_received(p, message{}, "127.0.0.1:9002 4 HELLO \x1b[2J");
  search_row row{"a\x1b[31mred.txt", 10, {p}};
  obs.on_search_results({row});
  const std::string shown = text.str();
  EXPECT_EQ(shown.find('\x1b'), std::string::npos) << shown;
  EXPECT_NE(shown.find("HELLO \\x1b[2J"), std::string::npos) << shown;
  EXPECT_NE(shown.find("a\\x1b[31mred.txt"), std::string::npos) << shown;
}

}  // namespace
}  // namespace eachare::cli
