// fuzz_check: the one way a fuzz target states an invariant. A failed check prints what broke and
// aborts, which libFuzzer reports as a crash and saves the input. Single-threaded (libFuzzer
// calls a target from one thread).
#pragma once

#include <cstdio>
#include <cstdlib>

// Not assert(): it must hold in every build type, NDEBUG included.
#define FUZZ_CHECK(cond, what)                                                                    \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, what, \
                   #cond);                                                                        \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)
