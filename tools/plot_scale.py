#!/usr/bin/python3
"""Draws the scale runs: peak RSS and wall time against the number of peers (matplotlib).

Usage: tools/plot_scale.py SCALE.csv OUT.svg|OUT.png
SCALE.csv is what tools/scale_csv.sh writes: a header `program,peers,wall_s,peak_rss_mib,load1,result`
and one row per run of bench/scale_hello_bye or bench/scale_discovery at one size. Two panels,
log-log, one line per program. The output format follows the file's extension. Needs Debian's
python3-matplotlib (/usr/bin/python3; tools/deps.sh).
"""
import csv
import sys

COLOURS = {"scale_hello_bye": "#1f6fb2", "scale_discovery": "#d62728"}
NAMES = {"scale_hello_bye": "HELLO then BYE (ring)", "scale_discovery": "gossip to full discovery"}


def load(path):
    """({program: [(peers, wall_s, peak_rss_mib)]}, [1-minute load average of each run])."""
    runs = {}
    loads = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"program", "peers", "wall_s", "peak_rss_mib"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            runs.setdefault(row["program"], []).append(
                (int(row["peers"]), float(row["wall_s"]), float(row["peak_rss_mib"])))
            if row.get("load1"):
                loads.append(float(row["load1"]))
    for rows in runs.values():
        rows.sort()
    return runs, loads


def main(argv):
    if len(argv) != 3:
        print("usage: plot_scale.py SCALE.csv OUT.svg|OUT.png", file=sys.stderr)
        return 2
    try:
        runs, loads = load(argv[1])
    except (OSError, ValueError, KeyError) as e:
        print(f"plot_scale.py: {e}", file=sys.stderr)
        return 1
    if not runs:
        print(f"{argv[1]}: no runs", file=sys.stderr)
        return 1
    import matplotlib
    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt
    plt.rcParams["svg.hashsalt"] = "eachare"
    fig, (rss, wall) = plt.subplots(1, 2, figsize=(10, 4))
    for program, rows in sorted(runs.items()):
        peers = [r[0] for r in rows]
        style = dict(color=COLOURS.get(program), marker="o", markersize=4, linewidth=2,
                     label=NAMES.get(program, program))
        rss.plot(peers, [r[2] for r in rows], **style)
        wall.plot(peers, [r[1] for r in rows], **style)
        for n, w, m in rows:
            rss.annotate(f"{m:.0f}", (n, m), textcoords="offset points", xytext=(4, -11),
                         fontsize=8)
            wall.annotate(f"{w:.3g}", (n, w), textcoords="offset points", xytext=(4, -11),
                          fontsize=8)
    rss.axhline(1024, color="#999", linestyle="--", linewidth=1, label="1 GiB target")
    for ax, title, unit in ((rss, "Peak RSS", "MiB"), (wall, "Wall time", "s")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=11, loc="left", fontweight="bold")
        ax.set_xlabel("peers")
        ax.set_ylabel(unit)
        ax.grid(True, which="both", color="#eee")
        ax.legend(fontsize=8, loc="best")
    if loads:
        # Wall time depends on the machine's load; say what it was.
        fig.text(0.01, 0.01, f"load average during the runs: {min(loads):.1f} to {max(loads):.1f}",
                 fontsize=8, color="#666")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    else:
        fig.tight_layout()
    fig.savefig(argv[2], metadata={"Date": None} if argv[2].endswith(".svg") else None)
    plt.close(fig)
    for program, rows in sorted(runs.items()):
        for n, w, m in rows:
            print(f"{program} peers={n} wall_s={w:.3f} peak_rss_mib={m:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
