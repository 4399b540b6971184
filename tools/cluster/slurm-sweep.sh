#!/usr/bin/env bash
# A seed sweep on Slurm (docs/sweeps.md): one array task per shard, SLURM_ARRAY_TASK_ID mapped to
# --shard I/N (I counted from 1 whatever the array's first index), then a merge job that starts
# when every task has ended well.
#   tools/cluster/slurm-sweep.sh submit          # on the login node: the array, then the merge
#   sbatch --array=1-4 tools/cluster/slurm-sweep.sh shard; then ... slurm-sweep.sh merge
# Settings (environment): SHARDS (4), SEEDS (1..1000), FILES ('scenarios/regression/*.yaml',
# expanded by the shell), REPORTS (./sweep-reports), EACHARE_SIM (eachare-sim on PATH).
# A shard exits 0 when its runs ran, even if some failed (the merge says which); 2 is a bad file
# or flag. The array must be a contiguous range (no :step).
#SBATCH --job-name=eachare-sweep
#SBATCH --cpus-per-task=1
#SBATCH --mem=512M
#SBATCH --time=06:00:00
#SBATCH --output=eachare-sweep-%A_%a.out
set -u
SHARDS=${SHARDS:-4}
SEEDS=${SEEDS:-1..1000}
FILES=${FILES:-scenarios/regression/*.yaml}
REPORTS=${REPORTS:-./sweep-reports}
EACHARE_SIM=${EACHARE_SIM:-eachare-sim}
mode=${1:-shard}

case "$mode" in
  submit)
    mkdir -p "$REPORTS" || exit 2
    jid=$(sbatch --parsable --array=1-"$SHARDS" --export=ALL "$0" shard) || exit 2
    sbatch --parsable --dependency=afterok:"${jid%%;*}" --job-name=eachare-merge \
      --output=eachare-merge-%j.out --export=ALL "$0" merge
    ;;
  shard)
    if [ -z "${SLURM_ARRAY_TASK_ID:-}" ]; then
      echo "slurm-sweep: 'shard' runs inside an array task (SLURM_ARRAY_TASK_ID is not set)" >&2
      exit 2
    fi
    i=$((SLURM_ARRAY_TASK_ID - ${SLURM_ARRAY_TASK_MIN:-1} + 1))
    n=${SLURM_ARRAY_TASK_COUNT:-$SHARDS}
    out="$REPORTS/shard-$i-of-$n.json"
    # shellcheck disable=SC2086  # FILES is a glob on purpose
    "$EACHARE_SIM" run $FILES --seeds "$SEEDS" --shard "$i/$n" --jobs "${SLURM_CPUS_PER_TASK:-1}" \
      --quiet --report-json "$out.part"
    rc=$?
    [ "$rc" -le 1 ] || exit "$rc"
    mv "$out.part" "$out"
    ;;
  merge)
    "$EACHARE_SIM" merge "$REPORTS"/shard-*-of-"$SHARDS".json \
      --report-json "$REPORTS/sweep.json" --report-junit "$REPORTS/sweep.xml"
    ;;
  *)
    echo "slurm-sweep: mode is submit, shard or merge, not '$mode'" >&2
    exit 2
    ;;
esac
