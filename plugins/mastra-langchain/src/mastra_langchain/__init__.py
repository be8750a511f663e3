"""mastra-langchain: LangChain chat message history and semantic-recall retriever over any mastra storage.

``MastraChatMessageHistory`` (a ``BaseChatMessageHistory``) and ``MastraRecallRetriever`` (a
``BaseRetriever``); ``to_stored`` / ``from_stored`` map LangChain messages to and from stored v2
messages. Importing this package imports nothing heavy: the names load on first use.
"""

from __future__ import annotations

import importlib
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .convert import from_stored, to_stored
    from .history import MastraChatMessageHistory
    from .retriever import MastraRecallRetriever

_EXPORTS = {
    "MastraChatMessageHistory": "mastra_langchain.history",
    "MastraRecallRetriever": "mastra_langchain.retriever",
    "to_stored": "mastra_langchain.convert",
    "from_stored": "mastra_langchain.convert",
}

__version__ = _version("mastra-langchain")  # the one place is pyproject.toml

__all__ = ["MastraChatMessageHistory", "MastraRecallRetriever", "from_stored", "to_stored"]


def __getattr__(name: str) -> Any:
    """Load an exported name on first access (LangChain is imported then, not at package import)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mastra_langchain' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
