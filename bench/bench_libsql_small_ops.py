"""The issue-16 small ops on libsql (embedded file, and sqld when MASTRA_TEST_SQLD_URL is set): p50, CPU per op
and statements per op, plus the raw cost of a thread hop beside the raw cost of the statement.

``python -m bench.bench_libsql_small_ops``. Statements are counted at the driver (``RecordingConnection``); on sqld
the requests the child sends are counted too (one ``execute``/``batch`` message = one HTTP request). Nothing is
asserted (the exact counts are asserted in ``plugins/mastra-libsql/tests/test_libsql_statement_counts.py``).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

from bench.bench_reference_ops import reference_ops, seed

N = int(os.environ.get("BENCH_REF_N", "300"))


async def _op_stats(fn: Any, n: int) -> tuple[float, float]:
    for _ in range(10):
        await fn()
    samples = []
    cpu0 = time.process_time()
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu0) / n * 1e6
    return statistics.median(samples), cpu


async def run_store(label: str, url: str, n: int) -> None:
    from mastra_libsql import LibSQLStore
    from mastra_libsql.connection import RecordingConnection

    prefix = f"b{uuid.uuid4().hex[:6]}_" if url.startswith("http") else ""
    store = LibSQLStore(id="small", url=url, table_prefix=prefix)
    await store.init()
    try:
        await seed(store, "a")
        ops = reference_ops(store, "a")
        print(f"\n{label}: {'op':<44}{'p50 ms':>9}{'cpu us/op':>11}{'stmts/op':>10}{'requests/op':>13}")
        for op, fn in ops.items():
            p50, cpu = await _op_stats(fn, n)
            rec = RecordingConnection(store.db.conn)
            store.db.conn = rec
            requests = _requests(rec.inner)
            before = requests()
            await fn()
            sent = requests() - before
            store.db.conn = rec.inner
            stmts = len(rec.statements) + sum(len(b) for b in getattr(rec, "batches", []))
            print(f"{label}: {op:<44}{p50:>9.3f}{cpu:>11.0f}{stmts:>10}{sent:>13}")
    finally:
        await store.close()


def _requests(conn: Any) -> Any:
    """A counter of the requests a remote driver sent (None on a file: statements are the only trips)."""
    return lambda: getattr(conn, "requests", 0)


def hop_vs_statement(n: int = 2000) -> None:
    """The decision's numbers: a ``run_in_executor`` round trip vs one indexed SELECT on the file."""
    import concurrent.futures

    import libsql

    with tempfile.TemporaryDirectory() as tmp:
        conn = libsql.connect(f"{tmp}/hop.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT)")
        conn.execute("INSERT INTO t VALUES ('a', 'x')")
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)

        def select() -> Any:
            return conn.execute("SELECT v FROM t WHERE id = ?", ("a",)).fetchall()

        async def main() -> None:
            loop = asyncio.get_running_loop()
            for label, job in (("hop only (no-op job)", lambda: None), ("SELECT on the worker", select)):
                t = time.perf_counter()
                for _ in range(n):
                    await loop.run_in_executor(pool, job)
                print(f"  {label:<28}{(time.perf_counter() - t) / n * 1e6:8.1f} us")
            t = time.perf_counter()
            for _ in range(n):
                select()
            print(f"  {'SELECT on the loop thread':<28}{(time.perf_counter() - t) / n * 1e6:8.1f} us")

        asyncio.run(main())
        pool.shutdown()
        conn.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        await run_store("file", f"file:{tmp}/small.db", N)
    sqld = os.environ.get("MASTRA_TEST_SQLD_URL")
    if sqld:
        await run_store("sqld", sqld, max(20, N // 10))


if __name__ == "__main__":
    print("thread hop vs statement (embedded file):")
    hop_vs_statement()
    asyncio.run(main())
