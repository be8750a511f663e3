"""Fixtures of the mastra-ops tests: storages on the real services through each backend's test harness.

A backend's harness (``mastra_<x>.harness``, registered for the contract suite)
builds a storage in a fresh namespace (schema, database, table, key prefix) and drops it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from mastra_core import Storage, open_storage
from ops_support import harness

StorageFactory = Callable[[str], Any]


@pytest_asyncio.fixture
async def make(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """``await make("pg")``: a fresh storage of that backend (``libsql`` is a file in tmp_path, ``memory`` the
    in-memory backend)."""
    made: list[tuple[str, str, Storage]] = []

    async def build(backend: str, **overrides: Any) -> Storage:
        namespace = f"ops_{uuid.uuid4().hex[:10]}"
        if backend == "libsql":
            storage: Storage = open_storage(f"file:{tmp_path / (namespace + '.db')}", **overrides)
        elif backend == "memory":
            storage = open_storage("memory:", **overrides)
        else:
            storage = await harness(backend).make_storage(namespace, **overrides)
        made.append((backend, namespace, storage))
        return storage

    yield build
    for backend, namespace, storage in made:
        await storage.close()
        if backend not in ("libsql", "memory"):
            await harness(backend).cleanup(namespace)


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoint files land in the test's own directory."""
    monkeypatch.chdir(tmp_path)
