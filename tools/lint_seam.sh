#!/usr/bin/env bash
# Fails when node/protocol, node/core, node/console (the console's text, shared with the
# simulator) or the simulator's libraries include Asio, <filesystem>, <iostream>, or call a wall
# clock, sleep or OS randomness (docs/architecture.md, "The seam").
# The command-line front ends (sim/cli) and report writers may do I/O; they are excluded.
# sim/threaded may include <thread> and nothing else on the list: its helper thread runs pure work
# whose results the simulation takes in event order, so no result depends on its timing
# (sim/threaded/decode_thread.hpp).
# real/ (top level, beside the runner) is NOT scanned, on purpose: real/world is the real-socket
# world (shared/design.md §6: our peers on the Asio transport, wall-clock time, the fault layer)
# and real/external drives other people's programs; both may use Asio, clocks and processes.
# What the lint does demand of them: nothing under node/ or sim/ (the virtual world, the runner,
# the checkers) includes real/ — only the command line (sim/cli) may.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
dirs=(node/protocol node/core node/console sim)
pattern='#include[[:space:]]*[<"](boost/asio|asio|filesystem|iostream|fstream|thread|random)[>./]|system_clock|steady_clock|high_resolution_clock|sleep_for|sleep_until|usleep|nanosleep|[^_a-zA-Z.]time\(|random_device|[^_a-zA-Z]s?rand\(|getrandom|std::cout|std::cerr|[^a-z_]printf\('
hits=$(grep -rnE "$pattern" "${dirs[@]}" --include='*.hpp' --include='*.cpp' --include='*.h' \
        | grep -vE '^sim/cli/|^sim/scenario/(report|loader)' \
        | grep -vE '^sim/threaded/[^:]+:[0-9]+:#include[[:space:]]*<thread>$' || true)
# The virtual world must not reach the real one: only sim/cli may include real/.
real_hits=$(grep -rnE '#include[[:space:]]*"real/' "${dirs[@]}" --include='*.hpp' --include='*.cpp' \
        | grep -vE '^sim/cli/' || true)
if [[ -n "$real_hits" ]]; then
  hits="$hits${hits:+
}$real_hits"
fi
if [[ -n "$hits" ]]; then
  echo "lint_seam: the core reaches for the world (docs/architecture.md, \"The seam\"):"
  echo "$hits"
  echo "lint_seam: FAILED"
  exit 1
fi
n=$(find "${dirs[@]}" -name '*.[hc]pp' | wc -l)
echo "lint_seam: $n files in ${dirs[*]} are clean"
