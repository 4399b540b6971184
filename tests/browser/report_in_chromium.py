#!/usr/bin/env python3
"""Opens eachare-sim HTML reports in headless Chromium and checks what the browser built.

For each scenario: run it with --report-html and --report-json, let Chromium load the file from
disk (no network), dump the DOM and take a screenshot, then assert that the DOM has the lanes,
arrows, failing window and plot points the JSON report implies and that the screenshot is not
blank. Usage: report_in_chromium.py EACHARE_SIM CHROMIUM SCENARIO...
"""
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Svgs(html.parser.HTMLParser):
    """Counts elements by their classes inside each <svg class=...> of the page."""

    def __init__(self):
        super().__init__()
        self.svgs = []  # [(class, attrs, [(tag, classes, attrs)])]
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and a.get("class"):
            self.svgs.append((a["class"], a, []))
            self.depth = 1
            return
        if self.svgs and self.depth > 0:
            self.svgs[-1][2].append((tag, (a.get("class") or "").split(), a))
            if tag == "svg":
                self.depth += 1

    def handle_endtag(self, tag):
        if tag == "svg" and self.depth > 0:
            self.depth -= 1

    def first(self, cls):
        return next((s for s in self.svgs if s[0] == cls), None)


def count(svg, tag, *classes):
    return sum(1 for t, c, _ in svg[2] if t == tag and all(k in c for k in classes))


def browser(chromium, profile, args):
    return subprocess.run([chromium] + FLAGS + ["--user-data-dir=" + profile] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120,
                          check=True).stdout.decode("utf-8")


def not_blank(png):
    import matplotlib.image
    pixels = matplotlib.image.imread(png)[:, :, :3]
    non_white = (pixels.min(axis=2) < 0.9).mean()
    return pixels.std() > 0.02 and non_white > 0.01, non_white


def check(sim, chromium, scenario, tmp):
    name = os.path.splitext(os.path.basename(scenario))[0]
    page = os.path.join(tmp, name + ".html")
    report = os.path.join(tmp, name + ".json")
    run = subprocess.run([sim, "run", "--quiet", "--report-html", page, "--report-json", report,
                          scenario], check=False, stdout=subprocess.DEVNULL)
    if run.returncode != 0:  # 0: every check as expected, `expect: fail` files included
        return [f"{name}: eachare-sim run exited {run.returncode}"]
    entry = json.load(open(report))["scenarios"][0]
    profile = tempfile.mkdtemp(dir=tmp)
    # Chromium must load the page itself: no network, so a fetch would leave holes, not data.
    dom = browser(chromium, profile, ["--virtual-time-budget=2000", "--dump-dom",
                                      "file://" + page])
    png = os.path.join(tmp, name + ".png")
    browser(chromium, profile, ["--window-size=1280,1600", "--screenshot=" + png,
                                "file://" + page])
    p = Svgs()
    p.feed(dom)
    errors = []

    def expect(what, got, want):
        print(f"  {what}: {got} (expected {want})")
        if got != want:
            errors.append(f"{name}: {what}: got {got}, expected {want}")

    st = p.first("spacetime")
    if st is None:
        return [f"{name}: no space-time diagram in the DOM"]
    expect("lanes", count(st, "g", "lane"), min(entry["peers"], 20))
    whole = "Showing" not in dom and entry["peers"] <= 20
    if whole:
        m = entry["messages"]
        expect("delivered arrows", count(st, "g", "msg", "delivered"), m["delivered"])
        expect("dropped arrows", count(st, "g", "msg", "dropped"), m["dropped"])
        expect("cut arrows", count(st, "g", "msg", "partitioned"), m["partitioned"])
        expect("timeouts", count(st, "g", "timeout"), m["timeouts"])
    failed = [c for c in entry["checks"] if not c["passed"]]
    window = p.first("window")
    first = failed[0] if failed else None
    if first and first.get("violation_nodes"):
        if window is None:
            errors.append(f"{name}: a check failed but there is no failing window")
        else:
            marks = [a for t, c, a in window[2] if t == "circle" and "violation-mark" in c]
            expect("violation marks in the window", len(marks), 1)
            lanes = {a.get("data-node") for t, c, a in window[2] if t == "g" and "lane" in c}
            for a in marks:
                node = int(a["data-node"])
                expect("the marked node is one the JSON report names",
                       node in first["violation_nodes"], True)
                expect("the marked node has a lane in the window", str(node) in lanes, True)
                expect("the mark's time (ms)", float(a["data-t-ms"]),
                       float(first["violation_time_ms"]))
            if first.get("violation_message_id"):
                hot = [a for t, c, a in window[2] if t == "g" and "msg" in c and "violation" in c]
                expect("highlighted arrows in the window", len(hot), 1)
                expect("the highlighted arrow's message id",
                       [int(a["data-id"]) for a in hot], [first["violation_message_id"]])
    elif not failed:
        expect("no failing window (every check passed)", window is None, True)
    plot = p.first("convergence")
    points = [a for t, c, a in plot[2] if t == "circle" and "pt" in c] if plot else []
    expect("plot points", len(points), int(plot[1]["data-points"]) if plot else -1)
    if not points:
        errors.append(f"{name}: the convergence plot has no points")
    else:
        times = [float(a["data-t-ms"]) for a in points]
        expect("plot points in time order within the run", times == sorted(times) and
               0 <= times[0] and times[-1] <= entry["virtual_time_ms"], True)
        expect("plot points' live peers within the scenario's",
               all(0 <= int(a["data-live"]) <= entry["peers"] for a in points), True)
        expect("plot fractions within [0, 1]",
               all(0 <= float(a["data-frac"]) <= 1 for a in points), True)
    for c in entry["checks"]:
        m = re.search(r"converged at ([0-9.]+) s virtual", c["figure"])
        if c["kind"] == "discovery_convergence" and m:
            at = float(m.group(1)) * 1000
            full = [float(a["data-t-ms"]) for a in points if a["data-frac"] == "1.0000"]
            expect("a full point at the convergence moment",
                   any(abs(t - at) < 1.0 for t in full), True)
        if c["kind"] == "discovery_convergence" and not c["passed"]:
            expect("the plot's last point is not full (not converged)",
                   points[-1]["data-frac"] != "1.0000" if points else False, True)
        m = re.search(r"(\d+) of (\d+) downloads complete.*\((\d+) bytes\)", c["figure"])
        chunk = re.search(r"set_chunk_size.*size: *(\d+)", open(scenario).read())
        if c["kind"] == "download_integrity" and m and chunk and m.group(1) == m.group(2) == "1":
            charts = [s for s in p.svgs if s[0] == "chunks"]
            got = sum(count(s, "circle", "chunk") for s in charts)
            size, step = int(m.group(3)), int(chunk.group(1))
            expect("chunks received in the chart", got, -(-size // step))
            # The download scenarios given to this test time out on DLs only (the loss starts
            # with the download), so every timeout is one retry mark.
            retries = sum(count(s, "g", "retry") for s in charts)
            expect("retries marked (one per timed-out DL)", retries, entry["messages"]["timeouts"])
    ok, share = not_blank(png)
    print(f"  screenshot: {share:.1%} of pixels not white")
    if not ok:
        errors.append(f"{name}: the screenshot is blank")
    return errors


def main():
    if len(sys.argv) < 4:
        print("usage: report_in_chromium.py EACHARE_SIM CHROMIUM SCENARIO...", file=sys.stderr)
        return 2
    sim, chromium, scenarios = sys.argv[1], sys.argv[2], sys.argv[3:]
    if not (chromium and os.access(chromium, os.X_OK)):
        # CTest reports this exit code as skipped (SKIP_RETURN_CODE), with this line as the reason.
        print(f"SKIP: no Chromium at '{chromium}' (tools/deps.sh installs Debian's chromium)")
        return 77
    tmp = tempfile.mkdtemp(prefix="eachare-browser-")
    errors = []
    try:
        for s in scenarios:
            print(s)
            errors += check(sim, chromium, s, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
