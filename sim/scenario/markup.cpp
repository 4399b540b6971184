#include "sim/scenario/markup.hpp"

namespace eachare::scenario {

std::string markup_escape(std::string_view s, control_chars controls) {
  std::string out;
  out.reserve(s.size() + 8);
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (controls == control_chars::question_mark && static_cast<unsigned char>(c) < 0x20 &&
            c != '\n' && c != '\t') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

}  // namespace eachare::scenario
