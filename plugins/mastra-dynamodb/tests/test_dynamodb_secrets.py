"""Planted AWS keys show in no output channel: reprs, connect errors, DEBUG logs (issue 12)."""

from __future__ import annotations

import socket

from mastra_core.testing.secrets import SECRET, secret_leaks
from mastra_dynamodb import DynamoDBStore


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_secret_keys_never_show() -> None:
    credentials = {"access_key_id": "AKIDPLANTED", "secret_access_key": SECRET, "session_token": SECRET}
    assert await secret_leaks(lambda: DynamoDBStore(
        id="s", table_name="values_secrets", endpoint=f"http://127.0.0.1:{_closed_port()}",
        credentials=credentials, connect_timeout=2,
    )) == []
