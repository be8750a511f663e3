"""Storage lifecycle: lazy once-only init, lifecycle hooks, composites, config errors, redaction."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterator
from typing import Any

import pytest
from mastra_core import (
    CapabilityError,
    ConfigError,
    Storage,
    StorageError,
    Thread,
    ValidationError,
    create_storage,
)
from mastra_core.hookspecs import hookimpl
from mastra_core.inmemory import InMemoryStore
from mastra_core.inmemory.domains.memory import InMemoryMemory
from mastra_core.registry import cache_clear, plugin_manager


@pytest.fixture
def events() -> Iterator[list[tuple[Any, ...]]]:
    cache_clear()
    seen: list[tuple[Any, ...]] = []
    module = types.ModuleType("observer")
    module.mastra_storage_opened = hookimpl(lambda storage: seen.append(("opened", storage.id)))  # type: ignore[attr-defined]
    module.mastra_storage_initialized = hookimpl(lambda storage: seen.append(("initialized", storage.id)))  # type: ignore[attr-defined]
    module.mastra_storage_closing = hookimpl(lambda storage: seen.append(("closing", storage.id)))  # type: ignore[attr-defined]
    module.mastra_storage_error = hookimpl(  # type: ignore[attr-defined]
        lambda storage, domain, operation, error: seen.append(("error", domain, operation, error.id)))
    plugin_manager().register(module, name="observer")
    yield seen
    cache_clear()


async def test_lifecycle_hooks_fire_in_order(events: list[tuple[Any, ...]]) -> None:
    async with create_storage("inmemory", id="s1") as storage:
        with pytest.raises(ValidationError):
            await storage.memory.get_thread_by_id(thread_id=" ")
    assert [e[0] for e in events] == ["opened", "initialized", "closing"]  # validation fails before the op runs
    storage = create_storage("inmemory", id="s2")

    class Boom(Exception):
        pass

    async def broken(thread_id: str) -> None:
        raise Boom("driver exploded")

    storage.memory._get_thread = broken  # type: ignore[method-assign]
    with pytest.raises(StorageError) as err:
        await storage.memory.get_thread_by_id(thread_id="t")
    assert err.value.category == "THIRD_PARTY"
    assert isinstance(err.value.__cause__, Boom)
    assert err.value.id == "MASTRA_STORAGE_INMEMORY_GET_THREAD_BY_ID_FAILED"
    assert ("error", "memory", "GET_THREAD_BY_ID", err.value.id) in events


async def test_init_runs_once_under_concurrency() -> None:
    calls = 0

    class Counting(InMemoryMemory):
        async def _init(self) -> None:
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.01)

    storage = create_storage("inmemory")
    counting = Counting.from_storage(storage)  # type: ignore[arg-type]
    composite = Storage(id="c", default=storage, domains={"memory": counting})
    await asyncio.gather(*(composite.memory.get_thread_by_id(thread_id="x") for _ in range(10)), composite.init())
    assert calls == 1


async def test_operations_initialise_lazily() -> None:
    storage = create_storage("inmemory")
    assert not storage._initialized
    await storage.memory.list_threads()
    assert storage._initialized


async def test_composite_takes_domains_from_parts() -> None:
    a, b = create_storage("inmemory", id="a"), create_storage("inmemory", id="b")
    composite = Storage(id="mixed", default=a, domains={"observability": b.observability})
    assert composite.memory is a.memory
    assert composite.observability is b.observability
    await composite.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    assert await a.memory.get_thread_by_id(thread_id="t") is not None
    await composite.close()


def test_composite_without_domains_is_refused() -> None:
    with pytest.raises(ConfigError):
        Storage(id="empty", domains={})
    with pytest.raises(ConfigError):
        Storage(id="x", domains={"nonsense": None})


def test_blank_id_is_refused() -> None:
    with pytest.raises(ConfigError) as err:
        InMemoryStore(id="  ")
    assert "id must be provided" in str(err.value)


def test_unknown_config_key_lists_valid_options() -> None:
    with pytest.raises(ConfigError) as err:
        create_storage("inmemory", conection_string="x")
    assert "conection_string" in str(err.value) and "valid options" in str(err.value)


def test_bad_ttl_config_is_refused() -> None:
    with pytest.raises(ConfigError):
        create_storage("inmemory", ttl={"threads": {"default_ttl_seconds": 5}})
    with pytest.raises(ConfigError):
        create_storage("inmemory", ttl={"thread": {"default_ttl_seconds": -1}})
    with pytest.raises(ConfigError):
        create_storage("inmemory", ttl={"thread": {"default_ttl": 5}})


async def test_missing_domain_is_a_clear_error() -> None:
    storage = create_storage("inmemory")
    composite = Storage(id="only-memory", domains={"memory": storage.memory})
    assert composite.get_store("scores") is None
    with pytest.raises(CapabilityError) as err:
        composite.scores  # noqa: B018
    assert "scores" in str(err.value)


async def test_close_is_idempotent_and_context_manager_closes() -> None:
    storage = create_storage("inmemory")
    async with storage:
        pass
    assert storage._closed
    await storage.close()


async def test_a_reopened_storage_closes_again() -> None:
    closes = 0
    storage = create_storage("inmemory")

    async def counting_close() -> None:
        nonlocal closes
        closes += 1

    storage._close = counting_close  # type: ignore[method-assign]
    async with storage:
        pass
    async with storage:
        await storage.memory.list_threads()
    assert closes == 2
