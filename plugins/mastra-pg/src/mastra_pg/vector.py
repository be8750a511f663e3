"""``PgVector``: a :class:`~mastra_core.vector.VectorStore` on pgvector (registry id ``pgvector``).

Layout (the reference's): one table per index, ``{schema}.{index_name}(id SERIAL PRIMARY KEY,
vector_id TEXT UNIQUE, embedding vector(dim), metadata JSONB DEFAULT '{}')`` with an ANN index
``{index_name}_vector_idx`` (hnsw by default, or ivfflat, or none). The metric and index options are
kept in the table's comment, plus B-tree indexes on ``metadata -> '<field>'`` for ``indexed_fields``
(``resource_id`` and ``thread_id``: what Memory filters by).

Query plan: when the planner estimates that more than twice ``exact_below`` rows match the filter, the ANN
index answers at once. Otherwise one statement counts the matching rows (their TIDs, through the field index
when the filter is on indexed fields) up to ``exact_below``. At most that many: an exact top-k over
just those rows (TID scan, no ANN error). More: the ANN index with an iterative scan (pgvector >= 0.8),
so a filter does not starve the result; if the scan still returns fewer than ``top_k`` rows, an exact
query follows, so k results come back whenever k rows match.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import psycopg
from mastra_core.errors import ConfigError, StorageError
from mastra_core.log import get_logger, redact
from mastra_core.vector import IndexStats, Metric, QueryResult, VectorChecks, VectorStore, third_party_error
from mastra_core.vector_filter import And, Cond, Node, Or
from psycopg import errors as pg_errors
from psycopg import sql

from . import codec
from .config import PostgresConfig
from .connection import PgConnection, pipelined_transaction

_log = get_logger("mastra_pg.vector")
T = TypeVar("T")
TOKEN = "PGVECTOR"
EXACT_BELOW = 2000
#: HNSW candidate list of an ANN query (pgvector's default is 40). Measured at 1M 64-d clustered vectors
#: (bench_vector_recall, m 16, ef_construction 64, the same queries at 40 and 100): recall@10 unfiltered
#: 0.83 -> 0.90 (30 queries) and 0.825 -> 0.915 (20), filtered (iterative scan) +0.005 at 10% and equal at 1%,
#: for 80% more pages read unfiltered and under 10% more filtered; 200 added 0.015 more for 50% more pages again.
EF_SEARCH = 100
#: the planner's estimate must exceed exact_below this many times over to skip the exact count (estimates of a
#: column's common values are close; this absorbs the rest, a wrong guess costs speed, never results)
ESTIMATE_MARGIN = 2
INDEXED_FIELDS = ("resource_id", "thread_id")
_OPS = {"cosine": ("vector_cosine_ops", "<=>"), "euclidean": ("vector_l2_ops", "<->"),
        "dotproduct": ("vector_ip_ops", "<#>")}
_METRICS: dict[str, Metric] = {"cosine": "cosine", "euclidean": "euclidean", "dotproduct": "dotproduct"}
INDEX_TYPES = ("hnsw", "ivfflat", "flat")


def _vec(v: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in v) + "]"


class PgVector(VectorStore):
    """Vectors in PostgreSQL with pgvector.

    ``PgVector(connection_string=...)`` (or ``host``/``port``/... or ``pool=`` a caller-owned pool, e.g.
    ``store.pool`` of a :class:`~mastra_pg.PostgresStore`), ``schema_name`` (default ``public``), pool
    sizes and timeouts as for the storage, plus ``ef_search`` (default :data:`EF_SEARCH`, at least ``top_k``),
    ``probes`` and ``max_scan_tuples`` (how far an iterative HNSW scan may go; pgvector's default 20,000) for ANN
    queries, ``exact_below``
    (a query whose filter matches at most this many rows is answered exactly) and ``indexed_fields``
    (metadata fields given a B-tree index by ``create_index``).
    """

    vector_id = "pgvector"

    def __init__(self, *, id: str = "pgvector", ef_search: int | None = None, probes: int | None = None,
                 store: Any = None, exact_below: int = EXACT_BELOW, max_scan_tuples: int | None = None,
                 indexed_fields: Sequence[str] = INDEXED_FIELDS, **options: Any) -> None:
        self.id = id
        if isinstance(exact_below, bool) or not isinstance(exact_below, int) or exact_below < 0:
            raise ConfigError(f"exact_below must be an integer >= 0, got {exact_below!r}",
                              id="MASTRA_VECTOR_PGVECTOR_CONFIG_INVALID")
        self.exact_below = exact_below
        self.max_scan_tuples = max_scan_tuples
        self.indexed_fields = tuple(indexed_fields)
        for f in self.indexed_fields:
            VectorChecks(TOKEN, "INIT").filter({f: 1})  # a valid field name, or a clear error
        if store is not None:
            options.setdefault("pool", store.pool)
            options.setdefault("schema_name", store.schema_name)
        try:
            self.config = PostgresConfig(**options)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid pgvector configuration: {redact(str(exc))}",
                              id="MASTRA_VECTOR_PGVECTOR_CONFIG_INVALID") from None
        self.ef_search = ef_search
        self.probes = probes
        self.db = PgConnection(self.config, migrate=False)
        self.schema = self.config.schema_name
        self._ready = False

    def __repr__(self) -> str:
        """Id and schema (never the connection string)."""
        return f"<PgVector id={self.id!r} schema={self.schema!r}>"

    @property
    def pool(self) -> Any:
        """The ``psycopg_pool.AsyncConnectionPool`` (the storage's when built with ``store=``)."""
        return self.db.pool

    # ------------------------------------------------------------------ plumbing

    def _t(self, name: str) -> sql.Identifier:
        return sql.Identifier(self.schema, name)

    async def _ensure(self) -> None:
        if self._ready:
            return
        await self.db.connect()

        async def go(conn: Any) -> None:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext('mastra_pgvector_setup'))")
                cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector')")
                if not (await cur.fetchone())[0]:
                    await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                cur = await conn.execute("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)",
                                         (self.schema,))
                if not (await cur.fetchone())[0]:
                    await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self.schema)))

        await self.db.with_conn(go)
        self._ready = True

    async def _call(self, op: str, fn: Callable[[], Awaitable[T]], c: VectorChecks, index_name: str | None = None) -> T:
        """Run ``fn`` once the extension and schema exist; driver errors become this store's errors."""
        try:
            await self._ensure()
            return await fn()
        except StorageError:
            raise
        except pg_errors.UndefinedTable:
            if index_name is None:
                raise
            raise c.not_found(index_name) from None
        except (psycopg.Error, OSError) as exc:
            raise third_party_error(TOKEN, op, exc) from exc

    async def _info(self, conn: Any, name: str) -> tuple[int, Metric, dict[str, Any]] | None:
        """(dimension, metric, options) of an index, or None when it does not exist."""
        cur = await conn.execute(
            "SELECT a.atttypmod, obj_description(c.oid, 'pg_class') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid "
            "AND a.attname = 'embedding' AND NOT a.attisdropped "
            "WHERE n.nspname = %s AND c.relname = %s AND c.relkind = 'r'",
            (self.schema, name))
        row = await cur.fetchone()
        if row is None:
            return None
        meta: dict[str, Any] = {}
        if row[1]:
            try:
                meta = json.loads(row[1]).get("mastra_vector", {})
            except (ValueError, AttributeError):
                meta = {}
        metric = meta.get("metric")
        if metric not in _OPS:
            cur = await conn.execute(
                "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass",
                (self._t(name).as_string(None),))
            defs = " ".join(r[0] for r in await cur.fetchall())
            metric = next((m for m, (ops, _) in _OPS.items() if ops in defs), "cosine")
        return int(row[0]), _METRICS[metric], meta

    # ------------------------------------------------------------------ indexes

    async def create_index(self, *, index_name: str, dimension: int, metric: Metric = "cosine", **options: Any) -> None:
        """Create the index table (idempotent). Options: ``index_type`` hnsw (default) | ivfflat | flat,
        ``m``/``ef_construction`` (hnsw), ``lists`` (ivfflat), or the reference's ``index_config``."""
        c = VectorChecks(TOKEN, "CREATE_INDEX")
        name = c.index_name(index_name)
        dim = c.dimension(dimension)
        m = c.metric(metric)
        opts = self._index_options(c, options)

        async def go(conn: Any) -> None:
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                                   (f"mastra_pgvector:{self.schema}.{name}",))
                info = await self._info(conn, name)
                if info is not None:
                    if info[0] != dim:
                        raise c.dimension_mismatch(name, info[0], dim)
                    if info[1] != m:
                        _log.warning("index exists with another metric", index=name, existing=info[1], requested=m)
                    await self._field_indexes(conn, name)  # a table made before them (or by the TS reference)
                    return
                await conn.execute(sql.SQL(
                    "CREATE TABLE {t} (id SERIAL PRIMARY KEY, vector_id TEXT UNIQUE NOT NULL, "
                    "embedding vector({dim}) NOT NULL, "
                    "metadata JSONB NOT NULL DEFAULT '{{}}'::jsonb)").format(t=self._t(name), dim=sql.Literal(dim)))
                await conn.execute(sql.SQL("COMMENT ON TABLE {t} IS {c}").format(
                    t=self._t(name), c=sql.Literal(json.dumps({"mastra_vector": {"metric": m, **opts}}))))
                kind = opts["index_type"]
                if kind != "flat":
                    ops = sql.Identifier(_OPS[m][0])
                    with_: sql.Composable
                    if kind == "hnsw":
                        with_ = sql.SQL("WITH (m = {}, ef_construction = {})").format(
                            sql.Literal(opts["m"]), sql.Literal(opts["ef_construction"]))
                    else:
                        with_ = sql.SQL("WITH (lists = {})").format(sql.Literal(opts["lists"]))
                    create = sql.SQL("CREATE INDEX {ix} ON {t} USING {kind} (embedding {ops}) {with_}")
                    await conn.execute(create.format(ix=sql.Identifier(f"{name}_vector_idx"[:63]), t=self._t(name),
                                                     kind=sql.SQL(kind), ops=ops, with_=with_))
                await self._field_indexes(conn, name)

        await self._call("CREATE_INDEX", lambda: self.db.with_conn(go), c)

    async def _field_indexes(self, conn: Any, name: str) -> None:
        """B-tree indexes on ``metadata -> '<field>'`` (an equality filter on the field uses them)."""
        for field in self.indexed_fields:
            tag = hashlib.sha256(f"{name}\0{field}".encode()).hexdigest()[:8]
            ix = sql.Identifier(f"{name[:40]}_meta_{tag}_idx")
            await conn.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {ix} ON {t} ((metadata -> {f}))").format(
                ix=ix, t=self._t(name), f=sql.Literal(codec.esc_str(field))))

    @staticmethod
    def _index_options(c: VectorChecks, options: Mapping[str, Any]) -> dict[str, Any]:
        opts = dict(options)
        config = opts.pop("index_config", None) or opts.pop("indexConfig", None) or {}
        opts.pop("build_index", None)
        opts.pop("buildIndex", None)
        kind = opts.pop("index_type", config.get("type", "hnsw"))
        hnsw = config.get("hnsw") or {}
        ivf = config.get("ivf") or {}
        m = opts.pop("m", hnsw.get("m", 16))
        efc = opts.pop("ef_construction", hnsw.get("efConstruction", 64))
        lists = opts.pop("lists", ivf.get("lists", 100))
        if opts:
            raise c.fail("INVALID_OPTIONS", f"unknown create_index option(s) {sorted(opts)}")
        if kind not in INDEX_TYPES:
            raise c.fail("INVALID_OPTIONS", f"index_type must be one of {INDEX_TYPES}, got {kind!r}")
        for label, value, low in (("m", m, 2), ("ef_construction", efc, 4), ("lists", lists, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise c.fail("INVALID_OPTIONS", f"{label} must be an integer >= {low}, got {value!r}")
        return {"index_type": kind, "m": m, "ef_construction": efc, "lists": lists}

    async def list_indexes(self) -> list[str]:
        """Tables of this schema laid out as vector indexes, sorted."""
        c = VectorChecks(TOKEN, "LIST_INDEXES")

        async def go() -> list[str]:
            rows = await self.db.fetch(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s "
                "AND c.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                "WHERE a.attrelid = c.oid AND a.attname = 'embedding' AND t.typname = 'vector' AND NOT a.attisdropped) "
                "AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'vector_id') "
                "ORDER BY 1",
                (self.schema,))
            return [r[0] for r in rows]

        return await self._call("LIST_INDEXES", go, c)

    async def describe_index(self, *, index_name: str) -> IndexStats:
        """Dimension, metric and row count of an index."""
        c = VectorChecks(TOKEN, "DESCRIBE_INDEX")
        name = c.index_name(index_name)

        async def go(conn: Any) -> IndexStats:
            info = await self._info(conn, name)
            if info is None:
                raise c.not_found(name)
            cur = await conn.execute(sql.SQL("SELECT count(*) FROM {}").format(self._t(name)))
            return IndexStats(dimension=info[0], count=int((await cur.fetchone())[0]), metric=info[1])

        return await self._call("DESCRIBE_INDEX", lambda: self.db.with_conn(go), c, name)

    async def delete_index(self, *, index_name: str) -> None:
        """Drop an index's table (a no-op when there is none)."""
        c = VectorChecks(TOKEN, "DELETE_INDEX")
        name = c.index_name(index_name)
        drop = sql.SQL("DROP TABLE IF EXISTS {}").format(self._t(name))
        await self._call("DELETE_INDEX", lambda: self.db.execute(drop), c)

    # ------------------------------------------------------------------ data

    async def _dimension_error(self, c: VectorChecks, name: str, got: int) -> StorageError:
        async def go(conn: Any) -> StorageError:
            info = await self._info(conn, name)
            if info is None:
                return c.not_found(name)
            return c.dimension_mismatch(name, info[0], got)

        result: StorageError = await self.db.with_conn(go)
        return result

    async def upsert(self, *, index_name: str, vectors: Sequence[Sequence[float]],
                     metadata: Sequence[Mapping[str, Any]] | None = None,
                     ids: Sequence[str] | None = None) -> list[str]:
        """Insert or replace (one statement: all or nothing); returns the ids."""
        c = VectorChecks(TOKEN, "UPSERT")
        name = c.index_name(index_name)
        vs, metas, id_list = c.upsert(name, None, vectors, metadata, ids)
        lengths = {len(v) for v in vs}

        async def go() -> list[str]:
            if len(lengths) > 1:
                raise await self._dimension_error(c, name, max(lengths))
            if not vs:
                await self._exists(c, name)
                return []
            try:
                await self.db.execute(sql.SQL(
                    "INSERT INTO {t} (vector_id, embedding, metadata) SELECT u.i, u.e::vector, u.m::jsonb "
                    "FROM unnest(%s::text[], %s::text[], %s::text[]) AS u(i, e, m) "
                    "ON CONFLICT (vector_id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata"
                ).format(t=self._t(name)), (id_list, [_vec(v) for v in vs], [codec.dumps(m) for m in metas]))
            except pg_errors.DataException as exc:
                if "dimensions" in str(exc):
                    raise await self._dimension_error(c, name, len(vs[0])) from None
                raise
            return id_list

        return await self._call("UPSERT", go, c, name)

    async def _exists(self, c: VectorChecks, name: str) -> None:
        row = await self.db.fetchone("SELECT to_regclass(%s)", (self._t(name).as_string(None),))
        if row is None or row[0] is None:
            raise c.not_found(name)

    async def query(self, *, index_name: str, query_vector: Sequence[float], top_k: int = 10,
                    filter: Mapping[str, Any] | None = None, include_vector: bool = False) -> list[QueryResult]:
        """The ``top_k`` best matches (exact when at most ``exact_below`` rows match), best first, ties by id."""
        c = VectorChecks(TOKEN, "QUERY")
        name = c.index_name(index_name)
        q = c.vector(query_vector, name, None)
        k = c.top_k(top_k)
        node = c.filter(filter)

        async def go(conn: Any) -> list[QueryResult]:
            info = await self._info(conn, name)
            if info is None:
                raise c.not_found(name)
            dim, metric, meta = info
            if len(q) != dim:
                raise c.dimension_mismatch(name, dim, len(q))
            params: list[Any] = []
            where = sql.SQL(_where(node, params))
            op = sql.SQL(_OPS[metric][1])
            cols = sql.SQL("vector_id, metadata, embedding {op} %(q)s::vector{vec}").format(
                op=op, vec=sql.SQL(", embedding::text") if include_vector else sql.SQL(""))
            named = {f"p{i}": p for i, p in enumerate(params)}
            named.update({"q": _vec(q), "k": k, "small": self.exact_below})
            # m: the matching rows' TIDs, at most exact_below + 1 of them, read without computing a distance or
            # carrying the metadata (so deciding costs little when many rows match and the ANN index answers);
            # few -> exact top-k of just those rows, fetched again by TID (pages still in cache). `+ 0` keeps
            # exact orderings off the ANN index. n.c rides on every row (and on a row of NULLs when nothing
            # matched): it says which plan ran.
            few = sql.SQL("SELECT {cols} FROM {t} WHERE n.c <= %(small)s AND ctid = ANY(ARRAY(SELECT r FROM m)) "
                          "ORDER BY (embedding {op} %(q)s::vector) + 0, vector_id LIMIT %(k)s").format(
                cols=cols, t=self._t(name), op=op)
            stmt = sql.SQL(
                "WITH m AS MATERIALIZED (SELECT ctid AS r FROM {t} WHERE {where} LIMIT %(small)s + 1), "
                "n AS (SELECT count(*) AS c FROM m) "
                "SELECT x.*, n.c FROM n LEFT JOIN LATERAL (({few}) "
                "UNION ALL (SELECT {cols} FROM {t} WHERE n.c > %(small)s AND {where} "
                "ORDER BY embedding {op} %(q)s::vector LIMIT %(k)s)) x ON TRUE"
            ).format(few=few, t=self._t(name), cols=cols, where=where, op=op)
            exact = sql.SQL(
                "SELECT {cols} FROM {t} WHERE {where} ORDER BY (embedding {op} %(q)s::vector) + 0, vector_id "
                "LIMIT %(k)s").format(t=self._t(name), cols=cols, where=where, op=op)
            estimate = sql.SQL("EXPLAIN (FORMAT JSON) SELECT 1 FROM {t} WHERE {where}").format(
                t=self._t(name), where=where)
            ann = sql.SQL("SELECT {cols} FROM {t} WHERE {where} ORDER BY embedding {op} %(q)s::vector "
                          "LIMIT %(k)s").format(t=self._t(name), cols=cols, where=where, op=op)
            kind = meta.get("index_type", "hnsw")
            async with pipelined_transaction(conn):
                if kind == "hnsw":
                    await conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(
                        sql.Literal(max(self.ef_search or EF_SEARCH, k))))
                    await conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                    if self.max_scan_tuples is not None:
                        await conn.execute(sql.SQL("SET LOCAL hnsw.max_scan_tuples = {}").format(
                            sql.Literal(int(self.max_scan_tuples))))
                elif kind == "ivfflat":
                    await conn.execute(sql.SQL("SET LOCAL ivfflat.probes = {}").format(
                        sql.Literal(self.probes or max(1, int(math.sqrt(meta.get("lists", 100)))))))
                    await conn.execute("SET LOCAL ivfflat.iterative_scan = relaxed_order")
                # the planner's row estimate first (no row read): clearly many matches go straight to the ANN
                # index, without paying for counting exact_below + 1 of them (the cost of a 10% filter)
                cur = await conn.execute(estimate, named)
                plan = await cur.fetchone()
                if plan is not None and float(plan[0][0]["Plan"]["Plan Rows"]) > ESTIMATE_MARGIN * self.exact_below:
                    cur = await conn.execute(ann, named)
                    rows = await cur.fetchall()
                    many = True
                else:
                    cur = await conn.execute(stmt, named)
                    got = await cur.fetchall()
                    rows = [r[:-1] for r in got if r[0] is not None]
                    many = int(got[0][-1]) > self.exact_below
                if len(rows) < k and many:
                    # the iterative scan gave up (hnsw.max_scan_tuples) before k matches: exact, so that k
                    # results come back whenever k rows match
                    cur = await conn.execute(exact, named)
                    rows = await cur.fetchall()
            hits = []
            for row in rows:
                score = _score(metric, float(row[2]) if row[2] is not None else math.nan)
                vec = [float(x) for x in json.loads(row[3])] if include_vector else None
                hits.append(QueryResult(id=row[0], score=score, metadata=dict(row[1] or {}), vector=vec))
            hits.sort(key=lambda h: (-h.score, h.id))
            return hits[:k]

        return await self._call("QUERY", lambda: self.db.with_conn(go), c, name)

    async def update_vector(self, *, index_name: str, id: str, vector: Sequence[float] | None = None,
                            metadata: Mapping[str, Any] | None = None) -> None:
        """Replace the vector and/or the metadata of one id."""
        c = VectorChecks(TOKEN, "UPDATE_VECTOR")
        name = c.index_name(index_name)
        if vector is None and metadata is None:
            raise c.fail("INVALID_ARGS", "give a vector, metadata or both")
        v = c.vector(vector, name, None) if vector is not None else None
        m = c.metadata(metadata) if metadata is not None else None

        async def go() -> None:
            sets = []
            params: list[Any] = []
            if v is not None:
                sets.append(sql.SQL("embedding = %s::vector"))
                params.append(_vec(v))
            if m is not None:
                sets.append(sql.SQL("metadata = %s::jsonb"))
                params.append(codec.dumps(m))
            try:
                count = await self.db.execute(sql.SQL("UPDATE {t} SET {sets} WHERE vector_id = %s").format(
                    t=self._t(name), sets=sql.SQL(", ").join(sets)), [*params, id])
            except pg_errors.DataException as exc:
                if v is not None and "dimensions" in str(exc):
                    raise await self._dimension_error(c, name, len(v)) from None
                raise
            if count == 0:
                raise c.vector_not_found(name, id)

        await self._call("UPDATE_VECTOR", go, c, name)

    async def delete_vectors(self, *, index_name: str, ids: Sequence[str] | None = None,
                             filter: Mapping[str, Any] | None = None) -> None:
        """Delete by ids (unknown ignored) or by a non-empty filter."""
        c = VectorChecks(TOKEN, "DELETE_VECTORS")
        name = c.index_name(index_name)
        id_list, node = c.delete_target(ids, filter)

        async def go() -> None:
            if id_list is not None:
                if not id_list:
                    await self._exists(c, name)
                    return
                await self.db.execute(
                    sql.SQL("DELETE FROM {t} WHERE vector_id = ANY(%s::text[])").format(t=self._t(name)), (id_list,))
                return
            params: list[Any] = []
            where = _where(node, params)
            await self.db.execute(sql.SQL("DELETE FROM {t} WHERE {w}").format(t=self._t(name), w=sql.SQL(where)),
                                  {f"p{i}": p for i, p in enumerate(params)})

        await self._call("DELETE_VECTORS", go, c, name)

    async def close(self) -> None:
        """Close the pool if this store created it."""
        await self.db.close()
        self._ready = False


def _score(metric: str, distance: float) -> float:
    if math.isnan(distance):
        return 0.0
    if metric == "cosine":
        return 1.0 - distance
    if metric == "euclidean":
        return 1.0 / (1.0 + distance)
    return -distance


# ---------------------------------------------------------------------- filters -> SQL


def _where(node: Node | None, params: list[Any]) -> str:
    """SQL for a parsed filter; every value (field names included) is a bound parameter."""
    if node is None:
        return "TRUE"
    if isinstance(node, And):
        return "(" + " AND ".join(_where(n, params) for n in node.items) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(_where(n, params) for n in node.items) + ")"
    return _cond(node, params)


def _p(params: list[Any], value: Any) -> str:
    params.append(value)
    return f"%(p{len(params) - 1})s"


def _lit(field: str) -> str:
    """A field name as an SQL string literal (in the text, not bound: an expression index on
    ``metadata -> 'thread_id'`` only matches a literal key). ``%`` is doubled for the driver's placeholders."""
    return "'" + field.replace("'", "''").replace("%", "%%") + "'"


def _eq(field: str, value: Any, params: list[Any]) -> str:
    """``field = value``; NULL (not FALSE) when the field is missing, so wrap it in COALESCE under a NOT."""
    if value is None:
        return f"(NOT (metadata ? {_p(params, field)}) OR metadata -> {_p(params, field)} = 'null'::jsonb)"
    return f"(metadata -> {_lit(field)} = {_p(params, codec.dumps(value))}::jsonb)"


def _cond(c: Cond, params: list[Any]) -> str:
    f = codec.esc_str(c.field)
    if c.op == "exists":
        return ("" if c.value else "NOT ") + f"(metadata ? {_p(params, f)})"
    if c.op == "eq":
        return _eq(f, c.value, params)
    if c.op == "ne":
        return f"NOT COALESCE({_eq(f, c.value, params)}, FALSE)"
    if c.op in ("in", "nin"):
        if not c.value:
            inner = "FALSE"
        elif None in c.value:
            inner = "(" + " OR ".join(_eq(f, v, params) for v in c.value) + ")"
        else:  # one indexable condition
            inner = f"(metadata -> {_lit(f)} = ANY({_p(params, [codec.dumps(v) for v in c.value])}::jsonb[]))"
        return inner if c.op == "in" else f"NOT COALESCE({inner}, FALSE)"
    sym = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}[c.op]
    if isinstance(c.value, str):
        return (f"(jsonb_typeof(metadata -> {_p(params, f)}) = 'string' AND "
                f'(metadata ->> {_p(params, f)}) COLLATE "C" {sym} {_p(params, codec.esc_str(c.value))} COLLATE "C")')
    return (f"(jsonb_typeof(metadata -> {_p(params, f)}) = 'number' AND "
            f"metadata -> {_p(params, f)} {sym} {_p(params, codec.dumps(c.value))}::jsonb)")
