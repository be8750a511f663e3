"""Memory tests run on every available backend: inmemory always, libsql when mastra-libsql is installed,
pg when mastra-pg and its harnesses exist (the pg contract-suite harness registered by mastra-pg, with
MASTRA_TEST_PG_URL; the repository's tests/vector/harnesses/pgvector.py): a missing service is then an error,
never a skip.

Each test gets a fresh namespace: a new in-memory store, a new libSQL file (storage and LibSQLVector
sharing one connection, as an application would), or a new pg schema.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mastra_core import Storage, create_storage
from mastra_core.inmemory.vector import InMemoryVector
from mastra_core.plugins import registry
from mastra_core.vector import VectorStore
from mastra_memory import HashEmbedder, Memory

ROOT = Path(__file__).resolve().parents[3]  # the repository: plugins/mastra-memory/tests/conftest.py


def _repo_module(name: str) -> Any:
    """A test module of the repository (``tests.vector.harnesses.pgvector``): these tests run from the plugin."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(name)


def _pg_harness_registered() -> bool:
    return "pg" in registry().harnesses


def _pg_harness() -> Any:
    """The pg contract-suite harness registered by mastra-pg, loaded as the suite loads it."""
    from mastra_core.testing.harness import load_harness

    return load_harness("pg")


def _available() -> list[str]:
    found = ["inmemory"]
    if importlib.util.find_spec("mastra_libsql") is not None:
        found.append("libsql")
    if (
        importlib.util.find_spec("mastra_pg") is not None
        and _pg_harness_registered()
        and (ROOT / "tests/vector/harnesses/pgvector.py").exists()
    ):
        found.append("pg")
    only = os.environ.get("MASTRA_MEMORY_BACKENDS")
    if only:
        wanted = [b.strip() for b in only.split(",") if b.strip()]
        missing = [b for b in wanted if b not in found]
        if missing:
            raise RuntimeError(
                f"MASTRA_MEMORY_BACKENDS asks for {missing}, which are not installed here (found {found})"
            )
        found = wanted
    return found


BACKENDS = _available()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "local_embedder: end-to-end test with the real all-MiniLM-L6-v2 embedder (mastra-embed-local)"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"memory backends: {', '.join(BACKENDS)}"


class Backend:
    """Storage + vector store of one test, on a fresh namespace."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.namespace = f"m{uuid.uuid4().hex[:12]}"
        self.storage: Storage | None = None
        self.vector: VectorStore | None = None
        self._dir: Path | None = None
        self._conformance: Any = None
        self._vector_harness: Any = None

    async def open(self) -> None:
        if self.name == "inmemory":
            self.storage = create_storage("inmemory", id=f"memory-{self.namespace}")
            self.vector = InMemoryVector()
        elif self.name == "libsql":
            from mastra_libsql.vector import LibSQLVector

            self._dir = Path(tempfile.mkdtemp(prefix="mastra-memory-tests-"))
            self.storage = create_storage(
                "libsql", id=f"memory-{self.namespace}", url=f"file:{self._dir / 'memory.db'}"
            )
            await self.storage.init()
            self.vector = LibSQLVector.from_storage(self.storage)
        elif self.name == "pg":
            self._conformance = _pg_harness()
            self._vector_harness = _repo_module("tests.vector.harnesses.pgvector")
            self.storage = await self._conformance.make_storage(self.namespace)
            self.vector = await self._vector_harness.make_vector(self.namespace)
        else:  # pragma: no cover
            raise ValueError(self.name)
        await self.storage.init()

    async def close(self) -> None:
        if self.vector is not None:
            await self.vector.close()
        if self.storage is not None:
            await self.storage.close()
        if self.name == "pg":
            if hasattr(self._vector_harness, "cleanup"):
                await self._vector_harness.cleanup(self.namespace)
            if hasattr(self._conformance, "cleanup"):
                await self._conformance.cleanup(self.namespace)
        if self._dir is not None:
            for f in self._dir.iterdir():
                f.unlink()
            self._dir.rmdir()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    b = Backend(request.param)
    await b.open()
    try:
        yield b
    finally:
        await b.close()


@pytest.fixture
def make_memory(backend: Backend) -> Callable[..., Memory]:
    """``make_memory(options=..., embedder=..., **kw)``: a Memory on this test's storage and vector store
    (default embedder: HashEmbedder(64), the deterministic hashing bag-of-words embedder)."""

    def make(options: Any = None, *, embedder: Any = "default", vector: Any = "default", **kw: Any) -> Memory:
        return Memory(
            storage=backend.storage,
            vector=backend.vector if vector == "default" else vector,
            embedder=HashEmbedder(64) if embedder == "default" else embedder,
            options=options,
            **kw,
        )

    return make


@pytest.fixture
def memory(make_memory: Callable[..., Memory]) -> Memory:
    """History only (last 10), with a vector store and embedder ready for per-call semantic recall."""
    return make_memory()


@pytest.fixture
def semantic(make_memory: Callable[..., Memory]) -> Memory:
    """last_messages 5, semantic recall top_k 3, message_range 2, resource scope."""
    return make_memory({"last_messages": 5, "semantic_recall": {"top_k": 3, "message_range": 2}})


SaveFn = Callable[..., Awaitable[list[Any]]]
