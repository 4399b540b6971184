#!/usr/bin/python3
"""Draws the growth of one gossip round's cost from sim_benchmark's JSON output (matplotlib).

Usage:
  sim_benchmark --benchmark_filter=gossip_round --benchmark_out=gossip.json \
      --benchmark_out_format=json
  tools/plot_discovery.py gossip.json docs/discovery_cost.svg [before.json]

Two panels against the number of peers: CPU milliseconds per round, and PEER_LIST entries
processed per round, each with the measured points and an N^2 reference curve through the
smallest size (a fully discovered network answers every GET_PEERS with N-2 entries, so a round
with a fixed fanout processes ~fanout * N^2 entries). With before.json (the same benchmark on an
older build) its times are drawn too, in orange. The output format follows the file's extension
(.svg, .png, .pdf). Needs Debian's python3-matplotlib (/usr/bin/python3; tools/deps.sh).
"""
import json
import re
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = []
    for b in data.get("benchmarks", []):
        m = re.match(r"BM_sim_gossip_round/peers:(\d+)$", b.get("name", ""))
        if not m or b.get("run_type", "iteration") != "iteration":
            continue
        to_ms = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        rows.append({
            "peers": int(m.group(1)),
            "ms": b["cpu_time"] * to_ms,
            "entries": b.get("entries", 0.0),
            "messages": b.get("messages", 0.0),
        })
    rows.sort(key=lambda r: r["peers"])
    return rows, data.get("context", {})


def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:.3g}M"
    if v >= 1e3:
        return f"{v / 1e3:.3g}k"
    return f"{v:.3g}"


def panel(ax, rows, key, title, unit, before=None):
    peers = [r["peers"] for r in rows]
    # N^2 reference through the smallest measured size.
    first = rows[0]
    if first["peers"] > 0 and first[key] > 0 and len(rows) > 1:
        k = first[key] / first["peers"] ** 2
        steps = 40
        xs = [first["peers"] + (rows[-1]["peers"] - first["peers"]) * i / steps
              for i in range(steps + 1)]
        ax.plot(xs, [k * x * x for x in xs], color="#999", linestyle="--", linewidth=1,
                label="N\u00b2 through the smallest size")
    if before:
        ax.plot([r["peers"] for r in before], [r[key] for r in before], color="#e08a1e",
                marker="o", markersize=4, linewidth=2, label="before")
        for r in before:
            ax.annotate(fmt(r[key]), (r["peers"], r[key]), textcoords="offset points",
                        xytext=(5, 5), fontsize=8, color="#b06000")
    ax.plot(peers, [r[key] for r in rows], color="#1f6fb2", marker="o", markersize=4,
            linewidth=2, label="after" if before else "measured")
    for r in rows:
        ax.annotate(fmt(r[key]), (r["peers"], r[key]), textcoords="offset points",
                    xytext=(5, -12), fontsize=8)
    ax.set_title(title, fontsize=11, loc="left", fontweight="bold")
    ax.set_xlabel("peers")
    ax.set_ylabel(unit)
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, color="#eee")
    ax.legend(fontsize=8, loc="best")


def main(argv):
    if len(argv) not in (3, 4):
        print("usage: plot_discovery.py BENCH.json OUT.svg|OUT.png [BEFORE.json]", file=sys.stderr)
        return 2
    rows, ctx = load(argv[1])
    before = load(argv[3])[0] if len(argv) == 4 else None
    if not rows:
        print(f"{argv[1]}: no BM_sim_gossip_round/peers:N results", file=sys.stderr)
        return 1
    import matplotlib
    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt
    # A fixed hash salt keeps the SVG's ids the same from run to run for the same input.
    plt.rcParams["svg.hashsalt"] = "eachare"
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6.4))
    panel(top, rows, "ms", "One gossip round (fanout 2, fully discovered): CPU time",
          "ms per round", before)
    panel(bottom, rows, "entries", "PEER_LIST entries processed per round", "entries")
    note = "dashed: N\u00b2 through the smallest size"
    if ctx.get("date"):
        note += f"; {ctx['date']}"
    fig.text(0.01, 0.005, note, fontsize=8, color="#666")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(argv[2], metadata={"Date": None} if argv[2].endswith(".svg") else None)
    plt.close(fig)
    for r in rows:
        print(f"peers={r['peers']} ms={r['ms']:.1f} entries={r['entries']:.0f} "
              f"messages={r['messages']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
