"""Shared benchmark tools: latency statistics, a round-trip counter and a table printer.

Benchmarks never assert timings; they print numbers (and write them as JSON under bench/results/).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs

RESULTS = Path(__file__).parent / "results"


@attrs.define
class RoundTrips:
    """Counts requests a backend sends; each bench wires ``hit()`` into its driver (cursor, command listener, event
    hook)."""

    count: int = 0

    def hit(self, *_: Any, **__: Any) -> None:
        self.count += 1


@attrs.define(kw_only=True)
class Result:
    backend: str
    op: str
    n: int
    ops_per_s: float
    p50_ms: float
    p95_ms: float
    round_trips_per_op: float | None = None
    note: str = ""


async def measure(
    backend: str,
    op: str,
    fn: Callable[[], Awaitable[Any]],
    *,
    n: int = 200,
    warmup: int = 10,
    trips: RoundTrips | None = None,
    note: str = "",
) -> Result:
    """Run ``fn`` ``n`` times after a warm-up; latency percentiles, throughput and round trips per call."""
    for _ in range(warmup):
        await fn()
    samples: list[float] = []
    before = trips.count if trips else 0
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - start
    samples.sort()
    return Result(
        backend=backend,
        op=op,
        n=n,
        ops_per_s=n / total if total else float("inf"),
        p50_ms=statistics.median(samples),
        p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))],
        round_trips_per_op=((trips.count - before) / n) if trips else None,
        note=note,
    )


def report(results: list[Result], name: str) -> str:
    """Print a table and save the results as ``bench/results/<name>.json``; returns the table text."""
    header = f"{'backend':<14}{'operation':<44}{'trips/op':>9}{'ops/s':>11}{'p50 ms':>9}{'p95 ms':>9}  note"
    lines = [header, "-" * len(header)]
    for r in results:
        trips = "" if r.round_trips_per_op is None else f"{r.round_trips_per_op:.2f}"
        lines.append(
            f"{r.backend:<14}{r.op:<44}{trips:>9}{r.ops_per_s:>11.1f}{r.p50_ms:>9.3f}{r.p95_ms:>9.3f}  {r.note}"
        )
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps([attrs.asdict(r) for r in results], indent=2))
    return text


def cpu_times() -> tuple[int, int] | None:
    """The machine's (steal, total) CPU time in clock ticks, from ``/proc/stat`` (None where there is none).

    Steal is time a virtual machine's CPUs wanted to run but the host ran something else: on a shared host it
    stalls whatever runs, both sides of a side-by-side alike, and puts calls of a few microseconds at milliseconds.
    """
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu" or len(fields) < 9:
        return None
    ticks = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal (guest is inside user)
    return ticks[7], sum(ticks)


def steal_share(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of CPU time stolen by the host between two :func:`cpu_times` readings (None: unknown)."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return (after[0] - before[0]) / (after[1] - before[1])
