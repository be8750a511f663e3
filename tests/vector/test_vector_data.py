"""Vectors: upsert, query ordering and scores, update, delete, dimension checks."""

from __future__ import annotations

import math
import random
import uuid

import pytest
from mastra_core.errors import NotFoundError, ValidationError
from mastra_core.vector import VectorStore, cosine_similarity


async def _index(vector: VectorStore, dim: int = 3, name: str = "docs") -> str:
    await vector.create_index(index_name=name, dimension=dim)
    return name


async def test_upsert_returns_ids_and_counts(vector: VectorStore) -> None:
    idx = await _index(vector)
    ids = await vector.upsert(
        index_name=idx, vectors=[[1, 0, 0], [0, 1, 0]], ids=["a", "b"], metadata=[{"n": 1}, {"n": 2}]
    )
    assert ids == ["a", "b"]
    assert (await vector.describe_index(index_name=idx)).count == 2
    assert await vector.upsert(index_name=idx, vectors=[]) == []


async def test_upsert_without_ids_generates_unique_ids(vector: VectorStore) -> None:
    idx = await _index(vector)
    ids = await vector.upsert(index_name=idx, vectors=[[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert len(ids) == 3 and len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
    hits = await vector.query(index_name=idx, query_vector=[0, 1, 0], top_k=1)
    assert hits[0].id == ids[1]
    assert hits[0].metadata == {}


async def test_query_orders_by_cosine_similarity(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(
        index_name=idx,
        vectors=[[0, 1, 0], [-1, 0, 0], [1, 0, 0], [0.9, 0.1, 0], [1, 1, 0]],
        ids=["ortho", "opposite", "same", "close", "diag"],
    )
    hits = await vector.query(index_name=idx, query_vector=[2, 0, 0], top_k=10)
    assert [h.id for h in hits] == ["same", "close", "diag", "ortho", "opposite"]
    expected = [1.0, 0.9 / math.sqrt(0.82), 1 / math.sqrt(2), 0.0, -1.0]
    assert [h.score for h in hits] == pytest.approx(expected, abs=1e-5)
    assert all(h.vector is None for h in hits)


async def test_top_k_limits_and_equal_vectors_tie_by_id(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(index_name=idx, vectors=[[1, 0, 0]] * 4 + [[0, 0, 1]], ids=["d", "b", "a", "c", "z"])
    hits = await vector.query(index_name=idx, query_vector=[1, 0, 0], top_k=3)
    assert [h.id for h in hits] == ["a", "b", "c"]
    assert len(await vector.query(index_name=idx, query_vector=[1, 0, 0], top_k=50)) == 5


@pytest.mark.parametrize("top_k", [0, -3, 1.5, True])
async def test_invalid_top_k(vector: VectorStore, top_k: object) -> None:
    idx = await _index(vector)
    with pytest.raises(ValidationError) as err:
        await vector.query(index_name=idx, query_vector=[1, 0, 0], top_k=top_k)  # type: ignore[arg-type]
    assert err.value.id.endswith("INVALID_TOP_K")


async def test_include_vector(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(index_name=idx, vectors=[[0.25, -0.5, 1.0]], ids=["a"])
    [hit] = await vector.query(index_name=idx, query_vector=[0.25, -0.5, 1.0], top_k=1, include_vector=True)
    assert hit.vector == pytest.approx([0.25, -0.5, 1.0], abs=1e-6)
    assert hit.score == pytest.approx(1.0, abs=1e-5)


async def test_metadata_round_trips(vector: VectorStore) -> None:
    idx = await _index(vector)
    meta = {
        "text": "héllo wörld ✓ 😀",
        "n": 42,
        "big": 2**40,
        "f": 0.125,
        "ok": True,
        "none": None,
        "tags": ["a", "b"],
        "nested": {"k": [1, {"deep": "x"}]},
    }
    await vector.upsert(index_name=idx, vectors=[[1, 2, 3]], ids=["a"], metadata=[meta])
    [hit] = await vector.query(index_name=idx, query_vector=[1, 2, 3], top_k=1)
    assert hit.metadata == meta


async def test_upsert_replaces_vector_and_metadata(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(
        index_name=idx, vectors=[[1, 0, 0], [0, 1, 0]], ids=["a", "b"], metadata=[{"v": 1, "keep": 1}, {"v": 1}]
    )
    await vector.upsert(index_name=idx, vectors=[[0, 0, 1]], ids=["a"], metadata=[{"v": 2}])
    assert (await vector.describe_index(index_name=idx)).count == 2
    [hit] = await vector.query(index_name=idx, query_vector=[0, 0, 1], top_k=1)
    assert (hit.id, hit.metadata) == ("a", {"v": 2})
    assert hit.score == pytest.approx(1.0, abs=1e-5)


async def test_upsert_validation_writes_nothing(vector: VectorStore) -> None:
    idx = await _index(vector)
    bad_calls = [
        dict(vectors=[[1, 0, 0], [1, 0]], ids=["a", "b"]),  # second vector has the wrong length
        dict(vectors=[[1, 0, 0], [0, 1, 0]], ids=["a", "a"]),  # duplicate ids
        dict(vectors=[[1, 0, 0]], ids=["a", "b"]),  # ids length
        dict(vectors=[[1, 0, 0]], metadata=[{}, {}]),  # metadata length
        dict(vectors=[[1, 0, float("nan")]]),
        dict(vectors=[[1, 0, 0]], metadata=[{"x": object()}]),
    ]
    for call in bad_calls:
        with pytest.raises(ValidationError):
            await vector.upsert(index_name=idx, **call)  # type: ignore[arg-type]
    assert (await vector.describe_index(index_name=idx)).count == 0


async def test_dimension_mismatch_errors(vector: VectorStore) -> None:
    idx = await _index(vector, dim=4)
    with pytest.raises(ValidationError) as err:
        await vector.upsert(index_name=idx, vectors=[[1, 0, 0]])
    assert err.value.id.endswith("DIMENSION_MISMATCH")
    assert (err.value.details["expected"], err.value.details["got"]) == (4, 3)
    await vector.upsert(index_name=idx, vectors=[[1, 0, 0, 0]], ids=["a"])
    with pytest.raises(ValidationError) as err:
        await vector.query(index_name=idx, query_vector=[1, 0, 0, 0, 0])
    assert err.value.id.endswith("DIMENSION_MISMATCH")
    with pytest.raises(ValidationError) as err:
        await vector.update_vector(index_name=idx, id="a", vector=[1, 0])
    assert err.value.id.endswith("DIMENSION_MISMATCH")


async def test_update_vector(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(
        index_name=idx, vectors=[[1, 0, 0], [0, 1, 0]], ids=["a", "b"], metadata=[{"v": 1, "x": 1}, {"v": 1}]
    )
    await vector.update_vector(index_name=idx, id="a", metadata={"v": 2})
    await vector.update_vector(index_name=idx, id="b", vector=[0, 0, 1])
    hits = {h.id: h for h in await vector.query(index_name=idx, query_vector=[0, 0, 1], top_k=2)}
    assert hits["a"].metadata == {"v": 2}  # replaced, not merged
    assert hits["b"].metadata == {"v": 1}
    assert hits["b"].score == pytest.approx(1.0, abs=1e-5)
    await vector.update_vector(index_name=idx, id="a", vector=[0, 1, 0], metadata={"v": 3})
    [top] = await vector.query(index_name=idx, query_vector=[0, 1, 0], top_k=1)
    assert (top.id, top.metadata) == ("a", {"v": 3})
    with pytest.raises(NotFoundError) as err:
        await vector.update_vector(index_name=idx, id="missing", metadata={"v": 1})
    assert err.value.id.endswith("VECTOR_NOT_FOUND")
    with pytest.raises(ValidationError):
        await vector.update_vector(index_name=idx, id="a")
    assert (await vector.describe_index(index_name=idx)).count == 2


async def test_delete_vectors_by_ids_and_filter(vector: VectorStore) -> None:
    idx = await _index(vector)
    await vector.upsert(
        index_name=idx,
        vectors=[[1, 0, 0]] * 5,
        ids=["a", "b", "c", "d", "e"],
        metadata=[{"g": 1}, {"g": 1}, {"g": 2}, {"g": 2}, {"g": 3}],
    )
    await vector.delete_vectors(index_name=idx, ids=["a", "unknown"])
    await vector.delete_vector(index_name=idx, id="e")
    assert sorted(h.id for h in await vector.query(index_name=idx, query_vector=[1, 0, 0])) == ["b", "c", "d"]
    await vector.delete_vectors(index_name=idx, filter={"g": {"$in": [2]}})
    assert [h.id for h in await vector.query(index_name=idx, query_vector=[1, 0, 0])] == ["b"]
    await vector.delete_vectors(index_name=idx, ids=[])
    assert (await vector.describe_index(index_name=idx)).count == 1


@pytest.mark.parametrize("args", [{}, {"ids": ["a"], "filter": {"g": 1}}, {"filter": {}}, {"filter": {"$bad": 1}}])
async def test_delete_vectors_needs_exactly_one_target(vector: VectorStore, args: dict[str, object]) -> None:
    idx = await _index(vector)
    await vector.upsert(index_name=idx, vectors=[[1, 0, 0]], ids=["a"], metadata=[{"g": 1}])
    with pytest.raises(ValidationError):
        await vector.delete_vectors(index_name=idx, **args)  # type: ignore[arg-type]
    assert (await vector.describe_index(index_name=idx)).count == 1


async def test_query_is_exact_on_a_small_index(vector: VectorStore) -> None:
    """Below 1,000 vectors every store returns the exact top-k (ANN indexes must not lose hits there)."""
    rng = random.Random(7)
    dim = 16
    idx = await _index(vector, dim=dim)
    data = {f"v{i:03d}": [rng.gauss(0, 1) for _ in range(dim)] for i in range(300)}
    ids = list(data)
    await vector.upsert(
        index_name=idx, vectors=[data[i] for i in ids], ids=ids, metadata=[{"bucket": int(i[1:]) % 3} for i in ids]
    )
    for _ in range(5):
        q = [rng.gauss(0, 1) for _ in range(dim)]
        exact = sorted(ids, key=lambda i: -cosine_similarity(q, data[i]))
        hits = await vector.query(index_name=idx, query_vector=q, top_k=10)
        assert [h.id for h in hits] == exact[:10]
        assert [h.score for h in hits] == pytest.approx([cosine_similarity(q, data[i]) for i in exact[:10]], abs=1e-4)
        in_bucket = [i for i in exact if int(i[1:]) % 3 == 1]
        hits = await vector.query(index_name=idx, query_vector=q, top_k=7, filter={"bucket": 1})
        assert [h.id for h in hits] == in_bucket[:7]


async def test_data_persists_across_store_instances(make_vector, vector_harness) -> None:  # type: ignore[no-untyped-def]
    """A second store on the same namespace sees the data (persistent stores) or starts empty (in-memory)."""
    ns = f"p{uuid.uuid4().hex[:12]}"
    first = await make_vector(ns)
    await first.create_index(index_name="docs", dimension=2)
    await first.upsert(index_name="docs", vectors=[[1, 0]], ids=["a"], metadata=[{"k": "v"}])
    await first.close()
    second = await make_vector(ns)
    if getattr(vector_harness, "PERSISTENT", True):
        [hit] = await second.query(index_name="docs", query_vector=[1, 0], top_k=1)
        assert (hit.id, hit.metadata) == ("a", {"k": "v"})
    else:
        assert await second.list_indexes() == []
