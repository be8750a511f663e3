"""Filtered top-k against exact search: every store returns exactly the exact top k on small sets, and k results
whenever k rows match a selective filter, also on its ANN path (the classic HNSW filtered-query bug: the index
hands back its nearest candidates, the filter drops them, fewer than k rows come back)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from mastra_core.vector import VectorStore, cosine_similarity

DIM = 8
N = 600


def _data() -> dict[str, tuple[list[float], dict[str, Any]]]:
    rng = random.Random(16)
    return {f"v{i:04d}": ([rng.gauss(0, 1) for _ in range(DIM)],
                          {"resource_id": f"r{i % 50}", "thread_id": f"t{i % 5}", "n": i})
            for i in range(N)}


def _exact(data: dict[str, tuple[list[float], dict[str, Any]]], q: list[float], keep: Callable[[dict[str, Any]], bool],
           k: int) -> list[str]:
    ranked = sorted((i for i, (_, m) in data.items() if keep(m)), key=lambda i: (-cosine_similarity(q, data[i][0]), i))
    return ranked[:k]


async def _load(store: VectorStore) -> dict[str, tuple[list[float], dict[str, Any]]]:
    data = _data()
    await store.create_index(index_name="topk", dimension=DIM)
    await store.upsert(index_name="topk", ids=list(data), vectors=[v for v, _ in data.values()],
                       metadata=[m for _, m in data.values()])
    return data


FILTERS: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
    ({"resource_id": "r7"}, lambda m: m["resource_id"] == "r7"),  # 2%: 12 rows
    ({"thread_id": "t3"}, lambda m: m["thread_id"] == "t3"),  # 20%
    ({"resource_id": {"$in": ["r1", "r2"]}, "n": {"$gte": 100}}, lambda m: m["resource_id"] in ("r1", "r2")
     and m["n"] >= 100),
    ({"thread_id": {"$ne": "t0"}}, lambda m: m["thread_id"] != "t0"),
]


@pytest.mark.parametrize(("flt", "keep"), FILTERS, ids=["1-resource", "thread", "in-and-range", "ne"])
async def test_filtered_query_is_the_exact_top_k_on_a_small_set(vector: VectorStore, flt: dict[str, Any],
                                                                  keep: Callable[[dict[str, Any]], bool]) -> None:
    data = await _load(vector)
    rng = random.Random(5)
    for _ in range(3):
        q = [rng.gauss(0, 1) for _ in range(DIM)]
        hits = await vector.query(index_name="topk", query_vector=q, top_k=10, filter=flt)
        assert [h.id for h in hits] == _exact(data, q, keep, 10)


def _force_ann(store: VectorStore) -> None:
    """Send every query of a store with an exact/ANN switch down its ANN path."""
    for knob in ("exact_below", "exact_max_rows"):
        if hasattr(store, knob):
            setattr(store, knob, 0)


async def test_selective_filter_on_the_ann_path_still_returns_k(
    make_vector: Callable[..., Awaitable[VectorStore]],
) -> None:
    store = await make_vector()
    data = await _load(store)
    _force_ann(store)
    rng = random.Random(6)
    for value, k in (("r7", 10), ("r7", 12), ("r7", 30), ("r49", 5)):
        q = [rng.gauss(0, 1) for _ in range(DIM)]
        hits = await store.query(index_name="topk", query_vector=q, top_k=k, filter={"resource_id": value})
        matching = {i for i, (_, m) in data.items() if m["resource_id"] == value}
        assert len(hits) == min(k, len(matching)), (value, k)
        assert {h.id for h in hits} <= matching
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    none = await store.query(index_name="topk", query_vector=[1.0] * DIM, top_k=5, filter={"resource_id": "nope"})
    assert none == []


async def test_an_ann_scan_that_gives_up_short_of_k_is_completed_exactly(
    make_vector: Callable[..., Awaitable[VectorStore]],
) -> None:
    store = await make_vector()
    data = await _load(store)
    _force_ann(store)
    if hasattr(store, "max_scan_tuples"):
        store.max_scan_tuples = 1  # pgvector: the iterative scan stops after its first candidates
    q = [0.5] * DIM
    hits = await store.query(index_name="topk", query_vector=q, top_k=10, filter={"resource_id": "r3"})
    assert [h.id for h in hits] == _exact(data, q, lambda m: m["resource_id"] == "r3", 10)


async def test_filtered_top_k_of_wide_vectors_with_the_vectors(vector: VectorStore) -> None:
    """600 dims: past pg's inline row size (its vectors are TOASTed, so the exact plan reads them by TID)."""
    rng = random.Random(8)
    dim = 600
    data = {f"w{i:02d}": [rng.gauss(0, 1) for _ in range(dim)] for i in range(40)}
    await vector.create_index(index_name="wide", dimension=dim)
    await vector.upsert(index_name="wide", ids=list(data), vectors=list(data.values()),
                        metadata=[{"thread_id": f"t{i % 4}"} for i in range(40)])
    q = [rng.gauss(0, 1) for _ in range(dim)]
    hits = await vector.query(index_name="wide", query_vector=q, top_k=5, filter={"thread_id": "t1"},
                              include_vector=True)
    expected = sorted((i for n, i in enumerate(data) if n % 4 == 1), key=lambda i: (-cosine_similarity(q, data[i]), i))
    assert [h.id for h in hits] == expected[:5]
    assert all(h.vector == pytest.approx(data[h.id], rel=1e-5) for h in hits)


async def test_a_filter_just_past_the_exact_switch_still_returns_k(
    make_vector: Callable[..., Awaitable[VectorStore]],
) -> None:
    """120 matches, switch at 50: counted past the switch (pg's planner estimate on a fresh table is low, so its
    one-statement count decides, not the estimate) -> the ANN path, still k sorted matches."""
    store = await make_vector()
    data = await _load(store)
    for knob in ("exact_below", "exact_max_rows"):
        if hasattr(store, knob):
            setattr(store, knob, 50)
    q = [0.3] * DIM
    hits = await store.query(index_name="topk", query_vector=q, top_k=10, filter={"thread_id": "t3"})
    matching = {i for i, (_, m) in data.items() if m["thread_id"] == "t3"}
    assert len(hits) == 10 and {h.id for h in hits} <= matching
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
