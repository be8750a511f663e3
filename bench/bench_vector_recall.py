"""pgvector filtered queries: latency and recall@k of the store's HNSW query against exact search.

``BENCH_VEC_N`` random vectors (default 100,000, ``BENCH_VEC_DIM`` 32 dims, cosine) carry ``{"g": i % G}``
metadata; a filter on ``g`` keeps 10% (G = 10) or 1% (G = 100) of them. For each selectivity, ``BENCH_VEC_Q``
queries run through ``PgVector.query`` (HNSW with ``hnsw.iterative_scan = relaxed_order``, ef_search = max(40, k))
and through an exact scan of the same rows (``ORDER BY distance + 0``: no index); recall@k is the share of the
exact top k the store returned. The pgvector version is printed (iterative scans need 0.8). Schema dropped after.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from typing import Any

from bench.common import Result, report

N = int(os.environ.get("BENCH_VEC_N", "100000"))
DIM = int(os.environ.get("BENCH_VEC_DIM", "32"))
Q = int(os.environ.get("BENCH_VEC_Q", "50"))
K = 10


def available() -> bool:
    try:
        import mastra_pg  # noqa: F401
    except ImportError:
        return False
    return bool(os.environ.get("MASTRA_TEST_PG_URL")) and bool(os.environ.get("MASTRA_TEST_PGVECTOR"))


def _vec(rng: random.Random) -> list[float]:
    return [rng.gauss(0, 1) for _ in range(DIM)]


async def main() -> None:
    import psycopg
    from mastra_pg import PgVector
    from psycopg import sql

    url = os.environ["MASTRA_TEST_PG_URL"]
    schema = f"bench_vec_{uuid.uuid4().hex[:8]}"
    store = PgVector(connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=2)
    rng = random.Random(16)
    results: list[Result] = []
    raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
    try:
        version = await (await raw.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).fetchone()
        print(f"   pgvector {version[0] if version else '?'}")
        await store.create_index(index_name="recall", dimension=DIM, metric="cosine")
        t0 = time.perf_counter()
        batch = 5000
        for start in range(0, N, batch):
            n = min(batch, N - start)
            await store.upsert(index_name="recall", vectors=[_vec(rng) for _ in range(n)],
                               metadata=[{"g": i % 100} for i in range(start, start + n)],
                               ids=[f"v{i}" for i in range(start, start + n)])
        print(f"   loaded {N:,} vectors (hnsw built on insert) in {time.perf_counter() - t0:.0f} s")
        await raw.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, "recall")))
        exact_sql = sql.SQL(
            "SELECT vector_id FROM {t} WHERE {cond} ORDER BY (embedding <=> %(q)s::vector) + 0, vector_id LIMIT %(k)s"
        )
        for groups, label in ((10, "10%"), (100, "1%")):
            # g % groups == 0 keeps 1/groups of the rows: g in {0, groups, 2*groups, ...} of 0..99
            allowed = list(range(0, 100, groups))
            flt: dict[str, Any] = {"g": {"$in": allowed}} if len(allowed) > 1 else {"g": allowed[0]}
            cond = sql.SQL("(metadata->>'g')::int = ANY(%(g)s)")
            recalls: list[float] = []
            ann_ms: list[float] = []
            exact_ms: list[float] = []
            for _ in range(Q):
                q = _vec(rng)
                t = time.perf_counter()
                hits = await store.query(index_name="recall", query_vector=q, top_k=K, filter=flt)
                ann_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                cur = await raw.execute(
                    exact_sql.format(t=sql.Identifier(schema, "recall"), cond=cond),
                    {"q": "[" + ",".join(map(str, q)) + "]", "k": K, "g": allowed},
                )
                exact = [row[0] for row in await cur.fetchall()]
                exact_ms.append((time.perf_counter() - t) * 1000)
                recalls.append(len({h.id for h in hits} & set(exact)) / max(1, len(exact)))
            for op, samples, note in (
                (f"filtered ANN top-{K} ({label} of {N:,})", ann_ms,
                 f"recall@{K} {statistics.mean(recalls):.3f} (min {min(recalls):.2f})"),
                (f"exact filtered top-{K} ({label} of {N:,})", exact_ms, "floor for recall"),
            ):
                samples.sort()
                results.append(Result(backend="pgvector", op=op, n=Q, ops_per_s=1000 / statistics.mean(samples),
                                      p50_ms=statistics.median(samples),
                                      p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))], note=note))
        report(results, "vector_recall")
    finally:
        await store.close()
        await raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        await raw.close()
