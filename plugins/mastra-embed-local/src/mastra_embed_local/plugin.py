"""Hook implementations of mastra-embed-local (no I/O; the model loads on first embed)."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl


def _factory(**config: Any) -> Any:
    from .embedder import LocalEmbedder

    return LocalEmbedder(**config)


@hookimpl
def mastra_register_embedders(register: Register) -> None:
    """The offline all-MiniLM-L6-v2 embedder, as ``local`` and by its model name."""
    register("local", _factory)
    register("all-minilm-l6-v2", _factory)
