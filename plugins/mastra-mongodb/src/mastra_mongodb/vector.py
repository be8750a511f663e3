"""``MongoDBVector``: a vector store on MongoDB Atlas Vector Search (``$vectorSearch``).

Layout (the reference's): one collection per index; each vector is a document ``{_id: <id>,
embedding: [...], metadata: {...}}``; a document ``{_id: "__index_metadata__", dimension, metric}``
records the index's shape; the Atlas search index is named ``<index>_vector_index``.

``$vectorSearch`` and search indexes exist on MongoDB Atlas, Atlas Local (``mongodb/mongodb-atlas-local``)
and self-managed MongoDB with ``mongot`` (8.2+). The store probes the server once: where the capability
is missing, ``create_index`` and ``query`` raise a ``CapabilityError`` saying so (``capabilities()``
tells beforehand). Storage without search (upsert, describe, update, delete) works anywhere.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from mastra_core.errors import CapabilityError, ErrorCategory, StorageError, ValidationError
from mastra_core.log import redact
from mastra_core.vector import IndexStats, Metric, QueryResult, VectorStore

from .config import database_from_uri, normalise_options

VECTOR_SEARCH = "vector_search"
META_ID = "__index_metadata__"
_METRICS = {"cosine": "cosine", "euclidean": "euclidean", "dotproduct": "dotProduct"}
_FIELD_OPS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"}
_LOGICAL = {"$and", "$or"}


def _err(op: str, status: str) -> str:
    return f"MASTRA_VECTOR_MONGODB_{op}_{status}"


def translate_filter(flt: Mapping[str, Any] | None, prefix: str = "metadata") -> dict[str, Any]:
    """The core vector filter language (see ``mastra_core.vector``) as a MongoDB query on ``metadata``."""
    if not flt:
        return {}
    if not isinstance(flt, Mapping):
        raise ValidationError("vector filter must be a mapping", id=_err("QUERY", "INVALID_FILTER"))
    out: dict[str, Any] = {}
    for key, value in flt.items():
        if key in _LOGICAL:
            if not isinstance(value, list | tuple) or not value:
                raise ValidationError(f"{key} needs a non-empty list of filters", id=_err("QUERY", "INVALID_FILTER"))
            out[key] = [translate_filter(v, prefix) for v in value]
        elif key.startswith("$"):
            raise ValidationError(f"unsupported filter operator {key!r} at the top level",
                                  id=_err("QUERY", "INVALID_FILTER"))
        else:
            if isinstance(value, Mapping) and any(str(k).startswith("$") for k in value):
                bad = [k for k in value if k not in _FIELD_OPS]
                if bad:
                    raise ValidationError(
                        f"unsupported filter operator(s) {bad} on {key!r}; supported: {sorted(_FIELD_OPS)}",
                        id=_err("QUERY", "INVALID_FILTER"))
            out[f"{prefix}.{key}"] = value
    return out


class MongoDBVector(VectorStore):
    """Vectors in MongoDB collections, searched with Atlas ``$vectorSearch``."""

    vector_id = "mongodb"

    def __init__(
        self,
        *,
        id: str = "mongodb-vector",
        uri: str | None = None,
        db_name: str | None = None,
        options: Mapping[str, Any] | None = None,
        client: Any = None,
        embedding_field: str = "embedding",
    ) -> None:
        if not isinstance(id, str) or not id.strip():
            raise ValidationError("MongoDBVector: id must be a non-empty string", id=_err("CONFIG", "INVALID"))
        if client is None and not (isinstance(uri, str) and uri.startswith(("mongodb://", "mongodb+srv://"))):
            raise ValidationError("MongoDBVector: uri (mongodb:// or mongodb+srv://) or client is required",
                                  id=_err("CONFIG", "INVALID"))
        self.id = id
        self._uri = uri
        self.db_name = db_name or (database_from_uri(uri) if uri else None)
        if not self.db_name:
            raise ValidationError("MongoDBVector: db_name is required", id=_err("CONFIG", "INVALID"))
        self._options = normalise_options(options)
        self._client = client
        self._owns = client is None
        self._db: Any = None
        self.embedding_field = embedding_field
        self._search: bool | None = None
        self._search_error = ""

    def __repr__(self) -> str:
        return f"<MongoDBVector id={self.id!r} db_name={self.db_name!r}>"

    async def _database(self) -> Any:
        if self._db is None:
            from bson.codec_options import CodecOptions
            from pymongo import AsyncMongoClient

            if self._client is None:
                self._client = AsyncMongoClient(self._uri, tz_aware=True, **self._options)
            from datetime import UTC

            self._db = self._client.get_database(self.db_name, codec_options=CodecOptions(tz_aware=True, tzinfo=UTC))
        return self._db

    async def close(self) -> None:
        """Close the client if this store created it."""
        client, self._client, self._db = self._client, None, None
        if client is not None and self._owns:
            await client.close()

    # --- capability ------------------------------------------------------------------------

    async def capabilities(self) -> frozenset[str]:
        """``{"vector_search"}`` when the server has Atlas Vector Search, else empty (probed once)."""
        if self._search is None:
            from pymongo.errors import OperationFailure

            db = await self._database()
            try:
                await (await db["__mastra_vector_probe"].aggregate([{"$listSearchIndexes": {}}])).to_list(None)
                self._search = True
            except OperationFailure as exc:
                self._search = False
                self._search_error = redact(str(exc))[:200]
        return frozenset({VECTOR_SEARCH}) if self._search else frozenset()

    async def _require_search(self, op: str) -> None:
        if VECTOR_SEARCH not in await self.capabilities():
            raise CapabilityError(
                f"MongoDBVector.{op.lower()} needs Atlas Vector Search ($vectorSearch and search indexes), which this "
                f"server does not have (MongoDB Atlas, Atlas Local, or MongoDB 8.2+ with mongot have it); "
                f"the server said: {self._search_error}",
                id=_err(op, "NOT_SUPPORTED"),
                details={"capability": VECTOR_SEARCH},
            )

    # --- indexes -----------------------------------------------------------------------------

    async def create_index(self, *, index_name: str, dimension: int, metric: Metric = "cosine", **options: Any) -> None:
        """Record the index's shape and create its Atlas vector search index (idempotent for the same dimension)."""
        _name(index_name, "CREATE_INDEX")
        if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension <= 0:
            raise ValidationError("dimension must be a positive integer", id=_err("CREATE_INDEX", "INVALID_DIMENSION"))
        if metric not in _METRICS:
            raise ValidationError(f"metric must be one of {sorted(_METRICS)}",
                                  id=_err("CREATE_INDEX", "INVALID_METRIC"))
        if options:
            raise ValidationError(f"unknown create_index option(s) {sorted(options)}",
                                  id=_err("CREATE_INDEX", "INVALID_OPTIONS"))
        await self._require_search("CREATE_INDEX")
        from pymongo.errors import OperationFailure
        from pymongo.operations import SearchIndexModel

        col = (await self._database())[index_name]
        try:
            existing = await col.find_one({"_id": META_ID})
            if existing is not None and existing.get("dimension") != dimension:
                raise ValidationError(
                    f"index {index_name!r} exists with dimension {existing.get('dimension')}, not {dimension}",
                    id="MASTRA_VECTOR_MONGODB_VALIDATE_INDEX_DIMENSION_MISMATCH",
                )
            await col.update_one({"_id": META_ID}, {"$set": {"dimension": dimension, "metric": metric}}, upsert=True)
            model = SearchIndexModel(
                definition={"fields": [
                    {"type": "vector", "path": self.embedding_field, "numDimensions": dimension,
                     "similarity": _METRICS[metric]},
                    {"type": "filter", "path": "_id"},
                ]},
                name=f"{index_name}_vector_index", type="vectorSearch",
            )
            try:
                await col.create_search_index(model)
            except OperationFailure as exc:
                if exc.code != 68 and "already exists" not in str(exc):  # IndexAlreadyExists
                    raise
        except StorageError:
            raise
        except Exception as exc:
            raise _wrap("CREATE_INDEX", exc) from exc

    async def list_indexes(self) -> list[str]:
        """The collections that hold a vector index (their metadata document), sorted."""
        db = await self._database()
        try:
            names = await db.list_collection_names()
            out = []
            for name in names:
                if await db[name].find_one({"_id": META_ID}) is not None:
                    out.append(name)
            return sorted(out)
        except Exception as exc:
            raise _wrap("LIST_INDEXES", exc) from exc

    async def describe_index(self, *, index_name: str) -> IndexStats:
        """Dimension, metric and vector count of an index (a USER error when it does not exist)."""
        _name(index_name, "DESCRIBE_INDEX")
        col = (await self._database())[index_name]
        try:
            meta = await col.find_one({"_id": META_ID})
            if meta is None:
                raise ValidationError(f"vector index {index_name!r} does not exist",
                                      id=_err("DESCRIBE_INDEX", "NOT_FOUND"))
            count = await col.count_documents({"_id": {"$ne": META_ID}})
        except StorageError:
            raise
        except Exception as exc:
            raise _wrap("DESCRIBE_INDEX", exc) from exc
        return IndexStats(dimension=int(meta["dimension"]), count=count, metric=meta.get("metric", "cosine"))

    async def delete_index(self, *, index_name: str) -> None:
        """Drop the index's collection (and with it its search index)."""
        _name(index_name, "DELETE_INDEX")
        db = await self._database()
        try:
            await db.drop_collection(index_name)
        except Exception as exc:
            raise _wrap("DELETE_INDEX", exc) from exc

    # --- vectors -----------------------------------------------------------------------------

    async def upsert(
        self, *, index_name: str, vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any]] | None = None, ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace vectors (new ids are UUIDs); returns the ids in order."""
        from pymongo import UpdateOne

        stats = await self.describe_index(index_name=index_name)
        if ids is not None and len(ids) != len(vectors):
            raise ValidationError("ids and vectors differ in length", id=_err("UPSERT", "INVALID_IDS"))
        if metadata is not None and len(metadata) != len(vectors):
            raise ValidationError("metadata and vectors differ in length", id=_err("UPSERT", "INVALID_METADATA"))
        for v in vectors:
            _check_vector(v, stats.dimension, "UPSERT")
        out = [str(i) for i in ids] if ids is not None else [str(uuid.uuid4()) for _ in vectors]
        if META_ID in out:
            raise ValidationError(f"{META_ID!r} is reserved", id=_err("UPSERT", "INVALID_IDS"))
        ops = [
            UpdateOne({"_id": vid}, {"$set": {self.embedding_field: [float(x) for x in vec],
                                              "metadata": dict(metadata[i]) if metadata is not None else {}}},
                       upsert=True)
            for i, (vid, vec) in enumerate(zip(out, vectors, strict=True))
        ]
        if ops:
            try:
                await (await self._database())[index_name].bulk_write(ops, ordered=True)
            except Exception as exc:
                raise _wrap("UPSERT", exc) from exc
        return out

    async def query(
        self, *, index_name: str, query_vector: Sequence[float], top_k: int = 10,
        filter: Mapping[str, Any] | None = None, include_vector: bool = False,
    ) -> list[QueryResult]:
        """The ``top_k`` nearest vectors by ``$vectorSearch``, pre-filtered exactly on metadata."""
        _name(index_name, "QUERY")
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k <= 0:
            raise ValidationError("top_k must be a positive integer", id=_err("QUERY", "INVALID_TOP_K"))
        match = translate_filter(filter)
        await self._require_search("QUERY")
        stats = await self.describe_index(index_name=index_name)
        _check_vector(query_vector, stats.dimension, "QUERY")
        col = (await self._database())[index_name]
        try:
            search: dict[str, Any] = {"index": f"{index_name}_vector_index", "path": self.embedding_field,
                                      "queryVector": [float(x) for x in query_vector],
                                      "numCandidates": max(100, top_k * 10), "limit": top_k}
            if match:
                candidates = await self.matching_ids(index_name, match)
                if not candidates:
                    return []
                search["filter"] = {"_id": {"$in": candidates}}
            pipeline = [{"$vectorSearch": search}, {"$set": {"score": {"$meta": "vectorSearchScore"}}}]
            docs = await (await col.aggregate(pipeline)).to_list(None)
        except Exception as exc:
            raise _wrap("QUERY", exc) from exc
        return [QueryResult(id=str(d["_id"]), score=_similarity(float(d["score"]), stats.metric),
                            metadata=d.get("metadata") or {},
                            vector=list(d.get(self.embedding_field) or []) if include_vector else None) for d in docs]

    async def matching_ids(self, index_name: str, match: Mapping[str, Any]) -> list[Any]:
        """Ids of the vectors whose metadata matches a translated filter (the exact pre-filter of ``query``)."""
        col = (await self._database())[index_name]
        docs = await col.find({"$and": [{"_id": {"$ne": META_ID}}, dict(match)]}, {"_id": 1}).to_list(None)
        return [d["_id"] for d in docs]

    async def update_vector(
        self, *, index_name: str, id: str, vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace a vector's embedding and/or metadata."""
        if vector is None and metadata is None:
            raise ValidationError("update_vector needs a vector or metadata",
                                  id=_err("UPDATE_VECTOR", "NOTHING_TO_UPDATE"))
        stats = await self.describe_index(index_name=index_name)
        changes: dict[str, Any] = {}
        if vector is not None:
            _check_vector(vector, stats.dimension, "UPDATE_VECTOR")
            changes[self.embedding_field] = [float(x) for x in vector]
        if metadata is not None:
            changes["metadata"] = dict(metadata)
        try:
            await (await self._database())[index_name].update_one({"_id": id}, {"$set": changes})
        except Exception as exc:
            raise _wrap("UPDATE_VECTOR", exc) from exc

    async def delete_vectors(
        self, *, index_name: str, ids: Sequence[str] | None = None, filter: Mapping[str, Any] | None = None
    ) -> None:
        """Delete vectors by ids or by a metadata filter (exactly one of them)."""
        _name(index_name, "DELETE_VECTORS")
        if (ids is None) == (filter is None):
            raise ValidationError("give exactly one of ids or filter", id=_err("DELETE_VECTORS", "INVALID_ARGS"))
        query = {"_id": {"$in": list(ids)}} if ids is not None else translate_filter(filter)
        try:
            await (await self._database())[index_name].delete_many({"$and": [{"_id": {"$ne": META_ID}}, query]})
        except Exception as exc:
            raise _wrap("DELETE_VECTORS", exc) from exc


def _name(index_name: Any, op: str) -> None:
    if not isinstance(index_name, str) or not index_name.strip() or "$" in index_name or "\x00" in index_name:
        raise ValidationError(f"invalid index name {index_name!r}", id=_err(op, "INVALID_INDEX_NAME"))


def _check_vector(vector: Sequence[float], dimension: int, op: str) -> None:
    finite = all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in vector)
    if len(vector) != dimension or not finite:
        raise ValidationError(f"vector must have {dimension} finite numbers, got {len(vector)}",
                              id=_err(op, "INVALID_VECTOR"))


def _similarity(atlas_score: float, metric: str) -> float:
    """Atlas normalises scores to [0, 1]; give cosine similarity and dot product back (euclidean stays 1/(1+d))."""
    if metric in ("cosine", "dotproduct"):
        return 2.0 * atlas_score - 1.0
    return atlas_score


def _wrap(op: str, exc: BaseException) -> StorageError:
    return StorageError(f"mongodb vector {op.lower()} failed: {type(exc).__name__}: {redact(str(exc))[:300]}",
                        id=_err(op, "FAILED"), category=ErrorCategory.THIRD_PARTY)
