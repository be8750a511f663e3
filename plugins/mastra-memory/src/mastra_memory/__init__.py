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
    TitleConfig,
    WorkingMemoryConfig,
    merge_config,
    parse_config,
)
from .context import ModelContext, RecalledRange, messages_from_openai, to_anthropic_messages, to_openai_messages
from .embedding import EmbedderAdapter, EmbeddingCache, HashEmbedder
from .memory import Memory, MessageHit, RecallResult, TurnResult
from .titles import model_title_generator, register_title_generator
from .working_memory import DEFAULT_TEMPLATE, WorkingMemoryTemplate, WorkingMemoryTool, deep_merge

__version__ = _version("mastra-memory")  # the one place is pyproject.toml

__all__ = [
    "DEFAULT_TEMPLATE",
    "EmbedderAdapter",
    "EmbeddingCache",
    "HashEmbedder",
    "Memory",
    "MemoryConfig",
    "MessageHit",
    "MessageRange",
    "ModelContext",
    "RecallResult",
    "RecalledRange",
    "SemanticRecall",
    "TitleConfig",
    "TurnResult",
    "WorkingMemoryConfig",
    "WorkingMemoryTemplate",
    "WorkingMemoryTool",
    "deep_merge",
    "merge_config",
    "messages_from_openai",
    "model_title_generator",
    "parse_config",
    "register_title_generator",
    "to_anthropic_messages",
    "to_openai_messages",
]
