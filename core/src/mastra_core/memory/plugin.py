"""Core's memory registrations: vector store ``inmemory`` and embedder ``hash``.

``registry.plugin_manager()`` registers this module next to the in-memory backend plugin.
"""

from __future__ import annotations

from typing import Any

from ..hookspecs import Register, hookimpl


@hookimpl
def mastra_register_vector_stores(register: Register) -> None:
    def inmemory(**config: Any) -> Any:
        from .inmemory_vector import InMemoryVector

        return InMemoryVector(**config)

    register("inmemory", inmemory)


@hookimpl
def mastra_register_embedders(register: Register) -> None:
    def hashing(**config: Any) -> Any:
        from .embedding import HashEmbedder

        return HashEmbedder(**config)

    register("hash", hashing)
