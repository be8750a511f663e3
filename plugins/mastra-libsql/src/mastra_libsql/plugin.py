"""Hook implementations of mastra-libsql (no I/O, the driver is imported lazily)."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import LibSQLStore

    register(LibSQLStore)


def _vector_factory(**config: Any) -> Any:
    from .vector import LibSQLVector  # written separately; imported only when a libsql vector store is built

    return LibSQLVector(**config)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    register("libsql", _vector_factory)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """Contract-suite harnesses: local database files, and tables on a real sqld server."""
    register("libsql", "mastra_libsql.harness:file_harness")
    register("libsql-sqld", "mastra_libsql.harness:sqld_harness")
