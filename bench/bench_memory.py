"""Memory recall latency on a resource with 100k messages: history only, and history + semantic recall.

Setup (not measured): one resource with ``BENCH_MEMORY_MESSAGES`` messages (default 100,000) spread
over threads of 100 messages, saved through ``Memory.save_messages`` in batches of 1,000 (one storage
write, one embed call and one vector upsert per batch), with the deterministic ``HashEmbedder(64)``
so the numbers are about storage and vector search rather than a model. The query embedding of the
semantic leg is therefore cheap and cached after the first round (a real model adds its own cost).

Measured (``bench.common.measure``, p50/p95 in ms):
- ``recall history`` : last 10 messages of one thread (1 get_thread + 1 list_messages);
- ``recall semantic``: the same plus top_k=3 hits over the whole resource with message_range=2 (the
  vector query, then ONE list_messages with the history window and the include windows);
- ``vector query``   : the vector store's top-3 query alone, resource-filtered;
- ``build_context``  : ``Memory.build_context`` (resource working memory + history + semantic recall),
  and its storage round trips, counted by wrapping the memory store and the vector store: the thread
  and the resource read concurrently with the vector query, then ONE list_messages for history and
  every hit window (history + recall: 2 storage calls and 1 vector query; +1 resource read for
  resource-scoped working memory).

Backends: libsql (embedded file; LibSQLVector shares the store's connection) and pg + pgvector when
``MASTRA_TEST_PG_URL`` is set (a fresh schema, dropped afterwards).
Run: ``python -m bench memory`` (``BENCH_MEMORY_MESSAGES=20000`` for a quick run).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import Result, RoundTrips, measure, report

MESSAGES = int(os.environ.get("BENCH_MEMORY_MESSAGES", "100000"))
PER_THREAD = 100
BATCH = 1000
N = int(os.environ.get("BENCH_MEMORY_N", "200"))
WORDS = (
    "cat dog tom rex garden trip alps lyon pasta curry bike train budget tax doctor piano guitar chess "
    "football novel movie coffee tea rain snow summer winter project deadline meeting birthday gift"
).split()


def available() -> bool:
    try:
        import mastra_libsql  # noqa: F401
    except ImportError:
        return False
    return True


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))


async def _load(memory: Any, resource: str) -> float:
    from datetime import UTC, datetime, timedelta

    from mastra_core import Message

    rng = random.Random(42)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    start = time.perf_counter()
    threads = MESSAGES // PER_THREAD
    for t in range(threads):
        await memory.create_thread(resource_id=resource, thread_id=f"t{t:05d}", title=f"thread {t}")
    batch: list[Message] = []
    for i in range(MESSAGES):
        t = i // PER_THREAD
        batch.append(
            Message.from_text(
                _text(rng),
                id=f"m{i:07d}",
                role="user" if i % 2 == 0 else "assistant",
                thread_id=f"t{t:05d}",
                resource_id=resource,
                created_at=base + timedelta(seconds=i),
            )
        )
        if len(batch) == BATCH:
            await memory.save_messages(batch)
            batch = []
    if batch:
        await memory.save_messages(batch)
    return time.perf_counter() - start


class _Counting:
    """Counts the awaited calls made on a store: one call is one storage (or vector) round trip."""

    def __init__(self, target: Any, trips: RoundTrips | None = None) -> None:
        self.target = target
        self.trips = trips
        self.calls: list[str] = []

    def get_store(self, domain: str) -> Any:
        return self

    def __getattr__(self, name: str) -> Any:
        import inspect

        value = getattr(self.target, name)
        if not inspect.iscoroutinefunction(value):
            return value

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            if self.trips is not None:
                self.trips.hit()
            return await value(*args, **kwargs)

        return call


def counted_memory(memory: Any, trips: RoundTrips | None = None) -> tuple[Any, _Counting, _Counting]:
    """A Memory over ``memory``'s stores whose storage and vector calls are counted (working memory on, resource
    scope)."""
    from mastra_memory import Memory

    storage, vector = _Counting(memory.store, trips), _Counting(memory.vector, trips)
    counted = Memory(
        storage=storage,
        vector=memory.vector,
        embedder=memory.embedder,
        options={**OPTIONS, "working_memory": {"enabled": True}},
    )
    counted.vector = vector  # after construction: the constructor checks for a real VectorStore
    return counted, storage, vector


async def _run(backend: str, memory: Any, resource: str) -> list[Result]:
    load_s = await _load(memory, resource)
    note = f"{MESSAGES} msgs loaded in {load_s:.0f}s"
    print(f"  {backend}: {note}")
    rng = random.Random(7)
    queries = [_text(rng) for _ in range(50)]
    threads = [f"t{t:05d}" for t in range(MESSAGES // PER_THREAD)]
    state = {"i": 0}

    def next_thread() -> str:
        state["i"] += 1
        return threads[state["i"] * 37 % len(threads)]

    async def history() -> None:
        r = await memory.recall(thread_id=next_thread(), resource_id=resource, config={"semantic_recall": False})
        assert len(r.messages) == 10

    async def semantic() -> None:
        r = await memory.recall(thread_id=next_thread(), resource_id=resource, query=queries[state["i"] % len(queries)])
        assert r.hits and len(r.messages) >= 10

    name = memory.index_name(64)
    qvecs = await memory.embedder.embed(queries)

    async def vector_only() -> None:
        state["i"] += 1
        hits = await memory.vector.query(
            index_name=name, query_vector=qvecs[state["i"] % len(qvecs)], top_k=3, filter={"resource_id": resource}
        )
        assert len(hits) == 3

    probe, storage_probe, vector_probe = counted_memory(memory)
    await probe.build_context(thread_id=threads[0], resource_id=resource, messages=[queries[0]])
    storage_calls, vector_calls = storage_probe.calls, vector_probe.calls
    ctx_trips = RoundTrips()
    ctx_memory, _, _ = counted_memory(memory, ctx_trips)

    async def context() -> None:
        ctx = await ctx_memory.build_context(
            thread_id=next_thread(), resource_id=resource, messages=[queries[state["i"] % len(queries)]]
        )
        assert ctx.hits and len(ctx.messages) >= 12

    trips = f"{len(storage_calls)} storage ({', '.join(sorted(storage_calls))}) + {len(vector_calls)} vector"
    print(f"  {backend}: build_context round trips: {trips}")
    return [
        await measure(backend, "recall history (last 10)", history, n=N, note=note),
        await measure(backend, "build_context (wm + history + semantic)", context, n=N, trips=ctx_trips, note=trips),
        await measure(backend, "recall history + semantic (k=3, range 2)", semantic, n=N),
        await measure(backend, "vector query alone (k=3, resource filter)", vector_only, n=N),
    ]


OPTIONS = {"last_messages": 10, "semantic_recall": {"top_k": 3, "message_range": 2, "scope": "resource"}}


async def _libsql() -> list[Result]:
    from mastra_core import create_storage
    from mastra_libsql.vector import LibSQLVector
    from mastra_memory import HashEmbedder, Memory

    folder = Path(tempfile.mkdtemp(prefix="mastra-bench-memory-"))
    storage = create_storage("libsql", id="bench-memory", url=f"file:{folder / 'bench.db'}")
    await storage.init()
    # DiskANN insertion with the default settings runs ~100 rows/s on a busy machine; 16 neighbours, float8
    vector = LibSQLVector.from_storage(storage, index_options={"max_neighbors": 16, "compress_neighbors": "float8"})
    try:
        memory = Memory(storage=storage, vector=vector, embedder=HashEmbedder(64), options=OPTIONS)
        return await _run("libsql", memory, "bench-user")
    finally:
        await storage.close()
        shutil.rmtree(folder, ignore_errors=True)


async def _pg(url: str) -> list[Result]:
    import psycopg
    from mastra_core import create_storage
    from mastra_memory import HashEmbedder, Memory
    from mastra_pg import PgVector
    from psycopg import sql

    schema = f"bench_memory_{uuid.uuid4().hex[:8]}"
    storage = create_storage("pg", id="bench-memory", connection_string=url, schema_name=schema)
    await storage.init()
    vector = PgVector(connection_string=url, schema_name=schema)
    try:
        memory = Memory(storage=storage, vector=vector, embedder=HashEmbedder(64), options=OPTIONS)
        return await _run("pg+pgvector", memory, "bench-user")
    finally:
        await vector.close()
        await storage.close()
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


async def main() -> None:
    results = await _libsql()
    url = os.environ.get("MASTRA_TEST_PG_URL")
    try:
        import mastra_pg  # noqa: F401
    except ImportError:
        url = None
    if url:
        results += await _pg(url)
    else:
        print("  pg: not run (MASTRA_TEST_PG_URL unset or mastra-pg missing)")
    report(results, "memory")


if __name__ == "__main__":
    import asyncio

    asyncio.run(main())
