#!/bin/sh
# eachare-sim merge --report-html (issue 12 part 2): a bad path is refused with one line and exit 2
# before any report is read; the HTML of merged shard reports equals the HTML of merging the
# unsharded run's report, has one summary section per run with its seed, checks, first violation
# and replay command, and the sweep summary on top.
# Usage: merge_html_cli_test.sh EACHARE_SIM PASSING_SCENARIO FAILING_SCENARIO
sim=$1
pass=$2
failing=$3
tmp=$(mktemp -d /tmp/eachare-merge-html.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

expect_one_line_exit_2() {  # what, output, rc
  echo "$2"
  [ "$3" -eq 2 ] || fail "$1: exit $3, expected 2"
  [ "$(printf '%s\n' "$2" | wc -l)" -eq 1 ] || fail "$1: expected one line"
  printf '%s\n' "$2" | grep -q -- '--report-html' || fail "$1: the line does not name --report-html"
  return 0
}

# Bad paths, checked before the (missing) report would be read.
out=$("$sim" merge "$tmp/none.json" --report-html "$tmp/no/such/dir/m.html" 2>&1); rc=$?
expect_one_line_exit_2 "missing directory" "$out" $rc
printf '%s\n' "$out" | grep -q "no directory $tmp/no/such/dir" || fail "missing directory: wrong message"
[ -e "$tmp/no" ] && fail "missing directory: something was created"
out=$("$sim" merge "$tmp/none.json" --report-html "$tmp" 2>&1); rc=$?
expect_one_line_exit_2 "directory" "$out" $rc
echo keep > "$tmp/ro.html"
chmod 444 "$tmp/ro.html"
as=""
if [ "$(id -u)" = 0 ]; then as="setpriv --reuid=65534 --regid=65534 --clear-groups"; fi
out=$($as "$sim" merge "$tmp/none.json" --report-html "$tmp/ro.html" 2>&1); rc=$?
expect_one_line_exit_2 "unwritable file" "$out" $rc
printf '%s\n' "$out" | grep -q "cannot write $tmp/ro.html" || fail "unwritable file: wrong message"
[ "$(cat "$tmp/ro.html")" = keep ] || fail "unwritable file: its content changed"

# A sweep of 2 files x 3 seeds, whole and as 2 shards; failing_check fails at every seed (exit 1).
"$sim" run "$pass" "$failing" --seeds 3 --jobs 1 --report-json "$tmp/whole.json" >/dev/null
[ $? -eq 1 ] || fail "the sweep did not exit 1"
for i in 1 2; do
  "$sim" run "$pass" "$failing" --seeds 3 --jobs 1 --shard $i/2 --report-json "$tmp/s$i.json" \
    >/dev/null
done
"$sim" merge "$tmp/s2.json" "$tmp/s1.json" --report-html "$tmp/shards.html" >/dev/null
[ $? -eq 1 ] || fail "merge of the shards did not exit 1"
"$sim" merge "$tmp/whole.json" --report-html "$tmp/whole.html" >/dev/null
[ $? -eq 1 ] || fail "merge of the whole run did not exit 1"
cmp "$tmp/shards.html" "$tmp/whole.html" || fail "the shards' HTML differs from the whole run's"

html=$tmp/whole.html
[ "$(grep -c '<section class="scenario"' "$html")" -eq 6 ] || fail "expected 6 run sections"
grep -q '<section class="sweep"><h2>Sweep</h2>' "$html" || fail "no sweep summary"
grep -q 'No pictures' "$html" || fail "no note on the missing pictures"
for seed in 1 2 3; do
  grep -qF "$(basename "$failing") --seed $seed</code>" "$html" || fail "no replay of seed $seed"
done
[ "$(grep -c 'class="violation-text">first violation' "$html")" -eq 3 ] \
  || fail "expected the first violation of each of the 3 failing runs"
grep -q '<svg class="spacetime"' "$html" && fail "a picture without a trace"

# One plain report: no sweep section.
"$sim" run "$pass" --report-json "$tmp/one.json" >/dev/null || fail "the passing run failed"
"$sim" merge "$tmp/one.json" --report-html "$tmp/one.html" >/dev/null || fail "merge of one failed"
[ "$(grep -c '<section class="scenario"' "$tmp/one.html")" -eq 1 ] || fail "expected 1 section"
grep -q 'class="sweep"' "$tmp/one.html" && fail "a sweep section for one run"
echo "ok"
