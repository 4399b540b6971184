#!/usr/bin/env python3
"""A stand-in for `eachare-sim grade --impl ...`, used only by the class tests (class_test.py).

It takes the command line `grade --class` gives each child and behaves like a grader in the ways
the class orchestration depends on, with nothing of the real grading: it binds the first port of
its --port-range (so two children given the same range would collide and say so), starts the
submission's command in its own session with {addr}, {neighbours} and {shared} filled in, turns
each line `CHECK <name> pass|fail [violation]` the program prints into a check, adds the check
"program ran" (failed when the program died by a signal), writes --report-json in the shape of
`eachare-sim run --report-json` and a small --report-html, and exits 0 (all passed) or 1.

A program that never ends makes it wait for ever (the class's wall-clock bound must kill it and
the program); FAKE_GRADE_ABORT=1 in its environment makes the grader itself crash (SIGABRT).
"""

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile


def main(argv):
    if not argv or argv[0] != "grade":
        print("fake_grade: expected the subcommand grade", file=sys.stderr)
        return 2
    opts = {"--keep": False}
    files = []
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--keep":
            opts[a] = True
        elif a.startswith("--"):
            opts[a] = argv[i + 1]
            i += 1
        else:
            files.append(a)
        i += 1
    for need in ("--impl", "--report-json", "--port-range", "--ep"):
        if need not in opts:
            print(f"fake_grade: missing {need}", file=sys.stderr)
            return 2
    if len(files) != 1:
        print(f"fake_grade: expected one scenario file, got {len(files)}", file=sys.stderr)
        return 2
    if os.environ.get("FAKE_GRADE_ABORT") == "1":
        os.abort()
    first, last = (int(p) for p in opts["--port-range"].split("-"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", first))
    except OSError as e:
        print(f"fake_grade: port {first} of --port-range {first}-{last} is busy: {e}",
              file=sys.stderr)
        return 2
    listener.listen(1)

    work = tempfile.mkdtemp(prefix="fake-grade-")
    neighbours = os.path.join(work, "neighbours.txt")
    with open(neighbours, "w") as f:
        f.write(f"127.0.0.1:{first + 1}\n")
    shared = os.path.join(work, "shared")
    os.mkdir(shared)
    words = [w.replace("{addr}", f"127.0.0.1:{first}").replace("{neighbours}", neighbours)
             .replace("{shared}", shared) for w in shlex.split(opts["--impl"])]
    checks = []
    try:
        proc = subprocess.Popen(words, cwd=opts.get("--cwd") or None, stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True, text=True)
    except OSError as e:
        checks.append({"name": "program ran", "passed": False, "violation": f"cannot start: {e}"})
        proc = None
    if proc is not None:
        for line in proc.stdout:
            print(line, end="", flush=True)
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[0] == "CHECK":
                c = {"name": parts[1], "passed": parts[2] == "pass"}
                if not c["passed"]:
                    c["violation"] = parts[3].strip() if len(parts) > 3 else "failed"
                checks.append(c)
        rc = proc.wait()
        ran = {"name": "program ran", "passed": rc >= 0}
        if rc < 0:
            ran["violation"] = f"killed by signal {-rc} ({signal.Signals(-rc).name})"
        checks.append(ran)
    passed = all(c["passed"] for c in checks)
    name = os.path.splitext(os.path.basename(files[0]))[0]
    report = {"exit_code": 0 if passed else 1, "implementation": opts["--impl"],
              "scenarios": [{"name": name, "file": files[0], "passed": passed,
                             "checks": checks}]}
    with open(opts["--report-json"], "w") as f:
        json.dump(report, f, indent=2)
    if "--report-html" in opts:
        with open(opts["--report-html"], "w") as f:
            f.write(f"<!DOCTYPE html><html><body><h1>{name}</h1><pre>"
                    f"{json.dumps(checks, indent=2)}</pre></body></html>\n")
    if not opts["--keep"]:
        shutil.rmtree(work)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
