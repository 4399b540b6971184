#!/usr/bin/env python3
"""CTest label `grading`: `eachare-sim grade` end to end, one case per CTest test.

    grade_test.py --sim EACHARE_SIM --eachare EACHARE --source DIR --case NAME --ports LO-HI

Cases (each asserts what the grade sheet says, not only the exit code):
  eachare-ep1|2|3   our own peer, graded on the grading set of that part: 100 %
  fixture           the independent Python fixture (tests/fixtures): every check passes
  serial            the fixture serving one connection at a time, backlog 1: still 100 %
  mutant-NAME       the fixture with one mistake: the check that should catch it fails
  bad-NAME          a program that misbehaves (tests/grading/bad_program.py) or a bad template:
                    one line on stderr naming the implementation and each scenario, the run goes
                    on with the next scenario, the grade sheet says why, no process of it is left
                    and no temporary directory remains.
  sigterm           SIGTERM to the grader while a program runs: nothing of it is left.
Every run gets its own port range (--ports), so cases run side by side never collide.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

PYTHON = "/usr/bin/python3"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run_grade(args, impl, files, extra=(), env=None):
    report = os.path.join(args.tmp, "report.json")
    cmd = [args.sim, "grade", "--impl", impl, "--port-range", args.ports,
           "--report-json", report] + list(extra) + list(files)
    print("$ " + " ".join(cmd), flush=True)
    started = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                       timeout=600)
    print(p.stdout)
    print(p.stderr, file=sys.stderr)
    print("wall time %.1f s" % (time.monotonic() - started))
    data = None
    if os.path.exists(report):
        with open(report, encoding="utf-8") as f:
            data = json.load(f)
    return p, data


def checks_of(report):
    out = {}
    for s in report["scenarios"]:
        for c in s["checks"]:
            out[(s["name"], c["name"])] = c
    return out


def expect_all_pass(p, report):
    if p.returncode != 0:
        fail("exit code %d, expected 0" % p.returncode)
    if report is None:
        fail("no JSON report written")
    bad = [k for k, c in checks_of(report).items() if not c["passed"]]
    if bad:
        fail("checks failed: %s" % bad)
    if report["grade"]["percent"] != 100.0 or report["grade"]["checks_total"] == 0:
        fail("grade %s, expected 100 %%" % report["grade"])
    if not report["implementation"]:
        fail("the report does not name the implementation")


def expect_caught(p, report, scenario, check, text=None):
    if p.returncode != 1:
        fail("exit code %d, expected 1 (a check failed)" % p.returncode)
    c = checks_of(report).get((scenario, check))
    if c is None:
        fail("no check %r in %s; checks: %s" % (check, scenario, list(checks_of(report))))
    if c["passed"]:
        fail("check %r passed; the mutant was not caught by it" % check)
    if text is not None and text not in c["violation"] + " ".join(c.get("notes", [])):
        fail("check %r failed, but its violation does not say %r: %s" %
             (check, text, c["violation"]))
    print("caught by %r: %s" % (check, c["violation"][:300]))


MUTANTS = {
    # mutant: (scenario file, [(scenario name, check, text in the violation), ...])
    "ep1-clock": ("ep3/discovery.yaml", [
        ("grading-ep3-discovery", "g: wire: max+1 after what it received", "max+1"),
        ("grading-ep3-discovery", "g: console: clock per send and receive", None)]),
    "no-reply-clock": ("ep3/discovery.yaml", [
        ("grading-ep3-discovery", "g: console: clock per send and receive", None),
        ("grading-ep3-discovery", "g: wire: max+1 after what it received", None)]),
    "ignore-bye": ("ep3/discovery.yaml", [
        ("grading-ep3-discovery", "g: console: peer-table change after each message", "BYE"),
        ("grading-ep3-discovery", "peer_state g @ 4500 ms", None)]),
    "block-buffered": ("ep3/discovery.yaml", [
        ("grading-ep3-discovery", "g: driver: every menu step ended within its bound",
         "startup bound")]),
    "string-chunk-order": ("ep3/download.yaml", [
        ("grading-ep3-download", "download_integrity", "differs from the source"),
        ("grading-ep3-download", "g: downloads: the file on disk is the source's",
         "finalizado.\" but three.bin on disk differs from the source")]),
    "wrong-chunk": ("ep3/download.yaml", [
        ("grading-ep3-download", "download_integrity", "mine.bin")]),
}


def own_processes(token, besides=()):
    """PIDs whose command line holds `token` (what a bad program was started with), but ours and
    `besides` (the grader, whose --impl holds it too)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid() or int(pid) in besides:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if token.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


BAD = {
    # case: (template with TOKEN, expected exit code, text in the one stderr line,
    #        (check, text in its violation) in the grade sheet)
    "no-addr": ("{py} {bad} silent TOKEN", 2, "{addr}",
                ("implementation: the program can be started", "{addr}")),
    "missing": ("/nonexistent/eachare-TOKEN {addr}", 1, "No such file or directory",
                ("g: driver: every menu step ended within its bound", "cannot start")),
    "exits": ("{py} {bad} exit {addr} TOKEN", 1, "exited with code 3",
              ("g: driver: every menu step ended within its bound", "exited with code 3")),
    "no-menu": ("{py} {bad} silent {addr} TOKEN", 1, "startup bound",
                ("g: driver: every menu step ended within its bound", "startup bound")),
    "stops-reading": ("{py} {bad} deaf {addr} TOKEN", 1, "step bound",
                      ("g: driver: every menu step ended within its bound", "step bound")),
    "floods": ("{py} {bad} flood {addr} TOKEN", 1, "flooded stdout",
               ("g: driver: every menu step ended within its bound", "flooded stdout")),
    "bad-utf8": ("{py} {bad} badutf8 {addr} TOKEN", 1, None,
                 ("g: console: well-formed text", "\\xff")),
}


def bad_case(args, name):
    template, code, line_text, (check, check_text) = BAD[name]
    token = "grade-test-" + uuid.uuid4().hex[:12]
    bad = os.path.join(args.source, "tests", "grading", "bad_program.py")
    impl = template.replace("{py}", PYTHON).replace("{bad}", bad).replace("TOKEN", token)
    tmpdir = os.path.join(args.tmp, "tmpdir")
    os.makedirs(tmpdir)
    env = dict(os.environ, TMPDIR=tmpdir)
    files = [os.path.join(args.source, "tests", "grading", f)
             for f in ("tiny.yaml", "tiny_again.yaml")]
    p, report = run_grade(args, impl, files, ["--bound-scale", "0.2"], env=env)
    if p.returncode != code:
        fail("exit code %d, expected %d" % (p.returncode, code))
    if report is None:
        fail("no JSON report written")
    names = [s["name"] for s in report["scenarios"]]
    if names != ["grading-tiny", "grading-tiny-again"]:
        fail("the report holds %s, expected both scenarios (the run goes on)" % names)
    lines = [l for l in p.stderr.splitlines() if l.startswith("eachare-sim grade:")]
    if name == "no-addr":
        if len(lines) != 1 or impl not in lines[0] or line_text not in lines[0]:
            fail("expected one line naming the implementation and {addr}, got %s" % lines)
    elif line_text is not None:
        for scenario in names:
            hits = [l for l in lines if " in " + scenario + ":" in l and impl in l]
            if len(hits) != 1 or line_text not in hits[0]:
                fail("expected one line naming %r and %s saying %r, got %s" %
                     (impl, scenario, line_text, lines))
    for scenario in names:
        c = checks_of(report).get((scenario, check))
        if c is None or c["passed"]:
            fail("the grade sheet of %s has no failed %r" % (scenario, check))
        said = c["violation"] + " ".join(c.get("notes", []))
        if check_text not in said:
            fail("%s: %r does not say %r: %s" % (scenario, check, check_text, said[:400]))
        print("%s: %s: %s" % (scenario, check, c["violation"][:300]))
    # Nothing of it is left: the process group was killed, the temporary directory removed.
    deadline = time.monotonic() + 10
    while own_processes(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = own_processes(token)
    if left:
        fail("processes left behind: %s" % left)
    if os.listdir(tmpdir):
        fail("temporary files left in TMPDIR: %s" % os.listdir(tmpdir))


def sigterm_case(args):
    """SIGTERM while a program is running (grade --class's wall-clock bound): the program's
    process group (in a session of its own) and the temporary directory go with the grader,
    which exits with 128 + 15."""
    token = "grade-test-" + uuid.uuid4().hex[:12]
    bad = os.path.join(args.source, "tests", "grading", "bad_program.py")
    impl = "%s %s silent {addr} %s" % (PYTHON, bad, token)
    tmpdir = os.path.join(args.tmp, "tmpdir")
    os.makedirs(tmpdir)
    env = dict(os.environ, TMPDIR=tmpdir)
    cmd = [args.sim, "grade", "--impl", impl, "--port-range", args.ports,
           os.path.join(args.source, "tests", "grading", "tiny.yaml")]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not own_processes(token, {p.pid}) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    if not own_processes(token, {p.pid}):
        p.kill()
        fail("the program never started")
    if not os.listdir(tmpdir):
        p.kill()
        fail("no temporary directory while the program runs")
    p.terminate()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        fail("the grader did not exit within 20 s of SIGTERM")
    if p.returncode != 128 + 15:
        fail("exit code %d after SIGTERM, expected 143" % p.returncode)
    deadline = time.monotonic() + 10
    while own_processes(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    if own_processes(token):
        fail("processes left behind after SIGTERM: %s" % own_processes(token))
    if os.listdir(tmpdir):
        fail("temporary files left after SIGTERM: %s" % os.listdir(tmpdir))
    print("SIGTERM: exit 143, no process and no temporary directory left")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--eachare", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--ports", required=True)
    args = ap.parse_args()
    grading = os.path.join(args.source, "scenarios", "grading")
    fixture = "%s %s {addr} {neighbours} {shared} --ep 3" % (
        PYTHON, os.path.join(args.source, "tests", "fixtures", "eachare_fixture.py"))
    with tempfile.TemporaryDirectory(prefix="eachare-grade-test-") as tmp:
        args.tmp = tmp
        case = args.case
        if case.startswith("eachare-ep"):
            ep = case[-1]
            files = sorted(os.path.join(grading, "ep" + ep, f)
                           for f in os.listdir(os.path.join(grading, "ep" + ep)))
            impl = "%s {addr} {neighbours} {shared} --ep %s" % (args.eachare, ep)
            expect_all_pass(*run_grade(args, impl, files))
        elif case == "fixture":
            expect_all_pass(*run_grade(args, fixture, [], ["--ep", "3"]))
        elif case == "serial":
            expect_all_pass(*run_grade(args, fixture + " --serial", [], ["--ep", "3"]))
        elif case.startswith("mutant-"):
            m = case[len("mutant-"):]
            file, expected = MUTANTS[m]
            p, report = run_grade(args, fixture + " --mutant " + m,
                                  [os.path.join(grading, file)])
            if report is None:
                fail("no JSON report written")
            for scenario, check, text in expected:
                expect_caught(p, report, scenario, check, text)
            if m == "string-chunk-order":
                # Its downloads complete but differ: the figure must not call them identical.
                figure = checks_of(report)[("grading-ep3-download", "download_integrity")]["figure"]
                if "complete and identical" in figure or " identical" not in figure:
                    fail("download_integrity's figure calls differing copies identical: " + figure)
                print("download_integrity figure: " + figure)
        elif case == "sigterm":
            sigterm_case(args)
        elif case.startswith("bad-"):
            bad_case(args, case[len("bad-"):])
        else:
            fail("unknown case " + case)
    print("ok")


if __name__ == "__main__":
    main()
