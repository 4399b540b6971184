// Shared fixtures of the external-program tests: two peer addresses and a console transcript
// built from plain texts. Constants and pure functions only; no threading concerns.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "real/external/console_parser.hpp"

namespace eachare::external::test_support {

// The graded program's address and another peer's.
inline const std::string g = "127.0.0.1:7100";
inline const std::string a = "127.0.0.1:7101";

// Console lines from `texts`, 10 ms apart, starting at 10 ms.
inline std::vector<console_line> console(std::initializer_list<const char*> texts) {
  std::vector<console_line> out;
  std::int64_t t = 0;
  for (const char* s : texts) out.push_back({std::chrono::milliseconds(t += 10), s, false});
  return out;
}

}  // namespace eachare::external::test_support
