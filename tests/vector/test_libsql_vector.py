"""LibSQLVector specifics (run with every harness; they build their own store on an embedded file)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from mastra_core.vector import cosine_similarity


@pytest.fixture
async def ann_store(tmp_path: Path):  # type: ignore[no-untyped-def]
    from mastra_libsql.vector import LibSQLVector

    store = LibSQLVector(url=f"file:{tmp_path / 'ann.db'}", exact_max_rows=50, ann_oversample=5)
    yield store
    await store.close()


async def test_ann_path_reranks_exactly_and_falls_back_for_selective_filters(ann_store) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    dim = 8
    await ann_store.create_index(index_name="big", dimension=dim)
    data = {f"v{i:03d}": [rng.gauss(0, 1) for _ in range(dim)] for i in range(400)}
    ids = list(data)
    await ann_store.upsert(
        index_name="big",
        vectors=[data[i] for i in ids],
        ids=ids,
        metadata=[{"rare": i == "v123", "bucket": int(i[1:]) % 2} for i in ids],
    )
    q = [rng.gauss(0, 1) for _ in range(dim)]
    exact = sorted(ids, key=lambda i: -cosine_similarity(q, data[i]))
    hits = await ann_store.query(index_name="big", query_vector=q, top_k=5)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(set(h.id for h in hits) & set(exact[:5])) >= 4  # ANN recall on 400 random vectors
    # a filter matching one row far from the query: the ANN candidates miss it, the exact fallback finds it
    [only] = await ann_store.query(index_name="big", query_vector=q, top_k=3, filter={"rare": True})
    assert only.id == "v123"
    assert only.score == pytest.approx(cosine_similarity(q, data["v123"]), abs=1e-4)


async def test_reference_layout_and_shared_file(tmp_path: Path) -> None:
    import libsql
    from mastra_libsql.vector import LibSQLVector

    path = tmp_path / "layout.db"
    store = LibSQLVector(url=str(path))
    await store.create_index(index_name="memory_messages_64", dimension=64, metric="euclidean")
    await store.close()
    conn = libsql.connect(str(path))
    cols = [r[1] for r in conn.execute('PRAGMA table_info("memory_messages_64")').fetchall()]
    assert cols == ["id", "vector_id", "embedding", "metadata"]
    [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'memory_messages_64_vector_idx'").fetchall()
    assert "libsql_vector_idx" in sql and "metric=l2" in sql
    conn.close()
    reopened = LibSQLVector(url=f"file:{path}")
    stats = await reopened.describe_index(index_name="memory_messages_64")
    assert (stats.dimension, stats.metric) == (64, "euclidean")
    await reopened.close()


async def test_dotproduct_is_refused(tmp_path: Path) -> None:
    from mastra_core.errors import ValidationError
    from mastra_libsql.vector import LibSQLVector

    store = LibSQLVector(url=str(tmp_path / "x.db"))
    with pytest.raises(ValidationError) as err:
        await store.create_index(index_name="d", dimension=3, metric="dotproduct")
    assert err.value.id == "MASTRA_VECTOR_LIBSQL_CREATE_INDEX_INVALID_METRIC"
    await store.close()


async def test_metadata_filters_use_expression_indexes_and_index_options(tmp_path: Path) -> None:
    import libsql
    from mastra_core.errors import ValidationError
    from mastra_core.vector_filter import parse_filter
    from mastra_libsql.vector import LibSQLVector, filter_sql

    path = tmp_path / "plan.db"
    store = LibSQLVector(url=str(path), index_options={"max_neighbors": 16, "compress_neighbors": "float8"})
    await store.create_index(index_name="msgs", dimension=4)
    await store.upsert(
        index_name="msgs",
        vectors=[[1, 0, 0, i] for i in range(50)],
        ids=[f"m{i}" for i in range(50)],
        metadata=[{"thread_id": f"t{i % 5}", "resource_id": "r"} for i in range(50)],
    )
    hits = await store.query(index_name="msgs", query_vector=[1, 0, 0, 0], top_k=3, filter={"thread_id": "t2"})
    assert [h.id for h in hits] == ["m2", "m7", "m12"]
    await store.close()
    conn = libsql.connect(str(path))
    [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'msgs_vector_idx'").fetchall()
    assert "'max_neighbors=16'" in sql and "'compress_neighbors=float8'" in sql
    where, params = filter_sql(parse_filter({"thread_id": "t2"}))
    plan = " ".join(
        str(r)
        for r in conn.execute(f'EXPLAIN QUERY PLAN SELECT vector_id FROM "msgs" WHERE {where}', params).fetchall()
    )
    assert "msgs_meta_1_idx" in plan, plan
    conn.close()
    with pytest.raises(ValidationError):
        LibSQLVector(url=":memory:", index_options={"max_neighbors": "8); DROP TABLE x; --"})
    with pytest.raises(ValidationError):
        LibSQLVector(url=":memory:", index_options={"bogus": 1})


async def test_from_storage_shares_the_store_database(tmp_path: Path) -> None:
    from mastra_core import create_storage
    from mastra_core.errors import ValidationError
    from mastra_libsql.vector import LibSQLVector

    storage = create_storage("libsql", id="shared", url=f"file:{tmp_path / 'shared.db'}")
    await storage.init()
    vector = LibSQLVector.from_storage(storage)
    assert vector.db is storage.db  # type: ignore[attr-defined]
    await vector.create_index(index_name="memory_messages_3", dimension=3)
    await vector.close()  # leaves the shared connection open
    assert await vector.list_indexes() == ["memory_messages_3"]
    assert await storage.memory.get_thread_by_id(thread_id="none") is None
    await storage.close()
    with pytest.raises(ValidationError):
        LibSQLVector.from_storage(object())
