#!/usr/bin/env bash
# The README's three-peer demo. Copies examples/ to a scratch folder (never writes into the
# checkout: downloads land in the copies) and prints the three commands to run, one per terminal.
#   tools/demo.sh              prepare /tmp/eachare-demo.XXXXXX and print the commands
#   tools/demo.sh --selftest   prepare, then play the demo unattended and check its claims:
#                              peer 1 downloads exemplo.txt in chunks from two holders
# Environment: EACHARE (the eachare binary, default build/node/cli/eachare), DEMO_BASE_PORT
# (default 9001, or a random free one for --selftest; the examples' neighbours files name
# 9001..9003 and are rewritten for other ports).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${EACHARE:-$root/build/node/cli/eachare}
selftest=0
[[ "${1:-}" == "--selftest" ]] && selftest=1
base=${DEMO_BASE_PORT:-9001}
[[ $selftest -eq 1 && -z "${DEMO_BASE_PORT:-}" ]] && base=$((20000 + RANDOM % 10000))
if [[ ! -x "$bin" ]]; then
  echo "demo: no eachare at $bin (build it first: tools/run_default.sh, or set EACHARE)" >&2
  exit 2
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/eachare-demo.XXXXXX")
prepare() {
for i in 1 2 3; do
  src=$root/examples/shared; [[ $i -gt 1 ]] && src=$root/examples/shared$i
  cp -r "$src" "$dir/shared$i"
  nb=$root/examples/neighbours.txt; [[ $i -gt 1 ]] && nb=$root/examples/neighbours$i.txt
  # Port 9001 + k in the examples becomes base + k.
  awk -F: -v base="$base" '{ if (NF == 2) print $1 ":" (base + $2 - 9001); else print }' \
    "$nb" > "$dir/neighbours$i.txt"
done
}
prepare
cmd() { echo "$bin 127.0.0.1:$((base + $1 - 1)) $dir/neighbours$1.txt $dir/shared$1"; }

if [[ $selftest -eq 0 ]]; then
  cat <<TEXT
Scratch copy of examples/ in $dir (downloads land there, not in the checkout).
Run each peer in its own terminal, peers 2 and 3 first:

  $(cmd 2)
  $(cmd 3)
  $(cmd 1)

In peer 1: option 2 (both neighbours become ONLINE), option 4, then the row of exemplo.txt:
it is held by peers 2 and 3, so it downloads in chunks from two holders, and option 5 shows
"256 | 2 | 1600 | 1 | ...". Remove $dir when done.
TEXT
  exit 0
fi

# --selftest: peers 2 and 3 serve with no menu input; peer 1 is driven through its menu.
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT
# Peers 2 and 3 must both be up and listening; a port taken meanwhile means another base port.
up=0
for attempt in 1 2 3 4 5; do
  pids=()
  for i in 2 3; do
    $(cmd $i) </dev/null >"$dir/peer$i.log" 2>&1 &
    pids+=($!)
  done
  up=1
  for k in 0 1; do
    port=$((base + k + 1))
    ok=0
    for _ in $(seq 200); do
      kill -0 "${pids[$k]}" 2>/dev/null || break
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ok=1; break; fi
      sleep 0.1
    done
    [[ $ok -eq 1 ]] || up=0
  done
  [[ $up -eq 1 ]] && break
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [[ -n "${DEMO_BASE_PORT:-}" ]] && break
  base=$((20000 + RANDOM % 10000))
  rm -rf "${dir:?}"/*
  prepare
done
[[ $up -eq 1 ]] || { echo "demo selftest: FAILED: peers 2 and 3 did not start" >&2; exit 1; }
out=$(printf '2\n4\n1\n5\n9\n' | timeout 60 $(cmd 1) 2>&1)
echo "$out"
fail() { echo "demo selftest: FAILED: $1" >&2; exit 1; }
grep -qx "Download do arquivo exemplo.txt finalizado." <<<"$out" || fail "no finished download"
grep -qE "^256 \| 2 \| 1600 \| 1 \| " <<<"$out" || fail "statistics do not show two holders"
cmp -s "$dir/shared1/exemplo.txt" "$root/examples/shared2/exemplo.txt" || fail "copy differs"
echo "demo selftest: passed (exemplo.txt from two holders, into $dir/shared1)"
