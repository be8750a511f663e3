"""First contact: connection failures say why, URL options parse the same way, the CLI's exit codes, --version,
prune --dry-run and a clean Ctrl-C (issue 13, items 1 and 5)."""

from __future__ import annotations

import socket
import types
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from mastra_core.cli import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_OK, exit_code, main
from mastra_core.commands import schema_report
from mastra_core.connect import ConnectionFailedError, classify, connection_error, root_cause
from mastra_core.errors import ConfigError, StorageError
from mastra_core.hookspecs import Register, hookimpl
from mastra_core.registry import cache_clear, plugin_manager
from mastra_core.urlopts import split_url_options


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    cache_clear()
    yield
    cache_clear()


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_refused_connection_is_classified_with_its_root_cause() -> None:
    with socket.socket() as s, pytest.raises(OSError) as info:
        s.connect(("127.0.0.1", closed_port()))
    err = connection_error("Thing", "thing://admin:s3cret@127.0.0.1:1/db", info.value)
    assert isinstance(err, ConnectionFailedError) and err.reason == "refused"
    assert "refused" in str(err).lower() and "is the server running" in str(err)
    assert "s3cret" not in str(err) and "***" in err.target
    assert exit_code(err) == 4


def test_an_unknown_host_is_classified() -> None:
    with pytest.raises(socket.gaierror) as info:
        socket.getaddrinfo("no-such-host.invalid", 80)
    assert classify(info.value) == "unknown_host"


@pytest.mark.parametrize(("message", "reason"), [
    ('FATAL: database "nope" does not exist', "database_missing"),
    ('FATAL: role "nope" does not exist', "auth_failed"),
    ('FATAL: password authentication failed for user "x"', "auth_failed"),
    ("WRONGPASS invalid username-password pair", "auth_failed"),
    ("Hrana: `api error: `status=401 Unauthorized, body=...``", "auth_failed"),
    ("server does not support SSL, but SSL was required", "tls"),
    ("something else entirely", "unknown"),
])
def test_driver_messages_are_classified(message: str, reason: str) -> None:
    assert classify(RuntimeError(message)) == reason


def test_the_root_cause_walks_the_chain_and_drops_driver_state() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as inner:
            raise RuntimeError("pool timeout, Topology Description: <lots>") from inner
    except RuntimeError as exc:
        assert classify(exc) == "refused"
        assert "Topology" not in root_cause(exc)


@attrs.define(kw_only=True)
class _Options:
    prefix: str = "m:"
    connect_timeout: float = 5.0
    max_pool_size: int = 10
    health_check: bool = True
    client: Any = None


def test_url_options_are_parsed_by_type_and_driver_options_kept() -> None:
    url, options = split_url_options("x://h/db?prefix=app:&connectTimeout=2.5&max_pool_size=3&health_check=no&ssl=1",
                                     _Options, backend="x", passthrough={"ssl"})
    assert options == {"prefix": "app:", "connect_timeout": 2.5, "max_pool_size": 3, "health_check": False}
    assert url == "x://h/db?ssl=1"


@pytest.mark.parametrize("query", ["bogus=1", "client=x", "max_pool_size=many", "health_check=maybe"])
def test_bad_url_options_are_config_errors(query: str) -> None:
    with pytest.raises(ConfigError):
        split_url_options(f"x://h/db?{query}", _Options, backend="x")


def test_cli_config_errors_exit_3_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "foo"]) == EXIT_CONFIG
    assert main(["init", "nosuch://x"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("error:") == 2


def test_cli_reads_the_url_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_URL", "memory:")
    assert main(["init"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "initialised inmemory storage" in out and "schema: not versioned" in out


def test_version_lists_core_and_plugins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == EXIT_OK
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("mastra-core ")


def test_prune_dry_run_counts_and_deletes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prune", "--dry-run", "memory:"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "dry run: nothing deleted" in out and "would delete" in out


def test_every_argument_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("init", "prune"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "storage URL" in out and "MASTRA_STORAGE_URL" in out
    with pytest.raises(SystemExit):
        main(["prune", "--help"])
    assert "count what would be deleted" in capsys.readouterr().out


def test_ctrl_c_exits_130_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(argv: list[str]) -> int:
        raise KeyboardInterrupt

    module = types.ModuleType("test-sleepy")

    def mastra_register_commands(register: Register) -> None:
        register("sleepy", "wait forever", interrupted)

    module.mastra_register_commands = hookimpl(mastra_register_commands)  # type: ignore[attr-defined]
    plugin_manager().register(module, name="test-sleepy")
    assert main(["sleepy"]) == EXIT_INTERRUPTED
    assert capsys.readouterr().err.strip() == "interrupted"


def test_schema_report_wording() -> None:
    assert schema_report(0, 2) == "schema: created at version 2"
    assert schema_report(1, 2) == "schema: migrated from version 1 to 2"
    assert "nothing changed" in schema_report(2, 2)
    assert "not versioned" in schema_report(None, None)


def test_exit_codes_by_category() -> None:
    assert exit_code(ConfigError("x")) == 3
    assert exit_code(StorageError("x", category="THIRD_PARTY")) == 5  # type: ignore[arg-type]
    assert exit_code(StorageError("x")) == 6


def test_a_missing_backend_says_how_to_install_it_from_the_checkout(monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MASTRA_DISABLE_PLUGINS", "mastra-upstash")
    cache_clear()
    assert main(["init", "redis://127.0.0.1:6379/0"]) == EXIT_CONFIG
    err = capsys.readouterr().err
    assert "pip install mastra-upstash" in err and "pip install -e plugins/mastra-upstash" in err


def test_every_installed_command_documents_every_argument(capsys: pytest.CaptureFixture[str]) -> None:
    """``--help`` of each registered command shows a help text for each of its arguments."""
    from mastra_core.registry import registry

    for name in sorted(registry().commands):
        with pytest.raises(SystemExit):
            main([name, "--help"])
        out = capsys.readouterr().out
        # only the argument sections: a long usage line wraps, and its continuation lines are not arguments
        body = out.split("\n\n", 1)[1] if "\n\n" in out else out
        options = [line for line in body.splitlines() if line.startswith("  ") and not line.strip().startswith("-h")]
        for line in options:
            stripped = line.strip()
            if stripped.startswith(("-", "url")) and "  " not in stripped:
                # argparse puts an argument's help on its own line when the name is long: check the next line
                following = body.splitlines()[body.splitlines().index(line) + 1]
                assert following.startswith(" " * 10), f"mastra {name}: {stripped} has no help"
