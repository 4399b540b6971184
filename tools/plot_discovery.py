#!/usr/bin/env python3
"""Draws the growth of one gossip round's cost from sim_benchmark's JSON output as a small SVG.

Usage:
  sim_benchmark --benchmark_filter=gossip_round --benchmark_out=gossip.json \
      --benchmark_out_format=json
  tools/plot_discovery.py gossip.json docs/discovery_cost.svg [before.json]

Two panels against the number of peers: CPU milliseconds per round, and PEER_LIST entries
processed per round, each with the measured points and an N^2 reference curve through the
smallest size (a fully discovered network answers every GET_PEERS with N-2 entries, so a round
with a fixed fanout processes ~fanout * N^2 entries). With before.json (the same benchmark on an
older build) its times are drawn too, in orange. Python 3 standard library only.
"""
import json
import re
import sys

WIDTH, PANEL_H, MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 560, 210, 78, 20, 34, 44


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


def nice_max(v):
    """A round axis maximum at or above v (1, 2, 5 times a power of ten)."""
    if v <= 0:
        return 1.0
    p = 1.0
    while p * 10 < v:
        p *= 10
    while p > v:
        p /= 10
    for m in (1, 2, 5, 10):
        if m * p >= v:
            return m * p
    return 10 * p


def fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def panel(out, top, rows, key, title, unit, before=None):
    x0, x1 = MARGIN_L, WIDTH - MARGIN_R
    y0, y1 = top + MARGIN_T, top + PANEL_H - MARGIN_B
    xmax = nice_max(max(r["peers"] for r in rows))
    ymax = nice_max(max(r[key] for r in rows + (before or [])))

    def px(n):
        return x0 + (x1 - x0) * n / xmax

    def py(v):
        return y1 - (y1 - y0) * v / ymax

    out.append(f'<text x="{x0}" y="{top + 20}" font-size="13" font-weight="bold">{title}</text>')
    out.append(f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="#333"/>')
    out.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>')
    for i in range(0, 6):
        v = ymax * i / 5
        y = py(v)
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
                   f'{fmt(v)}</text>')
    for i in range(0, 6):
        n = xmax * i / 5
        out.append(f'<text x="{px(n):.1f}" y="{y1 + 14}" font-size="10" text-anchor="middle">'
                   f'{fmt(n)}</text>')
    out.append(f'<text x="{(x0 + x1) / 2}" y="{y1 + 30}" font-size="11" text-anchor="middle">'
               f'peers</text>')
    out.append(f'<text x="14" y="{(y0 + y1) / 2}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 14 {(y0 + y1) / 2})">{unit}</text>')
    # N^2 reference through the smallest measured size.
    first = rows[0]
    if first["peers"] > 0 and first[key] > 0:
        k = first[key] / first["peers"] ** 2
        pts = []
        steps = 40
        for i in range(steps + 1):
            n = first["peers"] + (rows[-1]["peers"] - first["peers"]) * i / steps
            v = k * n * n
            if v > ymax:
                break
            pts.append(f"{px(n):.1f},{py(v):.1f}")
        if len(pts) > 1:
            out.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#bbb" '
                       f'stroke-dasharray="4 3"/>')
    if before:
        pts = " ".join(f"{px(r['peers']):.1f},{py(r[key]):.1f}" for r in before)
        out.append(f'<polyline points="{pts}" fill="none" stroke="#e08a1e" stroke-width="2"/>')
        for r in before:
            out.append(f'<circle cx="{px(r["peers"]):.1f}" cy="{py(r[key]):.1f}" r="3" '
                       f'fill="#e08a1e"/>')
            out.append(f'<text x="{px(r["peers"]) + 6:.1f}" y="{py(r[key]) - 6:.1f}" '
                       f'font-size="10" fill="#b06000">{fmt(round(r[key], 1))}</text>')
    pts = " ".join(f"{px(r['peers']):.1f},{py(r[key]):.1f}" for r in rows)
    out.append(f'<polyline points="{pts}" fill="none" stroke="#1f6fb2" stroke-width="2"/>')
    for r in rows:
        out.append(f'<circle cx="{px(r["peers"]):.1f}" cy="{py(r[key]):.1f}" r="3.5" '
                   f'fill="#1f6fb2"/>')
        out.append(f'<text x="{px(r["peers"]) + 6:.1f}" y="{py(r[key]) - 6:.1f}" '
                   f'font-size="10">{fmt(round(r[key], 1))}</text>')


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print("usage: plot_discovery.py BENCH.json OUT.svg [BEFORE.json]", file=sys.stderr)
        return 2
    rows, ctx = load(argv[1])
    before = load(argv[3])[0] if len(argv) == 4 else None
    if not rows:
        print(f"{argv[1]}: no BM_sim_gossip_round/peers:N results", file=sys.stderr)
        return 1
    height = 2 * PANEL_H + 24
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
           f'font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>']
    panel(out, 0, rows, "ms", "One gossip round (fanout 2, fully discovered): CPU time",
          "ms per round", before)
    panel(out, PANEL_H, rows, "entries", "PEER_LIST entries processed per round",
          "entries")
    note = f"blue: measured; dashed: N\u00b2 through the smallest size; {ctx.get('date', '')}"
    if before:
        note = "orange: before the optimisations; " + note
    out.append(f'<text x="{MARGIN_L}" y="{height - 6}" font-size="10" fill="#666">{note}</text>')
    out.append("</svg>")
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    for r in rows:
        print(f"peers={r['peers']} ms={r['ms']:.1f} entries={r['entries']:.0f} "
              f"messages={r['messages']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
