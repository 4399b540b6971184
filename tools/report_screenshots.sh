#!/usr/bin/env bash
# Screenshots of two HTML reports for the docs, taken with headless Chromium from the files
# `eachare-sim run --report-html` writes: a passing scenario (partition_heal, six lanes chosen with
# --diagram-peers so both sides of the partition show) and an `expect: fail` one
# (fail_lamport_ep1_peer, down to its failing window).
# Usage: tools/report_screenshots.sh [BUILD_DIR (default build-test)] [OUT_DIR (default docs)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build-test}" && pwd)
out=$(mkdir -p "${2:-$root/docs}" && cd "${2:-$root/docs}" && pwd)
tmp=$(mktemp -d /tmp/eachare-screenshots.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$root"  # relative scenario paths, so the page shows them as a user would type them
export PATH="$build/sim/cli:$PATH"
eachare-sim run --quiet --report-html "$tmp/pass.html" --diagram-peers p0,p1,p2,p10,p11,p12 \
  scenarios/regression/partition_heal.yaml
eachare-sim run --quiet --report-html "$tmp/fail.html" scenarios/regression/fail_lamport_ep1_peer.yaml
shot() {  # html png height
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$tmp/profile" \
    --window-size=1280,"$3" --screenshot="$2" "file://$1" 2>/dev/null
  echo "wrote $2"
}
shot "$tmp/pass.html" "$out/report_pass.png" 1900
shot "$tmp/fail.html" "$out/report_fail.png" 2300
