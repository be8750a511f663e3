"""mastra-langchain tests run on inmemory, libSQL (a file) and PostgreSQL (a fresh schema) when installed.

Storages are built with the public API (``create_storage``) so these tests depend on no harness. pg
needs ``MASTRA_TEST_PG_URL`` (``nox -s langchain`` starts PostgreSQL with pgvector): when mastra-pg is
installed and the URL is missing, that is an error, never a skip. ``MASTRA_LANGCHAIN_BACKENDS=inmemory,libsql``
narrows the run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from mastra_core import create_storage
from mastra_core.sync import SyncStorage


def _available() -> list[str]:
    found = ["inmemory"]
    if importlib.util.find_spec("mastra_libsql") is not None:
        found.append("libsql")
    if importlib.util.find_spec("mastra_pg") is not None:
        found.append("pg")
    only = os.environ.get("MASTRA_LANGCHAIN_BACKENDS")
    if only:
        wanted = [b.strip() for b in only.split(",") if b.strip()]
        missing = [b for b in wanted if b not in found]
        if missing:
            raise RuntimeError(f"MASTRA_LANGCHAIN_BACKENDS asks for {missing}, not installed here (found {found})")
        found = wanted
    return found


BACKENDS = _available()


def pytest_report_header(config: pytest.Config) -> str:
    return f"langchain backends: {', '.join(BACKENDS)}"


class Backend:
    """One backend on a fresh namespace: ``storage()`` and ``vector()`` build (not open) its stores."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.namespace = f"lc{uuid.uuid4().hex[:12]}"
        self.dir = Path(tempfile.mkdtemp(prefix="mastra-langchain-tests-"))
        self.url = os.environ.get("MASTRA_TEST_PG_URL", "")
        if name == "pg" and not self.url:
            raise RuntimeError("pg tests need MASTRA_TEST_PG_URL (run `nox -s langchain`, which starts PostgreSQL)")

    @property
    def db_url(self) -> str:
        """A URL ``open_storage`` understands (libsql: the file; pg: the server)."""
        return f"file:{self.dir / 'history.db'}" if self.name == "libsql" else self.url

    def storage(self) -> Any:
        if self.name == "inmemory":
            return create_storage("inmemory", id=f"lc-{self.namespace}")
        if self.name == "libsql":
            return create_storage("libsql", id=f"lc-{self.namespace}", url=self.db_url)
        return create_storage("pg", id=f"lc-{self.namespace}", connection_string=self.url, schema_name=self.namespace)

    def vector(self, storage: Any) -> Any:
        if self.name == "inmemory":
            from mastra_core.inmemory.vector import InMemoryVector

            return InMemoryVector()
        if self.name == "libsql":
            from mastra_libsql.vector import LibSQLVector

            return LibSQLVector.from_storage(storage)
        from mastra_pg import PgVector

        return PgVector(connection_string=self.url, schema_name=self.namespace)

    def cleanup(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        if self.name == "pg":
            import psycopg
            from psycopg import sql

            with psycopg.connect(self.url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.namespace)))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    b = Backend(request.param)
    try:
        yield b
    finally:
        b.cleanup()


@pytest.fixture
async def storage(backend: Backend) -> AsyncIterator[Any]:
    """An async storage, initialised, on the test's loop."""
    s = backend.storage()
    await s.init()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def sync_storage(backend: Backend) -> Iterator[SyncStorage]:
    """A SyncStorage (its own loop), initialised."""
    s = SyncStorage(backend.storage())
    s.init()
    try:
        yield s
    finally:
        s.close()
