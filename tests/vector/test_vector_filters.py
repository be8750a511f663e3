"""The metadata filter language: every store against the expected ids and the pure reference ``matches``."""

from __future__ import annotations

from typing import Any

import pytest
from mastra_core.errors import ValidationError
from mastra_core.vector import VectorStore
from mastra_core.vector_filter import FilterError, matches_filter, parse_filter

DATA: dict[str, dict[str, Any]] = {
    "a": {"kind": "cat", "n": 1, "score": 0.5, "flag": True, "tags": ["x", "y"], "nested": {"k": 1}},
    "b": {"kind": "dog", "n": 2, "score": 1.5, "flag": False, "opt": None},
    "c": {"kind": "cat", "n": 3, "score": 2.5, "opt": "set"},
    "d": {"kind": "bird", "n": 10, "flag": True, "name": "Zoë"},
    "e": {"kind": "Cat", "n": "3", "name": "apple"},
    "f": {},
    "g": {"kind": "dog", "n": 2.0, "score": -1, "name": "banana", "opt": 0},
    "h": {"n": True, "kind": None, "big": 2**40},
}
#: (filter, expected ids)
CASES: list[tuple[dict[str, Any], str]] = [
    ({"kind": "cat"}, "ac"),  # case-sensitive
    ({"kind": {"$eq": "dog"}}, "bg"),
    ({"kind": {"$ne": "cat"}}, "bdefgh"),  # a missing field is "not equal"
    ({"n": 2}, "bg"),  # 2 == 2.0
    ({"n": 3}, "c"),  # not the string "3"
    ({"n": "3"}, "e"),
    ({"n": True}, "h"),  # true is not 1
    ({"n": 1}, "a"),
    ({"n": {"$gt": 2}}, "cd"),  # numbers only: not "3", not true
    ({"n": {"$gte": 2}}, "bcdg"),
    ({"n": {"$lt": 2}}, "a"),
    ({"n": {"$lte": 2}}, "abg"),
    ({"n": {"$gt": 1, "$lt": 10}}, "bcg"),
    ({"score": {"$lt": 0}}, "g"),
    ({"score": 0.5}, "a"),
    ({"big": {"$gt": 2**39}}, "h"),
    ({"big": 2**40}, "h"),
    ({"name": {"$gt": "b"}}, "g"),  # code-point order: "Zoë" < "apple" < "b" < "banana"
    ({"name": {"$lt": "b"}}, "de"),
    ({"name": {"$gte": "Zoë", "$lte": "apple"}}, "de"),
    ({"flag": True}, "ad"),
    ({"flag": False}, "b"),
    ({"opt": None}, "abdefh"),  # null or missing
    ({"kind": None}, "fh"),
    ({"opt": {"$ne": None}}, "cg"),
    ({"kind": {"$ne": None}}, "abcdeg"),
    ({"opt": {"$exists": True}}, "bcg"),  # present, even when null
    ({"opt": {"$exists": False}}, "adefh"),
    ({"nested": {"$exists": True}}, "a"),
    ({"kind": {"$in": ["cat", "bird"]}}, "acd"),
    ({"kind": {"$nin": ["cat", "bird"]}}, "befgh"),
    ({"n": {"$in": [1, "3"]}}, "ae"),
    ({"kind": {"$in": []}}, ""),
    ({"kind": {"$nin": []}}, "abcdefgh"),
    ({"tags": "x"}, ""),  # arrays never equal a scalar
    ({"$or": [{"kind": "bird"}, {"n": {"$lt": 2}}]}, "ad"),
    ({"$and": [{"kind": "dog"}, {"score": {"$gt": 0}}]}, "b"),
    ({"kind": "cat", "n": {"$gte": 3}}, "c"),  # several keys: AND
    ({"$or": [{"$and": [{"kind": "cat"}, {"flag": True}]}, {"name": "banana"}]}, "ag"),
    (
        {"$and": [{"$or": [{"kind": "dog"}, {"kind": "cat"}]}, {"$or": [{"opt": {"$exists": True}}, {"flag": True}]}]},
        "abcg",
    ),
    ({"kind": {"$in": ["dog"]}, "$or": [{"n": 2}, {"score": 2.5}]}, "bg"),
]
INVALID: list[Any] = [
    {"$foo": 1},
    {"a": {"$regex": "x"}},
    {"a": [1, 2]},
    {"a": {"b": 1}},
    {"$or": []},
    {"$and": {"a": 1}},
    {"a": {"$in": "x"}},
    {"a": {"$in": [[1]]}},
    {"a": {"$gt": True}},
    {"a": {"$lt": None}},
    {"a": {"$exists": 1}},
    {"a": {}},
    {"a": float("inf")},
    {"a": 2**70},
    "kind = 'cat'",
]
VECTORS = {k: [1.0, i * 0.1, 0.0] for i, k in enumerate(DATA)}


def test_reference_matcher_agrees_with_expected_ids() -> None:
    for flt, expected in CASES:
        got = "".join(k for k, meta in DATA.items() if matches_filter(meta, flt))
        assert got == expected, flt


@pytest.mark.parametrize("flt", INVALID, ids=repr)
def test_reference_parser_refuses(flt: Any) -> None:
    with pytest.raises(FilterError):
        parse_filter(flt)


@pytest.fixture
async def loaded(vector: VectorStore) -> VectorStore:
    await vector.create_index(index_name="filtered", dimension=3)
    ids = list(DATA)
    await vector.upsert(
        index_name="filtered", vectors=[VECTORS[k] for k in ids], ids=ids, metadata=[DATA[k] for k in ids]
    )
    return vector


@pytest.mark.parametrize(("flt", "expected"), CASES, ids=[repr(c[0]) for c in CASES])
async def test_query_filter(loaded: VectorStore, flt: dict[str, Any], expected: str) -> None:
    hits = await loaded.query(index_name="filtered", query_vector=[1, 0, 0], top_k=100, filter=flt)
    assert "".join(sorted(h.id for h in hits)) == expected
    assert [h.id for h in hits] == sorted(
        (h.id for h in hits), key=lambda k: -VECTORS[k][0] / (sum(x * x for x in VECTORS[k]) ** 0.5)
    )
    for h in hits:
        assert h.metadata == DATA[h.id]


async def test_filter_with_top_k_takes_best_matches(loaded: VectorStore) -> None:
    hits = await loaded.query(index_name="filtered", query_vector=[1, 0, 0], top_k=2, filter={"kind": {"$ne": "cat"}})
    assert [h.id for h in hits] == ["b", "d"]


@pytest.mark.parametrize("flt", INVALID, ids=repr)
async def test_store_refuses_invalid_filters(loaded: VectorStore, flt: Any) -> None:
    with pytest.raises(ValidationError) as err:
        await loaded.query(index_name="filtered", query_vector=[1, 0, 0], filter=flt)
    assert err.value.id.endswith("INVALID_FILTER")


@pytest.mark.parametrize(
    ("flt", "expected"),
    [c for c in CASES if c[1] and len(c[1]) < len(DATA)][:12],
    ids=[repr(c[0]) for c in CASES if c[1] and len(c[1]) < len(DATA)][:12],
)
async def test_delete_by_filter(loaded: VectorStore, flt: dict[str, Any], expected: str) -> None:
    await loaded.delete_vectors(index_name="filtered", filter=flt)
    hits = await loaded.query(index_name="filtered", query_vector=[1, 0, 0], top_k=100)
    assert "".join(sorted(h.id for h in hits)) == "".join(k for k in DATA if k not in expected)
