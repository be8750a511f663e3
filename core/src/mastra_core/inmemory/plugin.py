"""Core's own plugin: registers the in-memory backend, each of its domains and the in-memory vector store."""

from __future__ import annotations

from typing import Any

from ..hookspecs import Register, hookimpl

BACKEND_ID = "inmemory"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The in-memory backend class."""
    from .store import InMemoryStore

    register(InMemoryStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources in dicts."""
    from .domains.memory import InMemoryMemory

    register(BACKEND_ID, InMemoryMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow snapshots and runs."""
    from .domains.workflows import InMemoryWorkflows

    register(BACKEND_ID, InMemoryWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import InMemoryScores

    register(BACKEND_ID, InMemoryScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI spans and traces."""
    from .domains.observability import InMemoryObservability

    register(BACKEND_ID, InMemoryObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import InMemoryAgents

    register(BACKEND_ID, InMemoryAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals table."""
    from .domains.evals import InMemoryEvals

    register(BACKEND_ID, InMemoryEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces table."""
    from .domains.traces import InMemoryTraces

    register(BACKEND_ID, InMemoryTraces.factory())


def _vector_factory(**config: Any) -> Any:
    from .vector import InMemoryVector

    return InMemoryVector(**config)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    """The in-memory vector store (exact search), vector id ``inmemory``."""
    register(BACKEND_ID, _vector_factory)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: every namespace is a new in-memory store."""
    register("inmemory", "mastra_core.inmemory.harness")
