"""Fixtures of the MongoDB plugin tests: a real server (``MONGODB_URI``, else jongodb's ``MASTRA_TEST_MONGODB_URI``)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from mastra_mongodb import MongoDBStore
from mastra_mongodb.schema import COLLECTIONS


def server_uri() -> str:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MASTRA_TEST_MONGODB_URI")
    if not uri:
        raise RuntimeError("no MongoDB server: set MONGODB_URI or run `bash scripts/services/start.sh jongodb` "
                           "and export MASTRA_TEST_MONGODB_URI")
    return uri


def is_jongodb() -> bool:
    return not os.environ.get("MONGODB_URI")


@pytest.fixture
def uri() -> str:
    return server_uri()


@pytest.fixture
async def client(uri: str) -> AsyncIterator[Any]:
    from pymongo import AsyncMongoClient

    c: Any = AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000)
    yield c
    await c.close()


@pytest.fixture
async def make_store(uri: str, client: Any) -> AsyncIterator[Callable[..., Awaitable[MongoDBStore]]]:
    """Stores on fresh databases; each database is dropped (jongodb: emptied) afterwards."""
    made: list[MongoDBStore] = []

    async def make(**config: Any) -> MongoDBStore:
        config.setdefault("db_name", f"mastra_plugin_{uuid.uuid4().hex[:12]}")
        if "client" not in config:
            config.setdefault("uri", uri)
        store = MongoDBStore(id="plugin-test", **config)
        await store.init()
        made.append(store)
        return store

    yield make
    for store in made:
        name = store.config.db_name
        await store.close()
        if is_jongodb():
            for col in (*COLLECTIONS, "mastra_schema_version"):
                await client[name][col].delete_many({})
        else:
            await client.drop_database(name)


@pytest.fixture
async def store(make_store: Callable[..., Awaitable[MongoDBStore]]) -> MongoDBStore:
    return await make_store()
