#!/usr/bin/env bash
# A seed sweep with GNU parallel (docs/sweeps.md): one shard per job slot ({} is the shard number),
# on this machine or, with -S host1,host2 added, on others that have eachare-sim and the files.
# Settings (environment): SHARDS (4), SEEDS (1..1000), FILES (scenarios/regression/*.yaml),
# REPORTS (./sweep-reports), EACHARE_SIM (eachare-sim). The line below is the one-liner.
set -u
SHARDS=${SHARDS:-4} SEEDS=${SEEDS:-1..1000} FILES=${FILES:-scenarios/regression/*.yaml}
REPORTS=${REPORTS:-./sweep-reports} EACHARE_SIM=${EACHARE_SIM:-eachare-sim}
mkdir -p "$REPORTS" || exit 2
export SHARDS SEEDS FILES REPORTS EACHARE_SIM

parallel --will-cite --halt now,fail=1 '"$EACHARE_SIM" run $FILES --seeds "$SEEDS" --shard {}/"$SHARDS" --jobs 1 --quiet --report-json "$REPORTS"/shard-{}-of-"$SHARDS".json; [ $? -le 1 ]' ::: $(seq "$SHARDS") && "$EACHARE_SIM" merge "$REPORTS"/shard-*-of-"$SHARDS".json --report-json "$REPORTS"/sweep.json --report-junit "$REPORTS"/sweep.xml
