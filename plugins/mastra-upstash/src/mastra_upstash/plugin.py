"""Hook implementations only: registers :class:`~mastra_upstash.store.UpstashStore` (the driver is imported lazily)."""

from __future__ import annotations

from mastra_core.hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import UpstashStore

    register(UpstashStore)


@hookimpl
def mastra_register_test_harnesses(register: Register) -> None:
    """The contract-suite harness: a unique key prefix per namespace."""
    register("upstash", "mastra_upstash.harness")
