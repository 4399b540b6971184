#!/usr/bin/env bash
# Loopback figures for the real peer (not a test): a 10 MB download from two holders at chunk
# 1048576 and at chunk 256, and the HELLO rate one peer accepts from clients opening one
# connection per message. Builds what it needs in build-measure/ (Release, no tests of others).
# Usage: tools/measure_loopback.sh [file_megabytes=10] [hello_seconds=3] [hello_clients=4]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${EACHARE_MEASURE_BUILD:-$root/build-measure}
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEACHARE_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" measure_loopback eachare >/dev/null
exec "$build/tests/integration/measure_loopback" "${1:-10}" "${2:-3}" "${3:-4}"
