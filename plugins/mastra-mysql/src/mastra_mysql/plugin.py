"""Hook implementations of mastra-mysql: the backend and each of its domains (the driver loads lazily)."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl

BACKEND_ID = "mysql"


@hookimpl
def mastra_register_backends(register: Register) -> None:
    """The MariaDB/MySQL backend class."""
    from .store import MySQLStore

    register(MySQLStore)


@hookimpl
def mastra_register_memory_stores(register: Register) -> None:
    """Threads, messages and resources."""
    from .domains.memory import MySQLMemory

    register(BACKEND_ID, MySQLMemory.factory())


@hookimpl
def mastra_register_workflows_stores(register: Register) -> None:
    """Workflow snapshots and runs."""
    from .domains.workflows import MySQLWorkflows

    register(BACKEND_ID, MySQLWorkflows.factory())


@hookimpl
def mastra_register_scores_stores(register: Register) -> None:
    """Eval scores."""
    from .domains.scores import MySQLScores

    register(BACKEND_ID, MySQLScores.factory())


@hookimpl
def mastra_register_observability_stores(register: Register) -> None:
    """AI spans and traces."""
    from .domains.observability import MySQLObservability

    register(BACKEND_ID, MySQLObservability.factory())


@hookimpl
def mastra_register_agents_stores(register: Register) -> None:
    """Stored agents."""
    from .domains.agents import MySQLAgents

    register(BACKEND_ID, MySQLAgents.factory())


@hookimpl
def mastra_register_evals_stores(register: Register) -> None:
    """The legacy evals table."""
    from .domains.evals import MySQLEvals

    register(BACKEND_ID, MySQLEvals.factory())


@hookimpl
def mastra_register_traces_stores(register: Register) -> None:
    """The legacy traces table."""
    from .domains.traces import MySQLTraces

    register(BACKEND_ID, MySQLTraces.factory())


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: one database per namespace on MASTRA_TEST_MYSQL_URL's server."""
    register(BACKEND_ID, "mastra_mysql.harness")
