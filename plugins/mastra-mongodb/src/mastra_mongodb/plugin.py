"""Hook implementations only: pymongo is imported lazily, when a store is actually built or used."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import MongoDBStore

    register(MongoDBStore)


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    def factory(**config: Any) -> Any:
        from .vector import MongoDBVector

        return MongoDBVector(**config)

    register("mongodb", factory)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a fresh (or emptied) database per namespace."""
    register("mongodb", "mastra_mongodb.harness")
