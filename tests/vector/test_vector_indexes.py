"""Index lifecycle: create (idempotent), describe, list, delete, names and dimensions."""

from __future__ import annotations

import pytest
from mastra_core.errors import NotFoundError, ValidationError
from mastra_core.vector import VectorStore


async def test_create_describe_list(vector: VectorStore) -> None:
    assert await vector.list_indexes() == []
    await vector.create_index(index_name="docs", dimension=3)
    await vector.create_index(index_name="other_idx", dimension=8, metric="cosine")
    assert sorted(await vector.list_indexes()) == ["docs", "other_idx"]
    stats = await vector.describe_index(index_name="docs")
    assert (stats.dimension, stats.count, stats.metric) == (3, 0, "cosine")
    assert (await vector.describe_index(index_name="other_idx")).dimension == 8


async def test_create_is_idempotent_and_keeps_vectors(vector: VectorStore) -> None:
    await vector.create_index(index_name="docs", dimension=3)
    await vector.upsert(index_name="docs", vectors=[[1, 0, 0]], ids=["a"])
    await vector.create_index(index_name="docs", dimension=3)
    assert (await vector.describe_index(index_name="docs")).count == 1
    assert await vector.list_indexes() == ["docs"]


async def test_create_with_other_dimension_is_an_error(vector: VectorStore) -> None:
    await vector.create_index(index_name="docs", dimension=3)
    with pytest.raises(ValidationError) as err:
        await vector.create_index(index_name="docs", dimension=4)
    assert err.value.id.endswith("DIMENSION_MISMATCH")
    assert err.value.details["expected"] == 3 and err.value.details["got"] == 4
    assert (await vector.describe_index(index_name="docs")).dimension == 3


async def test_create_with_other_metric_only_warns(vector: VectorStore) -> None:
    await vector.create_index(index_name="docs", dimension=3, metric="cosine")
    await vector.create_index(index_name="docs", dimension=3, metric="euclidean")
    assert (await vector.describe_index(index_name="docs")).metric == "cosine"


async def test_delete_index(vector: VectorStore) -> None:
    await vector.create_index(index_name="docs", dimension=3)
    await vector.upsert(index_name="docs", vectors=[[1, 0, 0]], ids=["a"])
    await vector.delete_index(index_name="docs")
    assert await vector.list_indexes() == []
    await vector.delete_index(index_name="docs")  # missing: fine
    with pytest.raises(NotFoundError) as err:
        await vector.describe_index(index_name="docs")
    assert err.value.id.endswith("INDEX_NOT_FOUND")
    # recreated with another dimension, empty
    await vector.create_index(index_name="docs", dimension=5)
    stats = await vector.describe_index(index_name="docs")
    assert (stats.dimension, stats.count) == (5, 0)


async def test_indexes_are_independent(vector: VectorStore) -> None:
    await vector.create_index(index_name="one", dimension=2)
    await vector.create_index(index_name="two", dimension=2)
    await vector.upsert(index_name="one", vectors=[[1, 0], [0, 1]], ids=["a", "b"])
    await vector.upsert(index_name="two", vectors=[[1, 1]], ids=["a"])
    assert (await vector.describe_index(index_name="one")).count == 2
    assert (await vector.describe_index(index_name="two")).count == 1
    hits = await vector.query(index_name="two", query_vector=[1, 0], top_k=5)
    assert [h.id for h in hits] == ["a"]


@pytest.mark.parametrize("name", ["bad-name", "1abc", "x;drop table t", "", "a" * 64, "spa ce", 'q"uote'])
async def test_invalid_index_names_are_refused(vector: VectorStore, name: str) -> None:
    with pytest.raises(ValidationError) as err:
        await vector.create_index(index_name=name, dimension=3)
    assert err.value.id.endswith("INVALID_INDEX_NAME")
    assert await vector.list_indexes() == []


@pytest.mark.parametrize("dimension", [0, -1, 2.5, True, "3"])
async def test_invalid_dimensions_are_refused(vector: VectorStore, dimension: object) -> None:
    with pytest.raises(ValidationError) as err:
        await vector.create_index(index_name="docs", dimension=dimension)  # type: ignore[arg-type]
    assert err.value.id.endswith("INVALID_DIMENSION")


async def test_unknown_metric_is_refused(vector: VectorStore) -> None:
    with pytest.raises(ValidationError) as err:
        await vector.create_index(index_name="docs", dimension=3, metric="manhattan")  # type: ignore[arg-type]
    assert err.value.id.endswith("INVALID_METRIC")


@pytest.mark.parametrize("op", ["upsert", "query", "update_vector", "delete_vectors", "describe_index"])
async def test_operations_on_a_missing_index(vector: VectorStore, op: str) -> None:
    calls = {
        "upsert": lambda: vector.upsert(index_name="nope", vectors=[[1, 0]]),
        "query": lambda: vector.query(index_name="nope", query_vector=[1, 0]),
        "update_vector": lambda: vector.update_vector(index_name="nope", id="a", metadata={"x": 1}),
        "delete_vectors": lambda: vector.delete_vectors(index_name="nope", ids=["a"]),
        "describe_index": lambda: vector.describe_index(index_name="nope"),
    }
    with pytest.raises(NotFoundError) as err:
        await calls[op]()
    assert err.value.id.startswith("MASTRA_VECTOR_") and err.value.id.endswith("INDEX_NOT_FOUND")
    assert await vector.list_indexes() == []
