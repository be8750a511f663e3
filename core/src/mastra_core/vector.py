"""Vector stores and embedders: the interfaces semantic recall is built on.

Vector stores register through the ``mastra_register_vector_stores`` hook and embedders through
``mastra_register_embedders``. Errors use ids ``MASTRA_VECTOR_<STORE>_<OP>_<STATUS>``.

Filter language (Mongo-like), every store the same: ``{"field": value}`` (equality), operators
``$eq $ne $gt $gte $lt $lte $in $nin $exists`` on a field, and ``$and``/``$or`` lists at any level.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

Metric = Literal["cosine", "euclidean", "dotproduct"]


@attrs.define(kw_only=True, frozen=True)
class QueryResult:
    """One hit: ``score`` is a similarity, higher is better (cosine: 1 - distance)."""

    id: str
    score: float
    metadata: dict[str, Any] = attrs.field(factory=dict)
    vector: list[float] | None = None


@attrs.define(kw_only=True, frozen=True)
class IndexStats:
    """What ``describe_index`` returns."""

    dimension: int
    count: int
    metric: Metric


class VectorStore(abc.ABC):
    """A store of vectors with metadata, grouped in named indexes of one dimension each."""

    #: Registry id, e.g. ``"pgvector"``.
    vector_id: str = ""
    index_separator: str = "_"

    @abc.abstractmethod
    async def create_index(self, *, index_name: str, dimension: int, metric: Metric = "cosine", **options: Any) -> None:
        """Create the index if missing (idempotent); an existing index of another dimension is an error."""

    @abc.abstractmethod
    async def upsert(
        self,
        *,
        index_name: str,
        vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace vectors (generated uuid ids when ``ids`` is None); returns the ids."""

    @abc.abstractmethod
    async def query(
        self,
        *,
        index_name: str,
        query_vector: Sequence[float],
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
    ) -> list[QueryResult]:
        """The ``top_k`` nearest vectors matching ``filter``, best first."""

    @abc.abstractmethod
    async def list_indexes(self) -> list[str]: ...

    @abc.abstractmethod
    async def describe_index(self, *, index_name: str) -> IndexStats: ...

    @abc.abstractmethod
    async def delete_index(self, *, index_name: str) -> None: ...

    @abc.abstractmethod
    async def update_vector(
        self, *, index_name: str, id: str, vector: Sequence[float] | None = None, metadata: Mapping[str, Any] | None = None
    ) -> None: ...

    @abc.abstractmethod
    async def delete_vectors(
        self, *, index_name: str, ids: Sequence[str] | None = None, filter: Mapping[str, Any] | None = None
    ) -> None:
        """Delete by ids or by filter (exactly one of them)."""

    async def delete_vector(self, *, index_name: str, id: str) -> None:
        """Delete one vector."""
        await self.delete_vectors(index_name=index_name, ids=[id])

    async def close(self) -> None:
        """Release what the store created."""


@runtime_checkable
class Embedder(Protocol):
    """Anything with ``embed(texts) -> vectors`` (sync or async); ``dimension`` is optional."""

    def embed(self, texts: list[str]) -> Any: ...
