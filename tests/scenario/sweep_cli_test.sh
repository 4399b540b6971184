#!/usr/bin/env bash
# eachare-sim sweeps end to end (issue 12): the same (file, seed) sweep
#  1. unsharded with --jobs 2,
#  2. as 4 shards running as concurrent processes (--jobs 1 each), then `merge`d,
#  3. with --jobs 1 and with --jobs 3 writing a --trace,
# must agree: merged JSON and JUnit reports and the printed summary equal the unsharded run's except
# wall-clock fields (wall_seconds, peak_rss_bytes, JUnit time=, the "runs in ... wall time" line),
# and the trace file is byte-identical whatever --jobs is.
# Usage: sweep_cli_test.sh EACHARE_SIM REPO_ROOT
set -euo pipefail
sim=$1
root=$2
tmp=$(mktemp -d /tmp/eachare-sweep-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
files=(scenarios/regression/ep1_discovery.yaml scenarios/regression/churn.yaml
       scenarios/regression/fail_lamport_ep1_peer.yaml tests/scenario/data/failing_check.yaml)
seeds=1..8
fail() { echo "sweep_cli_test: FAILED: $*"; exit 1; }

rc=0
"$sim" run "${files[@]}" --seeds $seeds --jobs 2 --check-determinism \
  --report-json "$tmp/whole.json" --report-junit "$tmp/whole.xml" > "$tmp/whole.txt" || rc=$?
# failing_check.yaml fails at every seed, so the sweep exits 1.
[[ $rc -eq 1 ]] || fail "unsharded run exited $rc, expected 1"
grep -qxF "    replay: $sim run tests/scenario/data/failing_check.yaml --seed 8" "$tmp/whole.txt" \
  || fail "the summary does not list failing_check.yaml seed 8 with its replay command"

pids=()
for i in 1 2 3 4; do
  "$sim" run "${files[@]}" --seeds $seeds --shard $i/4 --jobs 1 --check-determinism \
    --report-json "$tmp/shard$i.json" > "$tmp/shard$i.txt" &
  pids+=($!)
done
for p in "${pids[@]}"; do
  src=0
  wait "$p" || src=$?
  [[ $src -le 1 ]] || fail "a shard exited $src"
done
mrc=0
"$sim" merge "$tmp"/shard{3,1,4,2}.json --report-json "$tmp/merged.json" \
  --report-junit "$tmp/merged.xml" > "$tmp/merged.txt" || mrc=$?
[[ $mrc -eq $rc ]] || fail "merge exited $mrc, the unsharded run $rc"

python3 - "$tmp" <<'PY'
import json, re, sys
tmp = sys.argv[1]
def report(name):
    d = json.load(open(f"{tmp}/{name}.json"))
    for e in d["scenarios"]:
        del e["wall_seconds"], e["peak_rss_bytes"]
    return d
def junit(name):
    return re.sub(r' time="[0-9.]+"', "", open(f"{tmp}/{name}.xml").read())
def summary(name):
    return [l for l in open(f"{tmp}/{name}.txt") if " of wall time with --jobs " not in l]
whole, merged = report("whole"), report("merged")
if whole != merged:
    sys.exit("sweep_cli_test: FAILED: merged JSON differs from the unsharded run's")
if junit("whole") != junit("merged"):
    sys.exit("sweep_cli_test: FAILED: merged JUnit differs from the unsharded run's")
if summary("whole") != summary("merged"):
    sys.exit("sweep_cli_test: FAILED: merged summary differs from the unsharded run's")
runs = len(whole["scenarios"])
if runs != 32 or [e["run"] for e in whole["scenarios"]] != list(range(32)):
    sys.exit(f"sweep_cli_test: FAILED: the report holds {runs} runs, not runs 0..31")
bad = sum(1 for e in whole["scenarios"] if not e["ok"])
print(f"sweep_cli_test: 4 concurrent shards of {runs} runs ({bad} not as expected) merged equal "
      "to the unsharded --jobs 2 run: JSON, JUnit and summary, wall-clock fields aside")
PY

"$sim" run "${files[@]:0:2}" --seeds 1..3 --jobs 1 --quiet --trace "$tmp/t1.jsonl" || true
"$sim" run "${files[@]:0:2}" --seeds 1..3 --jobs 3 --quiet --trace "$tmp/t3.jsonl" || true
[[ -s "$tmp/t1.jsonl" ]] || fail "no trace written"
cmp -s "$tmp/t1.jsonl" "$tmp/t3.jsonl" || fail "the trace with --jobs 3 differs from --jobs 1"
echo "sweep_cli_test: traces with --jobs 1 and --jobs 3 byte-identical ($(wc -l < "$tmp/t1.jsonl") lines)"
