"""MongoDB: commands per operation, ops/s and p50/p95 on threads of increasing length.

Commands are counted by pymongo's command monitoring (``CommandListener``); the count and page reads of
``list_messages`` are sent concurrently, so two commands there cost one round trip of latency. The
raw-driver floor is the same read with plain pymongo. Runs against ``MONGODB_URI`` when set, else the
jongodb server of ``MASTRA_TEST_MONGODB_URI`` (an in-memory Java server: absolute numbers say little
about MongoDB; the commands per operation and the flat curve over thread length are the point).
save_messages(100) in messages/s says whether writes stay flat in thread length. On jongodb they cannot: every
write command there costs time growing with the square of its collection's size (a pass over every document;
measured: 10, 43, 177, 737 ms of server CPU for one insert into 1k, 2k, 4k, 8k documents), so the plugin makes a
batch one insert command (it was one upsert statement, i.e. one such pass, per message).

Run: ``MASTRA_TEST_MONGODB_URI=... python -m bench mongodb`` (``BENCH_MONGODB_SIZES=1000,10000``,
``BENCH_MONGODB_SAVE_N=3`` batches of 100 per size).
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Result, RoundTrips, measure, report

SIZES = [int(x) for x in os.environ.get("BENCH_MONGODB_SIZES", "1000,10000").split(",")]
N = int(os.environ.get("BENCH_MONGODB_N", "100"))
SAVE_N = int(os.environ.get("BENCH_MONGODB_SAVE_N", "3"))


def _uri() -> str | None:
    return os.environ.get("MONGODB_URI") or os.environ.get("MASTRA_TEST_MONGODB_URI")


def available() -> bool:
    try:
        import mastra_mongodb  # noqa: F401
    except ImportError:
        return False
    return bool(_uri())


def _listener(trips: RoundTrips) -> Any:
    from pymongo import monitoring

    class Counter(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            if event.command_name not in ("hello", "isMaster", "endSessions"):
                trips.hit()

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    return Counter()


async def _load(db: Any, thread_id: str, n: int) -> None:
    """Insert a thread of ``n`` messages 1 ms apart in the store's document shape (setup, not measured)."""
    t0 = time.perf_counter()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    await db["mastra_threads"].insert_one(
        {
            "id": thread_id,
            "resourceId": "bench",
            "title": "bench",
            "metadata": {},
            "createdAt": start,
            "updatedAt": start,
            "seq": 1,
        }
    )
    batch = []
    for i in range(n):
        batch.append(
            {
                "id": f"{thread_id}-{i}",
                "thread_id": thread_id,
                "resourceId": "bench",
                "role": "user",
                "type": "v2",
                "content": '{"format":2,"parts":[{"type":"text","text":"message %d"}]}' % i,  # noqa: UP031
                "createdAt": start + timedelta(milliseconds=i),
                "seq": i + 1,
            }
        )
        if len(batch) == 5000:
            await db["mastra_messages"].insert_many(batch, ordered=False)
            batch = []
    if batch:
        await db["mastra_messages"].insert_many(batch, ordered=False)
    print(f"   loaded {n:>9,} messages in {time.perf_counter() - t0:.1f} s")


async def main() -> None:
    from mastra_core import records as r
    from mastra_mongodb import MongoDBStore
    from mastra_mongodb.schema import COLLECTIONS
    from pymongo import AsyncMongoClient

    uri = _uri()
    trips = RoundTrips()
    client: Any = AsyncMongoClient(uri, tz_aware=True, event_listeners=[_listener(trips)])
    db_name = f"mastra_bench_{uuid.uuid4().hex[:8]}"
    store = MongoDBStore(id="bench", client=client, db_name=db_name)
    await store.init()
    results: list[Result] = []
    mem = store.memory
    counter = iter(range(10**9))
    label = "mongodb" if os.environ.get("MONGODB_URI") else "mongodb/jongo"
    try:
        for size in SIZES:
            tid = f"bench-{size}"
            await _load(store.db, tid, size)
            mid = f"{tid}-{size // 2}"
            results.append(
                await measure(
                    label,
                    f"get_thread_by_id [{size:,}]",
                    lambda tid=tid: mem.get_thread_by_id(thread_id=tid),
                    n=N,
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    label,
                    f"list_messages last 10 [{size:,}]",
                    lambda tid=tid: mem.list_messages(thread_id=tid, per_page=10, order_by={"direction": "DESC"}),
                    n=N,
                    trips=trips,
                    note="count + page concurrently",
                )
            )
            results.append(
                await measure(
                    label,
                    f"include window +-5, per_page 0 [{size:,}]",
                    lambda tid=tid, mid=mid: mem.list_messages(
                        thread_id=tid,
                        per_page=0,
                        include=[{"id": mid, "with_previous_messages": 5, "with_next_messages": 5}],
                    ),
                    n=N,
                    trips=trips,
                    note="count + targets in one aggregate, then the windows",
                )
            )

            async def save10(tid: str = tid) -> None:
                k = next(counter)
                await mem.save_messages(
                    messages=[
                        r.Message.from_text("x", id=f"{tid}-new-{k}-{i}", thread_id=tid, resource_id="bench")
                        for i in range(10)
                    ]
                )

            note = "in a transaction" if store.supports_transactions else "no transactions on this server"
            jongo = store.connection.is_jongodb
            results.append(
                await measure(
                    label, f"save_messages(10) [{size:,}]", save10, n=min(N, 5 if jongo else 30), warmup=1,
                    trips=trips, note=note,
                )
            )

            async def save100(tid: str = tid) -> None:
                k = next(counter)
                await mem.save_messages(
                    messages=[
                        r.Message.from_text("x", id=f"{tid}-b-{k}-{i}", thread_id=tid, resource_id="bench")
                        for i in range(100)
                    ]
                )

            res = await measure(label, f"save_messages(100) [{size:,}]", save100, n=SAVE_N, warmup=0, trips=trips,
                                note=note)
            res.note = f"{res.ops_per_s * 100:,.0f} messages/s; {note}"
            results.append(res)
            raw = store.db["mastra_messages"]
            results.append(
                await measure(
                    "pymongo raw",
                    f"find last 10 [{size:,}]",
                    lambda tid=tid, raw=raw: raw.find(
                        {"thread_id": tid}, sort=[("createdAt", -1), ("seq", -1)], limit=10
                    ).to_list(None),
                    n=N,
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    "pymongo raw",
                    f"find_one thread [{size:,}]",
                    lambda tid=tid: store.db["mastra_threads"].find_one({"id": tid}),
                    n=N,
                    trips=trips,
                )
            )
    finally:
        await store.close()
        for name in COLLECTIONS:  # jongodb has no dropDatabase
            await client[db_name][name].delete_many({})
        try:
            await client.drop_database(db_name)
        except Exception:
            pass
        await client.close()
    report(results, "mongodb")
