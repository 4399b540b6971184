// markup: the one escaper for text put into XML (the JUnit report) and HTML (the HTML report).
// Both escape & < > " ' as entities; they differ only in control characters: XML 1.0 has no place
// for most of them, so the JUnit report turns them into '?', while the HTML report keeps them so
// a hovered wire line shows the bytes that were on the wire.
//
// Threading rule: pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

namespace eachare::scenario {

enum class control_chars {
  keep,           // HTML: kept as they are
  question_mark,  // XML: every one below 0x20 but tab and newline becomes '?'
};

// `s` escaped for an element's text or a double- or single-quoted attribute value.
std::string markup_escape(std::string_view s, control_chars controls);

}  // namespace eachare::scenario
