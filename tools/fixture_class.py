#!/usr/bin/env python3
"""Writes a class of graded submissions made of the Python grading fixture and its mutants, for
`eachare-sim grade --class` (docs/scenarios.md, "A class at once"; the figure in
docs/benchmarks.md).

usage: tools/fixture_class.py DIR [N]

DIR/subs/NAME/eachare_fixture.py is a copy of tests/fixtures/eachare_fixture.py per submission,
DIR/class.yaml the class file. The N submissions (default 20) cycle through: the correct fixture,
the correct fixture with --serial (a slow but correct holder), each --mutant of the fixture, and
each mutant with --serial; names say which (correct-1, serial-1, ep1-clock, ...).
"""

import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "tests", "fixtures", "eachare_fixture.py")
MUTANTS = ("ep1-clock", "no-reply-clock", "string-chunk-order", "ignore-bye", "block-buffered",
           "wrong-chunk")


def kinds():
    """(name, extra switches) in the order the class takes them, repeating as needed."""
    round_no = 0
    while True:
        round_no += 1
        yield f"correct-{round_no}", []
        yield f"serial-{round_no}", ["--serial"]
        for m in MUTANTS:
            suffix = "" if round_no == 1 else f"-{round_no}"
            yield f"{m}{suffix}", ["--mutant", m]
        yield f"correct-{round_no}b", []
        yield f"serial-{round_no}b", ["--serial"]
        for m in MUTANTS:
            yield f"{m}-serial{'' if round_no == 1 else '-' + str(round_no)}", \
                ["--mutant", m, "--serial"]


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) == 3 else 20
    os.makedirs(os.path.join(out, "subs"), exist_ok=True)
    lines = ["# Written by tools/fixture_class.py: the grading fixture and its mutants.",
             "ep: 3", "students:"]
    for (name, extra), _ in zip(kinds(), range(n)):
        sub = os.path.join(out, "subs", name)
        os.makedirs(sub, exist_ok=True)
        shutil.copy(FIXTURE, os.path.join(sub, "eachare_fixture.py"))
        cmd = " ".join(["/usr/bin/python3", "eachare_fixture.py", "{addr}", "{neighbours}",
                        "{shared}", "--ep", "3", *extra])
        lines.append(f'  {name}: {{cmd: "{cmd}", cwd: subs/{name}}}')
    with open(os.path.join(out, "class.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(os.path.join(out, "class.yaml"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
