"""Vector stores and embedders: the interfaces semantic recall is built on.

Vector stores register through the ``mastra_register_vector_stores`` hook and embedders through
``mastra_register_embedders``. Errors use ids ``MASTRA_VECTOR_<STORE>_<OP>_<STATUS>``.

Filter language (Mongo-like), every store the same: ``{"field": value}`` (equality), operators
``$eq $ne $gt $gte $lt $lte $in $nin $exists`` on a field, and ``$and``/``$or`` lists at any level.
The exact semantics live in :mod:`mastra_core.vector_filter` (``parse_filter`` gives a tree to
translate, ``matches`` is the executable definition).

Shared contract (checked by ``tests/vector`` against every store):

- index names match ``[A-Za-z_][A-Za-z0-9_]{0,62}``; anything else is a ``ValidationError``;
- ``create_index`` is idempotent; the same name with another dimension raises ``ValidationError``
  with an id ending in ``DIMENSION_MISMATCH``; another metric only logs a warning;
- ``upsert``/``query``/``update_vector`` with a vector of the wrong length raise the same
  ``DIMENSION_MISMATCH`` error; an operation on a missing index raises ``NotFoundError`` (id ending
  in ``INDEX_NOT_FOUND``), except ``delete_index``, which ignores a missing index;
- ``upsert`` replaces vector and metadata of an existing id; duplicate ids in one call are an error;
- ``query`` returns at most ``top_k`` hits, best first (ties by id), ``score`` a similarity;
- ``update_vector`` on a missing id raises ``NotFoundError``; given metadata replaces the old;
- ``delete_vectors`` takes exactly one of ``ids`` (unknown ids ignored) or a non-empty ``filter``.
"""

from __future__ import annotations

import abc
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from .errors import ErrorCategory, NotFoundError, StorageError, ValidationError
from .guard import guard_public_coroutines

Metric = Literal["cosine", "euclidean", "dotproduct"]
METRICS: tuple[Metric, ...] = ("cosine", "euclidean", "dotproduct")
INDEX_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_TOKEN = re.compile(r"[^A-Z0-9]+")


def vector_error_id(store: str, op: str, status: str) -> str:
    """``MASTRA_VECTOR_{STORE}_{OP}_{STATUS}`` in upper snake case."""
    return "MASTRA_VECTOR_" + "_".join(_TOKEN.sub("_", p.upper()).strip("_") for p in (store, op, status) if p)


def third_party_error(store: str, op: str, exc: BaseException, **details: Any) -> StorageError:
    """Wrap a driver failure (raise it ``from exc``)."""
    return StorageError(
        f"vector store {store} failed in {op}: {type(exc).__name__}: {exc}",
        id=vector_error_id(store, op, "FAILED"),
        category=ErrorCategory.THIRD_PARTY,
        details=details,
    )


class VectorChecks:
    """Input validation shared by every vector store: ``VectorChecks("LIBSQL", "UPSERT").index_name(x)``."""

    def __init__(self, store: str, op: str) -> None:
        self.store = store
        self.op = op

    def fail(self, status: str, message: str, **details: Any) -> ValidationError:
        return ValidationError(message, id=vector_error_id(self.store, self.op, status), details=details)

    def not_found(self, index_name: str) -> NotFoundError:
        return NotFoundError(
            f"vector index {index_name!r} does not exist",
            id=vector_error_id(self.store, self.op, "INDEX_NOT_FOUND"),
            details={"indexName": index_name},
        )

    def vector_not_found(self, index_name: str, vector_id: str) -> NotFoundError:
        return NotFoundError(
            f"vector {vector_id!r} not found in index {index_name!r}",
            id=vector_error_id(self.store, self.op, "VECTOR_NOT_FOUND"),
            details={"indexName": index_name, "vectorId": vector_id},
        )

    def dimension_mismatch(self, index_name: str, expected: int, got: int) -> ValidationError:
        return self.fail(
            "DIMENSION_MISMATCH",
            f"vector index {index_name!r} has dimension {expected} but got {got}; use a matching embedder "
            "or delete and recreate the index",
            indexName=index_name,
            expected=expected,
            got=got,
        )

    def index_name(self, name: Any) -> str:
        if not isinstance(name, str) or not INDEX_NAME_RE.fullmatch(name):
            raise self.fail(
                "INVALID_INDEX_NAME",
                f"invalid index name {name!r}: use letters, digits and _ (max 63, not starting with a digit)",
            )
        return name

    def dimension(self, dimension: Any) -> int:
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension <= 0:
            raise self.fail("INVALID_DIMENSION", f"dimension must be a positive integer, got {dimension!r}")
        return dimension

    def metric(self, metric: Any, supported: Sequence[str] = METRICS) -> Metric:
        if metric not in supported:
            raise self.fail(
                "INVALID_METRIC", f"metric {metric!r} is not supported here (supported: {', '.join(supported)})"
            )
        return metric  # type: ignore[no-any-return]

    def top_k(self, top_k: Any) -> int:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k <= 0:
            raise self.fail("INVALID_TOP_K", f"top_k must be a positive integer, got {top_k!r}")
        return top_k

    def vector(self, vector: Any, index_name: str, dimension: int | None) -> list[float]:
        if isinstance(vector, str | bytes | Mapping) or not isinstance(vector, Sequence):
            raise self.fail("INVALID_VECTOR", "a vector must be a sequence of numbers")
        out: list[float] = []
        for x in vector:
            if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
                raise self.fail("INVALID_VECTOR", f"vectors must hold finite numbers, got {x!r}")
            out.append(float(x))
        if not out:
            raise self.fail("INVALID_VECTOR", "a vector must not be empty")
        if dimension is not None and len(out) != dimension:
            raise self.dimension_mismatch(index_name, dimension, len(out))
        return out

    def filter(self, filter: Any) -> Any:
        """The parsed filter tree (None: match all)."""
        from .vector_filter import FilterError, parse_filter

        try:
            return parse_filter(filter)
        except FilterError as exc:
            raise self.fail("INVALID_FILTER", str(exc)) from None

    def metadata(self, metadata: Any) -> dict[str, Any]:
        import json

        if metadata is None:
            return {}
        if not isinstance(metadata, Mapping):
            raise self.fail("INVALID_METADATA", f"metadata must be a mapping, got {type(metadata).__name__}")
        try:
            result: dict[str, Any] = json.loads(json.dumps(dict(metadata), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise self.fail("INVALID_METADATA", f"metadata must be JSON-serialisable: {exc}") from None
        return result

    def upsert(
        self,
        index_name: str,
        dimension: int | None,
        vectors: Any,
        metadata: Any,
        ids: Any,
    ) -> tuple[list[list[float]], list[dict[str, Any]], list[str]]:
        """Validated ``(vectors, metadata, ids)`` of one upsert, ids generated (uuid4) when absent."""
        if isinstance(vectors, str | bytes) or not isinstance(vectors, Sequence):
            raise self.fail("INVALID_VECTOR", "vectors must be a list of vectors")
        vs = [self.vector(v, index_name, dimension) for v in vectors]
        if metadata is not None and (not isinstance(metadata, Sequence) or len(metadata) != len(vs)):
            raise self.fail("INVALID_METADATA", "metadata must be a list with one mapping per vector")
        metas = [self.metadata(m) for m in metadata] if metadata is not None else [{} for _ in vs]
        if ids is None:
            id_list = [str(uuid.uuid4()) for _ in vs]
        else:
            if isinstance(ids, str | bytes) or not isinstance(ids, Sequence) or len(ids) != len(vs):
                raise self.fail("INVALID_IDS", "ids must be a list with one id per vector")
            id_list = list(ids)
            for i in id_list:
                if not isinstance(i, str) or not i:
                    raise self.fail("INVALID_IDS", f"ids must be non-empty strings, got {i!r}")
            if len(set(id_list)) != len(id_list):
                raise self.fail("DUPLICATE_IDS", "the same id appears twice in one upsert")
        return vs, metas, id_list

    def delete_target(self, ids: Any, filter: Any) -> tuple[list[str] | None, Any]:
        """``(ids, None)`` or ``(None, parsed filter)``: exactly one must be given."""
        if (ids is None) == (filter is None):
            raise self.fail("INVALID_ARGS", "give exactly one of ids or filter")
        if ids is not None:
            if (
                isinstance(ids, str | bytes)
                or not isinstance(ids, Sequence)
                or any(not isinstance(i, str) for i in ids)
            ):
                raise self.fail("INVALID_IDS", "ids must be a list of strings")
            return list(ids), None
        node = self.filter(filter)
        if node is None:
            raise self.fail("INVALID_FILTER", "an empty filter would delete everything: use delete_index")
        return None, node


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity (0.0 when either vector is zero)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return 0.0 if na == 0 or nb == 0 else dot / (na * nb)


def similarity(metric: Metric, a: Sequence[float], b: Sequence[float]) -> float:
    """The score of a hit: cosine similarity, ``1 / (1 + L2 distance)``, or the dot product."""
    if metric == "cosine":
        return cosine_similarity(a, b)
    if metric == "euclidean":
        return 1.0 / (1.0 + math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b, strict=True))))
    return sum(x * y for x, y in zip(a, b, strict=True))


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

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Every backend's public methods raise only StorageErrors (see :mod:`mastra_core.guard`)."""
        super().__init_subclass__(**kwargs)
        guard_public_coroutines(cls, lambda s: s.vector_id or "VECTOR", lambda s: s.vector_id or "vector")

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
    async def list_indexes(self) -> list[str]:
        """Names of the indexes in this store's namespace."""

    @abc.abstractmethod
    async def describe_index(self, *, index_name: str) -> IndexStats:
        """Dimension, vector count and metric of an index (NotFoundError when missing)."""

    @abc.abstractmethod
    async def delete_index(self, *, index_name: str) -> None:
        """Drop an index and its vectors; a missing index is fine."""

    @abc.abstractmethod
    async def update_vector(
        self,
        *,
        index_name: str,
        id: str,
        vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the vector and/or the metadata of one id (at least one given; NotFoundError for a missing id)."""

    @abc.abstractmethod
    async def delete_vectors(
        self, *, index_name: str, ids: Sequence[str] | None = None, filter: Mapping[str, Any] | None = None
    ) -> None:
        """Delete by ids or by filter (exactly one of them)."""

    async def delete_vector(self, *, index_name: str, id: str) -> None:
        """Delete one vector."""
        await self.delete_vectors(index_name=index_name, ids=[id])

    async def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release what the store created."""


@runtime_checkable
class Embedder(Protocol):
    """Anything with ``embed(texts) -> vectors`` (sync or async); ``dimension`` is optional."""

    def embed(self, texts: list[str]) -> Any: ...
