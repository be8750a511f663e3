"""Hook implementations of mastra-libsql: the backend, its seven domains and the vector store.

No I/O here, and the driver is imported lazily: each hook imports its module when it runs.
"""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "libsql"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The libSQL backend class."""
    from .store import LibSQLStore

    register(LibSQLStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources."""
    from .domains.memory import LibSQLMemory

    register(BACKEND_ID, LibSQLMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow snapshots and runs."""
    from .domains.workflows import LibSQLWorkflows

    register(BACKEND_ID, LibSQLWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import LibSQLScores

    register(BACKEND_ID, LibSQLScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI spans and traces."""
    from .domains.observability import LibSQLObservability

    register(BACKEND_ID, LibSQLObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import LibSQLAgents

    register(BACKEND_ID, LibSQLAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals table."""
    from .domains.evals import LibSQLEvals

    register(BACKEND_ID, LibSQLEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces table."""
    from .domains.traces import LibSQLTraces

    register(BACKEND_ID, LibSQLTraces.factory())


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
    register(BACKEND_ID, VectorFactory())


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """Contract-suite harnesses: local database files, and tables on a real sqld server."""
    register("libsql", "mastra_libsql.harness:file_harness")
    register("libsql-sqld", "mastra_libsql.harness:sqld_harness")
