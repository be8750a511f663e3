"""The Upstash REST harness: the same store over Upstash's REST API, against the local stand-in.

``bash scripts/services/start.sh upstash-rest`` starts (or reuses) the stand-in of Upstash's REST API in
front of the machine's Redis (its own DB number) and prints ``MASTRA_TEST_UPSTASH_REST_URL``,
``MASTRA_TEST_UPSTASH_REST_TOKEN`` and ``MASTRA_TEST_UPSTASH_REST_REDIS_URL`` (the Redis behind it). A
missing variable or a stand-in that does not answer is an error, never a skip. Each namespace gets the
prefix ``mastra-test:<namespace>:``; cleanup deletes that prefix's keys through the REST API itself.
"""

from __future__ import annotations

import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "upstash"
PROBE_CONFIG = {"url": "https://probe.upstash.io", "token": "probe"}
_checked: set[str] = set()


def rest_env() -> tuple[str, str]:
    """The stand-in's URL and token (from start.sh's env lines)."""
    url = os.environ.get("MASTRA_TEST_UPSTASH_REST_URL", "").strip()
    token = os.environ.get("MASTRA_TEST_UPSTASH_REST_TOKEN", "").strip()
    if not url or not token:
        raise RuntimeError("MASTRA_TEST_UPSTASH_REST_URL/_TOKEN are not set: run "
                           "`bash scripts/services/start.sh upstash-rest` and export what it prints")
    return url, token


def prefix_for(namespace: str) -> str:
    return f"mastra-test:{namespace}:"


def _check(url: str, token: str) -> None:
    if url in _checked:
        return
    import httpx

    try:
        reply = httpx.post(url, json=["PING"], headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    except (httpx.HTTPError, ValueError) as exc:
        raise RuntimeError(f"the Upstash REST stand-in at {url} does not answer: {type(exc).__name__}") from None
    if reply.get("result") != "PONG":
        raise RuntimeError(f"the Upstash REST stand-in at {url} answered {reply!r} to PING")
    _checked.add(url)


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    url, token = rest_env()
    _check(url, token)
    config: dict[str, Any] = {"url": url, "token": token, "prefix": prefix_for(namespace)}
    config.update(overrides)
    return create_storage("upstash", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    from mastra_upstash.config import UpstashConfig
    from mastra_upstash.transport import RestTransport

    url, token = rest_env()
    transport = RestTransport(UpstashConfig(url=url, token=token), {})
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
