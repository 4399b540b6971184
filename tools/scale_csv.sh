#!/usr/bin/env bash
# Runs the scale programs (bench/scale_hello_bye, bench/scale_discovery) at a few sizes and
# writes one CSV row per run (program,peers,wall_s,peak_rss_mib,load1,result) for
# tools/plot_scale.py. A run that misses its target (result FAIL, exit 1) is still a measurement.
# Usage: tools/scale_csv.sh BUILD_DIR OUT.csv
#   HELLO_SIZES (default "10000 100000 1000000") and DISCOVERY_SIZES (default "500 1000 2000
#   5000") choose the sizes. The programs must be built (tools/run_benchmarks.sh builds them).
set -euo pipefail
build=${1:?usage: scale_csv.sh BUILD_DIR OUT.csv}
out=${2:?usage: scale_csv.sh BUILD_DIR OUT.csv}
echo "program,peers,wall_s,peak_rss_mib,load1,result" > "$out"
run() {  # program peers
  local text wall rss rc=0
  text=$("$build/bench/$1" "$2") || rc=$?
  if ((rc > 1)); then
    echo "scale_csv.sh: $1 $2 exited $rc" >&2
    return 1
  fi
  wall=$(printf '%s\n' "$text" | sed -n 's/.*wall_s=\([0-9.]*\).*/\1/p' | tail -n 1)
  rss=$(printf '%s\n' "$text" | sed -n 's/.*peak_rss_mib=\([0-9.]*\).*/\1/p' | tail -n 1)
  if [[ -z $wall || -z $rss ]]; then
    echo "scale_csv.sh: no wall_s/peak_rss_mib in the output of $1 $2" >&2
    return 1
  fi
  echo "$1,$2,$wall,$rss,$(cut -d' ' -f1 /proc/loadavg),$( ((rc == 0)) && echo PASS || echo FAIL)" |
    tee -a "$out"
}
for n in ${HELLO_SIZES:-10000 100000 1000000}; do run scale_hello_bye "$n"; done
for n in ${DISCOVERY_SIZES:-500 1000 2000 5000}; do run scale_discovery "$n"; done
