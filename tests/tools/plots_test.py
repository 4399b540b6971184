#!/usr/bin/python3
"""The benchmark plots draw: tools/plot_discovery.py and tools/plot_scale.py, each given a small
input written here, must write a non-empty PNG (checked by its signature and that matplotlib reads
back an image with more than one colour) and a non-empty SVG (parsed as XML, with drawn paths),
and must refuse an input without data (exit 1, one line). Usage: plots_test.py TOOLS_DIR
"""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET

GOSSIP = {"context": {"date": "plots_test"}, "benchmarks": [
    {"name": f"BM_sim_gossip_round/peers:{n}", "run_type": "iteration", "cpu_time": ms,
     "time_unit": "ms", "entries": 2 * n * (n - 2), "messages": 4 * n}
    for n, ms in ((500, 64.4), (1000, 236.8), (2000, 830.7))]}
SCALE_CSV = """program,peers,wall_s,peak_rss_mib,load1,result
scale_hello_bye,10000,0.12,22.5,1.0,PASS
scale_hello_bye,100000,1.30,197.0,1.0,PASS
scale_discovery,500,0.40,31.0,1.0,PASS
scale_discovery,1000,1.90,98.0,1.0,FAIL
"""


def run(script, *args):
    """Runs a plotting script's main() in this process (matplotlib is imported once, which keeps
    the test to a few seconds on a loaded machine): (exit code, stdout, stderr)."""
    spec = importlib.util.spec_from_file_location(os.path.basename(script)[:-3], script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = module.main([script] + list(args))
    return rc, out.getvalue(), err.getvalue()


def check_png(path, errors):
    import matplotlib.image
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            errors.append(f"{path}: not a PNG")
            return
    pixels = matplotlib.image.imread(path)
    if pixels.size == 0 or pixels[:, :, :3].std() < 0.01:
        errors.append(f"{path}: an empty or one-colour image")


def check_svg(path, errors):
    root = ET.parse(path).getroot()
    paths = [e for e in root.iter() if e.tag.endswith("path")]
    if not root.tag.endswith("svg") or len(paths) < 10:
        errors.append(f"{path}: not an SVG with drawn paths ({len(paths)} paths)")


def main():
    tools = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="eachare-plots-")
    errors = []
    try:
        gossip = os.path.join(tmp, "gossip.json")
        with open(gossip, "w") as f:
            json.dump(GOSSIP, f)
        scale = os.path.join(tmp, "scale.csv")
        with open(scale, "w") as f:
            f.write(SCALE_CSV)
        for script, data, extra in (("plot_discovery.py", gossip, [gossip]),
                                    ("plot_scale.py", scale, [])):
            for ext, check in (("png", check_png), ("svg", check_svg)):
                out = os.path.join(tmp, f"{script}.{ext}")
                rc, stdout, stderr = run(os.path.join(tools, script), data, out, *extra)
                print(f"{script} -> {ext}: exit {rc}, {os.path.getsize(out) if os.path.exists(out) else 0} bytes")
                if rc != 0 or not os.path.exists(out) or os.path.getsize(out) == 0:
                    errors.append(f"{script} {ext}: exit {rc}, no file: {stderr.strip()}")
                    continue
                check(out, errors)
        # Inputs without data: exit 1 and one line on stderr, no file.
        empty_json = os.path.join(tmp, "empty.json")
        with open(empty_json, "w") as f:
            json.dump({"benchmarks": []}, f)
        empty_csv = os.path.join(tmp, "empty.csv")
        with open(empty_csv, "w") as f:
            f.write("program,peers\n")
        for script, data in (("plot_discovery.py", empty_json), ("plot_scale.py", empty_csv)):
            out = os.path.join(tmp, "none.png")
            rc, _, stderr = run(os.path.join(tools, script), data, out)
            print(f"{script} without data: exit {rc}: {stderr.strip()}")
            if rc != 1 or len(stderr.strip().splitlines()) != 1 or os.path.exists(out):
                errors.append(f"{script} without data: exit {rc}, stderr {stderr!r}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for e in errors:
        print("FAIL:", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
