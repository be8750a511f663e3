"""The conformance suite: one contract, run against any backend with ``--store=<harness>``.

A harness is a module ``tests/conformance/harnesses/<name>.py`` (``-`` in the name becomes ``_``)
with ``BACKEND_ID`` and ``async def make_storage(namespace: str, **overrides) -> Storage`` returning an
un-initialised storage on a fresh, empty, uniquely named namespace of a REAL service (a missing
service is an error, never a skip), plus optional ``async def cleanup(namespace: str)``.

Fixtures: ``storage`` (fresh and initialised), its domain stores (``memory``, ``workflows``, ``scores``,
``observability``, ``agents``; None when absent), ``harness``, and ``make_storage(namespace=None, *, init=True,
**overrides)`` for extra storages (a TTL config, an un-initialised one, two on one namespace). See README.md.

Tests mark what they need with ``@pytest.mark.requires("observability", ...)``; a backend whose
storage lacks one of those capabilities gets a strict xfail: a declared gap must really fail.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType
from typing import Any

import pytest
from mastra_core import Storage


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store", default="inmemory", help="conformance harness to run against (inmemory, libsql, libsql-sqld, pg, ...)")


def _harness(config: pytest.Config) -> ModuleType:
    name = str(config.getoption("--store")).replace("-", "_")
    return importlib.import_module(f"tests.conformance.harnesses.{name}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"conformance harness: {config.getoption('--store')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    harness = _harness(config)
    probe = harness.probe_capabilities() if hasattr(harness, "probe_capabilities") else None
    if probe is None:
        from mastra_core.registry import get_backend

        cls = get_backend(harness.BACKEND_ID)
        probe = cls(id="capability-probe", **getattr(harness, "PROBE_CONFIG", {})).capabilities
    for item in items:
        if "tests/conformance" not in str(item.fspath).replace("\\", "/"):
            continue
        for mark in item.iter_markers("requires"):
            missing = [cap for cap in mark.args if cap not in probe]
            if missing:
                item.add_marker(pytest.mark.xfail(strict=True, reason=f"declared gap: {harness.BACKEND_ID} lacks {missing}"))


@pytest.fixture
def harness(request: pytest.FixtureRequest) -> ModuleType:
    return _harness(request.config)


@pytest.fixture
async def make_storage(harness: ModuleType) -> AsyncIterator[Callable[..., Awaitable[Storage]]]:
    """Build extra storages (e.g. with a TTL config) on fresh namespaces; all are closed after the test."""
    made: list[tuple[Storage, str]] = []

    async def make(namespace: str | None = None, *, init: bool = True, **overrides: Any) -> Storage:
        """A storage on ``namespace`` (default: a fresh one); ``init=False`` leaves it un-initialised.

        Two storages may share a namespace (two app instances on one database); it is cleaned up once.
        """
        ns = namespace or f"t{uuid.uuid4().hex[:12]}"
        storage = await harness.make_storage(ns, **overrides)
        made.append((storage, ns))
        if init:
            await storage.init()
        return storage

    yield make
    for storage, _ in made:
        await storage.close()
    if hasattr(harness, "cleanup"):
        for ns in dict.fromkeys(ns for _, ns in made):
            await harness.cleanup(ns)


@pytest.fixture
async def storage(make_storage: Callable[..., Awaitable[Storage]]) -> Storage:
    """A fresh, initialised storage on an empty namespace."""
    return await make_storage()


@pytest.fixture
def memory(storage: Storage) -> Any:
    return storage.get_store("memory")


@pytest.fixture
def workflows(storage: Storage) -> Any:
    return storage.get_store("workflows")


@pytest.fixture
def scores(storage: Storage) -> Any:
    return storage.get_store("scores")


@pytest.fixture
def observability(storage: Storage) -> Any:
    return storage.get_store("observability")


@pytest.fixture
def agents(storage: Storage) -> Any:
    return storage.get_store("agents")
