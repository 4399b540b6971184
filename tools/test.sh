#!/usr/bin/env bash
# The whole test suite: install what is missing, build everything with warnings as errors, run
# every CTest except the slow `scale` label, then the unit tests once more under ASan+UBSan.
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
  cmake --build build-asan -j"$jobs"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs" --timeout 600
fi
