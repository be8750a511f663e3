"""The mastra command: core's commands, plugin commands registered through the hook (help, dispatch), errors."""

from __future__ import annotations

import types
from collections.abc import Iterator

import pytest
from mastra_core import DuplicateBackendError
from mastra_core.cli import main
from mastra_core.hookspecs import Register, hookimpl
from mastra_core.registry import cache_clear, plugin_manager


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    cache_clear()
    yield
    cache_clear()


def _command_plugin(name: str, *commands: tuple[str, str, object]) -> types.ModuleType:
    """A plugin module whose ``mastra_register_commands`` registers ``commands``."""
    module = types.ModuleType(name)

    def mastra_register_commands(register: Register) -> None:
        for command in commands:
            register(*command)

    module.mastra_register_commands = hookimpl(mastra_register_commands)  # type: ignore[attr-defined]
    return module


@pytest.fixture
def hello_calls() -> list[list[str]]:
    """Installs a plugin registering ``mastra hello``; its handler records its argv and returns 3."""
    calls: list[list[str]] = []

    def hello(argv: list[str]) -> int:
        calls.append(argv)
        print("hello from a plugin")
        return 3

    plugin_manager().register(_command_plugin("test-hello", ("hello", "say hello from a plugin", hello)),
                              name="test-hello")
    return calls


def test_backends_lists_inmemory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "inmemory" in out and "mastra-core" in out and "memory, workflows, scores" in out


def test_backends_takes_domains_from_the_registry_when_the_class_declares_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from mastra_core.inmemory import InMemoryStore
    from mastra_core.inmemory.domains.memory import InMemoryMemory

    class Registered(InMemoryStore):
        backend_id = "registered"
        url_schemes = ("registered",)
        declared_domains = ()

    module = types.ModuleType("test-registered")
    module.mastra_register_backends = hookimpl(lambda register: register(Registered))  # type: ignore[attr-defined]
    module.mastra_register_memory_stores = hookimpl(  # type: ignore[attr-defined]
        lambda register: register("registered", InMemoryMemory.factory()))
    plugin_manager().register(module, name="test-registered")
    assert main(["backends"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "| registered" in line)
    assert "| memory " in row and "workflows" not in row


def test_help_lists_core_and_plugin_commands(hello_calls: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name, help_text in (("backends", "list installed backends"), ("init", "create or migrate"),
                            ("prune", "delete records whose TTL"), ("hello", "say hello from a plugin")):
        line = next(line for line in out.splitlines() if line.strip().startswith(name))
        assert help_text in line
    assert hello_calls == []


def test_plugin_command_gets_the_rest_of_the_command_line(hello_calls: list[list[str]],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hello", "world", "--loud"]) == 3
    assert hello_calls == [["world", "--loud"]]
    assert "hello from a plugin" in capsys.readouterr().out


def test_a_plugin_cannot_take_a_core_command(capsys: pytest.CaptureFixture[str]) -> None:
    plugin_manager().register(_command_plugin("test-init", ("init", "mine", lambda argv: 0)), name="test-init")
    assert main(["init", "memory:"]) == 6  # a plugin conflict: an installation problem
    err = capsys.readouterr().err
    assert "command 'init' is registered by both" in err and "test-init" in err
    with pytest.raises(DuplicateBackendError):
        from mastra_core.plugins import registry

        registry()


def test_unknown_command_lists_the_registered_ones(hello_calls: list[list[str]],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'frobnicate'" in err
    assert all(name in err.split("commands:")[1] for name in ("backends", "hello", "init", "prune"))


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: mastra" in capsys.readouterr().err


def test_init_and_prune_on_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "memory:"]) == 0
    assert "initialised" in capsys.readouterr().out
    assert main(["prune", "memory:"]) == 0
    assert "pruned expired records" in capsys.readouterr().out


def test_unknown_backend_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "nosuch://x"]) == 3  # a configuration error
    assert "no installed backend" in capsys.readouterr().err
