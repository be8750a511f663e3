"""What one write costs jongodb (the test MongoDB) as a collection grows, with the raw driver (no mastra code).

Why: copies into mongodb slow down with the square of the collection's size here. This tells the server's part from
our write pattern's: plain ``insert_many`` of small documents into a collection with no index at all, the same with
the unique index on ``id`` that mastra's layout has, and in batches of 100 and of 1000 documents; then one insert
into an empty collection while another holds thousands, and one ``find_one`` by id in the big one.
Measured (November 2026, jongodb 0.1.6, a loaded 2-core machine; ms per write command at 1k/2k/4k/8k documents):
no index, 100 per insert: 27/80/427/2067; unique index: 92/332/394/2745; 1000 per insert: 88/138/446/1472 (16k:
8194); an empty collection beside an 8000-document one: 5; ``find_one`` by id at 8000: 2. So the cost is per write
command, grows with the square of the size of the collection written whatever the command (no index, no upsert), and
reads stay cheap: a server limit. The copy's pattern is already the cheapest one it allows (one ``insert`` per page of
messages, ``_insert_new`` in mastra_mongodb): bigger pages mean fewer commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

SIZES = (1000, 2000, 4000, 8000)


def _docs(start: int, n: int) -> list[dict[str, Any]]:
    return [{"id": f"m{start + i:07d}", "thread_id": "t", "content": "x" * 200, "createdAt": start + i}
            for i in range(n)]


def _ms(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return round((time.perf_counter() - t) * 1000, 1)


def _growth(col: Any, batch: int, unique: bool) -> dict[str, float]:
    """ms of the insert that brings the collection to each of SIZES documents."""
    col.delete_many({})
    if unique:
        col.create_index([("id", 1)], unique=True)
    out: dict[str, float] = {}
    n = 0
    while n < SIZES[-1]:
        took = _ms(partial(col.insert_many, _docs(n, batch), ordered=False))
        n += batch
        if n in SIZES:
            out[str(n)] = took
    col.delete_many({})
    return out


def measure(uri: str, db_name: str) -> dict[str, Any]:
    """The measurements above, on database ``db_name`` (emptied afterwards; jongodb cannot drop it)."""
    from pymongo import MongoClient

    client: Any = MongoClient(uri, serverSelectionTimeoutMS=5000)
    db = client[db_name]
    try:
        row: dict[str, Any] = {
            "pair": "raw pymongo insert_many into jongodb (ms per write command at 1k/2k/4k/8k docs)",
            "no_index_100_per_insert": _growth(db["plain"], 100, unique=False),
            "unique_id_index_100_per_insert": _growth(db["unique"], 100, unique=True),
            "no_index_1000_per_insert": _growth(db["plain"], 1000, unique=False),
        }
        for n in range(0, SIZES[-1], 1000):
            db["plain"].insert_many(_docs(n, 1000))
        row["insert_100_into_empty_collection_beside_8000_ms"] = _ms(partial(db["empty"].insert_many, _docs(0, 100)))
        row["find_one_by_id_at_8000_ms"] = _ms(partial(db["plain"].find_one, {"id": "m0004000"}))
        return row
    finally:
        for name in ("plain", "unique", "empty"):
            db[name].delete_many({})
        client.close()
