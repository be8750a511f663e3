"""A planted auth token shows in no output channel: reprs, connect errors, DEBUG logs, ``mastra init`` (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.registry import open_storage
from mastra_core.testing.secrets import SECRET, secret_leaks
from mastra_libsql import LibSQLStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_an_auth_token_in_the_url_never_shows() -> None:
    url = f"http://127.0.0.1:{_closed_port()}?authToken={SECRET}"
    assert await secret_leaks(lambda: open_storage(url), cli_url=url) == []


async def test_an_auth_token_option_never_shows() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    assert await secret_leaks(lambda: LibSQLStore(id="s", url=url, auth_token=SECRET)) == []
