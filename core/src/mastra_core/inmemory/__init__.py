"""The in-memory reference backend and the in-memory vector store."""

from .store import InMemoryStore
from .vector import InMemoryVector

__all__ = ["InMemoryStore", "InMemoryVector"]
