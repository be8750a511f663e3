"""No statement that matches ``= ANY(array)`` keeps a prepared (generic) plan on the store's connection.

Why: PostgreSQL switches a prepared statement to a generic plan after five runs, and a generic plan for
``id = ANY($1)`` made while a table is small is a sequential scan, which it keeps once the table has grown, until
autovacuum analyses it. Measured here: ``save_messages(10)`` went from 0.8 ms to 18 ms after 200k threads were
added, ``list_messages_by_id`` of 10 ids from 0.26 to 2 ms among 11k messages (``bench`` side_by_side,
``BENCH_SBS_MORE=1``). The usual save touches one thread and bumps it by its key, whose generic plan is the
index's at any size; that statement stays prepared.

What is checked is the server's own view (``pg_prepared_statements`` of the store's single connection) after every
array-taking operation ran well past psycopg's prepare threshold, on a table grown after the first runs.
"""

from __future__ import annotations

from typing import Any

import psycopg
from mastra_core.records import Message, Thread

RUNS = 12  # > the prepare threshold (5) plus PostgreSQL's five custom plans


async def _prepared(store: Any) -> list[str]:
    async with store.memory.conn.pool.connection() as conn:
        cur = await conn.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in await cur.fetchall()]


async def test_array_statements_are_never_prepared_and_the_one_thread_save_is(make_store: Any, pg_url: str) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
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
    # the tables grow after the first runs, with no ANALYZE (as a busy new database between autovacuum passes)
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        schema = psycopg.sql.Identifier(store.memory.conn.schema)
        await conn.execute(psycopg.sql.SQL(
            'INSERT INTO {}.mastra_threads (id, "resourceId", title, metadata, "createdAt", "updatedAt") '
            "SELECT 'bulk' || g, 'r', 't', '{{}}', now(), now() FROM generate_series(1, 5000) g").format(schema))
    for k in range(RUNS):
        await memory.save_messages(messages=batch(2 * RUNS + k, "t-a", "t-b"))
        await memory.delete_messages(message_ids=[f"m{2 * RUNS + k}-0"])
        await memory.list_messages_by_id(message_ids=[f"m{k}-1", f"m{RUNS + k}-1"])
    await memory.save_messages(messages=batch(3 * RUNS, "t-a", "t-a"))

    prepared = await _prepared(store)
    assert not [s for s in prepared if "ANY(" in s.replace(" ", "")], prepared
    saves = [s for s in prepared if "INSERT INTO" in s and "mastra_messages" in s]
    assert len(saves) == 1 and "WHERE id = $" in saves[0], saves
    # and every message is where the operations put it
    listed = await memory.list_messages(thread_id="t-b", per_page=False)
    assert len(listed.items) == 2 * RUNS and listed.total == 2 * RUNS
