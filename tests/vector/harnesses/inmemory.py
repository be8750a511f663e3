"""The in-memory reference vector store: every namespace is a new object."""

from __future__ import annotations

from mastra_core.inmemory.vector import InMemoryVector
from mastra_core.vector import VectorStore


async def make_vector(namespace: str) -> VectorStore:
    return InMemoryVector(id=f"vector-{namespace}")
PERSISTENT = False
