"""``LibSQLVector``: native libSQL vectors (``F32_BLOB``, ``vector_distance_cos``, ``libsql_vector_idx``).

Layout (the reference's, so a database can be shared with it): one table per index,
``"<index>"(id INTEGER PRIMARY KEY, vector_id TEXT UNIQUE NOT NULL, embedding F32_BLOB(<dim>),
metadata TEXT DEFAULT '{}')`` plus the DiskANN index ``"<index>_vector_idx"`` on
``libsql_vector_idx(embedding, 'metric=cosine'|'metric=l2')``.

Search: an index with at most ``exact_max_rows`` rows (by ``max(rowid)``, one B-tree probe), or a filter
matching at most that many rows (counted through the ``indexed_fields`` expression indexes), is scanned
exactly with the filter in SQL. Otherwise the store asks the ANN index (``vector_top_k``) for
``top_k * ann_oversample`` candidates, re-ranks them by exact distance and applies the filter; when
fewer than ``top_k`` candidates pass the filter it falls back to the exact scan, so a selective filter
never loses hits. Identifiers are validated and double-quoted, values always bound (hence the S608
noqa marks). Metrics: cosine (score ``1 - cosine distance``) and euclidean (score
``1 / (1 + L2 distance)``); libSQL has no dot-product distance.
"""

from __future__ import annotations

import asyncio
import json
import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from mastra_core.log import get_logger
from mastra_core.vector import IndexStats, Metric, QueryResult, VectorChecks, VectorStore, third_party_error
from mastra_core.vector_filter import And, Cond, Node, Or

from .connection import LibSQLConnection, Target, chunks, quote

_log = get_logger("mastra_libsql.vector")
TOKEN = "LIBSQL"
_I32 = (-(2**31), 2**31 - 1)
_DIM_RE = re.compile(r"F32_BLOB\s*\(\s*(\d+)\s*\)", re.IGNORECASE)
_METRIC_RE = re.compile(r"metric\s*=\s*(\w+)", re.IGNORECASE)
_DISTANCE = {"cosine": "vector_distance_cos", "euclidean": "vector_distance_l2"}
_INDEX_METRIC = {"cosine": "cosine", "euclidean": "l2"}


def _blob(vector: Sequence[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def _score(metric: Metric, distance: float) -> float:
    return 1.0 - distance if metric == "cosine" else 1.0 / (1.0 + distance)


class _Sql:
    """Translate a parsed filter tree into a libSQL boolean expression.

    Positive terms may be NULL (falsy) when a field is missing; every negation wraps its operand in
    ``COALESCE(..., 0)`` so NULL never leaks through a NOT. JSON paths are literals (field names
    cannot hold quotes or backslashes; single quotes are doubled), so ``json_extract(metadata,
    '$."resource_id"') = ?`` matches the expression indexes on ``indexed_fields``.
    """

    def __init__(self) -> None:
        self.params: list[Any] = []

    def ph(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool) and not _I32[0] <= value <= _I32[1]:
            self.params.append(str(value))  # the driver binds big ints as REAL
            return "CAST(? AS INTEGER)"
        self.params.append(value)
        return "?"

    def node(self, node: Node | None) -> str:
        if node is None:
            return "1"
        if isinstance(node, And):
            return "(" + " AND ".join(self.node(n) for n in node.items) + ")"
        if isinstance(node, Or):
            return "(" + " OR ".join(self.node(n) for n in node.items) + ")"
        return self.cond(node)

    def eq(self, field: str, v: Any) -> str:
        jt, je = f"json_type(metadata, {_path(field)})", f"json_extract(metadata, {_path(field)})"
        if v is None:
            return f"(COALESCE({jt}, 'null') = 'null')"
        if isinstance(v, bool):
            return f"({jt} = '{'true' if v else 'false'}')"
        if isinstance(v, int | float):
            return f"({je} = {self.ph(v)} AND {jt} IN ('integer', 'real'))"
        return f"({je} = {self.ph(v)} AND {jt} = 'text')"

    def cond(self, c: Cond) -> str:
        if c.op == "eq":
            return self.eq(c.field, c.value)
        if c.op == "ne":
            return f"(NOT COALESCE({self.eq(c.field, c.value)}, 0))"
        if c.op in ("in", "nin"):
            inner = "(" + " OR ".join(self.eq(c.field, v) for v in c.value) + ")" if c.value else "0"
            return inner if c.op == "in" else f"(NOT COALESCE({inner}, 0))"
        jt, je = f"json_type(metadata, {_path(c.field)})", f"json_extract(metadata, {_path(c.field)})"
        if c.op == "exists":
            return f"({jt} IS {'NOT NULL' if c.value else 'NULL'})"
        sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
        kinds = "IN ('integer', 'real')" if isinstance(c.value, int | float) else "= 'text'"
        return f"({je} {sym} {self.ph(c.value)} AND {jt} {kinds})"


def _path(field: str) -> str:
    """The SQL string literal of the JSON path of a top-level key (validated by the filter parser)."""
    return "'" + ('$."' + field + '"').replace("'", "''") + "'"


def filter_sql(node: Node | None) -> tuple[str, list[Any]]:
    """``(sql, params)`` of a parsed filter over the ``metadata`` column."""
    s = _Sql()
    return s.node(node), s.params


_INDEX_OPTION = {"max_neighbors": int, "compress_neighbors": str, "alpha": float, "search_l": int, "insert_l": int}
_WORDISH = re.compile(r"^[A-Za-z0-9_.]+$")


def _index_settings(options: Mapping[str, Any], c: VectorChecks) -> list[str]:
    out: list[str] = []
    for key, value in options.items():
        kind = _INDEX_OPTION.get(key)
        if kind is None:
            raise c.fail("INVALID_OPTIONS",
                         f"unknown libsql vector index option {key!r} (known: {sorted(_INDEX_OPTION)})")
        if isinstance(value, bool) or not isinstance(value, kind if kind is not float else (int, float)) \
                or not _WORDISH.fullmatch(str(value)):
            raise c.fail("INVALID_OPTIONS",
                         f"libsql vector index option {key}={value!r} is not a valid {kind.__name__}")
        out.append(f"'{key}={value}'")
    return out


class LibSQLVector(VectorStore):
    """Vector store on libSQL's native vectors; registered as vector id ``libsql``.

    ``LibSQLVector(url="file:vectors.db")`` (also ``:memory:``, a bare path, ``libsql://``/``http://``
    with ``auth_token``), or ``LibSQLVector(database=store.db)`` to share a ``LibSQLStore``'s connection
    (then ``close()`` leaves it open).
    """

    vector_id = "libsql"

    def __init__(
        self,
        *,
        url: str | None = None,
        connection_url: str | None = None,
        auth_token: str | None = None,
        id: str = "libsql-vector",
        database: LibSQLConnection | None = None,
        exact_max_rows: int = 5_000,
        ann_oversample: int = 10,
        vector_index: bool = True,
        index_options: Mapping[str, Any] | None = None,
        indexed_fields: Sequence[str] = ("resource_id", "thread_id"),
        max_retries: int = 5,
        initial_backoff_ms: int = 100,
        busy_timeout_ms: int = 10_000,
    ) -> None:
        self.id = id
        self.exact_max_rows = exact_max_rows
        self.ann_oversample = max(1, ann_oversample)
        self.vector_index = vector_index
        self.index_options = dict(index_options or {})
        _index_settings(self.index_options, VectorChecks(TOKEN, "INIT"))
        self.indexed_fields = tuple(indexed_fields)
        for f in self.indexed_fields:
            VectorChecks(TOKEN, "INIT").filter({f: 1})  # a valid field name
        self._owns_db = database is None
        if database is None:
            target = Target(url or connection_url or ":memory:", auth_token)
            database = LibSQLConnection(target, max_retries=max_retries, initial_backoff_ms=initial_backoff_ms,
                                busy_timeout_ms=busy_timeout_ms)
        self.db = database
        self._open_lock = asyncio.Lock()
        #: index name -> (dimension, metric); a cache, re-read when a statement says otherwise
        self._info: dict[str, tuple[int, Metric]] = {}

    @classmethod
    def from_storage(cls, storage: Any, **options: Any) -> LibSQLVector:
        """A vector store in the same database as a ``LibSQLStore``, sharing its connection and worker thread."""
        db = getattr(storage, "db", None)
        if not isinstance(db, LibSQLConnection):
            raise VectorChecks(TOKEN, "INIT").fail("INVALID_STORAGE", f"{storage!r} is not a LibSQLStore")
        return cls(database=db, id=options.pop("id", f"{getattr(storage, 'id', 'libsql')}-vector"), **options)

    def __repr__(self) -> str:
        return f"LibSQLVector(id={self.id!r}, database={self.db.target.shown!r})"

    async def _ready(self) -> LibSQLConnection:
        if not self.db.is_open:
            async with self._open_lock:
                if not self.db.is_open:
                    await self.db.open()
        return self.db

    async def close(self) -> None:
        """Close the connection if this store opened it."""
        if self._owns_db:
            await self.db.close()

    # ------------------------------------------------------------------ helpers

    async def _run_read(self, op: str, fn: Any, **details: Any) -> Any:
        db = await self._ready()
        try:
            return await db.read(fn)
        except Exception as exc:
            raise self._wrap(op, exc, details) from exc

    async def _run_write(self, op: str, fn: Any, **details: Any) -> Any:
        db = await self._ready()
        try:
            return await db.write(fn)
        except Exception as exc:
            raise self._wrap(op, exc, details) from exc

    def _wrap(self, op: str, exc: Exception, details: dict[str, Any]) -> Exception:
        from mastra_core.errors import StorageError

        if isinstance(exc, StorageError):
            return exc
        c = VectorChecks(TOKEN, op)
        text = str(exc)
        name = details.get("indexName")
        if name and "no such table" in text:
            self._info.pop(name, None)
            return c.not_found(name)
        m = re.search(r"dimensions are different: (\d+) != (\d+)", text)
        if name and m:
            self._info.pop(name, None)
            return c.dimension_mismatch(name, int(m.group(2)), int(m.group(1)))
        return third_party_error(TOKEN, op, exc, **details)

    @staticmethod
    def _read_info(db: LibSQLConnection, name: str) -> tuple[int, Metric] | None:
        row = db.one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        if row is None:
            return None
        m = _DIM_RE.search(str(row[0]))
        if m is None:
            return None
        idx = db.one("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", (f"{name}_vector_idx",))
        mm = _METRIC_RE.search(str(idx[0])) if idx and idx[0] else None
        metric: Metric = "euclidean" if mm and mm.group(1).lower() == "l2" else "cosine"
        return int(m.group(1)), metric

    async def _index_info(self, c: VectorChecks, name: str) -> tuple[int, Metric]:
        info = self._info.get(name)
        if info is None:
            info = await self._run_read(c.op, lambda db: self._read_info(db, name), indexName=name)
            if info is None:
                raise c.not_found(name)
            self._info[name] = info
        return info

    # ------------------------------------------------------------------ indexes

    async def create_index(self, *, index_name: str, dimension: int, metric: Metric = "cosine", **options: Any) -> None:
        """Create the table and its vector index if missing (idempotent; another dimension is an error)."""
        c = VectorChecks(TOKEN, "CREATE_INDEX")
        name = c.index_name(index_name)
        dim = c.dimension(dimension)
        m = c.metric(metric, tuple(_DISTANCE))
        ignored = {k: v for k, v in options.items() if k not in _INDEX_OPTION}
        if ignored:
            _log.debug("ignoring index options libSQL does not use", options=sorted(ignored))
        given = {k: v for k, v in options.items() if k in _INDEX_OPTION}
        settings = _index_settings({**self.index_options, **given}, c)
        idx_args = ", ".join([f"'metric={_INDEX_METRIC[m]}'", *settings])

        def go(db: LibSQLConnection) -> tuple[int, Metric]:
            existing = self._read_info(db, name)
            if existing is not None:
                return existing
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {quote(name)} (id INTEGER PRIMARY KEY, vector_id TEXT UNIQUE NOT NULL, "
                f"embedding F32_BLOB({dim}), metadata TEXT DEFAULT '{{}}')"
            )
            if self.vector_index:
                db.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote(name + '_vector_idx')} ON {quote(name)} "
                    f"(libsql_vector_idx(embedding, {idx_args}))"
                )
            for i, field in enumerate(self.indexed_fields):
                db.execute(f"CREATE INDEX IF NOT EXISTS {quote(f'{name}_meta_{i}_idx')} ON {quote(name)} "
                           f"(json_extract(metadata, {_path(field)}))")
            return dim, m

        got = await self._run_write("CREATE_INDEX", go, indexName=name)
        if got[0] != dim:
            raise c.dimension_mismatch(name, got[0], dim)
        if got[1] != m:
            _log.warning("index exists with another metric", index=name, existing=got[1], requested=m)
        self._info[name] = got

    async def list_indexes(self) -> list[str]:
        """Tables holding an ``F32_BLOB`` column, sorted."""
        rows = await self._run_read(
            "LIST_INDEXES",
            lambda db: db.all(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%F32_BLOB%' ORDER BY name"),
        )
        return [str(r[0]) for r in rows]

    async def describe_index(self, *, index_name: str) -> IndexStats:
        """Dimension and metric from the schema, count by ``COUNT(*)``."""
        c = VectorChecks(TOKEN, "DESCRIBE_INDEX")
        name = c.index_name(index_name)

        def go(db: LibSQLConnection) -> tuple[int, Metric, int] | None:
            info = self._read_info(db, name)
            if info is None:
                return None
            row = db.one(f"SELECT count(*) FROM {quote(name)}")  # noqa: S608
            return info[0], info[1], int(row[0]) if row else 0

        got = await self._run_read("DESCRIBE_INDEX", go, indexName=name)
        if got is None:
            raise c.not_found(name)
        self._info[name] = (got[0], got[1])
        return IndexStats(dimension=got[0], count=got[2], metric=got[1])

    async def delete_index(self, *, index_name: str) -> None:
        """Drop the table (its vector index goes with it); a missing index is fine."""
        name = VectorChecks(TOKEN, "DELETE_INDEX").index_name(index_name)
        self._info.pop(name, None)
        await self._run_write("DELETE_INDEX", lambda db: db.execute(f"DROP TABLE IF EXISTS {quote(name)}"),
                              indexName=name)

    # ------------------------------------------------------------------ vectors

    async def upsert(
        self,
        *,
        index_name: str,
        vectors: Sequence[Sequence[float]],
        metadata: Sequence[Mapping[str, Any]] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Insert or replace, all in one transaction; returns the ids."""
        c = VectorChecks(TOKEN, "UPSERT")
        name = c.index_name(index_name)
        dim, _ = await self._index_info(c, name)
        vs, metas, id_list = c.upsert(name, dim, vectors, metadata, ids)
        if not vs:
            return []
        rows = [(i, _blob(v), json.dumps(m, ensure_ascii=False)) for i, v, m in zip(id_list, vs, metas, strict=True)]
        sql = (f"INSERT INTO {quote(name)} (vector_id, embedding, metadata) VALUES (?, vector32(?), ?) "  # noqa: S608
               "ON CONFLICT(vector_id) DO UPDATE SET embedding = excluded.embedding, metadata = excluded.metadata")

        def go(db: LibSQLConnection) -> None:
            db.conn.executemany(sql, rows)

        await self._run_write("UPSERT", go, indexName=name)
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
        """Top-k by similarity among vectors matching ``filter`` (exact on small indexes, ANN + re-rank on large)."""
        c = VectorChecks(TOKEN, "QUERY")
        name = c.index_name(index_name)
        dim, metric = await self._index_info(c, name)
        q = _blob(c.vector(query_vector, name, dim))
        k = c.top_k(top_k)
        where, wparams = filter_sql(c.filter(filter))
        dist = _DISTANCE[metric]
        vec_col = ", vector_extract(t.embedding)" if include_vector else ""
        table = quote(name)
        cols = f"t.vector_id, {dist}(t.embedding, vector32(?)) AS d, t.metadata{vec_col}"
        exact_sql = f"SELECT {cols} FROM {table} AS t WHERE {where} ORDER BY d, t.vector_id LIMIT ?"  # noqa: S608
        count_sql = f"SELECT count(*) FROM (SELECT 1 FROM {table} AS t WHERE {where} LIMIT ?)"  # noqa: S608
        ann_sql = (f"SELECT {cols}, {where} AS ok "  # noqa: S608
                   f"FROM vector_top_k(?, vector32(?), ?) AS v JOIN {table} AS t ON t.rowid = v.id")

        def go(db: LibSQLConnection) -> list[tuple[Any, ...]]:
            use_ann = False
            if self.vector_index:
                top = db.one(f"SELECT max(rowid) FROM {table}")  # noqa: S608
                use_ann = bool(top and top[0] is not None and int(top[0]) > self.exact_max_rows)
                if use_ann and where != "1":
                    # few rows match (counted through the metadata indexes): exact over just those beats
                    # ANN candidates that the filter would mostly throw away
                    got = db.one(count_sql, (*wparams, self.exact_max_rows + 1))
                    use_ann = bool(got and int(got[0]) > self.exact_max_rows)
                if use_ann and db.one("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                                      (f"{name}_vector_idx",)) is None:
                    use_ann = False
            if use_ann:
                want = min(max(k * self.ann_oversample, 100), 10_000)
                cands = db.all(ann_sql, (q, *wparams, f"{name}_vector_idx", q, want))
                hits = sorted((r[:-1] for r in cands if r[-1]), key=lambda r: (r[1], r[0]))
                if len(hits) >= k:
                    return hits[:k]
            return db.all(exact_sql, (q, *wparams, k))

        rows = await self._run_read("QUERY", go, indexName=name)
        return [
            QueryResult(
                id=str(r[0]), score=_score(metric, float(r[1])), metadata=json.loads(r[2] or "{}"),
                vector=[float(x) for x in json.loads(r[3])] if include_vector else None,
            )
            for r in rows
        ]

    async def update_vector(
        self, *, index_name: str, id: str, vector: Sequence[float] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the vector and/or the metadata of one id."""
        c = VectorChecks(TOKEN, "UPDATE_VECTOR")
        name = c.index_name(index_name)
        dim, _ = await self._index_info(c, name)
        if vector is None and metadata is None:
            raise c.fail("INVALID_ARGS", "give a vector, metadata or both")
        sets: list[str] = []
        params: list[Any] = []
        if vector is not None:
            sets.append("embedding = vector32(?)")
            params.append(_blob(c.vector(vector, name, dim)))
        if metadata is not None:
            sets.append("metadata = ?")
            params.append(json.dumps(c.metadata(metadata), ensure_ascii=False))
        sql = f"UPDATE {quote(name)} SET {', '.join(sets)} WHERE vector_id = ?"  # noqa: S608
        changed = await self._run_write("UPDATE_VECTOR", lambda db: db.changes(sql, (*params, id)), indexName=name)
        if not changed:
            raise c.vector_not_found(name, id)

    async def delete_vectors(
        self, *, index_name: str, ids: Sequence[str] | None = None, filter: Mapping[str, Any] | None = None
    ) -> None:
        """Delete by ids (unknown ignored) or by a non-empty filter, in one transaction."""
        c = VectorChecks(TOKEN, "DELETE_VECTORS")
        name = c.index_name(index_name)
        await self._index_info(c, name)
        id_list, node = c.delete_target(ids, filter)
        table = quote(name)

        def go(db: LibSQLConnection) -> None:
            if id_list is not None:
                for part in chunks(list(dict.fromkeys(id_list)), 500):
                    db.execute(f"DELETE FROM {table} WHERE vector_id IN ({', '.join('?' * len(part))})", part)  # noqa: S608
            else:
                where, params = filter_sql(node)
                db.execute(f"DELETE FROM {table} WHERE {where}", params)  # noqa: S608

        await self._run_write("DELETE_VECTORS", go, indexName=name)
