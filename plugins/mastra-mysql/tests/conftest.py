"""Fixtures of the mastra-mysql tests: the real MariaDB (MASTRA_TEST_MYSQL_URL), a fresh database per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from mastra_mysql.harness import cleanup, server_url


@pytest.fixture
async def make_store() -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await make_store(**options)``: an initialised MySQLStore on a fresh database (dropped afterwards)."""
    from mastra_mysql import MySQLStore

    made: list[tuple[Any, str]] = []

    async def make(database: str | None = None, *, init: bool = True, **options: Any) -> Any:
        name = database or f"myt_{uuid.uuid4().hex[:10]}"
        store = MySQLStore(id=f"test-{name}", url=server_url(), database=name, **options)
        made.append((store, name))
        if init:
            await store.init()
        return store

    yield make
    for store, _ in made:
        await store.close()
    for name in dict.fromkeys(n for _, n in made):
        await cleanup(name)
