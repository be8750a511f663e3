"""Fixtures of the DynamoDB-only tests: a fresh table per test on DynamoDB Local (MASTRA_TEST_DYNAMODB_ENDPOINT)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

ENV = "MASTRA_TEST_DYNAMODB_ENDPOINT"
CREDENTIALS = {"access_key_id": "local", "secret_access_key": "local"}


@pytest.fixture(scope="session")
def endpoint() -> str:
    url = os.environ.get(ENV)
    if not url:
        raise RuntimeError(f"{ENV} is not set: run `bash scripts/services/start.sh dynamodb` and export what it prints")
    return url


@pytest.fixture(scope="session")
def client(endpoint: str) -> Any:
    from mastra_dynamodb import make_client

    return make_client(endpoint=endpoint, credentials=CREDENTIALS)


class RequestCounter:
    """Counts requests the client sends, by operation name (a botocore ``before-send`` hook)."""

    def __init__(self) -> None:
        self.ops: list[str] = []

    def __call__(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        self.ops.append((target.decode() if isinstance(target, bytes) else str(target)).split(".")[-1])

    def reset(self) -> None:
        self.ops.clear()


@pytest.fixture
def table(client: Any) -> Iterator[str]:
    """A fresh table (the store's layout) for tests that send raw calls; deleted afterwards."""
    from mastra_dynamodb import create_table

    name = f"mastra-ddbtest-raw-{uuid.uuid4().hex[:10]}"
    create_table(name, client=client)
    yield name
    client.delete_table(TableName=name)


@pytest.fixture
async def make_store(endpoint: str, client: Any) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Build DynamoDBStores on fresh tables (created first unless ``create=False``); tables are deleted afterwards."""
    from mastra_dynamodb import DynamoDBStore, create_table

    made: list[tuple[Any, str]] = []

    async def make(*, create: bool = True, ttl_attribute: str = "ttl", table: str | None = None, **config: Any) -> Any:
        name = table or f"mastra-ddbtest-{uuid.uuid4().hex[:12]}"
        if create:
            await asyncio.to_thread(create_table, name, client=client, ttl_attribute=ttl_attribute)
        config.setdefault("endpoint", endpoint)
        config.setdefault("credentials", CREDENTIALS)
        store = DynamoDBStore(id=f"test-{name}", table_name=name, **config)
        made.append((store, name))
        return store

    yield make
    for store, name in made:
        await store.close()
        try:
            await asyncio.to_thread(client.delete_table, TableName=name)
        except client.exceptions.ResourceNotFoundException:
            pass


@pytest.fixture
async def store(make_store: Callable[..., Awaitable[Any]]) -> Any:
    s = await make_store()
    await s.init()
    return s


@pytest.fixture
def counter(store: Any) -> RequestCounter:
    c = RequestCounter()
    store.client.meta.events.register("before-send.dynamodb.*", c)
    yield c
    store.client.meta.events.unregister("before-send.dynamodb.*", c)


class StepCounter:
    """Sequential request steps of the store's calls: a call's step is one more than the highest step of the calls
    that had completed when it was sent (so requests sent together share a step, and one sent after another's reply
    is a step later). ``steps`` is the longest such chain since :meth:`reset`."""

    def __init__(self, db: Any) -> None:
        self.done = 0
        self.steps = 0
        self._call = db.call

        async def call(method: str, **kwargs: Any) -> Any:
            step = self.done + 1
            self.steps = max(self.steps, step)
            try:
                return await self._call(method, **kwargs)
            finally:
                self.done = max(self.done, step)

        db.call = call

    def reset(self) -> None:
        self.done = self.steps = 0


@pytest.fixture
def steps(store: Any) -> StepCounter:
    return StepCounter(store.db)


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thread counters are backfilled at once (no wait for GSI propagation: DynamoDB Local's GSIs are synchronous)."""
    from mastra_dynamodb.domains import thread_counts

    monkeypatch.setattr(thread_counts, "SETTLE_MS", 0)
