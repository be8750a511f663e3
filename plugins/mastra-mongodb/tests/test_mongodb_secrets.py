"""A planted URI password shows in no output channel: reprs, connect errors, DEBUG logs, ``mastra init`` (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.registry import open_storage
from mastra_core.testing.secrets import SECRET, secret_leaks
from mastra_mongodb import MongoDBStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_password_in_the_uri_never_shows() -> None:
    url = f"mongodb://admin:{SECRET}@127.0.0.1:{_closed_port()}/app?connect_timeout=2"
    assert await secret_leaks(lambda: open_storage(url), cli_url=url) == []


async def test_a_password_in_the_client_options_never_shows() -> None:
    url = f"mongodb://127.0.0.1:{_closed_port()}/app"
    assert await secret_leaks(lambda: MongoDBStore(
        id="s", uri=url, options={"username": "admin", "password": SECRET}, connect_timeout=2
    )) == []
