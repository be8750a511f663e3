"""Connecting fails fast and says why (a PING at init); the CLI fails on a dead server (issue 13)."""

from __future__ import annotations

import socket
import time

import pytest
from mastra_core.cli import EXIT_CONFIG, EXIT_CONNECT, main
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import ConfigError
from mastra_core.registry import open_storage


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_init_pings_and_fails_fast_on_a_closed_port() -> None:
    store = open_storage(f"redis://:s3cret@127.0.0.1:{_closed_port()}/7")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert time.monotonic() - started < 15
    assert info.value.reason == "refused" and "s3cret" not in str(info.value)
    assert info.value.id == "MASTRA_STORAGE_UPSTASH_CONNECT_FAILED"


def test_cli_init_and_prune_fail_on_a_dead_server(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/7"
    assert main(["init", url]) == EXIT_CONNECT
    assert main(["prune", url]) == EXIT_CONNECT
    assert "Traceback" not in capsys.readouterr().err


def test_url_options() -> None:
    store = open_storage("redis://127.0.0.1:6379/0?prefix=app:&connect_timeout=2&max_connections=4")
    assert store.config.prefix == "app:" and store.config.connect_timeout == 2.0
    assert store.config.max_connections == 4
    with pytest.raises(ConfigError):
        open_storage("redis://127.0.0.1:6379/0?bogus=1")
    assert main(["init", "redis://127.0.0.1:6379/0?bogus=1"]) == EXIT_CONFIG
