"""Migrations: a database written by the reference implementation (1.0 shape, older columns) is brought forward."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from pathlib import Path
from typing import Any

import libsql
import pytest
from mastra_core import StorageError
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.schema import DOMAIN_TABLES, SCHEMA_VERSION

# The reference's LibSQL DDL (1.0), minus columns added late (messages/workflow resourceId, scorer
# spanId/requestContext): what an older file looks like. No secondary indexes, JSON as JSONB blobs.
REFERENCE_DDL = [
    'CREATE TABLE mastra_threads (id TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL, title TEXT NOT NULL, '
    'metadata TEXT, "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL)',
    "CREATE TABLE mastra_messages (id TEXT NOT NULL PRIMARY KEY, thread_id TEXT NOT NULL, content TEXT NOT NULL, "
    'role TEXT NOT NULL, type TEXT NOT NULL, "createdAt" TEXT NOT NULL)',
    'CREATE TABLE mastra_resources (id TEXT NOT NULL PRIMARY KEY, "workingMemory" TEXT, metadata TEXT, '
    '"createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL)',
    "CREATE TABLE mastra_workflow_snapshot (workflow_name TEXT NOT NULL, run_id TEXT NOT NULL, snapshot TEXT NOT NULL, "
    '"createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL, UNIQUE (workflow_name, run_id))',
    'CREATE TABLE mastra_scorers (id TEXT NOT NULL PRIMARY KEY, "scorerId" TEXT NOT NULL, "traceId" TEXT, '
    '"runId" TEXT NOT NULL, '
    'scorer TEXT NOT NULL, score REAL NOT NULL, reason TEXT, input TEXT, output TEXT NOT NULL, "entityType" TEXT, '
    'entity TEXT, "entityId" TEXT, source TEXT NOT NULL, "createdAt" TEXT NOT NULL, "updatedAt" TEXT)',
]
T0 = "2025-01-01T10:00:00.000Z"


def _write_reference_file(path: Path) -> None:
    conn = libsql.connect(str(path), isolation_level=None)
    for ddl in REFERENCE_DDL:
        conn.execute(ddl)
    conn.execute(
        "INSERT INTO mastra_threads VALUES (?, ?, ?, jsonb(?), ?, ?)",
        ("t1", "res1", "Old thread", json.dumps({"topic": "x", "nested": {"a": [1, True]}}), T0, T0),
    )
    content = json.dumps({"format": 2, "parts": [{"type": "text", "text": "hello"}], "content": "hello"})
    for i in range(3):
        conn.execute(
            "INSERT INTO mastra_messages VALUES (?, ?, ?, ?, ?, ?)",
            (f"m{i}", "t1", content, "user", "v2", f"2025-01-01T10:00:0{i}.000Z"),
        )
    conn.execute(
        "INSERT INTO mastra_resources VALUES (?, ?, jsonb(?), ?, ?)",
        ("res1", '{"looks": "like json"}', '{"k": 1}', T0, T0),
    )
    conn.execute(
        "INSERT INTO mastra_workflow_snapshot VALUES (?, ?, jsonb(?), ?, ?)",
        ("wf", "run1", json.dumps({"runId": "run1", "status": "success", "context": {}}), T0, T0),
    )
    conn.execute(
        'INSERT INTO mastra_scorers (id, "scorerId", "runId", scorer, score, output, entity, "entityId", "entityType", '
        'source, "createdAt") VALUES (?, ?, ?, jsonb(?), ?, jsonb(?), jsonb(?), ?, ?, ?, ?)',
        ("s1", "sc", "run1", '{"name": "sc"}', 0.5, '"out"', '{"id": "agent"}', "agent", "AGENT", "LIVE", T0),
    )
    conn.close()


async def test_reference_shaped_file_is_migrated_and_readable(tmp_path: Path) -> None:
    path = tmp_path / "ref.db"
    _write_reference_file(path)
    store = LibSQLStore(id="m", url=f"file:{path}")
    async with store:
        thread = await store.memory.get_thread_by_id(thread_id="t1")
        assert thread is not None and thread.title == "Old thread" and thread.resource_id == "res1"
        assert thread.metadata == {"topic": "x", "nested": {"a": [1, True]}}  # a JSONB blob reads back as JSON
        page = await store.memory.list_messages(thread_id="t1", per_page=False)
        assert [m.id for m in page.items] == ["m0", "m1", "m2"] and page.items[0].content.text() == "hello"
        assert page.items[0].resource_id is None and page.items[0].type is None
        resource = await store.memory.get_resource_by_id(resource_id="res1")
        assert resource is not None and resource.working_memory == '{"looks": "like json"}'  # text stays text
        assert resource.metadata == {"k": 1}
        assert (await store.workflows.load_workflow_snapshot(workflow_name="wf", run_id="run1"))["status"] == "success"
        score = await store.scores.get_score_by_id(id="s1")
        assert score is not None and score.output == "out" and score.entity == {"id": "agent"}
        found = await store.memory.list_threads(filter={"metadata": {"nested": {"a": [1, True]}}})
        assert [t.id for t in found.items] == ["t1"]

        # new writes use the added columns alongside the old rows
        await store.memory.save_messages(
            messages=[
                Message(
                    id="m3",
                    role="assistant",
                    thread_id="t1",
                    resource_id="res1",
                    content=MessageContent(parts=[TextPart(text="new")]),
                )
            ]
        )
        await store.workflows.persist_workflow_snapshot(
            workflow_name="wf", run_id="run2", resource_id="res1", snapshot={"runId": "run2", "status": "running"}
        )
        runs = await store.workflows.list_workflow_runs(resource_id="res1")
        assert [r.run_id for r in runs.items] == ["run2"]
        assert (await store.memory.list_messages(thread_id="t1", per_page=False)).total == 4

        columns = await store.db.read(
            lambda db: {r[0] for r in db.all("SELECT name FROM pragma_table_info('mastra_messages')")}
        )
        assert {"resourceId", "expiresAt"} <= columns
        versions = await store.db.read(lambda db: dict(db.all("SELECT component, version FROM mastra_schema_version")))
        assert versions == {d: SCHEMA_VERSION for d in DOMAIN_TABLES}
        indexes = await store.db.read(
            lambda db: {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type = 'index'")}
        )
        assert (
            "mastra_messages_thread_id_createdat_idx" in indexes
            and "mastra_threads_resourceid_createdat_idx" in indexes
        )

    # the reference can still read its columns: nothing it knows was renamed or retyped
    conn = libsql.connect(str(path), isolation_level=None)
    assert (
        conn.execute("SELECT title, json(metadata) FROM mastra_threads WHERE id = ?", ("t1",)).fetchall()[0][0]
        == "Old thread"
    )
    conn.close()


async def test_init_twice_and_reopen_is_idempotent(tmp_path: Path) -> None:
    url = f"file:{tmp_path / 'twice.db'}"
    for _ in range(3):
        store = LibSQLStore(id="i", url=url)
        async with store:
            await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    store = LibSQLStore(id="i", url=url)
    async with store:
        assert (await store.memory.list_threads()).total == 1


async def test_version_2_turns_bare_agent_memory_into_json(tmp_path: Path) -> None:
    """Versions before 2 stored ``memory`` as bare text, which the reference's ``json(memory)`` refuses."""
    path = tmp_path / "memory.db"
    async with LibSQLStore(id="m", url=f"file:{path}") as store:
        await store.agents.create_agent(agent={"id": "a1", "name": "A", "instructions": "i", "model": {}})
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute("UPDATE mastra_agents SET memory = 'mem-1' WHERE id = 'a1'")  # what version 1 wrote
    conn.execute("UPDATE mastra_schema_version SET version = 1")
    conn.close()
    async with LibSQLStore(id="m", url=f"file:{path}") as store:
        agent = await store.agents.get_agent_by_id(id="a1")
        assert agent is not None and agent.memory == "mem-1"
    conn = libsql.connect(str(path), isolation_level=None)
    assert conn.execute("SELECT memory, json(memory) FROM mastra_agents").fetchall() == [('"mem-1"', '"mem-1"')]
    conn.close()


async def test_version_3_drops_the_retired_thread_indexes_and_lists_by_updated_at_alike(tmp_path: Path) -> None:
    """Version 2 indexed threads by updatedAt (every re-save rewrote two index entries); version 3 drops those
    indexes on init (``mastra migrate``'s plan lists the drops) and a listing by updatedAt gives the same page."""
    path = tmp_path / "v2.db"
    retired = ("mastra_threads_resourceid_updatedat_idx", "mastra_threads_updatedat_idx")
    async with LibSQLStore(id="m", url=f"file:{path}") as store:
        for i in range(30):
            await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r", title=f"{i}"))
        await store.memory.update_thread(id="t3", title="touched")
        before = await store.memory.list_threads(filter={"resource_id": "r"}, order_by={"field": "updatedAt",
                                                                                         "direction": "DESC"},
                                                 per_page=7, page=1)
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute('CREATE INDEX mastra_threads_resourceid_updatedat_idx ON mastra_threads ("resourceId", "updatedAt")')
    conn.execute('CREATE INDEX mastra_threads_updatedat_idx ON mastra_threads ("updatedAt")')  # what version 2 made
    conn.execute("UPDATE mastra_schema_version SET version = 2")
    conn.close()
    store = LibSQLStore(id="m", url=f"file:{path}")
    steps = await store.migration_plan()  # reads only: before init
    assert steps is not None
    assert [s for s in steps if s.startswith("DROP INDEX")] == [f'DROP INDEX IF EXISTS "{n}"' for n in retired]
    async with store:
        after = await store.memory.list_threads(filter={"resource_id": "r"}, order_by={"field": "updatedAt",
                                                                                        "direction": "DESC"},
                                                per_page=7, page=1)
        assert [t.id for t in after] == [t.id for t in before] and len(before) == 7
        assert after.total == before.total == 30
    conn = libsql.connect(str(path), isolation_level=None)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    assert not names & set(retired) and "mastra_threads_resourceid_createdat_idx" in names
    assert {row[0] for row in conn.execute("SELECT version FROM mastra_schema_version").fetchall()} == {SCHEMA_VERSION}
    conn.close()


#: What version 3 indexed and version 4 does not (schema.RETIRED_INDEXES), as version 3 made them.
_V3_INDEXES = {
    "mastra_threads_createdat_idx": 'ON mastra_threads ("createdAt")',
    "mastra_workflow_snapshot_resourceid_createdat_idx": 'ON mastra_workflow_snapshot ("resourceId", "createdAt")',
    "mastra_workflow_snapshot_run_id_idx": 'ON mastra_workflow_snapshot (run_id, "createdAt")',
    "mastra_workflow_snapshot_createdat_idx": 'ON mastra_workflow_snapshot ("createdAt")',
}
_PARTIAL = "mastra_workflow_snapshot_resourceid_createdat_partial_idx"


async def test_version_4_retires_thread_and_run_indexes_and_reads_alike(tmp_path: Path) -> None:
    """Version 3 indexed every thread by createdAt and every run by (resourceId, createdAt), (run_id, createdAt) and
    (createdAt); version 4 drops those on init (the plan lists the drops and the partial index by resource that
    replaces one), and the listings and the lookup by run id alone answer as before."""
    path = tmp_path / "v3.db"

    async def reads(store: LibSQLStore) -> tuple[Any, ...]:
        runs = await store.workflows.list_workflow_runs(resource_id="res1", per_page=4, page=1)
        every = await store.workflows.list_workflow_runs(per_page=5, page=3)
        threads = await store.memory.list_threads(per_page=6, page=2, order_by={"field": "createdAt",
                                                                                 "direction": "DESC"})
        run = await store.workflows.get_workflow_run_by_id(run_id="run5")
        assert run is not None
        return ([(x.workflow_name, x.run_id) for x in runs.items], runs.total,
                [(x.workflow_name, x.run_id) for x in every.items], every.total, [t.id for t in threads.items],
                threads.total, (run.workflow_name, run.snapshot))

    async with LibSQLStore(id="m", url=f"file:{path}") as store:
        for i in range(30):
            await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id=f"r{i % 3}", title=f"{i}"))
            for wf in ("a", "b"):
                await store.workflows.persist_workflow_snapshot(
                    workflow_name=wf, run_id=f"run{i}", snapshot={"i": i, "wf": wf},
                    resource_id=f"res{i % 2}" if i % 5 else None)
        before = await reads(store)
    conn = libsql.connect(str(path), isolation_level=None)
    for name, on in _V3_INDEXES.items():
        conn.execute(f"CREATE INDEX {name} {on}")
    conn.execute(f"DROP INDEX {_PARTIAL}")
    conn.execute("UPDATE mastra_schema_version SET version = 3")
    conn.close()
    store = LibSQLStore(id="m", url=f"file:{path}")
    steps = await store.migration_plan()  # reads only: before init
    assert steps is not None
    assert sorted(s for s in steps if s.startswith("DROP INDEX")) == [f'DROP INDEX IF EXISTS "{n}"'
                                                                       for n in sorted(_V3_INDEXES)]
    assert [s for s in steps if s.startswith("CREATE")] == [
        f'CREATE INDEX IF NOT EXISTS "{_PARTIAL}" ON "mastra_workflow_snapshot" ("resourceId", "createdAt") '
        'WHERE "resourceId" IS NOT NULL']
    async with store:
        assert await reads(store) == before
    conn = libsql.connect(str(path), isolation_level=None)
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()}
    assert not names & set(_V3_INDEXES) and _PARTIAL in names
    assert {row[0] for row in conn.execute("SELECT version FROM mastra_schema_version").fetchall()} == {SCHEMA_VERSION}
    conn.close()


def _init_in_process(url: str, barrier: multiprocessing.synchronize.Barrier) -> None:  # type: ignore[name-defined]
    async def go() -> None:
        barrier.wait()
        store = LibSQLStore(id="p", url=url)
        async with store:
            await store.memory.list_threads()

    asyncio.run(go())


def test_concurrent_init_from_processes(tmp_path: Path) -> None:
    url = f"file:{tmp_path / 'race.db'}"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    procs = [ctx.Process(target=_init_in_process, args=(url, barrier)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    conn = libsql.connect(str(tmp_path / "race.db"), isolation_level=None)
    assert conn.execute("SELECT count(*) FROM mastra_schema_version").fetchall() == [(len(DOMAIN_TABLES),)]
    conn.close()


async def test_duplicate_spans_require_a_migration(tmp_path: Path) -> None:
    path = tmp_path / "dups.db"
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute(
        'CREATE TABLE mastra_ai_spans ("traceId" TEXT NOT NULL, "spanId" TEXT NOT NULL, name TEXT NOT NULL, '
        '"spanType" TEXT NOT NULL, "isEvent" INTEGER NOT NULL, "startedAt" TEXT NOT NULL, "createdAt" TEXT NOT NULL)'
    )
    for _ in range(2):
        conn.execute("INSERT INTO mastra_ai_spans VALUES ('tr', 'sp', 'n', 'generic', 0, ?, ?)", (T0, T0))
    conn.close()
    store = LibSQLStore(id="d", url=f"file:{path}")
    with pytest.raises(StorageError) as err:
        await store.observability.get_span(trace_id="tr", span_id="sp")
    assert "MIGRATION_REQUIRED" in err.value.id and "duplicate" in str(err.value)
    await store.close()
    conn = libsql.connect(str(path), isolation_level=None)
    assert conn.execute("SELECT count(*) FROM mastra_ai_spans").fetchall() == [(2,)]  # nothing dropped
    conn.close()


async def test_message_totals_follow_writes_by_other_writers(tmp_path: Path) -> None:
    """Totals come from a trigger-maintained count: raw writes (the reference on a shared file) keep it right,
    and a count whose triggers were lost (table recreated by another writer) is rebuilt at init."""
    path = tmp_path / "counts.db"
    store = LibSQLStore(id="c", url=f"file:{path}")
    async with store:
        await store.memory.save_messages(
            messages=[
                Message(
                    id=f"a{i}",
                    role="user",
                    thread_id="t",
                    resource_id="r",
                    content=MessageContent(parts=[TextPart(text="x")]),
                )
                for i in range(5)
            ]
        )
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute(
        'INSERT INTO mastra_messages (id, thread_id, content, role, type, "createdAt") VALUES '
        "('raw1', 't', '{}', 'user', 'v2', ?), ('raw2', 'u', '{}', 'user', 'v2', ?)",
        (T0, T0),
    )
    conn.execute("UPDATE mastra_messages SET thread_id = 'u' WHERE id = 'a0'")
    conn.execute("DELETE FROM mastra_messages WHERE id = 'a1'")
    conn.close()
    store = LibSQLStore(id="c", url=f"file:{path}")
    async with store:
        assert (await store.memory.list_messages(thread_id="t", per_page=1)).total == 4
        assert (await store.memory.list_messages(thread_id="u", per_page=1)).total == 2
        assert (await store.memory.list_messages(thread_id=["t", "u"], per_page=1)).total == 6
    conn = libsql.connect(str(path), isolation_level=None)
    conn.execute("DROP TRIGGER mastra_messages_count_insert")
    conn.execute(
        'INSERT INTO mastra_messages (id, thread_id, content, role, type, "createdAt") VALUES '
        "('raw3', 't', '{}', 'user', 'v2', ?)",
        (T0,),
    )
    conn.close()
    store = LibSQLStore(id="c", url=f"file:{path}")
    async with store:
        assert (await store.memory.list_messages(thread_id="t", per_page=1)).total == 5
