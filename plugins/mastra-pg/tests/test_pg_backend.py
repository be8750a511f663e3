"""PostgreSQL-only behaviour: config, schema, migrations, indexes, unicode, round trips, failures.

The server restart test is the last one in this file (it restarts the shared server: keep it short).
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import uuid
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from mastra_core import ConfigError, MessageInclude, StorageError, open_storage
from mastra_core.clock import utc_now
from mastra_core.errors import NotFoundError, SchemaNotReadyError, ValidationError
from mastra_core.records import Message, Resource, Thread
from mastra_core.testing.factories import sample_score
from mastra_pg import IndexSpec, PostgresStore
from mastra_pg.roundtrips import RoundTripProxy
from mastra_pg.schema import SCHEMA_VERSION
from psycopg import sql


def _thread(**kw: Any) -> Thread:
    now = utc_now()
    base: dict[str, Any] = {"id": f"t-{uuid.uuid4()}", "resource_id": "r1", "title": "hello", "metadata": {"k": "v"},
                            "created_at": now, "updated_at": now}
    base.update(kw)
    return Thread(**base)


def _msgs(thread_id: str, n: int, *, same_time: bool = False) -> list[Message]:
    t0 = utc_now() - timedelta(seconds=60)
    return [Message.from_text(f"m{i}", id=f"m-{uuid.uuid4()}", thread_id=thread_id, resource_id="r1",
                              created_at=t0 if same_time else t0 + timedelta(milliseconds=i)) for i in range(n)]


async def _one(conn: Any, query: Any, params: Any = ()) -> Any:
    row = await (await conn.execute(query, params)).fetchone()
    return None if row is None else row[0]


# ---------------------------------------------------------------------------- config


def test_connection_forms_are_validated_and_secrets_redacted() -> None:
    with pytest.raises(ConfigError):
        PostgresStore(id="x")  # no connection form
    with pytest.raises(ConfigError):
        PostgresStore(id="x", connection_string="postgresql://a@h/db", host="h", database="db")
    with pytest.raises(ConfigError):
        PostgresStore(id="x", connection_string="")
    with pytest.raises(ConfigError):
        PostgresStore(id="x", host="h")  # database missing
    with pytest.raises(ConfigError):
        PostgresStore(id="x", connection_string="postgresql://h/db", ssl="sometimes")
    with pytest.raises(ConfigError) as info:
        PostgresStore(id="x", connection_string="postgresql://u:hunter2@h/db", typo_option=1)
    assert "hunter2" not in str(info.value)
    for bad in ("bad-name", "1abc", "a" * 64, 'x"; DROP SCHEMA public; --'):
        with pytest.raises(ConfigError):
            PostgresStore(id="x", connection_string="postgresql://h/db", schema_name=bad)
    store = PostgresStore(id="x", host="h", port=5433, database="db", user="u", password="hunter2",
                          ssl={"sslmode": "require"}, max_pool_size=3, pool_timeout=2, idle_timeout=5)
    assert "hunter2" not in repr(store)
    store2 = PostgresStore(id="y", connection_string="postgresql://u:hunter2@h/db")
    assert "hunter2" not in repr(store2)
    assert store.pool.max_size == 3
    assert open_storage("postgresql://u:pw@h/db", id="z").backend_id == "pg"


async def test_connect_failure_is_a_storage_error_without_the_password() -> None:
    store = PostgresStore(id="x", connection_string="postgresql://u:hunter2@127.0.0.1:1/db", connect_timeout=1)
    with pytest.raises(StorageError) as info:
        await store.init()
    assert "hunter2" not in str(info.value) and "hunter2" not in repr(info.value)
    await store.close()


async def test_host_form_and_caller_owned_pool(pg_url: str, make_store: Any) -> None:
    from psycopg.conninfo import conninfo_to_dict
    from psycopg_pool import AsyncConnectionPool

    parts = conninfo_to_dict(pg_url)
    store = await make_store(connection_string=None, host=parts.get("host", "127.0.0.1"),
                             port=int(parts.get("port", 5432)), database=parts["dbname"], user=parts.get("user"),
                             ssl=False)
    thread = await store.memory.save_thread(thread=_thread())
    assert (await store.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id

    pool = AsyncConnectionPool(pg_url, min_size=1, max_size=2, open=False)
    await pool.open()
    try:
        owned = await make_store(connection_string=None, pool=pool)
        assert owned.pool is pool
        await owned.memory.save_thread(thread=_thread(id="shared"))
        await owned.close()
        assert not pool.closed  # never closed by the store
        async with pool.connection() as conn:  # and usable for the caller's own work
            assert await _one(conn, sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(owned.schema_name, "mastra_threads"))) == 1
    finally:
        await pool.close()


async def test_store_pool_serves_direct_transactions(make_store: Any) -> None:
    store = await make_store()
    await store.memory.save_thread(thread=_thread(id="t1"))
    async with store.pool.connection() as conn:
        async with conn.transaction():
            await conn.execute(sql.SQL("UPDATE {} SET title = 'direct' WHERE id = 't1'").format(
                sql.Identifier(store.schema_name, "mastra_threads")))
    assert (await store.memory.get_thread_by_id(thread_id="t1")).title == "direct"


# ---------------------------------------------------------------------------- schema


async def test_schema_is_created_with_reference_names_and_version(make_store: Any, raw: Any) -> None:
    store = await make_store()
    cols = {r[0] async for r in await raw.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = 'mastra_threads'",
        (store.schema_name,))}  # type: ignore[misc]
    assert {"id", "resourceId", "title", "metadata", "createdAt", "updatedAt", "createdAtZ", "updatedAtZ", "seq",
            "expiresAt"} <= cols
    tables = {r[0] for r in await (await raw.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (store.schema_name,))).fetchall()}
    assert {"mastra_threads", "mastra_messages", "mastra_resources", "mastra_workflow_snapshot", "mastra_scorers",
            "mastra_ai_spans", "mastra_agents", "mastra_evals", "mastra_traces"} <= tables
    versions = await _one(raw, sql.SQL("SELECT array_agg(version ORDER BY version) FROM {}").format(
        sql.Identifier(store.schema_name, "mastra_schema_version")))
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    # both timestamp columns are written; reads use the timestamptz twin
    t = await store.memory.save_thread(thread=_thread(id="tz"))
    row = await (await raw.execute(sql.SQL('SELECT "createdAt", "createdAtZ" FROM {} WHERE id = %s').format(
        sql.Identifier(store.schema_name, "mastra_threads")), ("tz",))).fetchone()
    assert row[0] == t.created_at.replace(tzinfo=None) and row[1] == t.created_at


async def test_disable_init_creates_nothing(make_store: Any, raw: Any) -> None:
    store = await make_store(disable_init=True, init=False)
    with pytest.raises(SchemaNotReadyError, match="mastra migrate"):  # connects, creates nothing, says what to run
        await store.init()
    assert await _one(raw, "SELECT count(*) FROM pg_namespace WHERE nspname = %s", (store.schema_name,)) == 0
    with pytest.raises(StorageError):  # no tables: the first operation fails loudly, it is never an empty result
        await store.memory.get_thread_by_id(thread_id="x")


async def test_schema_creation_without_privilege_is_a_clear_error(pg_url: str, raw: Any) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    role = f"mastra_noprivs_{uuid.uuid4().hex[:6]}"
    await raw.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    try:
        params = conninfo_to_dict(pg_url)
        params["user"] = role
        store = PostgresStore(id="x", connection_string=make_conninfo(**params),
                              schema_name=f"nopriv_{uuid.uuid4().hex[:6]}")
        with pytest.raises(ConfigError) as info:
            await store.init()
        assert info.value.id == "MASTRA_STORAGE_PG_CREATE_SCHEMA_PERMISSION_DENIED"
        assert "CREATE SCHEMA" in str(info.value) and role in str(info.value)
        await store.close()
    finally:
        await raw.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


REFERENCE_DDL = [
    'CREATE TABLE {s}.mastra_threads (id TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL, title TEXT NOT NULL, '
    'metadata JSONB, "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL, '
    '"createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW())',
    'CREATE TABLE {s}.mastra_messages (id TEXT NOT NULL PRIMARY KEY, thread_id TEXT NOT NULL, content TEXT NOT NULL, '
    'role TEXT NOT NULL, type TEXT NOT NULL, "createdAt" TIMESTAMP NOT NULL)',  # before resourceId and the Z twin
    'CREATE TABLE {s}.mastra_ai_spans ("traceId" TEXT NOT NULL, "spanId" TEXT NOT NULL, "parentSpanId" TEXT, '
    'name TEXT NOT NULL, "spanType" TEXT NOT NULL, "isEvent" BOOLEAN NOT NULL, "startedAt" TIMESTAMP NOT NULL, '
    '"endedAt" TIMESTAMP, "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP, attributes JSONB, metadata JSONB, '
    'scope JSONB, links JSONB, '
    'input JSONB, output JSONB, error JSONB)',
    "INSERT INTO {s}.mastra_threads (id, \"resourceId\", title, metadata, \"createdAt\", \"updatedAt\") "
    "VALUES ('old-thread', 'res', 'Old', '{{\"a\": 1}}', '2024-01-01 10:00:00', '2024-01-01 10:00:00')",
    "INSERT INTO {s}.mastra_messages (id, thread_id, content, role, type, \"createdAt\") "
    "SELECT 'old-' || g, 'old-thread', "
    "'{{\"format\":2,\"parts\":[{{\"type\":\"text\",\"text\":\"old ' || g || '\"}}]}}', "
    "'user', 'v2', timestamp '2024-01-01 10:00:00' + g * interval '1 second' FROM generate_series(1, 5) g",
]


async def test_migration_from_an_older_reference_schema(make_store: Any, raw: Any) -> None:
    schema = f"pgt_old_{uuid.uuid4().hex[:8]}"
    await raw.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    for stmt in REFERENCE_DDL:
        await raw.execute(sql.SQL(stmt).format(s=sql.Identifier(schema)))
    store = await make_store(schema)
    mem = store.memory
    thread = await mem.get_thread_by_id(thread_id="old-thread")
    assert thread is not None and thread.title == "Old" and thread.metadata == {"a": 1}
    page = await mem.list_messages(thread_id="old-thread", per_page=2,
                                   order_by={"field": "created_at", "direction": "DESC"})
    assert page.total == 5 and [m.id for m in page.items] == ["old-5", "old-4"]  # counts were backfilled
    assert page.items[0].content.parts[0].text == "old 5"
    # new writes work on the migrated tables (a thread without a title too: NOT NULL was relaxed)
    await mem.save_thread(thread=_thread(id="new", title=None))
    await mem.save_messages(messages=_msgs("old-thread", 3))
    assert (await mem.list_messages(thread_id="old-thread", per_page=0)).total == 8
    span_pk = await _one(raw, "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
                         (f'"{schema}".mastra_ai_spans',))
    assert span_pk == f"{schema}_mastra_ai_spans_traceid_spanid_pk"
    assert await _one(raw, sql.SQL("SELECT max(version) FROM {}").format(
        sql.Identifier(schema, "mastra_schema_version"))) == SCHEMA_VERSION
    # idempotent: a second store on the same schema finds it current and changes nothing
    again = await make_store(schema)
    assert (await again.memory.list_messages(thread_id="old-thread", per_page=0)).total == 8


async def test_version_3_makes_agents_memory_jsonb_keeping_values(make_store: Any, raw: Any) -> None:
    """A schema of version 2 (memory TEXT, as older versions made it) is converted; values read as before and
    are stored as the JSON text both we and the reference read back."""
    first = await make_store()
    schema = first.config.schema_name
    q = sql.Identifier(schema, "mastra_agents")
    await raw.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN memory TYPE TEXT USING memory #>> '{{}}'").format(q))
    await raw.execute(sql.SQL("DELETE FROM {} WHERE version >= 3").format(
        sql.Identifier(schema, "mastra_schema_version")))
    await raw.execute(sql.SQL("INSERT INTO {} (id, name, instructions, model, memory, \"createdAt\", \"updatedAt\") "
                              "VALUES ('a1', 'A', 'i', '{{}}', 'mem-1', now(), now())").format(q))
    again = await make_store(schema)
    kind = await _one(raw, "SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
                           "AND table_name = 'mastra_agents' AND column_name = 'memory'", (schema,))
    assert kind == "jsonb"
    assert await _one(raw, sql.SQL("SELECT memory #>> '{{}}' FROM {} WHERE id = 'a1'").format(q)) == '"mem-1"'
    agent = await again.agents.get_agent_by_id(id="a1")
    assert agent is not None and agent.memory == "mem-1"


async def test_duplicate_spans_block_the_migration_with_a_clear_error(make_store: Any, raw: Any) -> None:
    schema = f"pgt_dup_{uuid.uuid4().hex[:8]}"
    await raw.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    await raw.execute(sql.SQL(REFERENCE_DDL[2]).format(s=sql.Identifier(schema)))
    for _ in range(2):
        await raw.execute(sql.SQL(
            "INSERT INTO {}.mastra_ai_spans (\"traceId\", \"spanId\", name, \"spanType\", \"isEvent\", "
            "\"startedAt\", \"createdAt\") VALUES ('t', 's', 'n', 'generic', false, now(), now())").format(
            sql.Identifier(schema)))
    store = await make_store(schema, init=False)
    with pytest.raises(StorageError) as info:
        await store.init()
    assert info.value.id == "MASTRA_STORAGE_PG_MIGRATION_REQUIRED_DUPLICATE_SPANS"
    # nothing was half-applied: the migration runs in one transaction
    assert await _one(raw, "SELECT to_regclass(%s)", (f'"{schema}".mastra_schema_version',)) is None


_INIT_SCRIPT = """
import asyncio, sys
from mastra_pg import PostgresStore
async def main():
    s = PostgresStore(id="p", connection_string=sys.argv[1], schema_name=sys.argv[2])
    await s.init()
    await s.memory.save_thread(thread={"id": "t-" + sys.argv[3], "resourceId": "r", "title": "x"})
    await s.close()
asyncio.run(main())
"""


async def test_several_processes_init_the_same_schema_at_once(pg_url: str, raw: Any) -> None:
    schema = f"pgt_race_{uuid.uuid4().hex[:8]}"
    try:
        procs = [await asyncio.create_subprocess_exec(sys.executable, "-c", _INIT_SCRIPT, pg_url, schema, str(i),
                                                      stderr=asyncio.subprocess.PIPE) for i in range(4)]
        results = [(await p.wait(), (await p.stderr.read()).decode()) for p in procs]  # type: ignore[union-attr]
        assert all(code == 0 for code, _ in results), results
        assert await _one(raw, sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "mastra_threads"))) == 4
        assert await _one(raw, sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(schema, "mastra_schema_version"))) == SCHEMA_VERSION
    finally:
        await raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# ---------------------------------------------------------------------------- indexes


async def test_default_indexes_follow_the_reference(make_store: Any) -> None:
    store = await make_store()
    names = {i.name for i in await store.list_indexes()}
    prefix = f"{store.schema_name}_"
    for name in ("mastra_threads_resourceid_createdat_idx", "mastra_messages_thread_id_createdat_idx",
                 "mastra_scores_trace_id_span_id_created_at_idx", "mastra_ai_spans_root_spans_idx",
                 "mastra_ai_spans_metadata_gin_idx"):
        assert (prefix + name)[:63] in names
    root = await store.describe_index((prefix + "mastra_ai_spans_root_spans_idx")[:63])
    assert root is not None and 'WHERE ("parentSpanId" IS NULL)' in root.definition
    skipped = await make_store(skip_default_indexes=True)
    assert not [i for i in await skipped.list_indexes() if i.name.endswith("_idx")]


async def test_custom_indexes_from_config_and_methods(make_store: Any, raw: Any) -> None:
    store = await make_store(indexes=[
        {"name": "thr_meta_type", "table": "mastra_threads", "columns": ["metadata->>'type'"]},
        {"name": "thr_res_title", "table": "mastra_threads", "columns": ["resourceId", "title DESC NULLS LAST"],
         "unique": True, "where": '"title" IS NOT NULL', "storage": {"fillfactor": 70}},
        IndexSpec(name="thr_meta_gin", table="mastra_threads", columns=("metadata",), method="gin",
                  opclass="jsonb_path_ops"),
        {"name": "msg_created_brin", "table": "mastra_messages", "columns": ["createdAt"], "method": "brin",
         "concurrent": False},
        {"name": "msg_role_hash", "table": "mastra_messages", "columns": ["role"], "method": "hash"},
        {"name": "thr_lower_title", "table": "mastra_threads", "columns": ["lower(title)"], "tablespace": "pg_default"},
    ])
    by_name = {i.name: i for i in await store.list_indexes("mastra_threads")}
    assert "(metadata ->> 'type'::text)" in by_name["thr_meta_type"].definition
    uniq = by_name["thr_res_title"]
    assert uniq.unique and 'WHERE (title IS NOT NULL)' in uniq.definition and "fillfactor='70'" in uniq.definition
    assert uniq.columns == ['"resourceId"', "title"]
    assert "jsonb_path_ops" in by_name["thr_meta_gin"].definition and by_name["thr_meta_gin"].method == "gin"
    assert "lower(title)" in by_name["thr_lower_title"].definition
    msg = {i.name: i for i in await store.list_indexes("mastra_messages")}
    assert msg["msg_created_brin"].method == "brin" and msg["msg_role_hash"].method == "hash"
    # the expression index serves a query on it
    await store.memory.save_thread(thread=_thread(id="a", metadata={"type": "x"}))
    d = await store.describe_index("thr_meta_type")
    assert d is not None and d.size_bytes > 0 and d.scans is not None and d.valid
    # methods: create (concurrently, from autocommit), skip an existing name, drop
    assert await store.create_index(name="thr_updated", table="mastra_threads", columns=["updatedAt DESC"]) is True
    assert await store.create_index({"name": "thr_updated", "table": "mastra_threads", "columns": ["title"]}) is False
    await store.drop_index("thr_updated")
    assert await store.describe_index("thr_updated") is None
    # inside a caller's transaction CONCURRENTLY is impossible: built without it
    from mastra_pg.indexes import create_index

    async with store.pool.connection() as conn:
        async with conn.transaction():
            assert await create_index(conn, IndexSpec(name="in_tx", table="mastra_threads", columns=("title",)),
                                      store.schema_name)
    assert await store.describe_index("in_tx") is not None
    # a unique index is enforced
    await store.memory.save_thread(thread=_thread(id="b", resource_id="R", title="same"))
    with pytest.raises(StorageError):
        await store.memory.save_thread(thread=_thread(id="c", resource_id="R", title="same"))


@pytest.mark.parametrize("spec", [
    {"name": "x", "table": "mastra_threads", "columns": ['id"); DROP TABLE mastra_threads; --']},
    {"name": "x", "table": "mastra_threads", "columns": ["id; DROP TABLE mastra_threads"]},
    {"name": "x", "table": "mastra_threads", "columns": ["pg_sleep(10)"]},
    {"name": "x", "table": "mastra_threads", "columns": ["metadata::regclass"]},
    {"name": "x", "table": "mastra_threads", "columns": ["(metadata->>'a'"]},
    {"name": 'x"; DROP', "table": "mastra_threads", "columns": ["id"]},
    {"name": "x", "table": "mastra_threads; DROP", "columns": ["id"]},
    {"name": "x", "table": "mastra_threads", "columns": ["id"], "opclass": "text_ops; DROP"},
    {"name": "x", "table": "mastra_threads", "columns": ["id"], "method": "btree; DROP"},
    {"name": "x", "table": "mastra_threads", "columns": ["id"], "storage": {"fillfactor": "70); DROP"}},
    {"name": "x", "table": "mastra_threads", "columns": ["id"], "tablespace": "a b"},
    {"name": "x", "table": "mastra_threads", "columns": []},
])
def test_unsafe_index_specs_are_refused(spec: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        PostgresStore(id="x", connection_string="postgresql://h/db", indexes=[spec])


async def test_index_expression_literals_are_bound_not_spliced(make_store: Any) -> None:
    store = await make_store()
    assert await store.create_index(name="odd_key", table="mastra_threads",
                                    columns=["metadata->>'it''s; DROP TABLE x'"])
    info = await store.describe_index("odd_key")
    assert info is not None and "'it''s; DROP TABLE x'" in info.definition


# ---------------------------------------------------------------------------- data


async def test_equal_timestamps_keep_the_given_order_over_a_large_batch(make_store: Any) -> None:
    store = await make_store()
    await store.memory.save_thread(thread=_thread(id="t"))
    batch = _msgs("t", 500, same_time=True)
    await store.memory.save_messages(messages=batch)
    got = await store.memory.list_messages(thread_id="t", per_page=False)
    assert [m.id for m in got] == [m.id for m in batch]
    desc = await store.memory.list_messages(thread_id="t", per_page=7, page=3,
                                            order_by={"field": "created_at", "direction": "DESC"})
    assert [m.id for m in desc] == [m.id for m in reversed(batch)][21:28] and desc.total == 500


async def test_message_counts_stay_exact_through_moves_deletes_and_prune(make_store: Any, raw: Any) -> None:
    store = await make_store(ttl={"message": {"default_ttl_seconds": 3600}})
    mem = store.memory
    await mem.save_thread(thread=_thread(id="a"))
    await mem.save_thread(thread=_thread(id="b"))
    msgs = _msgs("a", 10)
    await mem.save_messages(messages=msgs)
    await mem.save_messages(messages=[Message.from_text("moved", id=msgs[0].id, thread_id="b", resource_id="r1")])
    await mem.delete_messages(message_ids=[msgs[1].id, msgs[2].id])
    assert (await mem.list_messages(thread_id="a", per_page=1)).total == 7
    assert (await mem.list_messages(thread_id="b", per_page=1)).total == 1
    assert (await mem.list_messages(thread_id=["a", "b"], per_page=1)).total == 8
    # expired but not yet pruned rows are not counted; prune deletes them and the counts follow
    later = utc_now() + timedelta(hours=2)
    await raw.execute(sql.SQL('UPDATE {} SET "expiresAt" = now() - interval \'1 second\' WHERE id = ANY(%s)').format(
        sql.Identifier(store.schema_name, "mastra_messages")), ([msgs[3].id, msgs[4].id],))
    assert (await mem.list_messages(thread_id="a", per_page=1)).total == 5
    assert (await store.prune())["memory"] == 2
    assert (await mem.list_messages(thread_id="a", per_page=1)).total == 5
    assert await _one(raw, sql.SQL("SELECT n FROM {} WHERE thread_id = 'a'").format(
        sql.Identifier(store.schema_name, "mastra_message_counts"))) == 5
    assert (await store.prune(later))["memory"] == 6  # the remaining messages (threads have no TTL here)
    assert (await mem.list_messages(thread_id=["a", "b"], per_page=1)).total == 0
    assert await _one(raw, sql.SQL("SELECT count(*) FROM {}").format(
        sql.Identifier(store.schema_name, "mastra_message_counts"))) == 0


async def test_unicode_that_postgres_refuses_is_stored_losslessly(make_store: Any, raw: Any) -> None:
    store = await make_store()
    mem = store.memory
    weird = {"nul": "a\x00b", "marker": "\uffff!", "k\x00ey": ["\x00", {"deep": "\x00"}]}
    thread = await mem.save_thread(thread=_thread(id="u", title="ti\x00tle", metadata=weird))
    got = await mem.get_thread_by_id(thread_id="u")
    assert got.metadata == weird and got.title == "ti\x00tle" and thread.metadata == weird
    page = await mem.list_threads(filter={"metadata": {"nul": "a\x00b"}})
    assert [t.id for t in page] == ["u"]
    msg = Message.from_text("he\U0001f600llo\x00", id="m1", thread_id="u", resource_id="r1")
    await mem.save_messages(messages=[msg])
    assert (await mem.list_messages_by_id(message_ids=["m1"]))[0].content == msg.content
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="r",
                                                    snapshot={"status": "running", "v": "\x00\uffff"})
    runs = await store.workflows.list_workflow_runs(status="running")
    assert runs.total == 1 and runs.items[0].snapshot["v"] == "\x00\uffff"
    # lone surrogates are outside the value domain (mastra_core.values): refused before anything is written
    with pytest.raises(ValidationError):
        await mem.save_thread(thread=_thread(id="lone", metadata={"lone": "x\ud800y"}))
    assert await mem.get_thread_by_id(thread_id="lone") is None
    # ordinary data is stored exactly as the reference stores it (no escape marker)
    await mem.save_thread(thread=_thread(id="plain", metadata={"a": "ü€😀"}))
    stored = await _one(raw, sql.SQL("SELECT metadata::text FROM {} WHERE id = 'plain'").format(
        sql.Identifier(store.schema_name, "mastra_threads")))
    assert stored == '{"a": "ü€😀"}'


async def test_concurrent_working_memory_updates_lose_nothing(make_store: Any) -> None:
    store = await make_store(max_pool_size=8)
    mem = store.memory
    await mem.save_resource(resource=Resource(id="res", metadata={}))

    async def add(i: int) -> None:
        await mem.modify_resource(resource_id="res", change=lambda r: Resource(
            id="res", working_memory=r.working_memory, metadata={**(r.metadata or {}), f"k{i}": i},
            created_at=r.created_at, updated_at=utc_now()) if r else Resource(id="res", metadata={f"k{i}": i}))

    await asyncio.gather(*(add(i) for i in range(20)))
    assert (await mem.get_resource_by_id(resource_id="res")).metadata == {f"k{i}": i for i in range(20)}


# ---------------------------------------------------------------------------- round trips (on the wire)


async def test_round_trips_per_operation_are_within_budget(pg_url: str, make_store: Any) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(pg_url)
    async with RoundTripProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432))) as proxy:
        params.update(host="127.0.0.1", port=str(proxy.port))
        store = await make_store(connection_string=make_conninfo(**params), min_pool_size=1, max_pool_size=1)
        mem = store.memory
        await mem.save_thread(thread=_thread(id="t"))
        msgs = _msgs("t", 50)
        await mem.save_messages(messages=msgs)

        async def trips(fn: Any) -> int:
            for _ in range(6):  # past psycopg's prepare threshold
                await fn()
            before = proxy.count
            await fn()
            return proxy.count - before

        assert await trips(lambda: mem.get_thread_by_id(thread_id="t")) == 1
        assert await trips(lambda: mem.save_messages(messages=_msgs("t", 10))) == 1
        assert await trips(lambda: mem.list_messages(thread_id="t", per_page=10, order_by={"direction": "DESC"})) == 1
        inc = [MessageInclude(id=msgs[25].id, with_previous_messages=2, with_next_messages=2),
               MessageInclude(id=msgs[5].id, with_previous_messages=1)]
        assert await trips(lambda: mem.list_messages(thread_id="t", per_page=10, include=inc)) == 1
        assert await trips(lambda: mem.list_threads(filter={"resource_id": "r1"})) == 1
        # the specific read-modify-writes merge in SQL: one statement, token included
        assert await trips(lambda: mem.update_thread(id="t", title="x")) == 1
        assert await trips(lambda: mem.update_thread(id="t", metadata={"a": 1})) == 1
        assert await trips(lambda: mem.update_resource(resource_id="r9", working_memory="wm")) == 1
        assert await trips(lambda: mem.update_resource(resource_id="r9", metadata={"b": 2})) == 1
        # a general change (a Python function) reads then writes: BEGIN+SELECT FOR UPDATE, UPDATE+token+COMMIT
        assert await trips(lambda: mem.modify_thread(thread_id="t", change=lambda t: t)) == 2
        wf = store.workflows
        snap = {"runId": "run", "status": "running", "context": {"s0": {"x": "y" * 2000}}}
        assert await trips(lambda: wf.persist_workflow_snapshot(workflow_name="w", run_id="run", snapshot=snap)) == 1
        assert await trips(lambda: wf.load_workflow_snapshot(workflow_name="w", run_id="run")) == 1
        assert await trips(lambda: wf.update_workflow_state(workflow_name="w", run_id="run",
                                                            opts={"status": "success"})) == 1
        assert await trips(lambda: wf.update_workflow_results(workflow_name="w", run_id="run", step_id="s1",
                                                              result={"ok": True})) == 1
        # pages read in chunks (their own pipeline: Bind, Execute, Sync as outside one) are one round trip still
        assert await trips(lambda: wf.list_workflow_runs(workflow_name="w", per_page=20)) == 1
        await store.scores.save_score(score=sample_score(scorer_id="sc", input=[{"text": "z" * 3000}]))
        assert await trips(lambda: store.scores.list_scores_by_scorer_id(scorer_id="sc")) == 1
        assert await trips(lambda: store.observability.batch_create_spans(records=[
            {"traceId": f"tr{i}", "spanId": "s", "name": "n", "spanType": "generic", "startedAt": utc_now()}
            for i in range(5)])) == 1
        before = (await mem.get_thread_by_id(thread_id="t")).updated_at
        await mem.save_messages(messages=_msgs("t", 3))
        assert (await mem.get_thread_by_id(thread_id="t")).updated_at > before  # bumped in the same statement


async def test_a_one_statement_update_whose_reply_was_lost_is_applied_once(pg_url: str, make_store: Any,
                                                                           raw: Any) -> None:
    """The server committed update_resource, the reply never came: the retry finds its token, writes nothing and
    answers the stored resource (the bump of ``updated_at`` happened once)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(pg_url)
    async with RoundTripProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432))) as proxy:
        params.update(host="127.0.0.1", port=str(proxy.port))
        store = await make_store(connection_string=make_conninfo(**params), min_pool_size=1, max_pool_size=1)
        mem = store.memory
        await mem.update_resource(resource_id="res", working_memory="0")
        ops = sql.Identifier(store.schema_name, "mastra_applied_ops")
        tokens = await _one(raw, sql.SQL("SELECT count(*) FROM {}").format(ops))
        proxy.lose_reply(1)
        got = await mem.update_resource(resource_id="res", working_memory="1", metadata={"k": 1})
        assert proxy.fired == 1
        stored = await mem.get_resource_by_id(resource_id="res")
        assert got == stored and stored.working_memory == "1" and stored.metadata == {"k": 1}
        assert await _one(raw, sql.SQL("SELECT count(*) FROM {}").format(ops)) == tokens + 1


async def test_one_statement_updates_fall_back_on_rows_an_old_writer_left(make_store: Any, raw: Any) -> None:
    """Metadata or a snapshot stored as a JSON string (the reference stringifies some values twice): the SQL merge
    cannot read it as the core does, so the general path runs and the result is the core's."""
    store = await make_store()
    mem, wf = store.memory, store.workflows
    await mem.save_resource(resource=Resource(id="res", metadata={"a": 1}))
    await mem.save_thread(thread=_thread(id="t", metadata={"a": 1}))
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="run", snapshot={"status": "running"})
    for table, key in (("mastra_resources", "res"), ("mastra_threads", "t")):
        await raw.execute(sql.SQL("UPDATE {} SET metadata = to_jsonb(metadata::text) WHERE id = %s").format(
            sql.Identifier(store.schema_name, table)), (key,))
    await raw.execute(sql.SQL("UPDATE {} SET snapshot = to_jsonb(snapshot::text)").format(
        sql.Identifier(store.schema_name, "mastra_workflow_snapshot")))
    assert (await mem.update_resource(resource_id="res", metadata={"b": 2})).metadata == {"a": 1, "b": 2}
    assert (await mem.update_thread(id="t", metadata={"b": 2})).metadata == {"a": 1, "b": 2}
    state = await wf.update_workflow_state(workflow_name="w", run_id="run", opts={"status": "success"})
    assert state is not None and state["status"] == "success"
    ctx = await wf.update_workflow_results(workflow_name="w", run_id="run", step_id="s", result=1)
    assert ctx == {"s": 1}
    with pytest.raises(NotFoundError):
        await mem.update_thread(id="missing", title="x")
    assert await wf.update_workflow_state(workflow_name="w", run_id="missing", opts={"status": "success"}) is None


# ---------------------------------------------------------------------------- failures


def _terminate(url: str, app: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # every backend of the store: the one inside the transaction among them (in pipeline mode it shows
        # as 'active' while it waits for the rest of the pipeline)
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (app,))


async def test_connection_killed_mid_transaction_leaves_nothing_half_written(pg_url: str, make_store: Any) -> None:
    app = f"mastra-kill-{uuid.uuid4().hex[:6]}"
    store = await make_store(application_name=app, max_pool_size=2)
    mem = store.memory
    await mem.save_thread(thread=_thread(id="t", title="before"))

    # a caller's transaction through store.pool, killed before COMMIT: neither write is visible
    threads = sql.Identifier(store.schema_name, "mastra_threads")
    with pytest.raises(psycopg.OperationalError):
        async with store.pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(sql.SQL("UPDATE {} SET title = 'half' WHERE id = 't'").format(threads))
                await conn.execute(sql.SQL("INSERT INTO {} (id, \"resourceId\", title, \"createdAt\", \"updatedAt\") "
                                           "VALUES ('t2', 'r', 'x', now(), now())").format(threads))
                await asyncio.to_thread(_terminate, pg_url, app)
    assert (await mem.get_thread_by_id(thread_id="t")).title == "before"
    assert await mem.get_thread_by_id(thread_id="t2") is None

    # the store's own atomic update, killed while it holds the row lock: rolled back, then retried once
    calls = []

    def change(thread: Thread) -> Thread:
        calls.append(thread.title)
        if len(calls) == 1:
            t = threading.Thread(target=_terminate, args=(pg_url, app))
            t.start()
            t.join()
        return Thread(id=thread.id, resource_id=thread.resource_id, title=thread.title + "+", metadata=thread.metadata,
                      created_at=thread.created_at, updated_at=utc_now())

    result = await mem.modify_thread(thread_id="t", change=change)
    assert calls == ["before", "before"] and result.title == "before+"
    assert (await mem.get_thread_by_id(thread_id="t")).title == "before+"


async def test_a_dropped_network_connection_is_survived(pg_url: str, make_store: Any) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(pg_url)
    async with RoundTripProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432))) as proxy:
        params.update(host="127.0.0.1", port=str(proxy.port))
        store = await make_store(connection_string=make_conninfo(**params), min_pool_size=2, max_pool_size=2)
        await store.memory.save_thread(thread=_thread(id="t"))
        proxy.kill_connections()
        await asyncio.sleep(0.05)
        assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
        await store.memory.save_messages(messages=_msgs("t", 2))
        assert (await store.memory.list_messages(thread_id="t")).total == 2


# ---------------------------------------------------------------------------- vector store registration


async def test_pgvector_is_registered_and_shares_a_store_pool(make_store: Any) -> None:
    from mastra_core.registry import registry
    from mastra_pg import PgVector

    factory, dist = registry().vector_stores["pgvector"]
    assert dist == "mastra-pg"
    store = await make_store()
    vec = factory(store=store)
    assert isinstance(vec, PgVector) and vec.pool is store.pool
    await vec.create_index(index_name="memory_messages_4", dimension=4, index_type="hnsw", m=8, ef_construction=32)
    ids = await vec.upsert(index_name="memory_messages_4", vectors=[[1, 0, 0, 0], [0, 1, 0, 0], [0.9, 0.1, 0, 0]],
                           metadata=[{"thread_id": "a"}, {"thread_id": "b"}, {"thread_id": "a"}])
    hits = await vec.query(index_name="memory_messages_4", query_vector=[1, 0, 0, 0], top_k=5,
                           filter={"thread_id": "a"})
    assert [h.id for h in hits] == [ids[0], ids[2]] and hits[0].score == pytest.approx(1.0)
    stats = await vec.describe_index(index_name="memory_messages_4")
    assert (stats.dimension, stats.count, stats.metric) == (4, 3, "cosine")
    assert "memory_messages_4_vector_idx" in {i.name for i in await store.list_indexes("memory_messages_4")}
    await vec.close()
    assert not store.pool.closed


async def test_pgvector_large_index_uses_ann_and_still_fills_top_k(make_store: Any, raw: Any) -> None:
    from mastra_pg import PgVector

    store = await make_store()
    vec = PgVector(store=store)
    await vec.create_index(index_name="big", dimension=3)
    await raw.execute(sql.SQL("INSERT INTO {} (vector_id, embedding, metadata) SELECT 'v' || g, "
                              "ARRAY[cos(g), sin(g), g % 7]::vector, jsonb_build_object('g', g, 'odd', g % 2 = 1) "
                              "FROM generate_series(1, 3000) g").format(sql.Identifier(store.schema_name, "big")))
    hits = await vec.query(index_name="big", query_vector=[1, 0, 3], top_k=25, filter={"odd": True})
    assert len(hits) == 25 and all(h.metadata["odd"] is True for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


# ---------------------------------------------------------------------------- server restart, through our own proxy
# The machine's PostgreSQL is shared with other work and is never restarted by these tests: a proxy the test owns
# stands between the pool and the server and plays the restart (every connection dropped, then refused for a moment).


async def test_pool_recovers_after_a_server_restart(pg_url: str, make_store: Any) -> None:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(pg_url)
    async with RoundTripProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432))) as proxy:
        params.update(host="127.0.0.1", port=str(proxy.port))
        store = await make_store(connection_string=make_conninfo(**params), min_pool_size=2, max_pool_size=4)
        mem = store.memory
        await mem.save_thread(thread=_thread(id="t"))
        # the "restart": every pooled connection dies, and for a moment nothing answers on the port
        await proxy.stop_listening()
        proxy.kill_connections()
        await asyncio.sleep(0.5)
        await proxy.resume_listening()
        # the store must notice the dead connections and reconnect without surfacing errors
        assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
        await mem.save_messages(messages=_msgs("t", 3))
        results = await asyncio.gather(*(mem.list_messages(thread_id="t") for _ in range(6)))
        assert all(p.total == 3 for p in results)


async def test_pgvector_ann_queries_use_ef_search(make_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ANN query runs with hnsw.ef_search = EF_SEARCH (100: unfiltered recall@10 0.83 -> 0.90 at 1M vectors,
    see EF_SEARCH), or the caller's ef_search, never below top_k."""
    from mastra_pg import PgVector
    from mastra_pg.vector import EF_SEARCH

    sent: list[str] = []
    original = psycopg.AsyncCursor.execute

    async def spy(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        text = query if isinstance(query, str) else query.as_string(None)
        if "ef_search" in text:
            sent.append(text)
        return await original(self, query, params, **kwargs)

    store = await make_store()
    for kwargs, top_k, want in (({}, 10, EF_SEARCH), ({"ef_search": 64}, 10, 64), ({}, EF_SEARCH + 5, EF_SEARCH + 5)):
        vec = PgVector(store=store, exact_below=0, **kwargs)  # exact_below 0: the ANN path at any size
        await vec.create_index(index_name="ef", dimension=3)
        await vec.upsert(index_name="ef", vectors=[[1, 0, i] for i in range(20)], ids=[f"v{i}" for i in range(20)])
        sent.clear()
        monkeypatch.setattr(psycopg.AsyncCursor, "execute", spy)
        hits = await vec.query(index_name="ef", query_vector=[1, 0, 3], top_k=top_k)
        monkeypatch.setattr(psycopg.AsyncCursor, "execute", original)
        assert len(hits) == min(top_k, 20) and hits[0].id == "v3"
        assert sent == [f"SET LOCAL hnsw.ef_search = {want}"], sent
        await vec.close()
    assert EF_SEARCH == 100


async def _plan_of(store: Any, domain: Any, raw: Any, call: Any) -> tuple[Any, str]:
    """``await call()``'s result and the server's plan (JSON text) of the one statement it sent through ``domain``,
    after ANALYZE of the store's tables, so the planner knows their real sizes."""
    await raw.execute(sql.SQL("ANALYZE {}.mastra_workflow_snapshot, {}.mastra_scorers").format(
        sql.Identifier(store.schema_name), sql.Identifier(store.schema_name)))
    sent: list[tuple[Any, Any]] = []
    fetch = domain.conn.fetch

    async def recording(query: Any, params: Any = (), **kw: Any) -> Any:
        sent.append((query, params))
        return await fetch(query, params, **kw)

    domain.conn.fetch = recording
    try:
        result = await call()
    finally:
        del domain.conn.fetch
    (query, params), = sent
    cur = await raw.execute(sql.SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + sql.SQL(query), params)
    return result, json.dumps((await cur.fetchone())[0])


async def test_a_workflows_runs_page_reads_the_page_in_index_order(make_store: Any, raw: Any) -> None:
    """The runs page of one workflow is an ordered scan of the default (workflow_name, createdAt, seq) index that
    stops at the page: no sort of the workflow's runs, whatever their number (read from the server's own plan of
    the statement the store sends)."""
    store = await make_store()
    for i in range(400):
        await store.workflows.persist_workflow_snapshot(workflow_name="wf" if i % 4 else "other", run_id=f"r{i}",
                                                        snapshot={"status": "running", "n": i})
    page, plan = await _plan_of(store, store.workflows, raw,
                                lambda: store.workflows.list_workflow_runs(workflow_name="wf", per_page=20))
    newest = [f"r{i}" for i in range(399, -1, -1) if i % 4][:20]
    assert page.total == 300 and [run.run_id for run in page.items] == newest
    index = f"{store.schema_name}_mastra_workflow_snapshot_name_createdat_idx"[:63]
    assert f'"Index Name": "{index}"' in plan and '"Node Type": "Sort"' not in plan


@pytest.mark.parametrize("listing", ["scorer", "run", "entity"])
async def test_a_scores_page_reads_the_page_in_index_order(make_store: Any, raw: Any, listing: str) -> None:
    """A scorer's, a run's or an entity's scores page is an ordered scan of its default index that stops at the
    page, among scores of many scorers, runs and entities (the server's plan of the statement the store sends)."""
    from mastra_core.testing.factories import sample_score

    store = await make_store()
    for i in range(600):  # one scorer, run and entity in four; the rest spread over many
        mine = i % 4 == 0
        await store.scores.save_score(score=sample_score(
            scorer_id="s" if mine else f"s{i}", run_id="r" if mine else f"r{i}",
            entity_id="e" if mine else f"e{i}", entity_type="AGENT", metadata={"i": i}))
    calls = {"scorer": (lambda: store.scores.list_scores_by_scorer_id(scorer_id="s", per_page=20),
                        "mastra_scores_scorerid_createdat_idx"),
             "run": (lambda: store.scores.list_scores_by_run_id(run_id="r", per_page=20),
                     "mastra_scores_runid_createdat_idx"),
             "entity": (lambda: store.scores.list_scores_by_entity_id(entity_id="e", entity_type="AGENT", per_page=20),
                        "mastra_scores_entityid_entitytype_createdat_idx")}
    call, name = calls[listing]
    page, plan = await _plan_of(store, store.scores, raw, call)
    assert page.total == 150 and [s.metadata["i"] for s in page.items] == list(range(596, -1, -4))[:20]
    index = f"{store.schema_name}_{name}"[:63]
    assert f'"Index Name": "{index}"' in plan and '"Node Type": "Sort"' not in plan
