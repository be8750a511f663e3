"""REPORT.md's side-by-side section: ours against the reference packages measured in the same run
(``bench_side_by_side``), a table per backend and one plot of ops/s per op, both sides."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def is_side_by_side(row: dict[str, Any]) -> bool:
    return isinstance(row.get("ours"), dict) and isinstance(row.get("reference"), dict)


def section(rows: list[dict[str, Any]], out: Path) -> list[str]:
    """Markdown lines for the side-by-side rows (none: no lines)."""
    if not rows:
        return []
    node = next((r.get("node") for r in rows if r.get("node")), "")
    lines = ["## Side by side with the reference (one run)", "",
             f"The reference Mastra TS packages (node {node}) and ours on the same services in the same run, rounds",
             "alternating; ratio = ours / reference ops/s, p50 ratio = reference p50 / ours p50 (>= 1: at or above",
             "the reference; the median one is steadier on a loaded machine); cpu = the client process's CPU time",
             "per call in us (all its threads; the database server's not included).", ""]
    backends = list(dict.fromkeys(r["backend"] for r in rows))
    for backend in backends:
        steal = next((r.get("steal") for r in rows if r["backend"] == backend), None)
        lines += [f"### {backend}", ""]
        if steal is not None:  # (a shared host's steal stalls both sides alike, and widens every spread)
            lines += [f"CPU time stolen by the host during this backend's run: {steal:.0%}.", ""]
        lines += ["| op | ours ops/s | ref ops/s | ratio | p50 ratio | ours p50 ms | ref p50 ms | ours p95 ms | "
                  "ref p95 ms | ours cpu | ref cpu |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in (r for r in rows if r["backend"] == backend):
            o, f = r["ours"], r["reference"]
            mark = "" if r["ratio_ops_per_s"] >= 1 else " (below)"
            lines.append(f"| {r['op']} | {o['ops_per_s']:,.0f} | {f['ops_per_s']:,.0f} | "
                         f"{r['ratio_ops_per_s']:.2f}{mark} | {r.get('ratio_p50', 0):.2f} | {o['p50_ms']:.3f} | "
                         f"{f['p50_ms']:.3f} | {o['p95_ms']:.3f} | {f['p95_ms']:.3f} | "
                         f"{o.get('cpu_us_per_op', 0):.0f} | {f.get('cpu_us_per_op', 0):.0f} |")
        lines.append("")
    plot = _plot(rows, backends, out)
    lines += [f"![{plot}]({plot})" if plot else "(no plot: matplotlib is not installed)", ""]
    return lines


def _plot(rows: list[dict[str, Any]], backends: list[str], out: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(len(backends), 1, figsize=(9, 2.6 * len(backends) + 0.6), squeeze=False)
    for ax, backend in zip(axes[:, 0], backends, strict=True):
        brows = [r for r in rows if r["backend"] == backend]
        ys = range(len(brows))
        ax.barh([y + 0.2 for y in ys], [r["ours"]["ops_per_s"] for r in brows], height=0.4, label="ours")
        ax.barh([y - 0.2 for y in ys], [r["reference"]["ops_per_s"] for r in brows], height=0.4, label="reference")
        ax.set_yticks(list(ys), [r["op"].split(" (")[0] for r in brows], fontsize=7)  # sizes are in the table
        ax.set(xscale="log", xlabel="ops/s", title=f"{backend}: ours vs reference")
        ax.legend(fontsize=7)
    fig.tight_layout()
    name = "side-by-side-ops-per-s.png"
    fig.savefig(out / name, dpi=90, bbox_inches="tight")  # the op names must not be cut off
    plt.close(fig)
    return name
