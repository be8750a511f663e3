"""Fixtures of the Upstash-only tests (helpers live in upstash_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from mastra_core import create_storage
from mastra_upstash import UpstashStore
from upstash_helpers import Recorder, drop_prefix, new_prefix, recording_client, redis_url


@pytest.fixture
async def raw() -> AsyncIterator[Any]:
    """A plain client on the test Redis, for looking at keys directly."""
    client = redis.Redis.from_url(redis_url(), decode_responses=True)
    await client.ping()
    yield client
    await client.aclose()


@pytest.fixture
async def make_store(raw: Any) -> AsyncIterator[Callable[..., Awaitable[UpstashStore]]]:
    """Build initialised stores on fresh prefixes; closes them and deletes their keys afterwards."""
    made: list[tuple[UpstashStore, str]] = []

    async def make(prefix: str | None = None, **config: Any) -> UpstashStore:
        p = prefix or new_prefix()
        if "client" not in config:
            config.setdefault("url", redis_url())
        store = create_storage("upstash", id=f"test-{p}", prefix=p, **config)
        await store.init()
        made.append((store, p))
        return store  # type: ignore[return-value]

    yield make
    for store, p in made:
        await store.close()
        await drop_prefix(raw, p)


@pytest.fixture
async def recorded(make_store: Callable[..., Awaitable[UpstashStore]]) -> AsyncIterator[tuple[UpstashStore, Recorder]]:
    """A store on a recording client (one connection, so trips are sequential and countable)."""
    rec = Recorder()
    client = recording_client(redis_url(), rec, max_connections=4)
    store = await make_store(client=client)
    yield store, rec
    await client.aclose()


