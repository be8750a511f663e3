"""Fresh storages on real backends for the integrations' tests.

``available()`` lists the backends installed in the running environment: inmemory always, ``libsql`` (a new
file per storage) when mastra-libsql is installed, ``pg`` (a new schema in MASTRA_TEST_PG_URL's database)
when mastra-pg is, ``dynamodb`` (a new table on MASTRA_TEST_DYNAMODB_ENDPOINT) when mastra-dynamodb is. An
installed backend whose service setting is missing is an error, never a skip. MASTRA_INTEGRATION_BACKENDS
(comma separated) narrows the list. The storages are built directly from each backend's documented options,
so they do not depend on the contract suite's harness mechanism.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

from mastra_core import Storage, create_storage
from mastra_core.sync import SyncStorage

_PLUGINS = {"libsql": "mastra_libsql", "pg": "mastra_pg", "dynamodb": "mastra_dynamodb"}
_DYNAMO_CREDENTIALS = {"access_key_id": "local", "secret_access_key": "local"}  # DynamoDB Local: not secrets


def available() -> list[str]:
    """The backends to test here (see the module docstring)."""
    found = ["inmemory"] + [b for b, mod in _PLUGINS.items() if importlib.util.find_spec(mod) is not None]
    only = os.environ.get("MASTRA_INTEGRATION_BACKENDS")
    if only:
        wanted = [b.strip() for b in only.split(",") if b.strip()]
        missing = [b for b in wanted if b not in found]
        if missing:
            raise RuntimeError(f"MASTRA_INTEGRATION_BACKENDS asks for {missing}; installed here: {found}")
        return wanted
    return found


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run `bash scripts/services/start.sh all` and export what it prints")
    return value


def new_storage(backend: str) -> tuple[Storage, Callable[[], Awaitable[None]]]:
    """A storage on a namespace of its own (built, not opened: it connects on the loop that inits it), and the
    coroutine function that removes the namespace once the storage is closed."""
    ns = f"i{uuid.uuid4().hex[:12]}"

    async def nothing() -> None:
        return None

    if backend == "inmemory":
        return create_storage("inmemory", id=ns), nothing
    if backend == "libsql":
        tmp = Path(tempfile.mkdtemp(prefix="mastra-integrations-"))

        async def remove_dir() -> None:
            shutil.rmtree(tmp, ignore_errors=True)

        return create_storage("libsql", id=ns, url=f"file:{tmp / 'store.db'}"), remove_dir
    if backend == "pg":
        url = _env("MASTRA_TEST_PG_URL")

        async def drop_schema() -> None:
            import psycopg
            from psycopg import sql

            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(ns)))

        storage = create_storage("pg", id=ns, connection_string=url, schema_name=ns, min_pool_size=1, max_pool_size=4)
        return storage, drop_schema
    if backend == "dynamodb":
        from mastra_dynamodb import DynamoDBStore, make_client
        from mastra_dynamodb import create_table as create

        endpoint = _env("MASTRA_TEST_DYNAMODB_ENDPOINT")
        table = f"mastra-int-{ns}"
        client = make_client(endpoint=endpoint, credentials=_DYNAMO_CREDENTIALS)
        create(table, client=client)

        async def drop_table() -> None:
            await asyncio.to_thread(client.delete_table, TableName=table)

        return DynamoDBStore(id=ns, table_name=table, endpoint=endpoint, credentials=_DYNAMO_CREDENTIALS), drop_table
    raise ValueError(f"unknown backend {backend!r}")


@asynccontextmanager
async def fresh_storage(backend: str) -> AsyncIterator[Storage]:
    """An initialised storage on a namespace of its own, removed afterwards."""
    storage, cleanup = await asyncio.to_thread(new_storage, backend)
    try:
        await storage.init()
        yield storage
    finally:
        await storage.close()
        await cleanup()


@contextmanager
def fresh_sync_storage(backend: str) -> Iterator[SyncStorage]:
    """The blocking twin of :func:`fresh_storage` (the storage runs on the facade's own loop thread)."""
    storage, cleanup = new_storage(backend)
    sync = SyncStorage(storage)
    try:
        sync.init()
        yield sync
    finally:
        sync.close()
        asyncio.run(cleanup())
