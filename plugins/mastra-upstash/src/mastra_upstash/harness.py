"""The contract-suite harnesses: ``upstash`` (Redis protocol, ``MASTRA_TEST_REDIS_URL``) and ``upstash-rest``
(Upstash's REST API, against the stand-in of ``MASTRA_TEST_UPSTASH_REST_URL``), a unique key prefix per namespace.

Start Redis with ``bash scripts/services/start.sh redis`` (it prints the URL). A missing URL or an
unreachable server is an error, never a skip. Cleanup deletes the namespace's keys (SCAN is fine
here: it is test cleanup, not an operation path).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mastra_core import Storage, create_storage

from .config import UpstashConfig
from .transport import RestError, RestTransport

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


def fault_upstream() -> tuple[str, int]:
    """Redis's TCP address (the fault suite's chaos proxy forwards there)."""
    parts = urlsplit(redis_url())
    return parts.hostname or "127.0.0.1", parts.port or 6379


async def make_proxied_storage(namespace: str, host: str, port: int, **overrides: Any) -> Storage:
    """An un-initialised storage on the key prefix of ``namespace`` reaching Redis through ``host:port``."""
    url = urlsplit(redis_url())._replace(netloc=f"{host}:{port}").geturl()
    config: dict[str, Any] = {"url": url, "prefix": prefix_for(namespace)}
    config.update(overrides)
    return create_storage("upstash", id=f"conformance-{namespace}", **config)


# --- upstash-rest: the same store over Upstash's REST API ------------------------------------------

REST_ENV = ("MASTRA_TEST_UPSTASH_REST_URL", "MASTRA_TEST_UPSTASH_REST_TOKEN")
_answering: set[str] = set()


def rest_env() -> tuple[str, str]:
    """The REST stand-in's URL and token (``bash scripts/services/start.sh upstash-rest`` prints them)."""
    url, token = (os.environ.get(k, "").strip() for k in REST_ENV)
    if not url or not token:
        raise RuntimeError(f"{REST_ENV[0]}/{REST_ENV[1]} are not set: run "
                           "`bash scripts/services/start.sh upstash-rest` and export what it prints")
    return url, token


class RestHarness:
    """``upstash-rest``: the store over Upstash's REST API (the stand-in in front of Redis), one prefix per namespace.

    A missing variable or a stand-in that does not answer PING is an error, never a skip; cleanup deletes the
    namespace's keys through the REST API itself.
    """

    BACKEND_ID: ClassVar[str] = "upstash"
    PROBE_CONFIG: ClassVar[dict[str, Any]] = {"url": "https://probe.upstash.io", "token": "probe"}

    async def make_storage(self, namespace: str, **overrides: Any) -> Storage:
        """An un-initialised REST storage on the key prefix of ``namespace`` (the stand-in is pinged first)."""
        url, token = rest_env()
        if url not in _answering:
            transport = self._transport()
            await transport.open()
            try:
                if await transport.call("PING") != "PONG":
                    raise RuntimeError(f"the Upstash REST stand-in at {url} did not answer PONG")
            except RestError as exc:
                raise RuntimeError(f"the Upstash REST stand-in at {url} does not answer: {exc}") from None
            finally:
                await transport.close()
            _answering.add(url)
        config: dict[str, Any] = {"url": url, "token": token, "prefix": prefix_for(namespace)}
        config.update(overrides)
        return create_storage("upstash", id=f"conformance-{namespace}", **config)

    async def cleanup(self, namespace: str) -> None:
        """Delete every key of the namespace, through the REST API."""
        transport = self._transport()
        await transport.open()
        try:
            batch: list[str] = []
            async for key in transport.scan(prefix_for(namespace).replace("*", "\\*") + "*", 1000):
                batch.append(key)
                if len(batch) >= 500:
                    await transport.call("UNLINK", *batch)
                    batch = []
            if batch:
                await transport.call("UNLINK", *batch)
        finally:
            await transport.close()

    def fault_upstream(self) -> tuple[str, int]:
        """The REST stand-in's TCP address (the fault suite's chaos proxy forwards there)."""
        parts = urlsplit(rest_env()[0])
        return parts.hostname or "127.0.0.1", parts.port or 80

    async def make_proxied_storage(self, namespace: str, host: str, port: int, **overrides: Any) -> Storage:
        """An un-initialised REST storage on the key prefix of ``namespace`` whose requests go through
        ``host:port``."""
        url, token = rest_env()
        proxied = urlsplit(url)._replace(netloc=f"{host}:{port}").geturl()
        config: dict[str, Any] = {"url": proxied, "token": token, "prefix": prefix_for(namespace)}
        config.update(overrides)
        return create_storage("upstash", id=f"conformance-{namespace}", **config)

    @staticmethod
    def _transport() -> RestTransport:
        url, token = rest_env()
        return RestTransport(UpstashConfig(url=url, token=token), {})


rest_harness = RestHarness()
