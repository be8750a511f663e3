"""No statement that matches ``= ANY(array)``, nor a message page, ever runs with a generic plan.

Why: PostgreSQL may switch a prepared statement to a generic plan after five runs, and a generic plan for
``id = ANY($1)`` made while a table is small is a sequential scan, which it keeps once the table has grown, until
autovacuum analyses it. Measured here: ``save_messages(10)`` went from 0.8 ms to 18 ms after 200k threads were
added, ``list_messages_by_id`` of 10 ids from 0.26 to 2 ms among 11k messages (``bench`` side_by_side,
``BENCH_SBS_MORE=1``); a message page's generic plan could sort a huge thread whole. Those statements run prepared
but are prepared anew every five runs (``lean.CUSTOM``), so every run is planned for its values. The usual save
touches one thread and bumps it by its key, whose generic plan is the index's at any size: prepared as usual.

What is checked is the server's own view (``pg_prepared_statements`` of the store's single connection: the
statements, their generic and custom plan counts) after every such operation ran well past the threshold, on a
table grown after the first runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest
from mastra_core.records import Message, Thread

RUNS = 12  # > the prepare threshold (5) plus PostgreSQL's five custom plans


async def _prepared(store: Any) -> list[tuple[str, int, int]]:
    """(statement, generic plans, custom plans) of every statement prepared on the store's connection."""
    async with store.memory.conn.pool.connection() as conn:
        cur = await conn.execute("SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements")
        return [(row[0], row[1], row[2]) for row in await cur.fetchall()]


async def _exercise(store: Any, pg_url: str) -> None:
    """Every array-taking operation and message pages, RUNS times before and after the tables grow."""
    memory = store.memory
    for tid in ("t-a", "t-b"):
        await memory.save_thread(thread=Thread(id=tid, resource_id="r"))

    def batch(k: int, *threads: str) -> list[Message]:
        return [Message.from_text("x", id=f"m{k}-{i}", thread_id=thread, resource_id="r")
                for i, thread in enumerate(threads)]

    for k in range(RUNS):
        await memory.save_messages(messages=batch(k, "t-a", "t-a"))  # one thread touched
        await memory.save_messages(messages=batch(RUNS + k, "t-a", "t-b"))  # two threads touched
        await memory.list_messages_by_id(message_ids=[f"m{k}-0", f"m{k}-1"])
        await memory.list_messages(thread_id="t-a", per_page=5)
    # the tables grow after the first runs, with no ANALYZE (as a busy new database between autovacuum passes)
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        schema = psycopg.sql.Identifier(store.memory.conn.schema)
        await conn.execute(psycopg.sql.SQL(
            'INSERT INTO {}.mastra_threads (id, "resourceId", title, metadata, "createdAt", "updatedAt") '
            "SELECT 'bulk' || g, 'r', 't', '{{}}', now(), now() FROM generate_series(1, 5000) g").format(schema))
    for k in range(RUNS):
        await memory.save_messages(messages=batch(2 * RUNS + k, "t-a", "t-b"))
        await memory.delete_messages(message_ids=[f"m{2 * RUNS + k}-0"])
        got = await memory.list_messages_by_id(message_ids=[f"m{k}-1", f"m{RUNS + k}-1"])
        assert [m.id for m in got] == [f"m{k}-1", f"m{RUNS + k}-1"]
        page = await memory.list_messages(thread_id="t-b", per_page=3)
        assert page.total == RUNS + k + 1 and len(page.items) == 3
    await memory.save_messages(messages=batch(3 * RUNS, "t-a", "t-a"))


async def test_array_statements_and_pages_never_run_a_generic_plan(make_store: Any, pg_url: str) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await _exercise(store, pg_url)

    prepared = await _prepared(store)
    custom = [p for p in prepared if "ANY(" in p[0].replace(" ", "") or "UNION ALL" in p[0]]
    assert custom, prepared  # prepared (parsed once)...
    assert all(generic == 0 for _, generic, _ in custom), custom  # ...but never run with a generic plan
    assert all(plans <= 5 for _, _, plans in custom), custom  # prepared anew after five runs
    assert len({text for text, _, _ in custom}) == len(custom), custom  # the old names closed
    saves = [p for p in prepared if "INSERT INTO" in p[0] and "WHERE id = $" in p[0]]
    assert len(saves) == 1 and saves[0][1] + saves[0][2] > 0, prepared  # the one-thread save: prepared as usual
    # and every message is where the operations put it
    listed = await store.memory.list_messages(thread_id="t-b", per_page=False)
    assert len(listed.items) == 2 * RUNS and listed.total == 2 * RUNS


async def test_nothing_is_prepared_when_prepared_statements_are_off(make_store: Any, pg_url: str) -> None:
    # prepare_threshold=None: what a PgBouncer in transaction mode needs; the page and array statements too
    store = await make_store(min_pool_size=1, max_pool_size=1, prepare_threshold=None)
    await _exercise(store, pg_url)
    assert await _prepared(store) == []


async def test_without_close_in_pipelines_they_run_unnamed(make_store: Any, pg_url: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # a libpq older than 17 cannot close a statement inside a pipeline: those statements run unnamed instead
    from mastra_pg import lean

    monkeypatch.setattr(lean, "CAN_CLOSE", False)
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await _exercise(store, pg_url)
    prepared = await _prepared(store)
    assert not [p for p in prepared if "ANY(" in p[0].replace(" ", "") or "UNION ALL" in p[0]], prepared
    assert [p for p in prepared if "INSERT INTO" in p[0]], prepared  # the rest is prepared as usual


async def test_a_statement_dropped_on_the_server_is_prepared_again(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
    memory = store.memory
    await memory.save_thread(thread=Thread(id="t", resource_id="r"))
    await memory.save_messages(messages=[Message.from_text(f"m{i}", id=f"m{i}", thread_id="t", resource_id="r")
                                         for i in range(4)])
    for _round in range(3):
        for _ in range(3):
            page = await memory.list_messages(thread_id="t", per_page=2)
            assert page.total == 4 and len(page.items) == 2
            assert [m.id for m in await memory.list_messages_by_id(message_ids=["m1", "m3"])] == ["m1", "m3"]
        async with memory.conn.pool.connection() as conn:
            await conn.execute("DEALLOCATE ALL")  # as a pooler's reset or an admin would
    assert [p for p in await _prepared(store) if p[1] > 0] == []


@pytest.mark.parametrize("fault", ["lose_reply", "cut_request", "stall"])
async def test_a_fault_in_the_preparing_round_trip_is_bounded_and_recovers(make_store: Any, pg_url: str, fault: str,
                                                                           statement_deadline: Any) -> None:
    """The run that prepares a page anew (old name closed, new one parsed and run, one pipelined round trip) meets a
    lost reply, a cut request or a stall: the call fails within the bound or succeeds with the right page, and the
    next calls are right on a fresh connection."""
    from mastra_core.errors import StorageError
    from mastra_core.testing.faults import ChaosProxy
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(pg_url)
    async with ChaosProxy(str(info.get("host") or "127.0.0.1"), int(str(info.get("port") or 5432))) as proxy:
        url = make_conninfo(pg_url, host="127.0.0.1", port=str(proxy.port))
        store = await make_store(connection_string=url, min_pool_size=1, max_pool_size=1, connect_timeout=5.0)
        memory = store.memory
        await memory.save_thread(thread=Thread(id="t", resource_id="r"))
        await memory.save_messages(messages=[Message.from_text(f"m{i}", id=f"m{i}", thread_id="t", resource_id="r")
                                             for i in range(4)])
        want = [m.id for m in (await memory.list_messages(thread_id="t", per_page=2)).items]  # prepares
        assert len(want) == 2
        for _ in range(4):  # four more by name: the next run prepares anew
            assert [m.id for m in (await memory.list_messages(thread_id="t", per_page=2)).items] == want
        getattr(proxy, fault)()
        started = asyncio.get_running_loop().time()
        try:
            with statement_deadline(store, 1.0):
                page = await memory.list_messages(thread_id="t", per_page=2)
        except StorageError:
            pass
        else:
            assert page.total == 4 and [m.id for m in page.items] == want
        assert asyncio.get_running_loop().time() - started < 10
        proxy.heal()
        assert proxy.fired or fault == "stall"
        for _ in range(7):
            page = await memory.list_messages(thread_id="t", per_page=2)
            assert page.total == 4 and [m.id for m in page.items] == want


async def test_an_error_while_preparing_anew_is_the_statements_own_and_the_connection_goes_on(
        make_store: Any, pg_url: str) -> None:
    from mastra_core.errors import StorageError

    store = await make_store(min_pool_size=1, max_pool_size=1)
    memory = store.memory
    await memory.save_thread(thread=Thread(id="t", resource_id="r"))
    for _ in range(5):  # the next run prepares anew
        await memory.list_messages(thread_id="t", per_page=2)
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        await conn.execute(psycopg.sql.SQL("ALTER TABLE {}.mastra_message_counts RENAME TO gone").format(
            psycopg.sql.Identifier(memory.conn.schema)))
    try:
        with pytest.raises(StorageError) as caught:
            await memory.list_messages(thread_id="t", per_page=2)
        assert "mastra_message_counts" in str(caught.value.__cause__ or caught.value)
        assert (await memory.get_thread_by_id(thread_id="t")) is not None  # the same connection, still usable
    finally:
        async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
            await conn.execute(psycopg.sql.SQL("ALTER TABLE {}.gone RENAME TO mastra_message_counts").format(
                psycopg.sql.Identifier(memory.conn.schema)))
    assert (await memory.list_messages(thread_id="t", per_page=2)).total == 0
