"""Hook implementations of mastra-libsql (no I/O, the driver is imported lazily)."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import LibSQLStore

    register(LibSQLStore)


class VectorFactory:
    """The registered ``libsql`` vector store factory; the driver is imported only when a store is built."""

    def __call__(self, **config: Any) -> Any:
        """A ``LibSQLVector`` with its own connection (``url=...``)."""
        from .vector import LibSQLVector

        return LibSQLVector(**config)

    def from_storage(self, storage: Any, **options: Any) -> Any:
        """A ``LibSQLVector`` in the same database as a ``LibSQLStore``, sharing its connection."""
        from .vector import LibSQLVector

        return LibSQLVector.from_storage(storage, **options)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    """Vector store ``libsql`` (native F32_BLOB vectors)."""
    register("libsql", VectorFactory())


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """Contract-suite harnesses: local database files, and tables on a real sqld server."""
    register("libsql", "mastra_libsql.harness:file_harness")
    register("libsql-sqld", "mastra_libsql.harness:sqld_harness")
