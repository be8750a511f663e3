"""Hook implementations of mastra-pg: the backend, each of its domains, and the pgvector store.

The driver is imported only when a store is built (each hook imports its module when it runs).
"""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "pg"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The PostgreSQL backend class."""
    from .store import PostgresStore

    register(PostgresStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources."""
    from .domains.memory import PgMemory

    register(BACKEND_ID, PgMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow snapshots and runs."""
    from .domains.workflows import PgWorkflows

    register(BACKEND_ID, PgWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import PgScores

    register(BACKEND_ID, PgScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI spans and traces."""
    from .domains.observability import PgObservability

    register(BACKEND_ID, PgObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import PgAgents

    register(BACKEND_ID, PgAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals table."""
    from .domains.evals import PgEvals

    register(BACKEND_ID, PgEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces table."""
    from .domains.traces import PgTraces

    register(BACKEND_ID, PgTraces.factory())


def _pgvector(**config: Any) -> Any:
    from .vector import PgVector

    return PgVector(**config)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    """The pgvector vector store (``pgvector``)."""
    register("pgvector", _pgvector)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh schema per namespace."""
    register("pg", "mastra_pg.harness")
