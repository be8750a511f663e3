"""libSQL backend: file and :memory: (plus the remote sqld server when MASTRA_TEST_SQLD_URL is set).

For ONE thread of 1k / 100k (default) or 1M messages (``BENCH_THREAD_SIZES=1000,100000,1000000``), among 100
threads of its resource: save_messages(10) and the thread reads of ``bench/thread_reads.py`` (last 10, pages, a
date-range page, include windows, list_threads, get_thread_by_id), and the raw-driver floor (the same SELECT straight
through libsql on the caller's thread). Round trips are the statements sent, counted by wrapping the store's
connection ``execute``; beside each read on a file, how SQLite runs it (EXPLAIN QUERY PLAN). The thread is filled
through ``save_messages`` itself (5,000 a call: ~6k messages/s here, 1M in about 3 minutes), then read back through
the store (``thread_reads.verify``). ``BENCH_LIBSQL_TARGETS`` (default ``file,memory,sqld``) picks the targets;
:memory: and sqld are measured up to 100k.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Result, RoundTrips, measure, report
from bench.thread_reads import SeededThread, add_sibling_threads, read_ops, sizes, text, verify

SIZES = sizes("1000,100000")
TARGETS = os.environ.get("BENCH_LIBSQL_TARGETS", "file,memory,sqld").split(",")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
FILL_BATCH = 5_000


def available() -> bool:
    try:
        import libsql  # noqa: F401
        import mastra_libsql  # noqa: F401
    except ImportError:
        return False
    return True


class _Counting:
    """The driver connection with every ``execute`` counted (one statement = one round trip to SQLite/sqld)."""

    def __init__(self, inner: Any, trips: RoundTrips) -> None:
        self.inner, self.trips = inner, trips
        self.seen: list[tuple[str, Any]] = []

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.trips.hit()
        self.seen.append((sql, params))
        return self.inner.execute(sql, params)

    async def plan(self, call: Any) -> str:
        """How SQLite runs the SELECTs of one ``call`` (EXPLAIN QUERY PLAN): SEARCH ... USING INDEX is a bounded
        index range, SCAN a full pass over a table or an index (a read that grows with the thread)."""
        self.seen.clear()
        await call()
        steps: list[str] = []
        for sql, params in [x for x in self.seen if x[0].lstrip(" (").upper().startswith(("SELECT", "WITH"))]:
            steps += [str(row[-1]) for row in self.inner.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
        # a SCAN of a subquery's few rows or of a constant row is no pass over the data
        wanted = [s for s in steps if s.startswith(("SEARCH", "SCAN")) and not s.startswith(("SCAN (", "SCAN CONST"))]
        return "; ".join(dict.fromkeys(wanted))

    def batch(self, statements: Any) -> Any:
        self.trips.hit()  # a remote write sent as one batch request (sqld)
        return self.inner.batch(statements)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _messages(thread_id: str, start: int, n: int, t0: Any, resource_id: str = "bench") -> list[Any]:
    from mastra_core.records import Message

    return [
        Message.from_text(
            text(i),
            id=f"{thread_id}-{i}",
            role="user" if i % 2 == 0 else "assistant",
            thread_id=thread_id,
            resource_id=resource_id,
            created_at=t0 + timedelta(milliseconds=i),
        )
        for i in range(start, start + n)
    ]


async def _fill(store: Any, t: SeededThread) -> float:
    from mastra_core.records import Thread

    await store.memory.save_thread(thread=Thread(id=t.thread_id, resource_id=t.resource_id, title=t.thread_id))
    await add_sibling_threads(store.memory, t)
    start = time.perf_counter()
    for i in range(0, t.size, FILL_BATCH):
        batch = _messages(t.thread_id, i, min(FILL_BATCH, t.size - i), t.t0, t.resource_id)
        await store.memory.save_messages(messages=batch)
    return time.perf_counter() - start


async def bench_target(label: str, url: str, results: list[Result], n: int, **config: Any) -> None:
    from mastra_core.clock import utc_now
    from mastra_core.records import Thread
    from mastra_libsql import LibSQLStore

    store = LibSQLStore(id=f"bench-{label}", url=url, **config)
    await store.init()
    await store.dangerously_clear_all()
    trips = RoundTrips()
    try:
        await store.memory.save_thread(thread=Thread(id="writes", resource_id="bench"))
        for size in SIZES if label == "file" else [x for x in SIZES if x <= 100_000]:
            t = SeededThread(f"t{size}", f"bench-{size}", T0, size)
            fill_s = await _fill(store, t)
            await verify(store.memory, t)
            backend = f"libsql-{label}"
            store.db.conn = _Counting(store.db.conn, trips)
            counter = iter(range(10**9))

            async def save10(counter: Any = counter) -> None:
                k = next(counter)
                await store.memory.save_messages(messages=_messages("writes", k * 10, 10, utc_now()))

            results.append(
                await measure(
                    backend,
                    f"save_messages(10) [thread {size}]",
                    save10,
                    n=n,
                    trips=trips,
                    note=f"fill {size} msgs: {size / fill_s:,.0f} msg/s",
                )
            )
            for op, fn in read_ops(store.memory, t):
                plan = await store.db.conn.plan(fn) if label == "file" else ""
                results.append(await measure(backend, op, fn, n=n, trips=trips, note=plan))
            store.db.conn = store.db.conn.inner
            await _raw_floor(store, backend, t.thread_id, t.message_id(t.middle), size, results, n)
    finally:
        await store.close()


async def _raw_floor(store: Any, backend: str, tid: str, mid: str, size: int, results: list[Result], n: int) -> None:
    """The same work straight through the driver on the caller's thread: no worker hop, no decoding."""
    import libsql

    target = store.db.target
    kwargs: dict[str, Any] = {"isolation_level": None}
    if target.auth_token:
        kwargs["auth_token"] = target.auth_token
    conn = store.db.conn if target.memory else libsql.connect(target.database, **kwargs)
    last10 = (
        'SELECT id, thread_id, content, role, type, "createdAt", "resourceId", rowid FROM mastra_messages '
        'WHERE thread_id = ? ORDER BY "createdAt" DESC, rowid DESC LIMIT 10'
    )
    window = (
        'SELECT * FROM (SELECT id, content FROM mastra_messages WHERE thread_id = ? AND ("createdAt", rowid) <= '
        '(SELECT "createdAt", rowid FROM mastra_messages WHERE id = ?) ORDER BY "createdAt" DESC, rowid DESC LIMIT 3) '
        'UNION ALL SELECT * FROM (SELECT id, content FROM mastra_messages '
        'WHERE thread_id = ? AND ("createdAt", rowid) > '
        '(SELECT "createdAt", rowid FROM mastra_messages WHERE id = ?) ORDER BY "createdAt" ASC, rowid ASC LIMIT 2)'
    )

    async def q_thread() -> None:
        conn.execute("SELECT * FROM mastra_threads WHERE id = ?", (tid,)).fetchall()

    async def q_last10() -> None:
        conn.execute(last10, (tid,)).fetchall()

    async def q_window() -> None:
        conn.execute(window, (tid, mid, tid, mid)).fetchall()

    async def q_count() -> None:
        conn.execute("SELECT count(*) FROM mastra_messages WHERE thread_id = ?", (tid,)).fetchall()

    raw = f"{backend}/raw"
    results.append(await measure(raw, f"get_thread_by_id [{size}]", q_thread, n=n))
    results.append(
        await measure(raw, f"list_messages last 10 DESC [{size}]", q_last10, n=n, note="rows only, no total")
    )
    results.append(await measure(raw, f"count(*) of thread [{size}]", q_count, n=n, note="the total's cost"))
    results.append(await measure(raw, f"include window +-2 middle [{size}]", q_window, n=n))
    if conn is not store.db.conn:
        conn.close()


async def main() -> None:
    results: list[Result] = []
    n = int(os.environ.get("BENCH_N", "200"))
    if "file" in TARGETS:
        with tempfile.TemporaryDirectory(prefix="mastra-bench-libsql-") as tmp:
            await bench_target("file", f"file:{Path(tmp) / 'bench.db'}", results, n)
    if "memory" in TARGETS:
        await bench_target("memory", ":memory:", results, n)
    sqld = os.environ.get("MASTRA_TEST_SQLD_URL")
    if sqld and "sqld" in TARGETS:
        await bench_target("sqld", sqld, results, max(20, n // 4))
    elif "sqld" in TARGETS:
        print("(MASTRA_TEST_SQLD_URL not set: remote sqld not benchmarked)", file=sys.stderr)
    report(results, "libsql")


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
