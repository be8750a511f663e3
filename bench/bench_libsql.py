"""libSQL backend: file and :memory: (plus the remote sqld server when MASTRA_TEST_SQLD_URL is set).

For threads of 1k and 100k messages: save_messages(10), get_thread_by_id, list_messages last 10
(DESC, per_page 10), an include window of +-2 around a middle message, and the raw-driver floor (the
same SELECT straight through libsql on the caller's thread). Round trips are the statements sent,
counted by wrapping the store's connection ``execute``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Result, RoundTrips, measure, report

SIZES = (1_000, 100_000)
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

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.trips.hit()
        return self.inner.execute(sql, params)

    def batch(self, statements: Any) -> Any:
        self.trips.hit()  # a remote write sent as one batch request (sqld)
        return self.inner.batch(statements)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _messages(thread_id: str, start: int, n: int, t0: Any) -> list[Any]:
    from mastra_core.records import Message, MessageContent, TextPart

    return [
        Message(
            id=f"{thread_id}-{i}",
            role="user" if i % 2 == 0 else "assistant",
            thread_id=thread_id,
            resource_id="bench",
            content=MessageContent(parts=[TextPart(text=f"message number {i} " + "lorem ipsum " * 8)]),
            created_at=t0 + timedelta(milliseconds=i),
        )
        for i in range(start, start + n)
    ]


async def _fill(store: Any, thread_id: str, size: int) -> float:
    from mastra_core.clock import utc_now
    from mastra_core.records import Thread

    t0 = utc_now() - timedelta(days=30)
    await store.memory.save_thread(thread=Thread(id=thread_id, resource_id="bench", title=thread_id))
    start = time.perf_counter()
    for i in range(0, size, FILL_BATCH):
        await store.memory.save_messages(messages=_messages(thread_id, i, min(FILL_BATCH, size - i), t0))
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
        for size in SIZES:
            tid = f"t{size}"
            fill_s = await _fill(store, tid, size)
            backend = f"libsql-{label}"
            store.db.conn = _Counting(store.db.conn, trips)
            counter = iter(range(10**9))

            async def save10(counter: Any = counter) -> None:
                k = next(counter)
                await store.memory.save_messages(messages=_messages("writes", k * 10, 10, utc_now()))

            mid = f"{tid}-{size // 2}"
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
            results.append(
                await measure(
                    backend,
                    f"get_thread_by_id [{size}]",
                    lambda tid=tid: store.memory.get_thread_by_id(thread_id=tid),
                    n=n,
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    backend,
                    f"list_messages last 10 DESC [{size}]",
                    lambda tid=tid: store.memory.list_messages(
                        thread_id=tid, per_page=10, order_by={"field": "createdAt", "direction": "DESC"}
                    ),
                    n=n,
                    trips=trips,
                    note="page + total in one statement",
                )
            )
            results.append(
                await measure(
                    backend,
                    f"include window +-2 middle [{size}]",
                    lambda tid=tid, mid=mid: store.memory.list_messages(
                        thread_id=tid,
                        per_page=0,
                        include=[{"id": mid, "withPreviousMessages": 2, "withNextMessages": 2}],
                    ),
                    n=n,
                    trips=trips,
                )
            )
            store.db.conn = store.db.conn.inner
            await _raw_floor(store, backend, tid, mid, size, results, n)
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
    with tempfile.TemporaryDirectory(prefix="mastra-bench-libsql-") as tmp:
        await bench_target("file", f"file:{Path(tmp) / 'bench.db'}", results, n)
    await bench_target("memory", ":memory:", results, n)
    sqld = os.environ.get("MASTRA_TEST_SQLD_URL")
    if sqld:
        await bench_target("sqld", sqld, results, max(20, n // 4))
    else:
        print("(MASTRA_TEST_SQLD_URL not set: remote sqld not benchmarked)", file=sys.stderr)
    report(results, "libsql")


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
