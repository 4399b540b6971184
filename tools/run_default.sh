#!/usr/bin/env bash
# The main job: install what is missing, build (Release) into build/, and run the default
# scenario with a readable summary. Extra arguments go to `eachare-sim run`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tools/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEACHARE_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target eachare eachare-sim
exec build/sim/cli/eachare-sim run scenarios/smoke/default.yaml "$@"
