// How long a test that waits on real sockets or threads gives the line or event it needs before it
// fails: generous, so a loaded CI machine is never mistaken for a bug. Constants only; no state.
#pragma once

#include <chrono>

namespace eachare::test {

inline constexpr std::chrono::seconds generous{20};

}  // namespace eachare::test
