"""Fixtures of the Upstash-only tests (helpers live in upstash_helpers.py).

Every test that builds its store through ``make_store`` (or ``recorded``) runs on both transports: the
Redis protocol (redis-py, ``MASTRA_TEST_REDIS_URL``) and Upstash's REST API (httpx, against the stand-in
``MASTRA_TEST_UPSTASH_REST_URL``). ``raw`` is a plain redis-py client on the Redis behind the store under
test, for looking at keys directly. Tests of redis-py specifics (a caller-supplied client) use
``make_redis_store``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from mastra_core import create_storage
from mastra_upstash import UpstashStore
from upstash_helpers import (
    Recorder,
    backing_redis_url,
    drop_prefix,
    new_prefix,
    recording_client,
    recording_http_client,
    redis_url,
    rest_env,
)

TRANSPORTS = ["redis", "rest"]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The transport of the store under test."""
    return str(request.param)


def store_config(transport: str) -> dict[str, Any]:
    """Where a store of ``transport`` connects: the Redis URL, or the REST stand-in's URL and token."""
    if transport == "rest":
        url, token = rest_env()
        return {"url": url, "token": token}
    return {"url": redis_url()}


async def _raw_client(url: str) -> Any:
    client = redis.Redis.from_url(url, decode_responses=True)
    await client.ping()
    return client


@pytest.fixture
async def raw(transport: str) -> AsyncIterator[Any]:
    """A plain client on the Redis behind the store under test (the REST stand-in's own DB for ``rest``)."""
    client = await _raw_client(backing_redis_url(transport))
    yield client
    await client.aclose()


@pytest.fixture
async def redis_raw() -> AsyncIterator[Any]:
    """A plain client on the test Redis (DB of ``MASTRA_TEST_REDIS_URL``)."""
    client = await _raw_client(redis_url())
    yield client
    await client.aclose()


def _store_factory(transport: str, raw: Any,
                   made: list[tuple[UpstashStore, str]]) -> Callable[..., Awaitable[UpstashStore]]:
    async def make(prefix: str | None = None, **config: Any) -> UpstashStore:
        p = prefix or new_prefix()
        if "client" not in config:
            for key, value in store_config(transport).items():
                config.setdefault(key, value)
        store = create_storage("upstash", id=f"test-{p}", prefix=p, **config)
        await store.init()
        made.append((store, p))
        return store  # type: ignore[return-value]

    return make


@pytest.fixture
async def make_store(transport: str, raw: Any) -> AsyncIterator[Callable[..., Awaitable[UpstashStore]]]:
    """Build initialised stores of the transport under test on fresh prefixes; closes them and deletes their keys."""
    made: list[tuple[UpstashStore, str]] = []
    yield _store_factory(transport, raw, made)
    for store, p in made:
        await store.close()
        await drop_prefix(raw, p)


@pytest.fixture
async def make_redis_store(redis_raw: Any) -> AsyncIterator[Callable[..., Awaitable[UpstashStore]]]:
    """``make_store`` on the Redis protocol only (for redis-py specifics such as a caller-supplied client)."""
    made: list[tuple[UpstashStore, str]] = []
    yield _store_factory("redis", redis_raw, made)
    for store, p in made:
        await store.close()
        await drop_prefix(redis_raw, p)


@pytest.fixture
async def recorded(transport: str,
                   make_store: Callable[..., Awaitable[UpstashStore]]) -> AsyncIterator[tuple[UpstashStore, Recorder]]:
    """A store whose requests are recorded: one list of command names per request (a pipeline is one).

    Redis protocol: a recording redis-py client. REST: an ``httpx.AsyncClient`` whose request hook reads
    each request's JSON body, so both transports are counted the same way, request by request.
    """
    rec = Recorder()
    if transport == "rest":
        http = recording_http_client(rec)
        store = await make_store(http_client=http)
        yield store, rec
        await http.aclose()
    else:
        client = recording_client(redis_url(), rec, max_connections=4)
        store = await make_store(client=client)
        yield store, rec
        await client.aclose()
