"""Each document's ``expiresAt``, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

A read is one ``find`` per chunk of keys (``$in`` on a single key, ``$or`` of pairs on a compound one); a write is
one unordered ``bulk_write`` (``$set``, or ``$unset`` for records that never expire).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mastra_core.backend.expiry import KINDS, Expiries, Key
from pymongo import UpdateOne

from .connection import MongoConnection
from .schema import EXPIRES


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _match(fields: Sequence[str], key: Key) -> dict[str, Any]:
    return dict(zip(fields, key, strict=True))


async def read(conn: MongoConnection, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing document among ``keys``."""
    spec = KINDS[kind]
    fields = spec.columns
    out: Expiries = {}
    items = list(keys)
    for i in range(0, len(items), 1000):
        part = items[i:i + 1000]
        query = {fields[0]: {"$in": [k[0] for k in part]}} if len(fields) == 1 else {
            "$or": [_match(fields, k) for k in part]}
        projection = {f: 1 for f in (*fields, EXPIRES)}
        async for doc in conn.col(spec.table).find(query, projection):
            out[tuple(str(doc.get(f)) for f in fields)] = _aware(doc.get(EXPIRES))
    return out


async def write(conn: MongoConnection, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each document's expiry (None removes it); documents that do not exist are left alone."""
    spec = KINDS[kind]
    ops = [UpdateOne(_match(spec.columns, key),
                     {"$set": {EXPIRES: at}} if at is not None else {"$unset": {EXPIRES: ""}})
           for key, at in expiries.items()]
    if ops:
        await conn.col(spec.table).bulk_write(ops, ordered=False)
