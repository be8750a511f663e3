"""Hook implementations of mastra-memory: the ``hash`` embedder and the ``mastra demo`` command (no I/O)."""

from __future__ import annotations

from typing import Any

from mastra_core.hookspecs import Register, hookimpl

DEMO_HELP = "run the demo: storage domains and semantic recall (--url URL, default file:./mastra.db)"


def _hash_embedder(**config: Any) -> Any:
    from .embedding import HashEmbedder

    return HashEmbedder(**config)


def _demo_command(argv: list[str]) -> int:
    from .cli import demo_command

    return demo_command(argv)


@hookimpl
def mastra_register_embedders(register: Register) -> None:
    """The offline hashing bag-of-words embedder, id ``hash``."""
    register("hash", _hash_embedder)


@hookimpl
def mastra_register_commands(register: Register) -> None:
    """``mastra demo [--url URL]``."""
    register("demo", DEMO_HELP, _demo_command)
