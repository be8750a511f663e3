"""Checkpoint pauses on a libsql file: SQLite's settings, the background WAL flush (``mastra_libsql.walflush``), and
the store's ``wal_autocheckpoint`` (checkpoints every 4,000 WAL pages instead of SQLite's 1,000).

``python -m bench libsql_checkpoints`` (``BENCH_CKPT_ROUNDS``, default 20 rounds of 20 calls of each op).
Three stores on three files in this process: SQLite's settings (no flush thread, a checkpoint every 1,000 pages),
the flush thread with checkpoints every 1,000 pages, and the store's defaults (the flush thread, every 4,000);
their rounds alternate, so the machine's load falls on all alike. Per store, the write
ops of the side-by-side workload (saves, updates, new records): the calls over 1 ms (on this machine a checkpoint
every 1,000 WAL frames; the ops themselves take 20-400 us), their median and largest, and the mean over all calls;
and the reads' mean (what a flush thread taking the GIL now and then would slow). Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.bench_reference_ops import more_ops, reference_ops, seed, seed_more, variant_ops
from bench.common import Result, report

ROUNDS = int(os.environ.get("BENCH_CKPT_ROUNDS", "20"))
PER_ROUND = 20
#: The write ops of the side-by-side workload (a checkpoint lands on one of them).
WRITES = ("save_thread", "save_messages(10)", "update_resource (1 KB working memory)",
          "persist + load workflow snapshot (2.6 KB)", "save_thread (new thread)", "update_resource (new resource)",
          "persist + load (new run)", "update_thread (title + metadata)")
SLOW_MS = 1.0


def available() -> bool:
    try:
        import mastra_libsql  # noqa: F401
    except ImportError:
        return False
    return True


async def _open(path: str, every: int, pages: int) -> tuple[Any, dict[str, Callable[[], Awaitable[Any]]]]:
    from mastra_libsql import LibSQLStore

    store = LibSQLStore(id=f"ckpt{every}-{pages}", url=f"file:{path}", wal_flush_every=every, wal_autocheckpoint=pages)
    await store.init()
    await seed(store, "c")
    await seed_more(store, "c")
    ops = {**reference_ops(store, "c"), **variant_ops(store, "c"), **more_ops(store, "c")}
    return store, ops


def _result(op: str, samples: list[float], note: str) -> Result:
    """One row of the report: the calls' throughput (back to back), median and 95th percentile."""
    ordered = sorted(samples)
    return Result(backend="libsql-file", op=op, n=len(ordered), ops_per_s=len(ordered) / (sum(ordered) / 1000),
                  p50_ms=statistics.median(ordered), p95_ms=ordered[int(len(ordered) * 0.95)], note=note)


async def main() -> None:
    from mastra_libsql.connection import DEFAULT_AUTOCHECKPOINT
    from mastra_libsql.walflush import DEFAULT_EVERY

    # (flush interval, checkpoint pages) -> label
    labels = {(0, 1000): "flush off, checkpoint every 1000 pages (SQLite's settings)",
              (DEFAULT_EVERY, 1000): f"flush every {DEFAULT_EVERY}, checkpoint every 1000 pages",
              (DEFAULT_EVERY, DEFAULT_AUTOCHECKPOINT): f"flush every {DEFAULT_EVERY}, checkpoint every "
                                                      f"{DEFAULT_AUTOCHECKPOINT} pages (the defaults)"}
    with tempfile.TemporaryDirectory(prefix="bench-ckpt-") as tmp:
        stores = {key: await _open(f"{tmp}/{key[0]}-{key[1]}.db", *key) for key in labels}
        samples: dict[tuple[int, int], list[float]] = {key: [] for key in labels}
        reads: dict[tuple[int, int], list[float]] = {key: [] for key in labels}
        try:
            for _, ops in stores.values():  # warm-up: statements, converters, the flush thread
                for fn in ops.values():
                    for _ in range(PER_ROUND):
                        await fn()
            for _ in range(ROUNDS):
                for key, (_, ops) in stores.items():
                    for name, fn in ops.items():
                        into = samples[key] if name in WRITES else reads[key]
                        for _ in range(PER_ROUND):
                            t = time.perf_counter()
                            await fn()
                            into.append((time.perf_counter() - t) * 1000)
            results = []
            for key, xs in samples.items():
                wal = stores[key][0].db.wal
                slow = sorted(x for x in xs if x > SLOW_MS)
                note = (f"{len(slow)} calls > {SLOW_MS:g} ms (median {statistics.median(slow) if slow else 0:.2f}, "
                        f"max {max(slow, default=0):.2f}, sum {sum(slow):.1f}); mean {statistics.fmean(xs):.3f} ms; "
                        f"{0 if wal is None else wal.flushes} flushes")
                results.append(_result(f"write mix, {labels[key]}", xs, note))
                rs = reads[key]
                results.append(_result(f"read mix, {labels[key]}", rs,
                                       f"{sum(1 for x in rs if x > SLOW_MS)} calls > {SLOW_MS:g} ms "
                                       f"(max {max(rs):.2f}); mean {statistics.fmean(rs):.3f} ms"))
            report(results, "libsql_checkpoints")
        finally:
            for store, _ in stores.values():
                await store.close()


if __name__ == "__main__":
    asyncio.run(main())
