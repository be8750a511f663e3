"""mastra-embed-local: the all-MiniLM-L6-v2 sentence embedder, offline (embedder ids ``local`` and
``all-minilm-l6-v2``)."""

from __future__ import annotations

from importlib.metadata import version as _version

from .embedder import LocalEmbedder

__version__ = _version("mastra-embed-local")  # the one place is pyproject.toml

__all__ = ["LocalEmbedder"]
