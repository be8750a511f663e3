"""Fixtures of the mastra-pg tests: a real PostgreSQL (MASTRA_TEST_PG_URL), a fresh schema per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("MASTRA_TEST_PG_URL")
    if not url:
        raise RuntimeError("MASTRA_TEST_PG_URL is not set: run `bash scripts/services/start.sh postgres pgvector` "
                           "and export what it prints (nox -s 'conformance(pg)' does it)")
    return url


async def drop_schema(url: str, schema: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
async def make_store(pg_url: str) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await make_store(**options)``: an initialised PostgresStore on a fresh schema (dropped afterwards)."""
    from mastra_pg import PostgresStore

    made: list[tuple[Any, str]] = []

    async def make(schema: str | None = None, *, init: bool = True, **options: Any) -> Any:
        name = schema or f"pgt_{uuid.uuid4().hex[:10]}"
        options.setdefault("connection_string", pg_url)
        store = PostgresStore(id=f"test-{name}", schema_name=name, **options)
        made.append((store, name))
        if init:
            await store.init()
        return store

    yield make
    failures: list[BaseException] = []
    for store, _ in made:
        try:
            await store.close()
        except Exception as exc:  # (a failing close must not leave the schemas behind: they are dropped first)
            failures.append(exc)
    for name in dict.fromkeys(n for _, n in made):
        await drop_schema(pg_url, name)
    if failures:
        raise failures[0]


@pytest.fixture
async def raw(pg_url: str) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
    async with await psycopg.AsyncConnection.connect(pg_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def terminate(raw: psycopg.AsyncConnection[Any]) -> Callable[[str], Awaitable[None]]:
    """``await terminate(app)``: every backend of that ``application_name`` killed by the server, returning once they
    are gone. A backend exits some time after the signal (later on a loaded machine), so the wait is on
    ``pg_stat_activity`` itself (bounded: 10 s), never a fixed sleep."""

    async def kill(app: str) -> None:
        await raw.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (app,))
        for _ in range(500):
            cur = await raw.execute("SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = %s", (app,))
            row = await cur.fetchone()
            if row is not None and row[0]:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the backends of {app!r} did not exit within 10 s")

    return kill


@contextlib.contextmanager
def _deadline(store: Any, seconds: float) -> Iterator[None]:
    deadlines = store.connection._deadlines
    before = deadlines.limit
    deadlines.limit = seconds
    try:
        yield
    finally:
        deadlines.limit = before


@pytest.fixture
def statement_deadline() -> Callable[[Any, float], contextlib.AbstractContextManager[None]]:
    """``with statement_deadline(store, 0.3):`` -- the store's per-attempt bound (``operation_timeout``) tightened for
    the calls in the block only. A fault test builds its store with a comfortable bound and tightens it around the
    call it times: with the tight bound from the start, ``init()`` itself (DDL that may wait for a catalog lock held
    by another test's schema, or a loaded machine) ran out of it now and then (seen: 0.3 s, with a contract suite
    running beside the plugin tests)."""
    return _deadline
