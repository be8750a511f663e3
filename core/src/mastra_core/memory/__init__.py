"""The Memory component: history, semantic recall, working memory, titles and clones over any backend."""

from __future__ import annotations

from .inmemory_vector import InMemoryVector
from .vector_filter import FilterError, matches_filter, parse_filter

__all__ = ["FilterError", "InMemoryVector", "matches_filter", "parse_filter"]
