"""mastra-embed-local: the all-MiniLM-L6-v2 sentence embedder, offline (embedder ids ``local`` and ``all-minilm-l6-v2``)."""

from __future__ import annotations

from .embedder import LocalEmbedder

__all__ = ["LocalEmbedder"]
