#!/usr/bin/env bash
# Fails when node/protocol, node/core or the simulator's libraries include Asio, <filesystem>,
# <iostream>, or call a wall clock, sleep or OS randomness (shared/design.md §1, §4 rule 2).
# The command-line front ends (sim/cli) and report writers may do I/O; they are excluded.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
dirs=(node/protocol node/core sim)
pattern='#include[[:space:]]*[<"](boost/asio|asio|filesystem|iostream|fstream|thread|random)[>./]|system_clock|steady_clock|high_resolution_clock|sleep_for|sleep_until|usleep|nanosleep|[^_a-zA-Z.]time\(|random_device|[^_a-zA-Z]s?rand\(|getrandom|std::cout|std::cerr|[^a-z_]printf\('
hits=$(grep -rnE "$pattern" "${dirs[@]}" --include='*.hpp' --include='*.cpp' --include='*.h' \
        | grep -vE '^sim/cli/|^sim/scenario/(report|loader)' || true)
if [[ -n "$hits" ]]; then
  echo "lint_seam: the core reaches for the world (shared/design.md §1):"
  echo "$hits"
  echo "lint_seam: FAILED"
  exit 1
fi
n=$(find "${dirs[@]}" -name '*.[hc]pp' | wc -l)
echo "lint_seam: $n files in ${dirs[*]} are clean"
