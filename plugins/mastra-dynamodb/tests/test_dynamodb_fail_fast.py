"""Connecting fails fast and says why (DescribeTable at init on a client that does not retry for long); missing
credentials are a ConfigError; URL options (issue 13)."""

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


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    import boto3

    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the credentials an earlier test resolved


async def test_init_fails_fast_on_a_closed_port(fake_credentials: None) -> None:
    store = open_storage(f"dynamodb://127.0.0.1:{_closed_port()}/mastra-table")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert time.monotonic() - started < 15
    assert info.value.reason == "refused" and info.value.id == "MASTRA_STORAGE_DYNAMODB_CONNECT_FAILED"
    await store.close()


async def test_missing_credentials_are_a_config_error(no_credentials: None, endpoint: str) -> None:
    store = open_storage(f"dynamodb://{endpoint.split('://', 1)[1]}/mastra-table")
    with pytest.raises(ConfigError) as info:
        await store.init()
    assert info.value.id == "MASTRA_STORAGE_DYNAMODB_CREDENTIALS_MISSING"
    assert "AWS_ACCESS_KEY_ID" in str(info.value)
    await store.close()


def test_cli_exit_codes(no_credentials: None, endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", f"dynamodb://{endpoint.split('://', 1)[1]}/mastra-table"]) == EXIT_CONFIG
    assert "Traceback" not in capsys.readouterr().err


def test_cli_exit_code_on_a_closed_port(fake_credentials: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prune", f"dynamodb://127.0.0.1:{_closed_port()}/mastra-table"]) == EXIT_CONNECT
    assert "Traceback" not in capsys.readouterr().err


def test_url_options() -> None:
    store = open_storage("dynamodb://mastra-table?region=eu-west-1&connect_timeout=2&create_table_if_missing=true")
    assert store.config.region == "eu-west-1" and store.config.connect_timeout == 2.0
    assert store.config.create_table_if_missing is True and store.config.table_name == "mastra-table"
    local = open_storage("dynamodb://127.0.0.1:8000/mastra-table?tls=true")
    assert local.config.endpoint == "https://127.0.0.1:8000"
    with pytest.raises(ConfigError):
        open_storage("dynamodb://mastra-table?bogus=1")
