"""Round trips per operation against the budget of DESIGN.md section 5, the same operations on every backend here.

Counted exactly, per call, where each backend's requests can be seen:

- upstash: requests on the redis-py connection (a script call or a pipeline is one), as ``bench_upstash``;
- mongodb: commands (pymongo command monitoring); ``list_messages`` sends its page and its count concurrently,
  so its 2 commands cost one round trip of latency (the note says so);
- mysql: commands on the wire (``mastra_mysql.wire_counter``, a proxy in front of MariaDB; a multi-statement is
  one command, one round trip).

pg, libsql and dynamodb count theirs in ``bench_pg`` / ``bench_libsql`` / ``bench_dynamodb``. Each backend runs on a
fresh namespace (Redis prefix, database) removed afterwards; a backend whose service is not configured is skipped.
Writes ``bench/results/round_trips.json`` (rows with ``budget``; REPORT.md shows them per backend).
"""

from __future__ import annotations

import importlib.util
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import RESULTS

#: (operation, budget as text, the limit it means). "1 (<= 2)": 1 where the backend allows, 2 at most.
BUDGET = {
    "save_messages(10)": ("1", 1),
    "get_thread_by_id": ("1", 1),
    "list_messages last 10 (1k thread)": ("<= 2", 2),
    "include window +-5 (1k thread)": ("<= 2", 2),
    "page of 5 + 2 include windows": ("<= 2", 2),
    "list_threads (20 of 100)": ("<= 2, 1 where possible", 2),
    "update_thread": ("1 (atomic in one statement/script/update)", 1),
    "update_resource (working memory)": ("1 (same)", 1),
    "update_workflow_results": ("1 (same)", 1),
    "update_workflow_state": ("1 (same)", 1),
}
#: Where a backend's count means something else than round trips: (backend, op) -> (budget text, limit).
EXCEPTIONS = {
    ("mongodb", "save_messages(10)"): ("2 commands sent concurrently = 1 round trip of latency (a write command "
                                       "names one collection; bulkWrite across two needs MongoDB 8)", 2),
    # updatedAt must move strictly past the stored one: the update is guarded by updatedAt < now, so a second
    # update of one record within the same millisecond (this loop) takes the general path, +2 commands
    ("mongodb", "update_thread"): ("1; 3 when the record was written in the same millisecond (no $max/pipeline "
                                   "update on jongodb)", 3),
    ("mongodb", "update_resource (working memory)"): ("1; 3 when written in the same millisecond (as update_thread)",
                                                      3),
}
#: Calls measured per operation (the count is exact; several calls show it is stable).
N = int(os.environ.get("BENCH_ROUND_TRIPS_N", "5"))


def available() -> bool:
    return any(os.environ.get(k) for k in ("MASTRA_TEST_REDIS_URL", "MASTRA_TEST_MONGODB_URI", "MONGODB_URI",
                                           "MASTRA_TEST_MYSQL_URL"))


def _ops(store: Any, t0: datetime) -> list[tuple[str, Callable[[int], Awaitable[Any]]]]:
    from mastra_core.records import Message

    mem, wf = store.memory, store.workflows
    newest = {"field": "created_at", "direction": "DESC"}
    return [
        ("save_messages(10)", lambda i: mem.save_messages(messages=[
            Message.from_text("x", id=f"w{i}-{j}", thread_id="t", resource_id="r") for j in range(10)])),
        ("get_thread_by_id", lambda i: mem.get_thread_by_id(thread_id="t")),
        ("list_messages last 10 (1k thread)", lambda i: mem.list_messages(thread_id="t", per_page=10, order_by=newest)),
        ("include window +-5 (1k thread)", lambda i: mem.list_messages(thread_id="t", per_page=0, include=[
            {"id": "m500", "with_previous_messages": 5, "with_next_messages": 5}])),
        ("page of 5 + 2 include windows", lambda i: mem.list_messages(thread_id="t", per_page=5, include=[
            {"id": "m500", "with_previous_messages": 2, "with_next_messages": 2},
            {"id": "m10", "with_next_messages": 1}])),
        ("list_threads (20 of 100)", lambda i: mem.list_threads(filter={"resource_id": "lister"}, per_page=20, page=2)),
        ("update_thread", lambda i: mem.update_thread(id="t", title=f"title {i}", metadata={"n": i})),
        ("update_resource (working memory)", lambda i: mem.update_resource(resource_id="r", working_memory=f"wm {i}")),
        ("update_workflow_results", lambda i: wf.update_workflow_results(workflow_name="w", run_id="1",
                                                                         step_id=f"s{i}", result={"i": i})),
        ("update_workflow_state", lambda i: wf.update_workflow_state(workflow_name="w", run_id="1",
                                                                     opts={"status": "running"})),
    ]


async def _fill(store: Any, t0: datetime) -> None:
    from mastra_core.records import Message, Thread

    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    for start in range(0, 1000, 250):
        await mem.save_messages(messages=[Message.from_text(f"m{i}", id=f"m{i}", thread_id="t", resource_id="r",
                                                            created_at=t0 + timedelta(milliseconds=i))
                                          for i in range(start, start + 250)])
    for i in range(100):
        at = t0 + timedelta(milliseconds=i)
        await mem.save_thread(thread=Thread(id=f"l{i}", resource_id="lister", created_at=at, updated_at=at))
    await mem.update_resource(resource_id="r", working_memory="wm")
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="1",
                                                    snapshot={"status": "running", "requestContext": {}})


@asynccontextmanager
async def _upstash() -> AsyncIterator[tuple[Any, Callable[[], int], str]]:
    import redis.asyncio as redis
    from mastra_core import create_storage

    from bench.bench_upstash import Counter, counting_client

    url = os.environ["MASTRA_TEST_REDIS_URL"]
    counter = Counter()
    client = counting_client(url, counter)
    prefix = f"bench-rt:{uuid.uuid4().hex[:8]}:"
    store = create_storage("upstash", id="rt", client=client, prefix=prefix)
    await store.init()
    try:
        yield store, lambda: counter.count, "requests on the connection"
    finally:
        await store.close()
        admin = redis.Redis.from_url(url, decode_responses=True)
        keys = [k async for k in admin.scan_iter(match=prefix + "*", count=10_000)]
        for i in range(0, len(keys), 1000):
            await admin.unlink(*keys[i:i + 1000])
        await admin.aclose()
        await client.aclose()


@asynccontextmanager
async def _mongodb() -> AsyncIterator[tuple[Any, Callable[[], int], str]]:
    from mastra_core import create_storage
    from pymongo import AsyncMongoClient

    from bench.bench_mongodb import _listener
    from bench.common import RoundTrips

    trips = RoundTrips()
    uri = os.environ.get("MONGODB_URI") or os.environ["MASTRA_TEST_MONGODB_URI"]
    client: Any = AsyncMongoClient(uri, tz_aware=True, event_listeners=[_listener(trips)])
    store = create_storage("mongodb", id="rt", client=client, db_name=f"bench_rt_{uuid.uuid4().hex[:8]}")
    await store.init()
    try:
        yield store, lambda: trips.count, "commands (list_messages: page and count sent concurrently)"
    finally:
        await store.dangerously_clear_all()  # jongodb has no dropDatabase: the collections are emptied
        await store.close()
        await client.close()


@asynccontextmanager
async def _mysql() -> AsyncIterator[tuple[Any, Callable[[], int], str]]:
    from mastra_core import create_storage
    from mastra_mysql.harness import cleanup, fault_upstream
    from mastra_mysql.wire_counter import WireCounter

    proxy = WireCounter(*fault_upstream())
    await proxy.start()
    name = f"bench_rt_{uuid.uuid4().hex[:8]}"
    store = create_storage("mysql", id="rt", url=os.environ["MASTRA_TEST_MYSQL_URL"], database=name,
                           host="127.0.0.1", port=proxy.port, min_pool_size=1, max_pool_size=1)
    await store.init()
    try:
        yield store, lambda: proxy.trips, "commands on the wire"
    finally:
        await store.close()
        await cleanup(name)
        await proxy.stop()


BACKENDS = {"upstash": ("MASTRA_TEST_REDIS_URL", _upstash), "mongodb": ("MASTRA_TEST_MONGODB_URI", _mongodb),
            "mysql": ("MASTRA_TEST_MYSQL_URL", _mysql)}


async def main() -> None:
    rows: list[dict[str, Any]] = []
    t0 = datetime.now(UTC) - timedelta(days=1)
    for backend, (env, open_store) in BACKENDS.items():
        if not os.environ.get(env) and not (backend == "mongodb" and os.environ.get("MONGODB_URI")):
            print(f"{backend}: skipped ({env} is not set)")
            continue
        if importlib.util.find_spec(f"mastra_{backend}") is None:
            print(f"{backend}: skipped (mastra-{backend} is not installed)")
            continue
        async with open_store() as (store, count, what):
            await _fill(store, t0)
            for op, call in _ops(store, t0):
                await call(-1)  # warm: scripts loaded, connections open
                before = count()
                for i in range(N):
                    await call(i)
                per_op = (count() - before) / N
                text, limit = EXCEPTIONS.get((backend, op), BUDGET[op])
                rows.append({"backend": backend, "op": op, "round_trips_per_op": per_op, "budget": text,
                             "within": per_op <= limit, "counted": what})
    print(f"{'backend':<9}{'operation':<38}{'trips/op':>9}  budget")
    for r in rows:
        flag = "ok" if r["within"] else "OVER BUDGET"
        print(f"{r['backend']:<9}{r['op']:<38}{r['round_trips_per_op']:>9.2f}  {r['budget']}  {flag}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "round_trips.json").write_text(json.dumps(rows, indent=2))
