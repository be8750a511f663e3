"""``InMemoryVector``: the reference vector store (exact search, pure Python, vector id ``inmemory``)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..log import get_logger
from ..vector import IndexStats, Metric, QueryResult, VectorChecks, VectorStore, similarity
from ..vector_filter import Node, matches

_log = get_logger("mastra_core.inmemory.vector")


@attrs.define(kw_only=True)
class _Index:
    dimension: int
    metric: Metric
    #: id -> (vector, metadata); dict order is insertion order
    rows: dict[str, tuple[list[float], dict[str, Any]]] = attrs.field(factory=dict)


class InMemoryVector(VectorStore):
    """Vectors in dicts with exact (brute-force) search; the executable specification of the vector contract.

    Every method runs without awaiting in between, so each is atomic. Data lives as long as the object.
    """

    vector_id = "inmemory"
    token = "INMEMORY"

    def __init__(self, *, id: str = "inmemory-vector") -> None:
        self.id = id
        self._indexes: dict[str, _Index] = {}

    def _index(self, c: VectorChecks, name: str) -> _Index:
        index = self._indexes.get(c.index_name(name))
        if index is None:
            raise c.not_found(name)
        return index

    async def create_index(self, *, index_name: str, dimension: int, metric: Metric = "cosine", **options: Any) -> None:
        """Create the index if missing; another dimension is an error, another metric a warning."""
        c = VectorChecks(self.token, "CREATE_INDEX")
        name = c.index_name(index_name)
        dim = c.dimension(dimension)
        m = c.metric(metric)
        existing = self._indexes.get(name)
        if existing is not None:
            if existing.dimension != dim:
                raise c.dimension_mismatch(name, existing.dimension, dim)
            if existing.metric != m:
                _log.warning("index exists with another metric", index=name, existing=existing.metric, requested=m)
            return
        self._indexes[name] = _Index(dimension=dim, metric=m)

    async def upsert(
        self,
        *,
        index_name: str,
        vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace vectors and metadata; returns the ids (generated when absent)."""
        c = VectorChecks(self.token, "UPSERT")
        index = self._index(c, index_name)
        vs, metas, id_list = c.upsert(index_name, index.dimension, vectors, metadata, ids)
        for i, v, m in zip(id_list, vs, metas, strict=True):
            index.rows[i] = (v, m)
        return id_list

    async def query(
        self,
        *,
        index_name: str,
        query_vector: Sequence[float],
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
    ) -> list[QueryResult]:
        """Exact top-k by similarity among vectors matching ``filter``; ties by id."""
        c = VectorChecks(self.token, "QUERY")
        index = self._index(c, index_name)
        q = c.vector(query_vector, index_name, index.dimension)
        k = c.top_k(top_k)
        node: Node | None = c.filter(filter)
        scored = [
            (similarity(index.metric, q, v), vid, v, meta)
            for vid, (v, meta) in index.rows.items()
            if matches(meta, node)
        ]
        scored.sort(key=lambda t: (-t[0], t[1]))
        await asyncio.sleep(0)
        return [
            QueryResult(id=vid, score=score, metadata=dict(meta), vector=list(v) if include_vector else None)
            for score, vid, v, meta in scored[:k]
        ]

    async def list_indexes(self) -> list[str]:
        """Index names, sorted."""
        return sorted(self._indexes)

    async def describe_index(self, *, index_name: str) -> IndexStats:
        """Dimension, count and metric."""
        index = self._index(VectorChecks(self.token, "DESCRIBE_INDEX"), index_name)
        return IndexStats(dimension=index.dimension, count=len(index.rows), metric=index.metric)

    async def delete_index(self, *, index_name: str) -> None:
        """Drop the index (missing is fine)."""
        self._indexes.pop(VectorChecks(self.token, "DELETE_INDEX").index_name(index_name), None)

    async def update_vector(
        self,
        *,
        index_name: str,
        id: str,
        vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the vector and/or metadata of one id."""
        c = VectorChecks(self.token, "UPDATE_VECTOR")
        index = self._index(c, index_name)
        if vector is None and metadata is None:
            raise c.fail("INVALID_ARGS", "give a vector, metadata or both")
        new_v = c.vector(vector, index_name, index.dimension) if vector is not None else None
        new_m = c.metadata(metadata) if metadata is not None else None
        old = index.rows.get(id)
        if old is None:
            raise c.vector_not_found(index_name, id)
        index.rows[id] = (new_v if new_v is not None else old[0], new_m if new_m is not None else old[1])

    async def delete_vectors(
        self, *, index_name: str, ids: Sequence[str] | None = None, filter: Mapping[str, Any] | None = None
    ) -> None:
        """Delete by ids (unknown ignored) or by a non-empty filter."""
        c = VectorChecks(self.token, "DELETE_VECTORS")
        index = self._index(c, index_name)
        id_list, node = c.delete_target(ids, filter)
        if id_list is not None:
            for i in id_list:
                index.rows.pop(i, None)
            return
        for vid in [vid for vid, (_, meta) in index.rows.items() if matches(meta, node)]:
            del index.rows[vid]
