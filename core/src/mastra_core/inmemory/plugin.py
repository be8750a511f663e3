"""Core's own plugin: registers the in-memory backend."""

from __future__ import annotations

from ..hookspecs import Register, hookimpl


@hookimpl
def mastra_register_backends(register: Register) -> None:
    from .store import InMemoryStore

    register(InMemoryStore)


