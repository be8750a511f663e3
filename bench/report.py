"""``bench/results/results.json`` and ``REPORT.md`` from every bench's JSON, with a plot per backend.

Run after the benches (``python -m bench`` does it last; ``python -m bench.report`` alone re-reads the JSON files).
First, when ``bench_side_by_side`` ran, ours against the reference packages measured in that same run
(``bench/report_side_by_side.py``). Then per backend: a table of every op (round trips per op, ops/s, p50, p95)
with the reference's median copied from issue 16 beside it where the op is one of the six, a plot of p50 latency
against thread size (ops whose name carries a size, e.g. ``[100,000]``) and a bar chart of ops/s per op. Plots need
matplotlib (the nox ``bench`` session installs it); without it the report says so and keeps the tables.
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.common import RESULTS
from bench.report_side_by_side import is_side_by_side, section

#: The reference's medians (ms) measured on this machine, from issue 16: op prefix -> backend -> ms (a range as
#: its low and high end).
REFERENCE_MS: dict[str, dict[str, tuple[float, float]]] = {
    "save_thread": {"pg": (0.25, 0.25), "libsql-file": (0.06, 0.06), "dynamodb": (2.2, 2.2)},
    "save_messages(10)": {"pg": (2.4, 2.4), "libsql-file": (0.55, 0.55), "dynamodb": (16.0, 20.0)},
    "get_thread_by_id": {"pg": (0.15, 0.15), "libsql-file": (0.05, 0.05), "dynamodb": (0.9, 0.9)},
    "list_threads(resource, 20 of 100)": {"pg": (0.45, 0.45), "libsql-file": (0.28, 0.28), "dynamodb": (3.6, 3.6)},
    "update_resource": {"pg": (0.31, 0.37), "libsql-file": (0.10, 0.10), "dynamodb": (2.5, 3.0)},
    "persist + load workflow snapshot": {"pg": (0.48, 0.54), "libsql-file": (0.18, 0.18), "dynamodb": (2.4, 3.0)},
}
_SIZE = re.compile(r"\[(?:thread )?([\d,_]+)(?: msgs)?\]")


def reference_for(backend: str, op: str) -> tuple[float, float] | None:
    """The reference's median range for this op on this backend, or None."""
    for prefix, by_backend in REFERENCE_MS.items():
        if op.startswith(prefix) and backend in by_backend:
            return by_backend[backend]
    return None


def load() -> list[dict[str, Any]]:
    """Every result row of every bench JSON (rows without a backend/op, e.g. summaries, are left out)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(RESULTS.glob("*.json")):
        if path.name == "results.json":
            continue
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        for row in data if isinstance(data, list) else []:
            if isinstance(row, dict) and "backend" in row and "op" in row:
                rows.append({"bench": path.stem, **row})
    return rows


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None else format(value, spec)


def _plot(backend: str, rows: list[dict[str, Any]], out: Path) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    files: list[str] = []
    series: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in rows:
        m = _SIZE.search(r["op"])
        if m and "p50_ms" in r:
            series[_SIZE.sub("", r["op"]).strip()].append((int(m.group(1).replace(",", "").replace("_", "")),
                                                           r["p50_ms"]))
    series = {k: sorted(v) for k, v in series.items() if len({s for s, _ in v}) > 1}
    if series:
        fig, ax = plt.subplots(figsize=(8, 4.5))
        for op, points in sorted(series.items()):
            ax.plot([s for s, _ in points], [ms for _, ms in points], marker="o", label=op)
        ax.set(xscale="log", yscale="log", xlabel="messages in the thread", ylabel="p50 latency (ms)",
               title=f"{backend}: latency vs thread size")
        ax.legend(fontsize=7)
        fig.tight_layout()
        name = f"{backend.replace('/', '-')}-latency-vs-size.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append(name)
    ops = [r for r in rows if r.get("ops_per_s")]
    if ops:
        fig, ax = plt.subplots(figsize=(8, 0.3 * len(ops) + 1.2))
        ax.barh([r["op"] for r in ops], [r["ops_per_s"] for r in ops])
        ax.set(xscale="log", xlabel="ops/s", title=f"{backend}: throughput per op")
        ax.tick_params(axis="y", labelsize=7)
        fig.tight_layout()
        name = f"{backend.replace('/', '-')}-ops-per-s.png"
        fig.savefig(out / name, dpi=90)
        plt.close(fig)
        files.append(name)
    return files


def size_table(rows: list[dict[str, Any]]) -> list[str]:
    """Ops measured at several thread sizes as one row each: p50 / p95 (ms) per size, so growth shows at a glance."""
    cells: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in rows:
        m = _SIZE.search(r["op"])
        if m and "p50_ms" in r:
            cells[_SIZE.sub("", r["op"]).strip()][int(m.group(1).replace(",", "").replace("_", ""))] = r
    cells = {op: by for op, by in cells.items() if len(by) > 1}
    if not cells:
        return []
    sizes = sorted({s for by in cells.values() for s in by})
    lines = ["p50 / p95 ms by messages in the thread:", "",
             "| op | " + " | ".join(f"{s:,}" for s in sizes) + " |", "|---" * (len(sizes) + 1) + "|"]
    for op, by in cells.items():
        lines.append(f"| {op} | " + " | ".join(
            f"{by[s]['p50_ms']:.2f} / {_fmt(by[s].get('p95_ms'), '.2f')}" if s in by else "" for s in sizes) + " |")
    return [*lines, ""]


def write() -> Path:
    """Write results.json and REPORT.md (and the plots) under bench/results; returns the report's path."""
    rows = load()
    RESULTS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (RESULTS / "results.json").write_text(json.dumps({"generated": stamp, "rows": rows}, indent=2))
    by_backend: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if not is_side_by_side(r):
            by_backend[r["backend"]].append(r)
    lines = [f"# Benchmark report ({stamp})", "",
             "Medians (p50) and p95 in ms; trips = round trips per op (exact counts); ref = the reference's median",
             "from issue 16 (same machine and services), ratio = ours / reference (< 1 is faster).", ""]
    lines += section([r for r in rows if is_side_by_side(r)], RESULTS)
    for backend, brows in by_backend.items():
        lines += [f"## {backend}", ""]
        timed = [r for r in brows if "p50_ms" in r]
        if timed:
            lines += ["| op | trips | ops/s | p50 ms | p95 ms | ref ms | ratio |", "|---|---|---|---|---|---|---|"]
            for r in timed:
                ref = reference_for(backend, r["op"])
                ref_txt = "" if ref is None else (f"{ref[0]:g}" if ref[0] == ref[1] else f"{ref[0]:g}-{ref[1]:g}")
                ratio = "" if ref is None else f"{r['p50_ms'] / ((ref[0] + ref[1]) / 2):.2f}"
                lines.append(f"| {r['op']} | {_fmt(r.get('round_trips_per_op'), '.2f')} | "
                             f"{_fmt(r.get('ops_per_s'), ',.0f')} | {r['p50_ms']:.3f} | {_fmt(r.get('p95_ms'), '.3f')}"
                             f" | {ref_txt} | {ratio} |")
            lines.append("")
        lines += size_table(timed)
        budget = [r for r in brows if "budget" in r]
        if budget:
            lines += [f"Round trips per op against DESIGN.md section 5's budget (bench_round_trips; counted: "
                      f"{budget[0].get('counted', '')}):", "",
                      "| op | trips/op | budget | within |", "|---|---|---|---|"]
            lines += [f"| {r['op']} | {r['round_trips_per_op']:.2f} | {r['budget']} | "
                      f"{'yes' if r['within'] else '**no**'} |" for r in budget]
            lines.append("")
        overhead = [r for r in brows if "library_us" in r]
        if overhead:
            lines += ["Library CPU per op above the raw driver (bench_overhead):", "",
                      "| op | library us | raw us | above us |", "|---|---|---|---|"]
            lines += [f"| {r['op']} | {r['library_us']} | {r['floor_us']} | {r.get('above_us', '')} |"
                      for r in overhead]
            lines.append("")
        plots = _plot(backend, timed, RESULTS)
        lines += [f"![{p}]({p})" for p in plots] or ["(no plots: matplotlib is not installed)"]
        lines.append("")
    path = RESULTS / "REPORT.md"
    path.write_text("\n".join(lines))
    print(f"== report: {path} ({len(rows)} rows)")
    return path


if __name__ == "__main__":
    write()
