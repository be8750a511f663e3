"""Hook implementations of mastra-pg (the driver is imported only when a store is built)."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import PostgresStore

    register(PostgresStore)


def _pgvector(**config: Any) -> Any:
    from .vector import PgVector

    return PgVector(**config)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    register("pgvector", _pgvector)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh schema per namespace."""
    register("pg", "mastra_pg.harness")
