"""The Upstash/Redis harness: a unique key prefix per namespace on the Redis of ``MASTRA_TEST_REDIS_URL``.

Start Redis with ``bash scripts/services/start.sh redis`` (it prints the URL). A missing URL or an
unreachable server is an error, never a skip. Cleanup deletes the namespace's keys (SCAN is fine
here: it is test cleanup, not an operation path).
"""

from __future__ import annotations

import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "upstash"
ENV = "MASTRA_TEST_REDIS_URL"
PROBE_CONFIG = {"url": "redis://127.0.0.1:6379/0"}


def redis_url() -> str:
    """``MASTRA_TEST_REDIS_URL``; an error when unset."""
    url = os.environ.get(ENV)
    if not url:
        raise RuntimeError(f"{ENV} is not set: run `bash scripts/services/start.sh redis` and export what it prints")
    return url


def prefix_for(namespace: str) -> str:
    """The key prefix of ``namespace``."""
    return f"mastra-test:{namespace}:"


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """An un-initialised storage on the key prefix of ``namespace`` (Redis is pinged first)."""
    import redis.asyncio as redis

    url = redis_url()
    client = redis.Redis.from_url(url)
    try:
        await client.ping()  # fail loudly now, not in the middle of a test
    except Exception as exc:
        raise RuntimeError(f"Redis at {ENV} is not answering: {type(exc).__name__}: {exc}") from exc
    finally:
        await client.aclose()
    config: dict[str, Any] = {"url": url, "prefix": prefix_for(namespace)}
    config.update(overrides)
    return create_storage("upstash", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    """Delete every key of the namespace."""
    import redis.asyncio as redis

    client = redis.Redis.from_url(redis_url())
    try:
        batch = []
        async for key in client.scan_iter(match=prefix_for(namespace).replace("*", "\\*") + "*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                await client.unlink(*batch)
                batch = []
        if batch:
            await client.unlink(*batch)
    finally:
        await client.aclose()
