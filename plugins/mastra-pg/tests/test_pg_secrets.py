"""A planted password shows in no output channel: reprs, connect errors, DEBUG logs, ``mastra init`` (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.registry import open_storage
from mastra_core.testing.secrets import SECRET, secret_leaks
from mastra_pg import PostgresStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_password_in_the_connection_string_never_shows() -> None:
    url = f"postgresql://app:{SECRET}@127.0.0.1:{_closed_port()}/db?connect_timeout=2"
    assert await secret_leaks(lambda: open_storage(url), cli_url=url) == []


async def test_a_password_option_and_ssl_password_never_show() -> None:
    port = _closed_port()
    assert await secret_leaks(lambda: PostgresStore(
        id="s", host="127.0.0.1", port=port, database="db", user="app", password=SECRET,
        ssl={"sslmode": "disable", "sslpassword": SECRET}, connect_timeout=2,
    )) == []
