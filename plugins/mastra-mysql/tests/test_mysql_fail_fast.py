"""Connecting fails fast and says why (closed port, unknown user, missing database with disable_init); URL
options; the CLI's exit codes (issue 13)."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from mastra_core.cli import EXIT_CONFIG, EXIT_CONNECT, main
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import ConfigError
from mastra_core.registry import open_storage
from mastra_mysql.harness import server_url


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _url(*, port: int | None = None, user: str | None = None, database: str = "mastra_fc") -> str:
    parts = urlsplit(server_url())
    netloc = f"{user or parts.username or 'root'}:s3cret@{parts.hostname}:{port or parts.port or 3306}"
    return f"mysql://{netloc}/{database}"


@pytest.mark.parametrize(("kind", "reason"), [("port", "refused"), ("user", "auth_failed")])
async def test_init_fails_fast_with_the_root_cause(kind: str, reason: str) -> None:
    url = _url(port=_closed_port()) if kind == "port" else _url(user="mastra_no_such_user")
    store = open_storage(url)
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert time.monotonic() - started < 15
    assert info.value.reason == reason and "s3cret" not in str(info.value)
    assert info.value.id == "MASTRA_STORAGE_MYSQL_CONNECT_FAILED"


async def test_a_missing_database_is_named_when_init_may_not_create_it() -> None:
    parts = urlsplit(server_url())
    store = open_storage(f"{parts.scheme}://{parts.netloc}/mastra_no_such_db", disable_init=True)
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert info.value.reason == "database_missing"


def test_url_options_and_cli_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    store = open_storage(_url() + "?connect_timeout=2&max_pool_size=3")
    assert store.config.connect_timeout == 2 and store.config.max_pool_size == 3
    with pytest.raises(ConfigError):
        open_storage(_url() + "?bogus=1")
    assert main(["init", _url() + "?bogus=1"]) == EXIT_CONFIG
    assert main(["init", _url(port=_closed_port())]) == EXIT_CONNECT
    assert "Traceback" not in capsys.readouterr().err
