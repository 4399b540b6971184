#!/usr/bin/env bash
# Runs the benchmark suite in a Release build and writes Google Benchmark JSON per suite, plus
# the discovery-cost plot. Usage: tools/run_benchmarks.sh [build-dir] [out-dir]
#   SCALE=1 also runs the scale programs (100,000 peers HELLO+BYE; 5,000 peers to full
#   discovery), printing wall time and peak RSS, then both at a few sizes (tools/scale_csv.sh:
#   HELLO_SIZES, DISCOVERY_SIZES) into scale.csv and its plot scale.svg (tools/plot_scale.py).
#   BENCH_ARGS are passed to every benchmark
#   (e.g. BENCH_ARGS=--benchmark_filter=socket).
# Figures and how to read them: docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-release}
out=${2:-$build/bench-results}
"$root/tools/deps.sh"
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DEACHARE_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target clock_benchmark codec_benchmark sim_benchmark socket_benchmark \
  scale_hello_bye scale_discovery
mkdir -p "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "load: $(cut -d' ' -f1-3 /proc/loadavg)"
for suite in clock codec sim socket; do
  # shellcheck disable=SC2086
  "$build/bench/${suite}_benchmark" --benchmark_out="$out/$suite.json" \
    --benchmark_out_format=json ${BENCH_ARGS:-}
done
if grep -q BM_sim_gossip_round "$out/sim.json"; then
  # Debian's python3 has matplotlib (python3-matplotlib); a pyenv python3 on PATH may not.
  /usr/bin/python3 "$root/tools/plot_discovery.py" "$out/sim.json" "$out/discovery_cost.svg"
fi
if [[ ${SCALE:-0} == 1 ]]; then
  "$build/bench/scale_hello_bye" 100000
  "$build/bench/scale_discovery" 5000
  "$root/tools/scale_csv.sh" "$build" "$out/scale.csv"
  /usr/bin/python3 "$root/tools/plot_scale.py" "$out/scale.csv" "$out/scale.svg"
fi
echo "results: $out"
