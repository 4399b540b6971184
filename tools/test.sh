#!/usr/bin/env bash
# The whole test suite: install what is missing, build everything with warnings as errors, run
# every CTest except the slow `scale` label, then the unit tests once more under ASan+UBSan, the
# unit and integration tests under TSan, then the libFuzzer targets (label `fuzz`: each replays its
# seed corpus and fuzzes a few seconds). The sanitizer builds build only what their labels run
# (targets tests_unit / tests_integration), at -O1 with line tables only (-g1).
# Usage: tools/test.sh [--no-sanitize]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
tools/deps.sh

echo "== build (warnings as errors) =="
cmake -S . -B build-test -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEACHARE_WERROR=ON >/dev/null
cmake --build build-test -j"$jobs"
echo "== ctest (all but label scale) =="
ctest --test-dir build-test -LE scale --output-on-failure -j"$jobs" --timeout 600

if [[ "${1:-}" != "--no-sanitize" ]]; then
  echo "== unit tests under ASan+UBSan =="
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEACHARE_WERROR=ON \
        -DEACHARE_SANITIZE=address -DEACHARE_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan -j"$jobs" --target tests_unit
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs" --timeout 600
fi

if [[ "${1:-}" != "--no-sanitize" ]]; then
  # Data races in the threaded parts: the Asio transport and scheduler, the CLI's menu thread, the
  # sweep pool, and the eachare processes the integration tests start (built with TSan too).
  echo "== unit and integration tests under TSan =="
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" \
        -DEACHARE_WERROR=ON -DEACHARE_SANITIZE=thread -DEACHARE_BUILD_BENCH=OFF >/dev/null
  cmake --build build-tsan -j"$jobs" --target tests_unit tests_integration
  TSAN_OPTIONS=halt_on_error=1 \
    ctest --test-dir build-tsan -L 'unit|integration' --output-on-failure -j"$jobs" --timeout 600
fi

if [[ "${1:-}" != "--no-sanitize" ]]; then
  echo "== fuzz targets: seed corpora replayed, then a few seconds each (clang-14, ASan+UBSan) =="
  cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEACHARE_FUZZ=ON \
        -DEACHARE_WERROR=ON -DEACHARE_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
  cmake --build build-fuzz -j"$jobs" --target fuzz_all
  ctest --test-dir build-fuzz -L fuzz --output-on-failure -j"$jobs" --timeout 300
fi
