#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, EACHARE_FUZZ=ON, clang-14 with ASan+UBSan) in build-fuzz and
# runs every one of them in turn, on every core (libFuzzer -fork=NPROC), for a share of SECONDS
# (default 600 in all): decode gets 3 shares,
# the node and the scenario loader 2, base64, peer addresses and the neighbours file 1 each.
# Each target starts from its checked-in seed corpus (fuzz/corpus/<target>, read only) plus what
# earlier runs found (build-fuzz/fuzz/work/<target>/corpus). Crash inputs are saved as
# build-fuzz/fuzz/work/<target>/artifacts/crash-*. Prints executions per target; exits 1 when a
# target found a crash, a leak, a timeout or a broken invariant.
# Usage: tools/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
total=${1:-600}
if ! [[ "$total" =~ ^[0-9]+$ ]] || (( total < 6 )); then
  echo "usage: tools/fuzz.sh [SECONDS]   (at least 6; default 600)" >&2
  exit 2
fi
targets=(fuzz_decode fuzz_peer_node fuzz_scenario_loader fuzz_base64 fuzz_peer_address fuzz_neighbours)
shares=(3 2 2 1 1 1)
dicts=(protocol.dict protocol.dict scenario.dict "" "" "")

echo "== build (build-fuzz: clang-14, -fsanitize=fuzzer,address,undefined) =="
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEACHARE_FUZZ=ON \
      -DEACHARE_WERROR=ON -DEACHARE_BUILD_BENCH=OFF -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}"

# Every core fuzzes (libFuzzer's fork mode: one worker process per core, sharing the corpus);
# on one core, the plain in-process mode.
fork=()
(( $(nproc) > 1 )) && fork=(-fork="$(nproc)")

sum=0
for s in "${shares[@]}"; do sum=$((sum + s)); done
failed=0
report=""
for i in "${!targets[@]}"; do
  t=${targets[$i]}
  secs=$((total * shares[i] / sum))
  (( secs < 1 )) && secs=1
  work=build-fuzz/fuzz/work/$t
  mkdir -p "$work/corpus" "$work/artifacts"
  dict=()
  [[ -n "${dicts[$i]}" ]] && dict=(-dict="fuzz/${dicts[$i]}")
  echo "== $t: ${secs} s =="
  rc=0
  build-fuzz/fuzz/"$t" "${fork[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "${dict[@]}" "$work/corpus" "fuzz/corpus/$t" \
    >"$work/last.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/last.log" | tail -1)
  # Fork mode prints no final stats: its progress lines start with the running total ("#N:").
  [[ -z "$execs" ]] && execs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' "$work/last.log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$work/last.log" | tail -1 | cut -d' ' -f2)
  status=ok
  if (( rc != 0 )); then
    status="FAILED (exit $rc; see $work/last.log and $work/artifacts/)"
    failed=1
    grep -E 'ERROR|invariant|SUMMARY' "$work/last.log" | head -5 || true
  fi
  line=$(printf '%-22s %5s s  %12s executions  %6s edges  %s' "$t" "$secs" "${execs:-?}" "${cov:-?}" "$status")
  echo "$line"
  report+="$line"$'\n'
done
echo "== summary ($(date -u '+%Y-%m-%d %H:%M UTC'), $total s in all) =="
printf '%s' "$report"
exit $failed
