"""Filtered vector queries on pgvector and libsql: latency and recall@k of the store's query against exact search.

``BENCH_VEC_N`` embedding-like vectors (default 100,000; CI: 10,000; 1M by hand), ``BENCH_VEC_DIM`` dims
(default 64, the test embedder's size; 384 for a MiniLM-sized run), cosine: Gaussian clusters around
``BENCH_VEC_CLUSTERS`` random centres (default 200; 0 = uniform random vectors, where every neighbour is about as far
as any other and no ANN index has a neighbourhood to find), each point the centre plus noise of ``BENCH_VEC_SPREAD``
(default 0.6) times the centre's scale, queries drawn the same way. They carry Memory's metadata
``{"resource_id": "r<i % 100>", "thread_id": "t<i % 10>"}``: a ``resource_id`` filter keeps 1% of the rows,
a ``thread_id`` filter 10%, as Memory's semantic recall filters. For each selectivity, ``BENCH_VEC_Q`` queries
run through the store's ``query`` and through an exact filtered top-k in plain SQL; recall@10 is the share of the
exact top 10 the store returned. pg also runs the plan used before this bench's change (HNSW iterative scan,
filter not indexable) for before -> after; both stores also run with their exact/ANN switch at 0 ("forced ANN":
the ANN path's own recall and latency). ``BENCH_VEC_LIBSQL_N`` (default min(N, 20,000)) sizes libsql, whose
index is built on insert (10,000 is the largest practical here: 199 s). ``BENCH_VEC_BACKENDS`` (default
``pgvector,libsql``) picks backends. At 1M (measured: bench/REPORT.md), ``BENCH_VEC_SCHEMA=<name> BENCH_VEC_KEEP=1``
keeps the loaded, indexed pg table for re-runs with other settings (``BENCH_VEC_PG_OPTIONS=ef_search=200``).
pg: a fresh schema, dropped after; the HNSW index is built once after loading (as ``create_index`` defines it).
libsql: a temp file, removed after.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import random
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.common import Result, report

N = int(os.environ.get("BENCH_VEC_N", "100000"))
DIM = int(os.environ.get("BENCH_VEC_DIM", "64"))
Q = int(os.environ.get("BENCH_VEC_Q", "50"))
CLUSTERS = int(os.environ.get("BENCH_VEC_CLUSTERS", "200"))
SPREAD = float(os.environ.get("BENCH_VEC_SPREAD", "0.6"))
BACKENDS = os.environ.get("BENCH_VEC_BACKENDS", "pgvector,libsql").split(",")
# libSQL's DiskANN index is built row by row on insert (~20-100 rows/s on the 2 shared cores here): its own size
LIBSQL_N = int(os.environ.get("BENCH_VEC_LIBSQL_N", str(min(N, 20000))))
K = 10
BATCH = 5000
# (label, filter field, value prefix, groups): the filter keeps 1/groups of the rows; no field: unfiltered
SELECTIVITIES: tuple[tuple[str, str | None, str, int], ...] = (
    ("1%", "resource_id", "r", 100), ("10%", "thread_id", "t", 10), ("unfiltered", None, "", 1))
#: a schema to load into (resumed if a killed run left it part-loaded, reused as is if loaded and indexed), and
#: whether to keep it afterwards: to re-measure query settings at 1M without a reload (drop it by hand after)
SCHEMA = os.environ.get("BENCH_VEC_SCHEMA", "")
KEEP = os.environ.get("BENCH_VEC_KEEP", "") == "1"


def available() -> bool:
    return _pg_available() or _libsql_available()


def _pg_available() -> bool:
    try:
        import mastra_pg  # noqa: F401
    except ImportError:
        return False
    return "pgvector" in BACKENDS and bool(os.environ.get("MASTRA_TEST_PG_URL")) and bool(
        os.environ.get("MASTRA_TEST_PGVECTOR"))


def _libsql_available() -> bool:
    try:
        import mastra_libsql  # noqa: F401
    except ImportError:
        return False
    return "libsql" in BACKENDS


_centres: list[list[float]] = []


def _vec(rng: random.Random) -> list[float]:
    """A point of a random cluster (embeddings of related texts sit close together), or uniform if no clusters."""
    if CLUSTERS <= 0:
        return [rng.gauss(0, 1) for _ in range(DIM)]
    if not _centres:  # fixed centres: the same data on every backend
        centre_rng = random.Random(1616)
        _centres.extend([centre_rng.gauss(0, 1) for _ in range(DIM)] for _ in range(CLUSTERS))
    centre = _centres[rng.randrange(CLUSTERS)]
    return [x + rng.gauss(0, SPREAD) for x in centre]


def _meta(i: int) -> dict[str, Any]:
    return {"resource_id": f"r{i % 100}", "thread_id": f"t{i % 10}"}


def _result(backend: str, op: str, samples: list[float], note: str) -> Result:
    samples = sorted(samples)
    return Result(backend=backend, op=op, n=len(samples), ops_per_s=1000 / statistics.mean(samples),
                  p50_ms=statistics.median(samples), p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))],
                  note=note)


Search = Callable[[list[float], str | None, str], Awaitable[list[str]]]


def _filter(field: str | None, value: str) -> dict[str, str] | None:
    return None if field is None else {field: value}


async def _measure(backend: str, n: int, rng: random.Random, plans: dict[str, Search], exact: Search) -> list[Result]:
    """Each plan and the exact search on the same queries; recall@K of every plan against exact."""
    out: list[Result] = []
    for label, field, prefix, groups in SELECTIVITIES:
        times: dict[str, list[float]] = {name: [] for name in (*plans, "exact")}
        recalls: dict[str, list[float]] = {name: [] for name in plans}
        for qi in range(Q):
            q = _vec(rng)
            value = f"{prefix}{qi % groups}" if field else ""
            # the exact search last: it reads every matching row, which would leave the first plan after it the
            # pages the others find in cache
            got: dict[str, list[str]] = {}
            for name, search in plans.items():
                t = time.perf_counter()
                got[name] = await search(q, field, value)
                times[name].append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            truth = await exact(q, field, value)
            times["exact"].append((time.perf_counter() - t) * 1000)
            for name in plans:
                recalls[name].append(len(set(got[name]) & set(truth)) / max(1, len(truth)))
        for name in plans:
            r = recalls[name]
            out.append(_result(backend, f"{name} top-{K} ({label} of {n:,})", times[name],
                               f"recall@{K} {statistics.mean(r):.3f} (min {min(r):.2f})"))
        out.append(_result(backend, f"exact SQL top-{K} ({label} of {n:,})", times["exact"], "recall floor"))
    return out


async def _pg(rng: random.Random) -> list[Result]:
    import psycopg
    from mastra_pg import PgVector
    from psycopg import sql

    url = os.environ["MASTRA_TEST_PG_URL"]
    schema = SCHEMA or f"{os.environ.get('BENCH_VEC_SCHEMA_PREFIX', 'bench_vec_')}{uuid.uuid4().hex[:8]}"
    # BENCH_VEC_PG_OPTIONS: PgVector settings to try, e.g. "ef_search=100,exact_below=20000" (default: the store's)
    opts = {k: int(v) for k, v in (kv.split("=") for kv in os.environ.get("BENCH_VEC_PG_OPTIONS", "").split(",") if kv)}
    store = PgVector(connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=2, **opts)
    forced = PgVector(connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=1,
                      **{**opts, "exact_below": 0})
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    table = sql.Identifier(schema, "recall")
    try:
        version = await (await raw.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).fetchone()
        print(f"   pgvector {version[0] if version else '?'}, {N:,} x {DIM}-d")
        ann = sql.Identifier(schema, "recall_vector_idx")
        have = await _pg_rows(raw, schema)
        indexed = have == N and await _pg_has_index(raw, schema, "recall_vector_idx")
        if have is None:
            await store.create_index(index_name="recall", dimension=DIM, metric="cosine")
            have = 0
        if not indexed:
            await raw.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(ann))  # built once after the load: faster
        t0 = time.perf_counter()
        # the generator's state after the data, saved by the run that loaded it: a reuse skips drawing 1M vectors
        saved = Path(tempfile.gettempdir()) / f"{schema}-{N}-{DIM}-{CLUSTERS}-{SPREAD}.rng"
        if indexed and saved.exists():
            rng.setstate(pickle.loads(saved.read_bytes()))  # our own file, written below
        else:
            for start in range(0, N, BATCH):
                n = min(BATCH, N - start)
                vectors = [_vec(rng) for _ in range(n)]  # drawn even when loaded: the queries come after them
                if start >= have:
                    await store.upsert(index_name="recall", vectors=vectors,
                                       metadata=[_meta(i) for i in range(start, start + n)],
                                       ids=[f"v{i}" for i in range(start, start + n)])
            if KEEP:
                saved.write_bytes(pickle.dumps(rng.getstate()))
        print(f"   loaded {N - have:,} rows (of {N:,}) in {time.perf_counter() - t0:.0f} s")
        if not indexed:
            t0 = time.perf_counter()
            await raw.execute("SET maintenance_work_mem = '1GB'")
            await raw.execute(sql.SQL("CREATE INDEX recall_vector_idx ON {} USING hnsw (embedding vector_cosine_ops) "
                                      "WITH (m = 16, ef_construction = 64)").format(table))
            await raw.execute(sql.SQL("VACUUM ANALYZE {}").format(table))
            print(f"   HNSW index (m 16, ef_construction 64) built in {time.perf_counter() - t0:.0f} s")

        def lit(v: list[float]) -> str:
            return "[" + ",".join(map(str, v)) + "]"

        # "+ 0": an expression the HNSW index cannot serve, so the planner computes every distance
        exact_sql = {f: sql.SQL("SELECT vector_id FROM {t} WHERE {w} "
                                "ORDER BY (embedding <=> %(q)s::vector) + 0, vector_id LIMIT %(k)s").format(
                                    t=table, w=sql.SQL("TRUE") if f is None else sql.SQL(
                                        "metadata -> {f} = to_jsonb(%(v)s::text)").format(f=sql.Literal(f)))
                     for _, f, _, _ in SELECTIVITIES}
        old_where = sql.SQL("COALESCE(metadata -> %(f)s = to_jsonb(%(v)s::text), FALSE)")
        old_sql = {f: sql.SQL("SELECT vector_id FROM {} WHERE {} ORDER BY embedding <=> %(q)s::vector LIMIT %(k)s")
                   .format(table, sql.SQL("TRUE") if f is None else old_where) for _, f, _, _ in SELECTIVITIES}

        async def exact(q: list[float], field: str | None, value: str) -> list[str]:
            cur = await raw.execute(exact_sql[field], {"q": lit(q), "v": value, "k": K})
            return [r[0] for r in await cur.fetchall()]

        async def store_query(q: list[float], field: str | None, value: str) -> list[str]:
            return [h.id for h in await store.query(index_name="recall", query_vector=q, top_k=K,
                                                    filter=_filter(field, value))]

        async def before(q: list[float], field: str | None, value: str) -> list[str]:
            async with raw.transaction():
                await raw.execute("SET LOCAL hnsw.ef_search = 40")
                await raw.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                cur = await raw.execute(old_sql[field], {"q": lit(q), "f": field, "v": value, "k": K})
                return [r[0] for r in await cur.fetchall()]

        async def forced_ann(q: list[float], field: str | None, value: str) -> list[str]:
            return [h.id for h in await forced.query(index_name="recall", query_vector=q, top_k=K,
                                                     filter=_filter(field, value))]

        return await _measure("pgvector", N, rng, {"PgVector.query": store_query, "forced ANN": forced_ann,
                                                   "before: HNSW+unindexed": before}, exact)
    finally:
        await store.close()
        await forced.close()
        if KEEP:
            print(f"   kept schema {schema} (BENCH_VEC_KEEP=1): drop it (and {tempfile.gettempdir()}/{schema}-*.rng) "
                  "when done")
        else:
            await raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        await raw.close()


async def _pg_rows(raw: Any, schema: str) -> int | None:
    """Rows already in the schema's ``recall`` table (a run resumed or reused), or None if there is no table."""
    from psycopg import sql

    if await (await raw.execute("SELECT to_regclass(%s)", (f"{schema}.recall",))).fetchone() == (None,):
        return None
    count = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, "recall"))
    row = await (await raw.execute(count)).fetchone()
    return int(row[0]) if row else 0


async def _pg_has_index(raw: Any, schema: str, name: str) -> bool:
    row = await (await raw.execute("SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s",
                                   (schema, name))).fetchone()
    return row is not None


async def _libsql(rng: random.Random) -> list[Result]:
    import struct

    from mastra_libsql.vector import LibSQLVector

    folder = Path(tempfile.mkdtemp(prefix="bench_vec_"))
    store = LibSQLVector(url=f"file:{folder / 'v.db'}")
    forced = LibSQLVector(url=f"file:{folder / 'v.db'}", exact_max_rows=0)
    try:
        print(f"   libsql {LIBSQL_N:,} x {DIM}-d")
        await store.create_index(index_name="recall", dimension=DIM, metric="cosine")
        t0 = time.perf_counter()
        for start in range(0, LIBSQL_N, BATCH):
            n = min(BATCH, LIBSQL_N - start)
            await store.upsert(index_name="recall", vectors=[_vec(rng) for _ in range(n)],
                               metadata=[_meta(i) for i in range(start, start + n)],
                               ids=[f"v{i}" for i in range(start, start + n)])
        print(f"   loaded (DiskANN index built on insert) in {time.perf_counter() - t0:.0f} s")
        db = await store._ready()

        async def exact(q: list[float], field: str | None, value: str) -> list[str]:
            blob = struct.pack(f"<{DIM}f", *q)
            # the JSON path as a literal (our own constant), so that the field's expression index serves it
            where = "? IS NOT NULL" if field is None else f"json_extract(metadata, '$.\"{field}\"') = ?"
            stmt = (f"SELECT vector_id FROM recall WHERE {where} "
                    "ORDER BY vector_distance_cos(embedding, vector32(?)), vector_id LIMIT ?")
            rows = await db.read(lambda d: d.all(stmt, (value, blob, K)))
            return [str(r[0]) for r in rows]

        async def store_query(q: list[float], field: str | None, value: str) -> list[str]:
            return [h.id for h in await store.query(index_name="recall", query_vector=q, top_k=K,
                                                    filter=_filter(field, value))]

        async def forced_ann(q: list[float], field: str | None, value: str) -> list[str]:
            return [h.id for h in await forced.query(index_name="recall", query_vector=q, top_k=K,
                                                     filter=_filter(field, value))]

        return await _measure("libsql", LIBSQL_N, rng, {"LibSQLVector.query": store_query, "forced ANN": forced_ann},
                              exact)
    finally:
        await store.close()
        await forced.close()
        await asyncio.to_thread(shutil.rmtree, folder)


async def main() -> None:
    if _pg_available():  # each backend's results saved as soon as they are measured
        report(await _pg(random.Random(16)), "vector_recall_pgvector")
    if _libsql_available():
        report(await _libsql(random.Random(16)), "vector_recall_libsql")
