"""A planted password shows in no output channel: reprs, connect errors, DEBUG logs, ``mastra init`` (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.registry import open_storage
from mastra_core.testing.secrets import SECRET, secret_leaks


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_password_in_the_url_never_shows() -> None:
    url = f"mysql://app:{SECRET}@127.0.0.1:{_closed_port()}/db?connect_timeout=2"
    assert await secret_leaks(lambda: open_storage(url), cli_url=url) == []
