"""Exact statements per operation on a file, and exact requests per operation on sqld (DESIGN section 5).

A file counts statements (each one a call into SQLite, and the price of a job is mostly per call); sqld counts
the requests the remote driver sends (one HTTP round trip each). A change that adds one fails here; timing is
measured in ``bench/bench_libsql_small_ops.py``, never asserted.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import RecordingConnection
from mastra_libsql.harness import server_url, sqld_harness
from mastra_libsql.remote import RemoteDriver


def _batch(k: int, thread: str = "t") -> list[Message]:
    return [Message(id=f"m{k}-{i}", role="user", thread_id=thread, resource_id="r",
                    content=MessageContent(parts=[TextPart(text=f"hello {i}")])) for i in range(10)]


async def _seeded(store: LibSQLStore) -> None:
    await store.init()
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", title="T"))
    await store.memory.save_messages(messages=_batch(0))
    await store.memory.update_resource(resource_id="r", working_memory="w")


def _ops(store: LibSQLStore) -> dict[str, Callable[[], Awaitable[Any]]]:
    m, w = store.memory, store.workflows
    counter = iter(range(1, 10**6))
    snap = {"status": "running", "context": {"x": 1}}
    return {
        "save_thread": lambda: m.save_thread(thread=Thread(id="t2", resource_id="r", title="x")),
        "save_thread(new)": lambda: m.save_thread(thread=Thread(id=f"t{next(counter)}", resource_id="r")),
        "save_messages(10)": lambda: m.save_messages(messages=_batch(next(counter))),
        "get_thread_by_id": lambda: m.get_thread_by_id(thread_id="t"),
        "list_threads": lambda: m.list_threads(filter={"resource_id": "r"}, per_page=20),
        "list_messages(last 10)": lambda: m.list_messages(thread_id="t", per_page=10),
        "update_resource": lambda: m.update_resource(resource_id="r", working_memory="w2"),
        "update_resource(metadata)": lambda: m.update_resource(resource_id="r", metadata={"k": next(counter)}),
        "update_resource(new)": lambda: m.update_resource(resource_id=f"new{next(counter)}", working_memory="w"),
        "update_thread": lambda: m.update_thread(id="t", title="T2", metadata={"k": next(counter), "a.b": None}),
        "get_resource_by_id": lambda: m.get_resource_by_id(resource_id="r"),
        "persist_workflow_snapshot": lambda: w.persist_workflow_snapshot(
            workflow_name="wf", run_id="r1", snapshot=snap
        ),
        "persist_workflow_snapshot(new)": lambda: w.persist_workflow_snapshot(
            workflow_name="wf", run_id=f"new{next(counter)}", snapshot=snap
        ),
        "load_workflow_snapshot": lambda: w.load_workflow_snapshot(workflow_name="wf", run_id="r1"),
    }


#: Statements per op on a file. Writes of single statements run without BEGIN/COMMIT (SQLite applies a statement
#: atomically); save_messages: BEGIN, the upsert of every row (one JSON parameter), the thread bump, COMMIT;
#: save_thread: one statement (a thread this store saw: the narrow UPDATE; a new id: the INSERT); update_resource and
#: persist over a live row: one UPDATE (then the upsert when there is no live row); of a new resource or run: the
#: plain INSERT (then the upsert when a row exists);
#: update_thread: BEGIN IMMEDIATE, the row read, the UPDATE, COMMIT (calls into SQLite in this process, no round trip:
#: measured faster than one UPDATE ... RETURNING with the merge in SQL, see LibSQLMemory._update_thread).
FILE_STATEMENTS = {
    "save_thread": 1,
    "save_thread(new)": 1,
    "save_messages(10)": 4,
    "get_thread_by_id": 1,
    "list_threads": 1,
    "list_messages(last 10)": 1,
    "update_resource": 1,
    "update_resource(metadata)": 1,
    "update_resource(new)": 1,
    "update_thread": 4,
    "get_resource_by_id": 1,
    "persist_workflow_snapshot": 1,
    "persist_workflow_snapshot(new)": 1,
    "load_workflow_snapshot": 1,
}


@pytest.fixture
async def file_store(tmp_path: Path) -> AsyncIterator[LibSQLStore]:
    store = LibSQLStore(id="counts", url=f"file:{tmp_path / 'counts.db'}")
    await _seeded(store)
    yield store
    await store.close()


@pytest.mark.parametrize("op", sorted(FILE_STATEMENTS))
async def test_statements_per_op_on_a_file(file_store: LibSQLStore, op: str) -> None:
    run = _ops(file_store)[op]
    await run()  # first call: anything lazy (prepared once) is done
    recorder = RecordingConnection(file_store.db.conn)
    file_store.db.conn = recorder
    await run()
    file_store.db.conn = recorder.inner
    assert len(recorder.statements) == FILE_STATEMENTS[op], [sql[:60] for sql, _ in recorder.statements]


async def test_short_ops_on_a_file_run_on_the_event_loop_thread(file_store: LibSQLStore) -> None:
    threads: set[str] = set()
    inner = file_store.db.conn

    class Spy(RecordingConnection):
        def execute(self, sql: str, params: Any = ()) -> Any:
            threads.add(threading.current_thread().name)
            return super().execute(sql, params)

    file_store.db.conn = Spy(inner)
    for run in _ops(file_store).values():
        await run()
    file_store.db.conn = inner
    assert threads == {threading.current_thread().name}


async def test_a_bulk_job_on_a_file_still_runs_on_the_worker_thread(file_store: LibSQLStore) -> None:
    threads: set[str] = set()
    inner = file_store.db.conn

    class Spy(RecordingConnection):
        def execute(self, sql: str, params: Any = ()) -> Any:
            threads.add(threading.current_thread().name)
            return super().execute(sql, params)

    file_store.db.conn = Spy(inner)
    await file_store.memory.save_messages(messages=[m for k in range(100, 130) for m in _batch(k)])  # 300 rows
    file_store.db.conn = inner
    assert threads and all(name.startswith("mastra-libsql") for name in threads)


#: Requests per op on sqld. A write is one transaction with its operation token: save_messages and persist
#: are sent as ONE batch request; the others still run statement by statement (their SQL reads results).
SQLD_REQUESTS = {
    "save_messages(10)": 1,
    "persist_workflow_snapshot": 1,
    "get_thread_by_id": 1,
    "list_messages(last 10)": 1,
}


@pytest.fixture
async def sqld_store() -> AsyncIterator[LibSQLStore]:
    namespace = f"counts_{uuid.uuid4().hex[:8]}"
    store = LibSQLStore(id="counts", url=server_url(), table_prefix=f"{namespace}_")
    try:
        await _seeded(store)
        yield store
    finally:
        await store.close()
        await sqld_harness.cleanup(namespace)


async def test_requests_per_op_on_sqld(sqld_store: LibSQLStore) -> None:
    ops = _ops(sqld_store)
    driver = sqld_store.db.conn
    assert isinstance(driver, RemoteDriver)
    got = {}
    for op in SQLD_REQUESTS:
        await ops[op]()
        before = driver.requests
        await ops[op]()
        got[op] = driver.requests - before
    assert got == SQLD_REQUESTS
    page = await sqld_store.memory.list_messages(thread_id="t", per_page=False)
    assert page.total == 30  # the seeded batch and two batched saves, each applied once


async def test_rows_another_store_wrote_are_updated_in_one_statement_as_the_update_would(tmp_path: Path) -> None:
    """A resource and a run this store never saw (another store on the same file wrote them): the first write tries
    the plain INSERT (a new key's cheapest statement), which finds the row, then the upsert, which patches the live
    row as the UPDATE would (createdAt kept, metadata merged); from then on the store has seen them and the UPDATE
    goes first, one statement each."""
    url = f"file:{tmp_path / 'two.db'}"
    writer, other = LibSQLStore(id="writer", url=url), LibSQLStore(id="other", url=url)
    await writer.init()
    await other.init()
    try:
        first = await writer.memory.update_resource(resource_id="r", working_memory="w1", metadata={"a": 1})
        await writer.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"n": 1})
        before = await writer.workflows.get_workflow_run_by_id(run_id="run", workflow_name="wf")
        assert before is not None
        for step in (2, 3):  # 2: not seen by `other` yet (the INSERT finds the row, the upsert); 3: seen (the UPDATE)
            recorder = RecordingConnection(other.db.conn)
            other.db.conn = recorder
            got = await other.memory.update_resource(resource_id="r", working_memory=f"w{step}", metadata={"b": step})
            await other.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"n": step})
            other.db.conn = recorder.inner
            kinds = [sql.split(" ", 1)[0] + (" NOTHING" if sql.endswith("DO NOTHING") else "")
                     for sql, _ in recorder.statements]
            assert kinds == (["INSERT NOTHING", "INSERT"] * 2 if step == 2 else ["UPDATE"] * 2), kinds
            assert got.working_memory == f"w{step}" and got.metadata == {"a": 1, "b": step}
            assert got.created_at == first.created_at
            run = await writer.workflows.get_workflow_run_by_id(run_id="run", workflow_name="wf")
            assert run is not None and run.snapshot == {"n": step} and run.created_at == before.created_at
    finally:
        await writer.close()
        await other.close()
