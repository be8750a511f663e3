"""The issue-16 table's six operations on every installed backend, with exact round trips per op.

Ops (as the reference was measured): save_thread, save_messages(10), get_thread_by_id, list_threads (a resource's
first 20 of 100 threads), update_resource (1 KB working memory) and persist + load of a 2.6 KB workflow snapshot.
Round trips: pg on the wire (``RoundTripProxy``, a second store through it), libsql the statements sent, dynamodb
the HTTP requests (botocore ``before-send``), mongodb the commands (pymongo command monitoring; commands sent
concurrently count each), in memory none. ``bench/report.py`` puts the reference's medians
beside them. Nothing is asserted.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bench.bench_overhead import snapshot
from bench.common import Result, RoundTrips, measure, report

N = int(os.environ.get("BENCH_REF_N", "200"))


def available() -> bool:
    return True


def reference_ops(store: Any, tag: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The six ops against ``store`` (ids carry ``tag`` so two stores on one database do not collide)."""
    from mastra_core.records import Message, Thread

    m, w = store.memory, store.workflows
    counter = iter(range(10**9))
    snap = snapshot()

    def batch() -> list[Message]:
        k = next(counter)
        return [
            Message.from_text(f"hello {i}", id=f"ref-{tag}-{k}-{i}", thread_id=f"ref-{tag}-w", resource_id="ref")
            for i in range(10)
        ]

    async def persist_load() -> None:
        await w.persist_workflow_snapshot(workflow_name="wf", run_id=f"run-{tag}", snapshot=snap)
        await w.load_workflow_snapshot(workflow_name="wf", run_id=f"run-{tag}")

    return {
        "save_thread": lambda: m.save_thread(thread=Thread(id=f"ref-{tag}-t", resource_id="ref", title="t")),
        "save_messages(10)": lambda: m.save_messages(messages=batch()),
        "get_thread_by_id": lambda: m.get_thread_by_id(thread_id=f"ref-{tag}-w"),
        "list_threads(resource, 20 of 100)": lambda: m.list_threads(
            filter={"resource_id": f"ref-{tag}-list"}, per_page=20
        ),
        "update_resource (1 KB working memory)": lambda: m.update_resource(
            resource_id=f"ref-{tag}", working_memory="w" * 1024
        ),
        "persist + load workflow snapshot (2.6 KB)": persist_load,
    }


def variant_ops(store: Any, tag: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The same ops on records that do not exist yet (a new id every call): the create paths, which a re-save of
    one record never takes (``BENCH_SBS_VARIANTS=1`` adds them to the side-by-side run)."""
    from mastra_core.records import Thread

    m, w = store.memory, store.workflows
    counter = iter(range(10**9))
    snap = snapshot()

    async def persist_load_new() -> None:
        run = f"run-{tag}-n{next(counter)}"
        await w.persist_workflow_snapshot(workflow_name="wf", run_id=run, snapshot=snap)
        await w.load_workflow_snapshot(workflow_name="wf", run_id=run)

    return {
        "save_thread (new thread)": lambda: m.save_thread(
            thread=Thread(id=f"ref-{tag}-new-{next(counter)}", resource_id="ref-new", title="t")),
        "update_resource (new resource)": lambda: m.update_resource(
            resource_id=f"ref-{tag}-r{next(counter)}", working_memory="w" * 1024),
        "persist + load (new run)": persist_load_new,
    }


def more_ops(store: Any, tag: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The other frequent ops (``BENCH_SBS_MORE=1``), on what :func:`seed_more` wrote: reads of a resource, a run
    and message pages, a thread's title and metadata changed, a workflow's runs listed."""
    m, w = store.memory, store.workflows
    counter = iter(range(10**9))
    ids = [f"ref-{tag}-m-{i * 20}" for i in range(10)]

    async def update_thread() -> None:
        k = next(counter)
        await m.update_thread(id=f"ref-{tag}-w", title=f"t{k}", metadata={"turn": k})

    return {
        "get_resource_by_id": lambda: m.get_resource_by_id(resource_id=f"ref-{tag}-rs"),
        "update_thread (title + metadata)": update_thread,
        "list_messages (newest 20 of 200)": lambda: m.list_messages(
            thread_id=f"ref-{tag}-m", per_page=20, page=0, order_by={"field": "created_at", "direction": "DESC"}),
        "list_messages_by_id (10)": lambda: m.list_messages_by_id(message_ids=ids),
        "get_workflow_run_by_id": lambda: w.get_workflow_run_by_id(run_id=f"run-{tag}-l7", workflow_name="wf-list"),
        "list_workflow_runs (20 of 100)": lambda: w.list_workflow_runs(workflow_name="wf-list", page=0, per_page=20),
    }


async def seed_more(store: Any, tag: str) -> None:
    """What :func:`more_ops` reads, as ops.mjs's ``seedMore`` writes it: a resource with 1 KB of working memory, a
    thread of 200 messages (one second apart), 100 runs of one workflow."""
    from datetime import UTC, datetime, timedelta

    from mastra_core.records import Message, Thread

    m = store.memory
    await m.update_resource(resource_id=f"ref-{tag}-rs", working_memory="w" * 1024)
    await m.save_thread(thread=Thread(id=f"ref-{tag}-m", resource_id="ref"))
    base = datetime.now(UTC) - timedelta(hours=1)
    for k in range(20):
        await m.save_messages(messages=[
            Message.from_text(f"message {k * 10 + i}", id=f"ref-{tag}-m-{k * 10 + i}", thread_id=f"ref-{tag}-m",
                              resource_id="ref", created_at=base + timedelta(seconds=k * 10 + i))
            for i in range(10)])
    snap = snapshot()
    for i in range(100):
        await store.workflows.persist_workflow_snapshot(workflow_name="wf-list", run_id=f"run-{tag}-l{i}",
                                                        snapshot=snap)
    page = await m.list_messages(thread_id=f"ref-{tag}-m", per_page=20, order_by={"field": "created_at",
                                                                                    "direction": "DESC"})
    runs = await store.workflows.list_workflow_runs(workflow_name="wf-list", page=0, per_page=20)
    assert len(page.items) == 20 and len(runs.items) == 20 and runs.total == 100, (len(page.items), runs.total)


async def seed(store: Any, tag: str) -> None:
    from mastra_core.records import Thread

    await store.memory.save_thread(thread=Thread(id=f"ref-{tag}-w", resource_id="ref"))
    for i in range(100):
        await store.memory.save_thread(thread=Thread(id=f"ref-{tag}-l{i}", resource_id=f"ref-{tag}-list"))


async def run(backend: str, timed: Any, counted: Any | None, trips: RoundTrips | None) -> list[Result]:
    """Latency on ``timed``; round trips on ``counted`` (the same store when the counter sits in its client)."""
    await seed(timed, "a")
    if counted is not None and counted is not timed:
        await seed(counted, "b")
    out: list[Result] = []
    counted_ops = reference_ops(counted, "b" if counted is not timed else "a") if counted is not None else {}
    for op, fn in reference_ops(timed, "a").items():
        r = await measure(backend, op, fn, n=N, warmup=10, trips=trips if counted is timed else None)
        if counted is not None and counted is not timed:
            c = await measure(backend, op, counted_ops[op], n=20, warmup=3, trips=trips)
            r.round_trips_per_op = c.round_trips_per_op
        if counted is None:
            r.round_trips_per_op = 0.0
        out.append(r)
    return out


@asynccontextmanager
async def _pg() -> AsyncIterator[tuple[Any, Any, RoundTrips]]:
    import psycopg
    from mastra_pg import PostgresStore
    from mastra_pg.roundtrips import RoundTripProxy
    from psycopg import sql

    from bench.bench_pg import _proxied

    url = os.environ["MASTRA_TEST_PG_URL"]
    info = psycopg.conninfo.conninfo_to_dict(url)
    schema = f"bench_ref_{uuid.uuid4().hex[:8]}"
    trips = RoundTrips()
    proxy = RoundTripProxy(str(info.get("host", "127.0.0.1")), int(info.get("port", 5432)), on_trip=trips.hit)
    await proxy.start()
    timed = PostgresStore(id="ref", connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=2)
    counted = PostgresStore(id="ref-c", connection_string=_proxied(url, proxy.port), schema_name=schema,
                            min_pool_size=1, max_pool_size=1)
    try:
        await timed.init()
        await counted.init()
        yield timed, counted, trips
    finally:
        await counted.close()
        await timed.close()
        await proxy.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@asynccontextmanager
async def _dynamodb() -> AsyncIterator[tuple[Any, Any, RoundTrips]]:
    from mastra_dynamodb import DynamoDBStore, create_table, make_client

    client = make_client(endpoint=os.environ["MASTRA_TEST_DYNAMODB_ENDPOINT"],
                         credentials={"access_key_id": "local", "secret_access_key": "local"})
    table = f"mastra-bench-ref-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(create_table, table, client=client)
    trips = RoundTrips()
    client.meta.events.register("before-send.dynamodb.*", trips.hit)
    store = DynamoDBStore(id="ref", table_name=table, client=client)
    try:
        await store.init()
        yield store, store, trips
    finally:
        await store.close()
        await asyncio.to_thread(client.delete_table, TableName=table)


@asynccontextmanager
async def _libsql() -> AsyncIterator[tuple[Any, Any, RoundTrips]]:
    from mastra_libsql import LibSQLStore

    from bench.bench_libsql import _Counting

    with tempfile.TemporaryDirectory() as tmp:
        store = LibSQLStore(id="ref", url=f"file:{tmp}/ref.db")
        trips = RoundTrips()
        try:
            await store.init()
            store.db.conn = _Counting(store.db.conn, trips)
            yield store, store, trips
        finally:
            await store.close()


@asynccontextmanager
async def _mongodb() -> AsyncIterator[tuple[Any, Any, RoundTrips]]:
    from mastra_mongodb import MongoDBStore
    from mastra_mongodb.schema import COLLECTIONS
    from pymongo import AsyncMongoClient

    from bench.bench_mongodb import _listener, _uri

    trips = RoundTrips()
    client: Any = AsyncMongoClient(_uri(), tz_aware=True, event_listeners=[_listener(trips)])
    db_name = f"mastra_bench_ref_{uuid.uuid4().hex[:8]}"
    store = MongoDBStore(id="ref", client=client, db_name=db_name)
    try:
        await store.init()
        yield store, store, trips
    finally:
        await store.close()
        for name in COLLECTIONS:  # jongodb has no dropDatabase
            await client[db_name][name].delete_many({})
        try:
            await client.drop_database(db_name)
        except Exception:
            pass
        await client.close()


def _installed(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


async def main() -> None:
    from mastra_core import create_storage

    results: list[Result] = []
    mem = create_storage("inmemory", id="ref-inmemory")
    await mem.init()
    results += await run("inmemory", mem, None, None)
    await mem.close()
    targets = [
        ("pg", "mastra_pg", "MASTRA_TEST_PG_URL", _pg),
        ("libsql-file", "mastra_libsql", None, _libsql),
        ("dynamodb", "mastra_dynamodb", "MASTRA_TEST_DYNAMODB_ENDPOINT", _dynamodb),
        ("mongodb", "mastra_mongodb", "MASTRA_TEST_MONGODB_URI", _mongodb),
    ]
    for backend, module, env, open_ in targets:
        if not _installed(module) or (env and not os.environ.get(env)):
            print(f"   {backend}: not installed or no service, not run")
            continue
        try:
            async with open_() as (timed, counted, trips):
                results += await run(backend, timed, counted, trips)
        except Exception as exc:  # one backend failing must not lose the others' numbers
            print(f"   {backend}: failed: {type(exc).__name__}: {exc}")
    report(results, "reference_ops")
