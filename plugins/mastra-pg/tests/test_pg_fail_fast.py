"""Connecting fails fast and says why: closed port, missing database, unknown role, bad URL options; the CLI's
exit codes (issue 13). Time bounds are generous: they catch a 10-second pool wait, not a slow machine."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import psycopg
import pytest
from mastra_core.cli import EXIT_CONFIG, EXIT_CONNECT, main
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import ConfigError
from mastra_core.registry import open_storage
from psycopg import sql


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _with(pg_url: str, *, port: int | None = None, database: str | None = None, user: str | None = None) -> str:
    parts = urlsplit(pg_url)
    netloc = f"{user or parts.username or 'postgres'}:s3cret@{parts.hostname}:{port or parts.port or 5432}"
    return parts._replace(netloc=netloc, path="/" + (database or parts.path.lstrip("/"))).geturl()


@pytest.mark.parametrize(("kind", "reason", "words"), [
    ("port", "refused", "Connection refused"),
    ("database", "database_missing", "does not exist"),
    ("user", "auth_failed", "mastra_no_such_role"),
])
async def test_init_fails_fast_with_the_root_cause(pg_url: str, kind: str, reason: str, words: str) -> None:
    url = {"port": _with(pg_url, port=_closed_port()), "database": _with(pg_url, database="mastra_no_such_db"),
           "user": _with(pg_url, user="mastra_no_such_role")}[kind]
    store = open_storage(url)
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as info:
        await store.init()
    assert time.monotonic() - started < 15
    err = info.value
    assert err.reason == reason and words in str(err)
    assert "s3cret" not in str(err) and "***" in str(err)
    assert err.id == "MASTRA_STORAGE_PG_CONNECT_FAILED"
    await store.close()


@pytest.mark.parametrize("query", ["bogus=1", "schema=x", "max_pool_size=many"])
def test_malformed_url_options_are_config_errors(pg_url: str, query: str) -> None:
    with pytest.raises(ConfigError):
        open_storage(f"{pg_url}?{query}")


def test_url_options_reach_the_config(pg_url: str) -> None:
    store = open_storage(f"{pg_url}?schema_name=fc_opts&connect_timeout=2&max_pool_size=3&sslmode=disable")
    assert store.config.schema_name == "fc_opts" and store.config.connect_timeout == 2.0
    assert store.config.max_pool_size == 3 and "sslmode=disable" in store.config.connection_string


def test_cli_exit_codes(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", _with(pg_url, port=_closed_port())]) == EXIT_CONNECT
    assert main(["prune", _with(pg_url, database="mastra_no_such_db")]) == EXIT_CONNECT
    assert main(["init", f"{pg_url}?schema_name=x&bogus=1"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err and "s3cret" not in err


def test_schema_version_and_dry_run(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    schema = f"fc_{int(time.time() * 1000) % 10**9}"
    url = f"{pg_url}?schema_name={schema}"
    try:
        assert main(["init", url]) == 0
        assert main(["init", url]) == 0
        assert main(["prune", "--dry-run", url]) == 0
        out = capsys.readouterr().out
        assert "schema: created at version" in out and "already current; nothing changed" in out
        assert "would delete" in out
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
