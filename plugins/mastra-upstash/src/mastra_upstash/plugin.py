"""Hook implementations only: the ``upstash`` backend and each of its domains (modules imported lazily)."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "upstash"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The Upstash/Redis backend class."""
    from .store import UpstashStore

    register(UpstashStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources as hashes with sorted-set indexes."""
    from .domains.memory import UpstashMemory

    register(BACKEND_ID, UpstashMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow run snapshots."""
    from .domains.workflows import UpstashWorkflows

    register(BACKEND_ID, UpstashWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import UpstashScores

    register(BACKEND_ID, UpstashScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI-tracing spans."""
    from .domains.observability import UpstashObservability

    register(BACKEND_ID, UpstashObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import UpstashAgents

    register(BACKEND_ID, UpstashAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals table."""
    from .domains.evals import UpstashEvals

    register(BACKEND_ID, UpstashEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces table."""
    from .domains.traces import UpstashTraces

    register(BACKEND_ID, UpstashTraces.factory())


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a unique key prefix per namespace."""
    register("upstash", "mastra_upstash.harness")
