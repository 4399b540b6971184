#!/bin/sh
# eachare-sim --report-html on bad paths (one line, exit 2, nothing runs, nothing written) and the
# redraw from a saved trace (`report TRACE --report-html F` gives the same file as the run).
# Usage: report_html_cli_test.sh EACHARE_SIM SCENARIO_FILE
sim=$1
scenario=$2
tmp=$(mktemp -d /tmp/eachare-report-html.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

expect_one_line_exit_2() {  # what, output, rc
  echo "$2"
  [ "$3" -eq 2 ] || fail "$1: exit $3, expected 2"
  [ "$(printf '%s\n' "$2" | wc -l)" -eq 1 ] || fail "$1: expected one line"
  printf '%s\n' "$2" | grep -q 'scenario ' && fail "$1: a scenario ran"
  return 0
}

# A missing directory.
out=$("$sim" run --report-html "$tmp/no/such/dir/r.html" "$scenario" 2>&1); rc=$?
expect_one_line_exit_2 "missing directory" "$out" $rc
printf '%s\n' "$out" | grep -q "no directory $tmp/no/such/dir" || fail "missing directory: wrong message"
[ -e "$tmp/no" ] && fail "missing directory: something was created"

# A directory where the file should be.
out=$("$sim" run --report-html "$tmp" "$scenario" 2>&1); rc=$?
expect_one_line_exit_2 "directory" "$out" $rc

# An unwritable file (root writes anything, so as root the run drops to nobody).
echo keep > "$tmp/ro.html"
chmod 444 "$tmp/ro.html"
as=""
if [ "$(id -u)" = 0 ]; then as="setpriv --reuid=65534 --regid=65534 --clear-groups"; fi
out=$($as "$sim" run --report-html "$tmp/ro.html" "$scenario" 2>&1); rc=$?
expect_one_line_exit_2 "unwritable file" "$out" $rc
printf '%s\n' "$out" | grep -q "cannot write $tmp/ro.html" || fail "unwritable file: wrong message"
[ "$(cat "$tmp/ro.html")" = keep ] || fail "unwritable file: its content changed"

# `report` with a missing directory, a directory and an unwritable file too: refused before the
# (missing) trace would be read.
out=$("$sim" report "$tmp/none.jsonl" --report-html "$tmp/no/r.html" 2>&1); rc=$?
expect_one_line_exit_2 "report, missing directory" "$out" $rc
printf '%s\n' "$out" | grep -q "no directory $tmp/no" || fail "report, missing directory: wrong message"
out=$("$sim" report "$tmp/none.jsonl" --report-html "$tmp" 2>&1); rc=$?
expect_one_line_exit_2 "report, directory" "$out" $rc
out=$($as "$sim" report "$tmp/none.jsonl" --report-html "$tmp/ro.html" 2>&1); rc=$?
expect_one_line_exit_2 "report, unwritable file" "$out" $rc
printf '%s\n' "$out" | grep -q "cannot write $tmp/ro.html" || fail "report, unwritable file: wrong message"
[ "$(cat "$tmp/ro.html")" = keep ] || fail "report, unwritable file: its content changed"

# A good run writes the report; a redraw from its trace is the same file.
"$sim" run --quiet --report-html "$tmp/run.html" --trace "$tmp/t.jsonl" "$scenario" >/dev/null 2>&1
[ -s "$tmp/run.html" ] || fail "no report written"
"$sim" report "$tmp/t.jsonl" --report-html "$tmp/redrawn.html" 2>/dev/null || fail "report failed"
cmp "$tmp/run.html" "$tmp/redrawn.html" || fail "the redraw differs from the run's report"

# A trace line that is not one of ours: one line, exit 2.
echo 'garbage' > "$tmp/bad.jsonl"
out=$("$sim" report "$tmp/bad.jsonl" --report-html "$tmp/bad.html" 2>&1); rc=$?
expect_one_line_exit_2 "bad trace" "$out" $rc
echo "ok"
