"""Core's vector-store registration: the in-memory vector store under id ``inmemory``.

Registered by ``registry.plugin_manager()`` next to the in-memory backend plugin.
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import Register, hookimpl


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    def factory(**config: Any) -> Any:
        from .inmemory_vector import InMemoryVector

        return InMemoryVector(**config)

    register("inmemory", factory)
