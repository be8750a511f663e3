"""Hook implementations only: the backend, its seven domains and ``mastra dynamodb``. boto3 is imported when a
store is built, not here."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "dynamodb"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The DynamoDB backend class."""
    from .store import DynamoDBStore

    register(DynamoDBStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages (with per-thread counters) and resources."""
    from .domains.memory import DynamoDBMemory

    register(BACKEND_ID, DynamoDBMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow run snapshots."""
    from .domains.workflows import DynamoDBWorkflows

    register(BACKEND_ID, DynamoDBWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import DynamoDBScores

    register(BACKEND_ID, DynamoDBScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI tracing spans."""
    from .domains.observability import DynamoDBObservability

    register(BACKEND_ID, DynamoDBObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import DynamoDBAgents

    register(BACKEND_ID, DynamoDBAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals."""
    from .domains.evals import DynamoDBEvals

    register(BACKEND_ID, DynamoDBEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces."""
    from .domains.traces import DynamoDBTraces

    register(BACKEND_ID, DynamoDBTraces.factory())


@hookimpl
def mastra_register_commands(register: Register) -> None:
    """``mastra dynamodb create-table | verify-table | delete-table``."""
    from .cli import HELP, cli

    register("dynamodb", HELP, cli)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh table per namespace on DynamoDB Local."""
    register("dynamodb", "mastra_dynamodb.harness")
