"""The vector-store conformance suite: one contract, run against any store with ``--vector=<harness>``.

A harness is a module ``tests/vector/harnesses/<name>.py`` (``-`` becomes ``_``) with
``async def make_vector(namespace: str) -> VectorStore`` returning a store on a fresh, empty,
uniquely named namespace of a REAL service (a missing service is an error, never a skip), plus
optional ``async def cleanup(namespace: str)``. See tests/vector/README.md.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from types import ModuleType

import pytest
from mastra_core.vector import VectorStore


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--vector", default="inmemory", help="vector-store harness to run against (inmemory, libsql, pgvector)"
    )


def _harness(config: pytest.Config) -> ModuleType:
    name = str(config.getoption("--vector")).replace("-", "_")
    return importlib.import_module(f"tests.vector.harnesses.{name}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"vector harness: {config.getoption('--vector')}"


@pytest.fixture
def vector_harness(request: pytest.FixtureRequest) -> ModuleType:
    return _harness(request.config)


@pytest.fixture
async def make_vector(vector_harness: ModuleType) -> AsyncIterator[Callable[..., Awaitable[VectorStore]]]:
    """Build stores on fresh namespaces (or a given one, to reopen it); all are closed and cleaned up after."""
    made: list[tuple[VectorStore, str]] = []

    async def make(namespace: str | None = None) -> VectorStore:
        ns = namespace or f"v{uuid.uuid4().hex[:12]}"
        store = await vector_harness.make_vector(ns)
        made.append((store, ns))
        return store

    yield make
    for store, _ in made:
        await store.close()
    if hasattr(vector_harness, "cleanup"):
        for ns in dict.fromkeys(ns for _, ns in made):
            await vector_harness.cleanup(ns)


@pytest.fixture
async def vector(make_vector: Callable[..., Awaitable[VectorStore]]) -> VectorStore:
    """A store on a fresh, empty namespace."""
    return await make_vector()
