"""mastra-memory: history, semantic recall, working memory, titles and clones over any mastra storage backend.

Importing this package loads no plugin and no driver. The vector stores (``mastra_core.vector``, the
in-memory one in :mod:`mastra_core.inmemory.vector`) and the filter language (:mod:`mastra_core.vector_filter`)
live in core, beside the backends that implement them.
"""

from __future__ import annotations

from importlib.metadata import version as _version

from .config import (
    MemoryConfig,
    MessageRange,
    SemanticRecall,
    WorkingMemoryConfig,
    merge_config,
    parse_config,
)
from .embedding import EmbedderAdapter, EmbeddingCache, HashEmbedder
from .memory import Memory, RecallResult
from .working_memory import DEFAULT_TEMPLATE, WorkingMemoryTemplate, WorkingMemoryTool, deep_merge

__version__ = _version("mastra-memory")  # the one place is pyproject.toml

__all__ = [
    "DEFAULT_TEMPLATE", "EmbedderAdapter", "EmbeddingCache", "HashEmbedder", "Memory", "MemoryConfig", "MessageRange",
    "RecallResult", "SemanticRecall", "WorkingMemoryConfig", "WorkingMemoryTemplate", "WorkingMemoryTool", "deep_merge",
    "merge_config", "parse_config",
]
