#!/usr/bin/env python3
"""`eachare-sim grade --class` end to end (CTest label grading): the orchestration of a class.

usage: class_test.py EACHARE_SIM GRADER SCENARIO_DIR CASE

GRADER is the program each (student, file) grading runs as `GRADER grade --impl ...`:
tests/grading/fake_grade.py (a stand-in that runs the submission and turns its `CHECK` lines into
checks), so these tests are about the class and its children, not about grading itself. CASE:

  rows     a class of five: one passes, one fails a check, one hangs (killed at the class's
           bound), one crashes (SIGSEGV), and one whose grader crashes (SIGABRT): the table's rows
           say so, the run completes, no process and no temporary directory is left
  bad      bad class files: each one line `file:line:col: ...` on stderr and exit 2, nothing run
  shards   shards 1/2 and 2/2 merged equal the unsharded run (wall-clock fields aside)
  real     GRADER is eachare-sim's real `grade` (the same binary in CTest) and FIXTURE (5th argument) the Python
           EACHare fixture: a class of four on the ep3 discovery scenario — the correct fixture
           passes, its ignore-bye mutant fails the table check after the BYE, a program that
           never shows its menu and one that dies at once (SIGSEGV) fail the driver check; no
           process and no temporary directory is left
"""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import socket
import tempfile
import time

SIM, GRADER, SCENARIOS, CASE = sys.argv[1:5]
# Each case has its own ports (21000-22299, 25000-25399: apart from grade_test.py's 23000-24999),
# so CTest may run the cases, and those of grade_test.py, at the same time. A port that some other
# process holds would fail the case for nothing (fake_grade.py refuses a busy first port: that
# is how it shows two children given one range), so each case first checks that its block is free
# and otherwise moves it to one of 26000-31999, below the kernel's ephemeral ports.
PORT_SPAN = 400


def block_is_free(base):
    for port in range(base, base + PORT_SPAN):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


CASES = ["rows", "bad", "shards", "real"]


def free_port_base(preferred):
    # The alternates of different cases never overlap: 1,600 ports per round, 400 per case.
    for base in [preferred] + [26000 + 1600 * k + 400 * CASES.index(CASE) for k in range(4)]:
        if block_is_free(base):
            return base
    return preferred  # every block busy: run anyway, and let the failure name the port


PORT_BASE = free_port_base({"rows": 21000, "bad": 21500, "shards": 22000, "real": 25000}[CASE])

PROGRAMS = {
    "pass.sh": 'echo "CHECK clock pass"; echo "CHECK table pass"\n',
    "fail.sh": 'echo "CHECK clock pass"; echo "CHECK table fail b is listed OFFLINE"\n',
    # Prints its pid so the test can tell it is gone, then never ends.
    "hang.sh": 'echo $$ >> "$HANG_PIDS"; echo "CHECK clock pass"; exec sleep 1000\n',
    "crash.sh": 'echo "CHECK clock pass"; echo "CHECK table pass"; kill -SEGV $$\n',
}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def make_class(root, extra=""):
    subs = os.path.join(root, "subs")
    os.makedirs(subs, exist_ok=True)
    for name, body in PROGRAMS.items():
        path = os.path.join(subs, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
    pids = os.path.join(root, "hang.pids")
    text = f"""# a class for class_test.py
ep: 3
students:
  ada: {{cmd: "./pass.sh {{addr}} {{neighbours}} {{shared}}", cwd: subs}}
  bob: {{cmd: "./fail.sh {{addr}}", cwd: subs}}
  cy: {{cmd: "./hang.sh {{addr}}", cwd: subs, env: {{HANG_PIDS: {pids}}}}}
  dee: {{cmd: [./crash.sh, "{{addr}}"], cwd: subs}}
  eve: {{cmd: "./pass.sh {{addr}}", cwd: subs, env: {{FAKE_GRADE_ABORT: "1"}}}}
{extra}"""
    path = os.path.join(root, "class.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def run(args, cwd, env=None, bound=300):
    t0 = time.monotonic()
    p = subprocess.run([SIM] + args, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=bound)
    print(f"$ eachare-sim {' '.join(args)}  -> exit {p.returncode} in "
          f"{time.monotonic() - t0:.1f} s")
    print(p.stdout, end="")
    print(p.stderr, end="")
    return p


def grade_args(class_file, out, *more, port_base=PORT_BASE):
    files = [os.path.join(SCENARIOS, f) for f in ("discovery.yaml", "download.yaml")]
    return ["grade", "--class", class_file, "--grader", GRADER, "--out", out,
            "--port-base", str(port_base), "--ports-per-job", "20", *more, *files]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is not alive
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def processes_mentioning(text):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().decode(errors="replace")
        except OSError:
            continue
        if int(pid) != os.getpid() and (text in cmd or text in env):
            found.append(f"{pid}: {cmd}")
    return found


def case_rows(root):
    class_file = make_class(root)
    tmp = os.path.join(root, "tmp")
    os.mkdir(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    out = os.path.join(root, "out")
    p = run(grade_args(class_file, out, "--jobs", "3", "--timeout", "4"), root, env)
    if p.returncode != 1:
        fail(f"expected exit 1 (some submissions did not pass), got {p.returncode}")
    rows = read_csv(os.path.join(out, "class.csv"))
    header, body = rows[0], {r[0]: r for r in rows[1:]}
    want_columns = ["student", "result", "passed", "total",
                    "discovery: clock", "discovery: table", "discovery: program ran",
                    "download: clock", "download: table", "download: program ran",
                    "problems", "evidence", "wall_seconds"]
    label = os.path.basename(SCENARIOS)
    want_columns = [c.replace("discovery:", f"{label}/discovery:")
                    .replace("download:", f"{label}/download:") for c in want_columns]
    if header != want_columns:
        fail(f"columns {header}, expected {want_columns}")
    if list(body) != ["ada", "bob", "cy", "dee", "eve"]:
        fail(f"rows {list(body)}, expected the students in class-file order")
    expect = {
        "ada": ("pass", "6", ["pass"] * 6),
        "bob": ("fail", "4", ["pass", "FAIL", "pass"] * 2),
        "cy": ("incomplete", "0", ["timeout"] * 6),
        "dee": ("fail", "4", ["pass", "pass", "FAIL"] * 2),
        "eve": ("incomplete", "0", ["crashed"] * 6),
    }
    for student, (result, passed, cells) in expect.items():
        r = body[student]
        if (r[1], r[2], r[4:10]) != (result, passed, cells):
            fail(f"row {r}, expected {result}, {passed} passed, cells {cells}")
    if "no result within 4 s" not in body["cy"][10]:
        fail(f"cy's problems do not name the bound: {body['cy'][10]}")
    if "killed by signal 6" not in body["eve"][10]:
        fail(f"eve's problems do not name the grader's signal: {body['eve'][10]}")
    # Evidence: every student's directory, linked from the HTML row.
    html = open(os.path.join(out, "class.html")).read()
    for student in body:
        if not os.path.isdir(os.path.join(out, student)):
            fail(f"no evidence directory for {student}")
    for link in ("ada/" + label + "-discovery.html", "bob/" + label + "-download.json",
                 "cy/" + label + "-discovery.log"):
        if f'href="{link}"' not in html:
            fail(f"the HTML table does not link {link}")
        if not os.path.isfile(os.path.join(out, link)):
            fail(f"linked evidence {link} does not exist")
    if "no result within 4 s" not in open(os.path.join(out, "cy", label + "-download.log")).read():
        fail("cy's log does not say why the grading ended")
    summary = json.load(open(os.path.join(out, "class.json")))
    if [r["status"] for r in summary["results"]] != (
            ["graded"] * 4 + ["timeout"] * 2 + ["graded"] * 2 + ["crashed"] * 2):
        fail("class.json statuses differ from the table")
    # Nothing left: the hanging programs (started by graders that were killed), any grader, any
    # temporary directory.
    pids = [int(x) for x in open(os.path.join(root, "hang.pids")).read().split()]
    if len(pids) != 2:
        fail(f"expected the hanging program to have started twice, got pids {pids}")
    for pid in pids:
        if alive(pid):
            fail(f"the hanging program {pid} outlived the class run")
    left = processes_mentioning(root)
    if left:
        fail("processes left behind: " + "; ".join(left))
    if os.listdir(tmp):
        fail(f"temporary directories left behind: {os.listdir(tmp)}")


BAD = [
    ("missing_students", "ep: 3\n",
     r":1:1: missing key 'students' in the class file"),
    ("unknown_key", "students:\n  ada: {cmd: \"./p {addr}\", cdw: subs}\n",
     r":2:28: unknown key 'cdw' in student 'ada' \(expected one of: cmd, cwd, env\)"),
    ("unknown_top_key", "studnets: {}\n",
     r":1:1: unknown key 'studnets' in the class file"),
    ("no_cmd", "students:\n  ada: {cwd: subs}\n",
     r":2:8: missing key 'cmd' in student 'ada'"),
    ("no_addr", "students:\n  ada: {cmd: \"./p {neighbours} {shared}\"}\n",
     r":2:14: the command template has no \{addr\}"),
    ("empty_students", "students: {}\n",
     r":1:11: expected a mapping of student name to \{cmd, cwd, env\} for students, got an "
     r"empty mapping"),
    ("bad_cwd", "students:\n  ada: {cmd: \"./p {addr}\", cwd: nowhere}\n",
     r":2:33: expected an existing directory for cwd of student 'ada'"),
    ("bad_name", "students:\n  ../up: {cmd: \"./p {addr}\"}\n",
     r":2:3: expected a student name of letters"),
    ("duplicate", "students:\n  ada: {cmd: \"./p {addr}\"}\n  ada: {cmd: \"./q {addr}\"}\n",
     r":3:3: duplicate key 'ada' in students"),
    ("bad_yaml", "students: [\n", r":2:1: invalid YAML"),
]


def case_bad(root):
    os.mkdir(os.path.join(root, "subs"))
    out = os.path.join(root, "out")
    for name, text, pattern in BAD:
        path = os.path.join(root, name + ".yaml")
        with open(path, "w") as f:
            f.write(text)
        p = run(grade_args(path, out), root)
        lines = p.stderr.splitlines()
        if p.returncode != 2 or len(lines) != 1 or not re.search(
                "^" + re.escape(path) + pattern, lines[0]):
            fail(f"{name}: expected exit 2 and one line matching {pattern!r}, got exit "
                 f"{p.returncode} and {lines}")
        if os.path.exists(out):
            fail(f"{name}: the run started (it made {out})")
    # Flags that do not go together: one line, exit 2, nothing run.
    good = os.path.join(root, "good.yaml")
    with open(good, "w") as f:
        f.write('students:\n  ada: {cmd: "./p {addr}"}\n')
    for args, says in (
            (["grade", "--impl", "./p {addr}", "--jobs", "2"], "--jobs is for --class"),
            (["grade", "--class", good, "--impl", "./p {addr}"], "--impl is for one --impl"),
            (["grade", "--class", good, "--report-json", "x.json"], "--report-json is for one")):
        p = run(args + [os.path.join(SCENARIOS, "discovery.yaml")], root)
        if p.returncode != 2 or len(p.stderr.splitlines()) != 1 or says not in p.stderr:
            fail(f"{args}: expected exit 2 and one line saying {says!r}")
        if os.path.exists(out) or os.path.exists(os.path.join(root, "class-grades")):
            fail(f"{args}: the run started")
    p = run(grade_args(os.path.join(root, "absent.yaml"), out), root)
    if p.returncode != 2 or len(p.stderr.splitlines()) != 1 or "no such file" not in p.stderr:
        fail("a missing class file: expected exit 2 and one line")


def strip_wall(path):
    """A report's text without its wall-clock fields."""
    text = open(path).read()
    if path.endswith(".csv"):
        return [r[:-1] for r in csv.reader(io.StringIO(text))]
    if path.endswith(".json"):
        j = json.loads(text)
        j.pop("wall_seconds")
        j.pop("jobs")
        for r in j["results"]:
            r.pop("wall_seconds")
        return j
    return re.sub(r'<span class="wall">[^<]*</span>', "", text)


def case_shards(root):
    class_file = make_class(root)
    whole = os.path.join(root, "whole")
    shards = os.path.join(root, "shards")
    run(grade_args(class_file, whole, "--jobs", "2", "--timeout", "3"), root)
    procs = [subprocess.Popen([SIM] + grade_args(class_file, shards, "--shard", f"{i}/2",
                                                 "--jobs", "1", "--timeout", "3", "-q",
                                                 port_base=PORT_BASE + 100 * i),
                              cwd=root)
             for i in (1, 2)]
    for p in procs:
        if p.wait(timeout=300) not in (0, 1):
            fail(f"a shard exited {p.returncode}")
    for i in (1, 2):
        if not os.path.isfile(os.path.join(shards, f"class-{i}-of-2.json")):
            fail(f"shard {i}/2 wrote no class-{i}-of-2.json")
    p = run(["merge", os.path.join(shards, "class-1-of-2.json"),
             os.path.join(shards, "class-2-of-2.json")], root)
    if p.returncode != 1:
        fail(f"merge: expected exit 1 (as the unsharded run), got {p.returncode}")
    for name in ("class.csv", "class.json", "class.html"):
        a = strip_wall(os.path.join(whole, name))
        b = strip_wall(os.path.join(shards, name))
        if a != b:
            fail(f"merged {name} differs from the unsharded run's")
    # A shard missing, and a shard given twice: one line each, exit 2.
    p = run(["merge", os.path.join(shards, "class-1-of-2.json")], root)
    if p.returncode != 2 or "no report for shard 2/2" not in p.stderr:
        fail("merge of one shard of two: expected exit 2 naming shard 2/2")
    p = run(["merge", os.path.join(shards, "class-1-of-2.json"),
             os.path.join(shards, "class-1-of-2.json")], root)
    if p.returncode != 2 or "given twice" not in p.stderr:
        fail("merge of a shard given twice: expected exit 2")


def case_real(root):
    fixture = sys.argv[5]
    helptext = subprocess.run([GRADER, "grade", "--help"], capture_output=True, text=True).stdout
    if not re.search(r"^\s*--impl\b", helptext, re.M):
        print(f"SKIP: {GRADER} has no `grade --impl` (the grading command is not built in)")
        sys.exit(77)
    subs = os.path.join(root, "subs")
    os.makedirs(subs)
    pids = os.path.join(root, "hang.pids")
    with open(os.path.join(subs, "mute.sh"), "w") as f:
        f.write('#!/bin/sh\necho $$ >> "$HANG_PIDS"; exec sleep 1000\n')
    with open(os.path.join(subs, "segv.sh"), "w") as f:
        f.write("#!/bin/sh\nkill -SEGV $$\n")
    for name in ("mute.sh", "segv.sh"):
        os.chmod(os.path.join(subs, name), 0o755)
    peer = f"/usr/bin/python3 {fixture} {{addr}} {{neighbours}} {{shared}} --ep 3"
    class_file = os.path.join(root, "class.yaml")
    with open(class_file, "w") as f:
        f.write(f"""ep: 3
students:
  fixture: {{cmd: "{peer}"}}
  ignores-bye: {{cmd: "{peer} --mutant ignore-bye"}}
  mute: {{cmd: "./mute.sh {{addr}}", cwd: subs, env: {{HANG_PIDS: {pids}}}}}
  segv: {{cmd: "./segv.sh {{addr}}", cwd: subs}}
""")
    tmp = os.path.join(root, "tmp")
    os.mkdir(tmp)
    env = dict(os.environ, TMPDIR=tmp)
    out = os.path.join(root, "out")
    p = run(["grade", "--class", class_file, "--grader", GRADER, "--out", out,
             "--port-base", str(PORT_BASE),
             "--jobs", "4", "--timeout", "240", os.path.join(SCENARIOS, "discovery.yaml")],
            root, env)
    if p.returncode != 1:
        fail(f"expected exit 1 (some submissions did not pass), got {p.returncode}")
    rows = read_csv(os.path.join(out, "class.csv"))
    header, body = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    label = os.path.basename(SCENARIOS) + "/discovery: "
    bye = label + "peer_state g @ 4500 ms"
    driver = [c for c in header if c.startswith(label) and ": driver:" in c]
    if bye not in header or len(driver) != 1:
        fail(f"expected the columns {bye!r} and one driver check, got {header}")
    want = {"fixture": "pass", "ignores-bye": "fail", "mute": "fail", "segv": "fail"}
    got = {s: body[s]["result"] for s in body}
    if got != want:
        fail(f"results {got}, expected {want}")
    if body["ignores-bye"][bye] != "FAIL":
        fail(f"ignore-bye: {bye} is {body['ignores-bye'][bye]}, expected FAIL")
    for s in ("mute", "segv"):
        if body[s][driver[0]] != "FAIL":
            fail(f"{s}: {driver[0]} is {body[s][driver[0]]}, expected FAIL")
    for s in body:
        if not os.path.isfile(os.path.join(out, s, os.path.basename(SCENARIOS) + "-discovery.json")):
            fail(f"no grade report as evidence for {s}")
    for pid in (int(x) for x in open(pids).read().split()):
        if alive(pid):
            fail(f"the mute program {pid} outlived the class run")
    left = processes_mentioning(root)
    if left:
        fail("processes left behind: " + "; ".join(left))
    if os.listdir(tmp):
        fail(f"temporary directories left behind: {os.listdir(tmp)}")


def main():
    root = tempfile.mkdtemp(prefix=f"eachare-class-test-{CASE}-")
    try:
        {"rows": case_rows, "bad": case_bad, "shards": case_shards, "real": case_real}[CASE](root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
