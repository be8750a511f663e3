"""The in-memory reference backend."""

from .store import InMemoryStore

__all__ = ["InMemoryStore"]
