"""Discovery through entry points, duplicate and unknown ids, plugin load failures, domain hooks."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from mastra_core import (
    DuplicateBackendError,
    PluginLoadError,
    UnknownBackendError,
    create_storage,
    get_backend,
    open_storage,
    registry,
)
from mastra_core.hookspecs import hookimpl
from mastra_core.inmemory import InMemoryStore
from mastra_core.inmemory.domains.agents import InMemoryAgents
from mastra_core.inmemory.domains.memory import InMemoryMemory
from mastra_core.registry import cache_clear, plugin_manager


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    cache_clear()
    yield
    cache_clear()


def _plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(module, hook, hookimpl(fn))  # type: ignore[arg-type]
    return module


def test_inmemory_is_registered_by_core() -> None:
    info = registry.registry().backend("inmemory")
    assert info.cls is InMemoryStore
    assert info.distribution == "mastra-core"


def test_unknown_id_names_installed_ids_and_the_install_command() -> None:
    with pytest.raises(UnknownBackendError) as err:
        create_storage("nosuchdb")
    assert "inmemory" in str(err.value)
    assert "pip install mastra-nosuchdb" in str(err.value)
    assert err.value.category == "USER"


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(UnknownBackendError) as err:
        open_storage("cassandra://user:secret@host/db")
    assert "cassandra" in str(err.value)
    assert "secret" not in str(err.value) and "secret" not in repr(err.value.details)


def test_duplicate_backend_id_names_both_distributions() -> None:
    class Impostor(InMemoryStore):
        pass

    plugin_manager().register(
        _plugin("impostor", mastra_register_backends=lambda register: register(Impostor)), name="mastra-impostor"
    )
    with pytest.raises(DuplicateBackendError) as err:
        registry.registry()
    assert "mastra-core" in str(err.value) and "mastra-impostor" in str(err.value)


def test_a_third_party_distribution_can_add_a_domain_to_a_backend() -> None:
    class NoAgents(InMemoryStore):
        backend_id = "noagents"

    pm = plugin_manager()
    pm.register(
        _plugin(
            "b",
            mastra_register_backends=lambda register: register(NoAgents),
            mastra_register_memory_stores=lambda register: register("noagents", InMemoryMemory.factory()),
        ),
        name="mastra-noagents",
    )
    storage = create_storage("noagents")
    assert storage.domains == ("memory",) and storage.get_store("agents") is None
    registry.cache_clear()
    pm = plugin_manager()
    pm.register(
        _plugin(
            "b",
            mastra_register_backends=lambda register: register(NoAgents),
            mastra_register_memory_stores=lambda register: register("noagents", InMemoryMemory.factory()),
        ),
        name="mastra-noagents",
    )
    pm.register(
        _plugin("a", mastra_register_agents_stores=lambda register: register("noagents", InMemoryAgents.factory())),
        name="mastra-agents-addon",
    )
    storage = create_storage("noagents")
    assert isinstance(storage.get_store("agents"), InMemoryAgents)
    assert "agents" in storage.capabilities


@pytest.fixture
def without_audit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn off the fixture distribution mastra-agents-audit (the nox core session installs it): it replaces
    the in-memory agents store too, and these tests count replacements."""
    monkeypatch.setenv("MASTRA_DISABLE_PLUGINS", "mastra-agents-audit")


def test_a_second_provider_of_one_domain_is_refused_but_a_replacement_wins(without_audit: None) -> None:
    class Replacement(InMemoryAgents):
        pass

    pm = plugin_manager()
    pm.register(
        _plugin("dup", mastra_register_agents_stores=lambda register: register("inmemory", Replacement.factory())),
        name="mastra-dup",
    )
    with pytest.raises(DuplicateBackendError, match="agents store of backend 'inmemory'"):
        create_storage("inmemory")
    registry.cache_clear()
    pm = plugin_manager()
    pm.register(
        _plugin(
            "rep",
            mastra_register_agents_stores=lambda register: register("inmemory", Replacement.factory(), replace=True),
        ),
        name="mastra-rep",
    )
    storage = create_storage("inmemory")
    assert type(storage.get_store("agents")) is Replacement
    assert type(storage.get_store("memory")) is InMemoryMemory


def test_a_second_provider_is_refused_even_when_a_replacement_came_first(without_audit: None) -> None:
    class Replacement(InMemoryAgents):
        pass

    class Second(InMemoryAgents):
        pass

    pm = plugin_manager()
    # pluggy calls the last registered plugin first: the replacement is seen before both providers.
    pm.register(
        _plugin("second", mastra_register_agents_stores=lambda register: register("inmemory", Second.factory())),
        name="mastra-second",
    )
    pm.register(
        _plugin(
            "rep",
            mastra_register_agents_stores=lambda register: register("inmemory", Replacement.factory(), replace=True),
        ),
        name="mastra-rep",
    )
    with pytest.raises(DuplicateBackendError, match="registered to provide by both"):
        create_storage("inmemory")


@pytest.fixture
def broken_entry_point(tmp_path: Path) -> Iterator[None]:
    dist = tmp_path / "mastra_broken-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mastra-broken\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mastra.storage]\nmastra-broken = mastra_broken_plugin\n")
    (tmp_path / "mastra_broken_plugin.py").write_text(
        textwrap.dedent("""
        raise RuntimeError("boom at import")
    """)
    )
    sys.path.insert(0, str(tmp_path))
    yield
    sys.path.remove(str(tmp_path))
    sys.modules.pop("mastra_broken_plugin", None)


def test_plugin_that_fails_to_import_names_distribution_and_escape_hatch(broken_entry_point: None) -> None:
    with pytest.raises(PluginLoadError) as err:
        get_backend("inmemory")
    assert "mastra-broken" in str(err.value)
    assert "MASTRA_DISABLE_PLUGINS" in str(err.value)
    assert isinstance(err.value.__cause__, RuntimeError)


def test_disabled_plugins_are_skipped(broken_entry_point: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_DISABLE_PLUGINS", "mastra-broken")
    assert get_backend("inmemory") is InMemoryStore


def test_importing_core_loads_no_plugin_or_driver() -> None:
    code = (
        "import sys, mastra_core; "
        "bad = [m for m in ('psycopg', 'libsql', 'pymongo', 'boto3', 'redis', 'mastra_pg', 'mastra_libsql') "
        "if m in sys.modules]; "
        "print(bad)"
    )
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
