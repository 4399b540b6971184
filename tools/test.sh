#!/usr/bin/env bash
# The whole test suite: install what is missing, build everything with warnings as errors, run
# every CTest except the slow `scale` label, then the unit tests once more under ASan+UBSan, the
# unit and integration tests under TSan, then the libFuzzer targets (label `fuzz`: each replays its
# seed corpus and fuzzes a few seconds). The sanitizer builds build only what their labels run
# (targets tests_unit / tests_integration).
#
# Why it is shaped this way (CI must finish in 15 minutes on 2 cores; see docs/benchmarks.md §11c):
# - test executables are compiled as unity batches (EACHARE_UNITY_TESTS): a test file's compile
#   time is mostly GoogleTest's and our headers, parsed once per batch instead of once per file;
# - every build keeps line tables only (-g1): full -g cost ~30 % more compile time per file, and
#   line tables are all sanitizer reports and backtraces need;
# - the three sanitizer builds run at the lowest CPU priority (nice 19) WHILE the default CTest set
#   runs, because that set spends most of its wall time waiting on real-time scenarios and real
#   sockets; at nice 19 the compilers get only CPU the tests leave idle, so test timing is unchanged.
# Usage: tools/test.sh [--no-sanitize]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
sanitize=1
[[ "${1:-}" == "--no-sanitize" ]] && sanitize=0
tools/deps.sh

echo "== build (warnings as errors) =="
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DEACHARE_WERROR=ON \
      -DEACHARE_UNITY_TESTS=ON >/dev/null
cmake --build build-test -j"$jobs"

# The sanitizer and fuzz builds, one after the other, in the background at nice 19.
build_sanitizers() {
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O0 -g1" \
        -DEACHARE_WERROR=ON -DEACHARE_SANITIZE=address -DEACHARE_BUILD_BENCH=OFF \
        -DEACHARE_UNITY_TESTS=ON >/dev/null
  cmake --build build-asan -j"$jobs" --target tests_unit
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DEACHARE_WERROR=ON -DEACHARE_SANITIZE=thread -DEACHARE_BUILD_BENCH=OFF \
        -DEACHARE_UNITY_TESTS=ON >/dev/null
  cmake --build build-tsan -j"$jobs" --target tests_unit tests_integration
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DEACHARE_FUZZ=ON \
        -DEACHARE_WERROR=ON -DEACHARE_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_all
}
builder=""
build_log=build-test/sanitizer-builds.log
if (( sanitize )); then
  # Its own process group (setsid), so that a failing test, which ends this script (set -e), can
  # stop the compilers too.
  export -f build_sanitizers
  export jobs
  setsid nice -n 19 bash -c 'set -euo pipefail; build_sanitizers' >"$build_log" 2>&1 &
  builder=$!
  trap '[[ -n "$builder" ]] && kill -- "-$builder" 2>/dev/null || true' EXIT
fi

echo "== ctest (all but label scale) =="
ctest --test-dir build-test -LE scale --output-on-failure -j"$jobs" --timeout 600
(( sanitize )) || exit 0

echo "== sanitizer and fuzz builds (started in the background at nice 19; output follows) =="
build_rc=0
wait "$builder" || build_rc=$?
builder=""
cat "$build_log"
if (( build_rc != 0 )); then
  echo "tools/test.sh: a sanitizer or fuzz build failed (exit $build_rc); its output is above" >&2
  exit "$build_rc"
fi

echo "== unit tests under ASan+UBSan =="
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs" --timeout 600

# Data races in the threaded parts: the Asio transport and scheduler, the CLI's menu thread, the
# sweep pool, and the eachare processes the integration tests start (built with TSan too).
echo "== unit and integration tests under TSan =="
TSAN_OPTIONS=halt_on_error=1 \
  ctest --test-dir build-tsan -L 'unit|integration' --output-on-failure -j"$jobs" --timeout 600

echo "== fuzz targets: seed corpora replayed, then a few seconds each (clang-14, ASan+UBSan) =="
ctest --test-dir build-fuzz -L fuzz --output-on-failure -j"$jobs" --timeout 300
