"""Hook implementations only: the backend, each of its domains, the vector store. pymongo is imported lazily."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "mongodb"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The MongoDB backend class."""
    from .store import MongoDBStore

    register(MongoDBStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources."""
    from .domains.memory import MongoMemory

    register(BACKEND_ID, MongoMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow run snapshots."""
    from .domains.workflows import MongoWorkflows

    register(BACKEND_ID, MongoWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import MongoScores

    register(BACKEND_ID, MongoScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI tracing spans."""
    from .domains.observability import MongoObservability

    register(BACKEND_ID, MongoObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agent definitions."""
    from .domains.agents import MongoAgents

    register(BACKEND_ID, MongoAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals collection."""
    from .domains.evals import MongoEvals

    register(BACKEND_ID, MongoEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces collection."""
    from .domains.traces import MongoTraces

    register(BACKEND_ID, MongoTraces.factory())


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    """``MongoDBVector`` (Atlas Vector Search)."""

    def factory(**config: Any) -> Any:
        from .vector import MongoDBVector

        return MongoDBVector(**config)

    register(BACKEND_ID, factory)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh (or emptied) database per namespace."""
    register("mongodb", "mastra_mongodb.harness")
