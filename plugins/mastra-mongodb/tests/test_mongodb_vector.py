"""MongoDBVector: the declared $vectorSearch capability, its clear error where missing, and metadata filters."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from conftest import is_jongodb
from mastra_core import CapabilityError, ValidationError
from mastra_core.registry import registry
from mastra_mongodb import MongoDBVector
from mastra_mongodb.vector import META_ID, VECTOR_SEARCH, translate_filter


@pytest.fixture
async def vector(uri: str, client: Any) -> AsyncIterator[MongoDBVector]:
    name = f"mastra_vec_{uuid.uuid4().hex[:10]}"
    store = registry().vector_stores["mongodb"][0](id="vec-test", uri=uri, db_name=name)
    yield store
    await store.close()
    if is_jongodb():
        for col in ("docs", "__mastra_vector_probe"):
            await client[name][col].delete_many({})
    else:
        await client.drop_database(name)


async def test_the_plugin_registers_the_vector_store(vector: MongoDBVector) -> None:
    assert isinstance(vector, MongoDBVector) and vector.vector_id == "mongodb"


async def test_capability_is_declared_and_missing_search_fails_clearly(vector: MongoDBVector) -> None:
    caps = await vector.capabilities()
    if VECTOR_SEARCH in caps:  # Atlas / Atlas Local / mongot: the real thing
        await vector.create_index(index_name="docs", dimension=3)
        ids = await vector.upsert(index_name="docs", vectors=[[1, 0, 0], [0, 1, 0]], metadata=[{"k": "a"}, {"k": "b"}])
        assert (await vector.describe_index(index_name="docs")).count == 2
        assert len(ids) == 2
        return
    assert is_jongodb() or caps == frozenset()
    for call in (vector.create_index(index_name="docs", dimension=3),
                 vector.query(index_name="docs", query_vector=[1.0, 0.0, 0.0])):
        with pytest.raises(CapabilityError) as info:
            await call
        err = info.value
        assert err.id in ("MASTRA_VECTOR_MONGODB_CREATE_INDEX_NOT_SUPPORTED",
                          "MASTRA_VECTOR_MONGODB_QUERY_NOT_SUPPORTED")
        assert "Atlas Vector Search" in err.message and "$vectorSearch" in err.message
        assert err.details["capability"] == VECTOR_SEARCH


async def test_invalid_arguments_are_refused_before_any_io() -> None:
    store = MongoDBVector(uri="mongodb://127.0.0.1:1", db_name="x")
    with pytest.raises(ValidationError):
        await store.create_index(index_name="docs", dimension=0)
    with pytest.raises(ValidationError):
        await store.create_index(index_name="docs", dimension=3, metric="manhattan")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await store.query(index_name="docs", query_vector=[1.0], top_k=0)
    with pytest.raises(ValidationError, match="unsupported filter operator"):
        await store.query(index_name="docs", query_vector=[1.0], filter={"k": {"$regexx": "a"}})
    with pytest.raises(ValidationError):
        await store.delete_vectors(index_name="docs")


def test_filters_translate_to_metadata_paths() -> None:
    assert translate_filter({"k": "a", "$or": [{"n": {"$gt": 1}}, {"tags": {"$in": ["x"]}}]}) == {
        "metadata.k": "a", "$or": [{"metadata.n": {"$gt": 1}}, {"metadata.tags": {"$in": ["x"]}}]}
    assert translate_filter(None) == {}


@pytest.mark.parametrize(("flt", "expected"), [
    ({"k": "a"}, ["v1", "v3"]),
    ({"k": {"$ne": "a"}}, ["v2", "v4"]),
    ({"n": {"$gt": 1}}, ["v2", "v3", "v4"]),
    ({"n": {"$gte": 1, "$lt": 3}}, ["v1", "v2"]),
    ({"n": {"$in": [1, 3]}}, ["v1", "v3"]),
    ({"n": {"$nin": [1, 3]}}, ["v2", "v4"]),
    ({"opt": {"$exists": True}}, ["v4"]),
    ({"$and": [{"k": "a"}, {"n": {"$lte": 1}}]}, ["v1"]),
    ({"$or": [{"k": "b"}, {"n": 3}]}, ["v2", "v3"]),
    ({"thread_id": "t1", "resource_id": "r1"}, ["v1", "v2"]),
])
async def test_metadata_prefilter_on_the_server(vector: MongoDBVector, flt: dict[str, Any],
                                                expected: list[str]) -> None:
    db = await vector._database()
    await db["docs"].update_one({"_id": META_ID}, {"$set": {"dimension": 2, "metric": "cosine"}}, upsert=True)
    await db["docs"].insert_many([
        {"_id": "v1", "embedding": [1.0, 0.0], "metadata": {"k": "a", "n": 1, "thread_id": "t1", "resource_id": "r1"}},
        {"_id": "v2", "embedding": [0.0, 1.0], "metadata": {"k": "b", "n": 2, "thread_id": "t1", "resource_id": "r1"}},
        {"_id": "v3", "embedding": [1.0, 1.0], "metadata": {"k": "a", "n": 3, "thread_id": "t2", "resource_id": "r1"}},
        {"_id": "v4", "embedding": [0.5, 0.5], "metadata": {"k": "c", "n": 4, "opt": None}},
    ])
    assert sorted(await vector.matching_ids("docs", translate_filter(flt))) == expected
    stats = await vector.describe_index(index_name="docs")
    assert (stats.dimension, stats.count, stats.metric) == (2, 4, "cosine")
    await vector.update_vector(index_name="docs", id="v1", metadata={"k": "z"})
    assert sorted(await vector.matching_ids("docs", translate_filter({"k": "z"}))) == ["v1"]
    await vector.delete_vectors(index_name="docs", filter={"k": "z"})
    await vector.delete_vectors(index_name="docs", ids=["v2"])
    assert (await vector.describe_index(index_name="docs")).count == 2
    ids = await vector.upsert(index_name="docs", vectors=[[0.1, 0.2]], metadata=[{"k": "new"}], ids=["v9"])
    assert ids == ["v9"] and sorted(await vector.matching_ids("docs", translate_filter({"k": "new"}))) == ["v9"]
    with pytest.raises(ValidationError, match="2 finite numbers"):
        await vector.upsert(index_name="docs", vectors=[[0.1, 0.2, 0.3]])
