// Tests of the one escaper of the JUnit (XML) and HTML reports.
#include "sim/scenario/markup.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eachare::scenario {
namespace {

TEST(Markup, EscapesTheFiveMarkupCharactersForBothXmlAndHtml) {
  for (auto c : {control_chars::keep, control_chars::question_mark}) {
    EXPECT_EQ(markup_escape("a<b> & \"c\" 'd'", c), "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;");
    EXPECT_EQ(markup_escape("", c), "");
    EXPECT_EQ(markup_escape("plain text 127.0.0.1:9000 3 HELLO", c),
              "plain text 127.0.0.1:9000 3 HELLO");
  }
}

TEST(Markup, XmlTurnsControlCharactersIntoQuestionMarksButKeepsTabAndNewline) {
  const std::string line = std::string("a\x01") + '\0' + "b\tc\nd\re\x1f";
  EXPECT_EQ(markup_escape(line, control_chars::question_mark), "a??b\tc\nd?e?");
}

TEST(Markup, HtmlKeepsControlCharactersSoAHoveredWireLineShowsItsBytes) {
  const std::string line = std::string("a\x01") + '\0' + "b\tc\nd\re\x1f";
  EXPECT_EQ(markup_escape(line, control_chars::keep), line);
}

TEST(Markup, LeavesBytesAboveAsciiAlone) {
  EXPECT_EQ(markup_escape("vocÃª \xff", control_chars::question_mark), "vocÃª \xff");
}

}  // namespace
}  // namespace eachare::scenario
