"""The layout: the reference's table, column and index names; case-sensitive ids; init is idempotent."""

from __future__ import annotations

from typing import Any

import pytest
from mastra_core import records as r
from mastra_core.backend.reference_schema import TABLES
from mastra_core.errors import SchemaNotReadyError


async def _columns(store: Any, table: str) -> list[str]:
    rows = await store.connection.fetch(
        "SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s AND TABLE_NAME = %s "
        "ORDER BY ORDINAL_POSITION", (store.config.database, table))
    return [row["c"] for row in rows]


async def test_every_reference_table_and_column_exists(make_store: Any) -> None:
    store = await make_store()
    for table in TABLES:
        assert await _columns(store, table.name) == [*table.names, "seq"]
        rows = await store.connection.fetch(
            "SELECT DISTINCT INDEX_NAME AS i FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s "
            "AND TABLE_NAME = %s", (store.config.database, table.name))
        assert {index.name for index in table.indexes} <= {row["i"] for row in rows}


async def test_ids_are_case_sensitive(make_store: Any) -> None:
    store = await make_store()
    await store.memory.save_thread(thread=r.Thread(id="Thread-A", resource_id="res"))
    await store.memory.save_thread(thread=r.Thread(id="thread-a", resource_id="res"))
    assert (await store.memory.get_thread_by_id(thread_id="Thread-A")) is not None
    assert (await store.memory.get_thread_by_id(thread_id="THREAD-A")) is None
    page = await store.memory.list_threads(filter={"resource_id": "res"})
    assert {t.id for t in page.items} == {"Thread-A", "thread-a"}


async def test_init_twice_and_a_second_storage_on_the_same_database(make_store: Any) -> None:
    first = await make_store()
    await first.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    second = await make_store(first.config.database)
    assert (await second.memory.get_thread_by_id(thread_id="t")) is not None
    version = await second.connection.one("SELECT version FROM mastra_schema_version WHERE id = 'mysql'")
    assert version == {"version": 1}


async def test_disable_init_creates_nothing(make_store: Any) -> None:
    import uuid

    import asyncmy
    from mastra_mysql.config import MySQLConfig
    from mastra_mysql.harness import server_url

    name = f"myt_{uuid.uuid4().hex[:10]}"
    cfg = MySQLConfig(url=server_url(), database=name)
    conn = await asyncmy.connect(host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password or "")
    try:
        async with conn.cursor() as cur:
            await cur.execute(f"CREATE DATABASE `{name}`")
    finally:
        conn.close()
    store = await make_store(name, disable_init=True, init=False)  # dropped afterwards
    with pytest.raises(SchemaNotReadyError, match="mastra migrate"):  # connects, creates nothing, says what to run
        await store.init()
    rows = await store.connection.fetch("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s",
                                        (name,))
    assert rows == []
