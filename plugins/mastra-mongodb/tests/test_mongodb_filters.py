"""The server-side metadata filter agrees with the Python definition (``metadata_matches``) on random JSON.

Checks the MongoDB formulation (``1`` equal to ``1.0``, ``True`` not ``1``, ``null`` needing the key, an
array holding the value not matching, keys with dots or ``$`` finished in Python) on the real server.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mastra_core.domains.matching import metadata_matches
from mastra_mongodb.codec import enc
from mastra_mongodb.filters import metadata_filter

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from([0, 1, -1, 2**53, 2**31]),
    st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0.0, 1.0, -1.0, 0.5]),
    st.text(max_size=4), st.sampled_from(["", "a", "A", "\ud800"]),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3),
                   st.dictionaries(st.sampled_from(["a", "b"]), scalars, max_size=2))
keys = st.sampled_from(["k", "j", "dotted.key", "$d"])


async def check(uri: str, stored: list[dict[str, Any]], wanted: dict[str, Any]) -> None:
    from pymongo import AsyncMongoClient

    client: Any = AsyncMongoClient(uri, serverSelectionTimeoutMS=5000)
    col = client[f"mastra_filters_{uuid.uuid4().hex[:8]}"]["mastra_threads"]
    try:
        await col.insert_many([{"i": i, "metadata": enc(m)} for i, m in enumerate(stored)])
        flt, in_python = metadata_filter("metadata", wanted)
        found = {d["i"] for d in await col.find(flt).to_list(None)}
        expected = {i for i, m in enumerate(stored) if metadata_matches(m, wanted)}
        if in_python:
            assert expected <= found  # the server narrows, Python finishes
        else:
            assert found == expected, (stored, wanted, flt)
    finally:
        await col.delete_many({})
        await client.close()


def test_server_filter_matches_the_python_definition(uri: str) -> None:
    @settings(max_examples=80, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(stored=st.lists(st.dictionaries(keys, values, max_size=3), min_size=1, max_size=8),
           wanted=st.dictionaries(keys, st.one_of(scalars, values), min_size=1, max_size=2))
    def run(stored: list[dict[str, Any]], wanted: dict[str, Any]) -> None:
        asyncio.run(check(uri, stored, wanted))

    run()


def test_known_cases(uri: str) -> None:
    stored = [{"k": 1}, {"k": 1.0}, {"k": True}, {"k": [1, 2]}, {"k": None}, {}, {"k": "1"}, {"k": {"x": 1}},
              {"k": 2**60}, {"k": float(2**60)}, {"k": 2**60 + 1}]

    async def go() -> None:
        for wanted in ({"k": 1}, {"k": True}, {"k": None}, {"k": "1"}, {"k": 1.5}, {"k": 2**60}, {"k": float(2**60)},
                       {"k": 2**60 + 1}):
            await check(uri, stored, wanted)

    asyncio.run(go())
