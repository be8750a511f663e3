"""The Memory component: history, semantic recall, working memory, titles and clones over any backend.

Importing this package loads no plugin and no driver.
"""

from __future__ import annotations

from .config import (
    MemoryConfig,
    MessageRange,
    SemanticRecall,
    WorkingMemoryConfig,
    merge_config,
    parse_config,
)
from .embedding import EmbedderAdapter, EmbeddingCache, HashEmbedder
from .inmemory_vector import InMemoryVector
from .memory import Memory, RecallResult
from .vector_filter import FilterError, matches_filter, parse_filter
from .working_memory import DEFAULT_TEMPLATE, WorkingMemoryTemplate, WorkingMemoryTool, deep_merge

__all__ = [
    "DEFAULT_TEMPLATE", "EmbedderAdapter", "EmbeddingCache", "FilterError", "HashEmbedder", "InMemoryVector", "Memory",
    "MemoryConfig", "MessageRange", "RecallResult", "SemanticRecall", "WorkingMemoryConfig", "WorkingMemoryTemplate",
    "WorkingMemoryTool", "deep_merge", "matches_filter", "merge_config", "parse_config", "parse_filter",
]
