"""A planted token shows in no output channel: reprs, connect errors, DEBUG logs, ``mastra init`` (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.registry import open_storage
from mastra_core.testing.secrets import SECRET, secret_leaks
from mastra_upstash import UpstashStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_password_in_a_redis_url_never_shows() -> None:
    url = f"redis://default:{SECRET}@127.0.0.1:{_closed_port()}/0"
    assert await secret_leaks(lambda: open_storage(url), cli_url=url) == []


async def test_a_rest_token_never_shows() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    assert await secret_leaks(lambda: UpstashStore(id="s", url=url, token=SECRET)) == []
