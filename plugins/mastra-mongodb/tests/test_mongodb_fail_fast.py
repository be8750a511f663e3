"""Connecting fails fast (hello under a short timeout) and says why; URL options (issue 13)."""

from __future__ import annotations

import socket
import time

import pytest
from mastra_core.cli import EXIT_CONNECT, main
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import ConfigError
from mastra_core.registry import open_storage


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_init_fails_fast_on_a_closed_port() -> None:
    store = open_storage(f"mongodb://admin:s3cret@127.0.0.1:{_closed_port()}/app?connect_timeout=2")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert time.monotonic() - started < 15
    assert info.value.reason == "refused" and "s3cret" not in str(info.value)
    assert "Topology Description" not in str(info.value)


def test_cli_fails_on_a_dead_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", f"mongodb://127.0.0.1:{_closed_port()}/app?connectTimeout=2"]) == EXIT_CONNECT
    assert "Traceback" not in capsys.readouterr().err


def test_url_options_split_from_pymongo_options() -> None:
    store = open_storage("mongodb://127.0.0.1:1/app?connect_timeout=2&use_transactions=false&retryWrites=false")
    assert store.config.connect_timeout == 2.0 and store.config.use_transactions is False
    assert store.config.uri == "mongodb://127.0.0.1:1/app?retryWrites=false"
    with pytest.raises(ConfigError):
        open_storage("mongodb://127.0.0.1:1/app?use_transactions=perhaps")
