"""Per-op library overhead: the client CPU one public op costs above the raw driver doing the same statements.

For pg, every statement the library sends during an op is recorded (``psycopg.AsyncCursor.execute``, which
``AsyncConnection.execute`` goes through, and ``mastra_pg.lean.run``, the store's single statements) and replayed
with plain psycopg on one autocommit connection, a new cursor per statement (``conn.execute``; pipelines replayed as
pipelines): the replay is the raw-driver floor, so ``library us - floor us`` is what records, conversion,
validation, retention, hooks, logging and the pool cost (negative where the library's reused cursors save more than
the rest costs). CPU is ``time.process_time`` (the server is another process, so its work is not counted); on a busy
machine the best of several rounds is the least disturbed, so that is what is reported. In memory there is no
driver: the whole op is library CPU.

Budget (DESIGN.md section 5): <= 30 us above the floor for single-row ops. Numbers are printed and written to
``bench/results/overhead.json``; nothing is asserted.

Run: ``python -m bench overhead`` (``MASTRA_TEST_PG_URL`` set for the pg half; ``BENCH_OVERHEAD_N`` ops per round).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import RESULTS

N = int(os.environ.get("BENCH_OVERHEAD_N", "200"))
ROUNDS = int(os.environ.get("BENCH_OVERHEAD_ROUNDS", "5"))
BUDGET_US = 30.0


def available() -> bool:
    return True


def snapshot() -> dict[str, Any]:
    """A workflow snapshot of about 2.6 KB of JSON (the size in the issue's table)."""
    return {
        "runId": "run-1",
        "status": "running",
        "value": {},
        "context": {
            f"step{i}": {"status": "success", "output": {"text": "x" * 40, "n": i}, "startedAt": 1, "endedAt": 2}
            for i in range(14)
        },
        "activePaths": [1],
        "serializedStepGraph": [{"type": "step", "step": {"id": f"step{i}"}} for i in range(8)],
        "suspendedPaths": {},
        "waitingPaths": {},
        "timestamp": 1,
    }


def ops(store: Any) -> dict[str, Callable[[], Awaitable[Any]]]:
    """The measured ops: the reference table's six plus the two message reads."""
    from mastra_core.records import Message, MessageInclude, Thread

    m, w = store.memory, store.workflows
    counter = iter(range(10**9))
    snap = snapshot()

    async def persist_load() -> None:
        await w.persist_workflow_snapshot(workflow_name="wf", run_id="run-1", snapshot=snap)
        await w.load_workflow_snapshot(workflow_name="wf", run_id="run-1")

    def batch() -> list[Message]:
        k = next(counter)
        return [
            Message.from_text(f"hello {i}", id=f"ovh-{k}-{i}", thread_id="ovh-write", resource_id="ovh")
            for i in range(10)
        ]

    desc = {"field": "createdAt", "direction": "DESC"}
    window = [MessageInclude(id="ovh-read-50", with_previous_messages=2, with_next_messages=2)]
    return {
        "save_thread": lambda: m.save_thread(thread=Thread(id="ovh-t1", resource_id="ovh", title="t", metadata={})),
        "get_thread_by_id": lambda: m.get_thread_by_id(thread_id="ovh-read"),
        "list_threads(resource, 20 of 100)": lambda: m.list_threads(filter={"resource_id": "ovh-list"}, per_page=20),
        "save_messages(10)": lambda: m.save_messages(messages=batch()),
        "update_resource (1 KB wm)": lambda: m.update_resource(resource_id="ovh", working_memory="w" * 1024),
        "persist + load snapshot (2.6 KB)": persist_load,
        "list_messages last 10": lambda: m.list_messages(thread_id="ovh-read", per_page=10, order_by=desc),
        "include window +-2": lambda: m.list_messages(thread_id="ovh-read", per_page=0, include=window),
    }


async def seed(store: Any) -> None:
    from mastra_core.records import Message, Thread

    m = store.memory
    for tid in ("ovh-read", "ovh-write"):
        await m.save_thread(thread=Thread(id=tid, resource_id="ovh"))
    await m.save_messages(
        messages=[Message.from_text(f"m {i}", id=f"ovh-read-{i}", thread_id="ovh-read", resource_id="ovh")
                  for i in range(100)]
    )
    for i in range(100):
        await m.save_thread(thread=Thread(id=f"ovh-l{i}", resource_id="ovh-list", title="x"))


async def cpu_us(fn: Callable[[], Awaitable[Any]], n: int = N) -> float:
    """Client CPU per call (us), best of ``ROUNDS`` rounds of ``n`` calls."""
    best = float("inf")
    for _ in range(ROUNDS):
        c0 = time.process_time()
        for _ in range(n):
            await fn()
        best = min(best, (time.process_time() - c0) / n * 1e6)
    return best


class Recorder:
    """Records the statements the library sends through psycopg, to replay them raw."""

    def __init__(self) -> None:
        self.statements: list[tuple[Any, Any, bool]] = []
        self.on = False

    def install(self) -> Callable[[], None]:
        # at the cursor: ``AsyncConnection.execute`` goes through it, and so does the library's reusable cursor
        from psycopg import AsyncCursor

        original = AsyncCursor.execute
        recorder = self

        async def execute(cur: Any, query: Any, params: Any = None, **kw: Any) -> Any:
            if recorder.on:
                recorder.statements.append((query, params, cur.connection._pipeline is not None))
            return await original(cur, query, params, **kw)

        AsyncCursor.execute = execute  # type: ignore[method-assign,assignment]
        # and at the store's single-statement path, which drives libpq without a cursor
        from mastra_pg import lean

        original_run = lean.run

        async def run(conn: Any, query: Any, params: Any, prepare: Any) -> Any:
            if recorder.on:
                recorder.statements.append((query, params, False))
            return await original_run(conn, query, params, prepare)

        lean.run = run

        def uninstall() -> None:
            AsyncCursor.execute = original  # type: ignore[method-assign]
            lean.run = original_run

        return uninstall


def _fresh_token(query: Any, params: Any) -> Any:
    """``params`` with a new operation token where the statement records one (a replayed token is refused, as a
    retry's is: the floor would measure an error path); the library makes one per op too."""
    if isinstance(params, dict) and "op_token" in params:
        return {**params, "op_token": uuid.uuid4().hex}
    if isinstance(params, tuple) and len(params) == 1 and "mastra_applied_ops" in str(query):
        return (uuid.uuid4().hex,)
    return params


def replayer(raw: Any, statements: list[tuple[Any, Any, bool]]) -> Callable[[], Awaitable[None]]:
    """Plain psycopg sending ``statements`` (consecutive pipelined ones in one pipeline), reading every result."""
    groups: list[tuple[bool, list[tuple[Any, Any]]]] = []
    for query, params, piped in statements:
        if groups and groups[-1][0] and piped:
            groups[-1][1].append((query, params))
        else:
            groups.append((piped, [(query, params)]))

    async def go() -> None:
        for piped, group in groups:
            if piped:
                async with raw.pipeline():
                    curs = [await raw.execute(q, _fresh_token(q, p)) for q, p in group]
                for c in curs:
                    if c.description:
                        await c.fetchall()
            else:
                for q, p in group:
                    cur = await raw.execute(q, _fresh_token(q, p))
                    if cur.description:
                        await cur.fetchall()

    return go


async def main() -> None:
    from mastra_core import create_storage

    rows: list[dict[str, Any]] = []
    store = create_storage("inmemory", id="bench-overhead")
    await store.init()
    await seed(store)
    for name, fn in ops(store).items():
        for _ in range(20):
            await fn()
        rows.append({"backend": "inmemory", "op": name, "library_us": round(await cpu_us(fn), 1), "floor_us": 0.0})
    await store.close()
    if os.environ.get("MASTRA_TEST_PG_URL"):
        rows += await _pg(os.environ["MASTRA_TEST_PG_URL"])
    print(f"{'backend':<10}{'operation':<36}{'library us':>11}{'raw us':>9}{'above':>9}{'stmts':>7}  budget")
    for row in rows:
        row["above_us"] = round(row["library_us"] - row["floor_us"], 1)
        flag = "ok" if row["above_us"] <= BUDGET_US * (10 if "(10)" in row["op"] else 1) else "OVER"
        row["within_budget"] = flag == "ok"
        print(f"{row['backend']:<10}{row['op']:<36}{row['library_us']:>11.1f}{row['floor_us']:>9.1f}"
              f"{row['above_us']:>9.1f}{row.get('statements', ''):>7}  {flag}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "overhead.json").write_text(json.dumps(rows, indent=2))


async def _pg(url: str) -> list[dict[str, Any]]:
    import psycopg
    from mastra_pg import PostgresStore
    from psycopg import sql

    schema = f"bench_ovh_{uuid.uuid4().hex[:8]}"
    store = PostgresStore(id="bench-overhead", connection_string=url, schema_name=schema, min_pool_size=1,
                          max_pool_size=1)
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    recorder = Recorder()
    uninstall = recorder.install()
    rows: list[dict[str, Any]] = []
    try:
        await store.init()
        await seed(store)
        for name, fn in ops(store).items():
            for _ in range(20):
                await fn()
            recorder.statements.clear()
            recorder.on = True
            await fn()
            recorder.on = False
            statements = list(recorder.statements)
            floor = replayer(raw, statements)
            if "save_messages" in name:  # replaying the same ids again is an upsert: same statement, same work
                pass
            for _ in range(20):
                await floor()
            lib = await cpu_us(fn)
            raw_us = await cpu_us(floor)
            rows.append({"backend": "pg", "op": name, "library_us": round(lib, 1), "floor_us": round(raw_us, 1),
                         "statements": len(statements)})
    finally:
        uninstall()
        await store.close()
        await raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        await raw.close()
    return rows
