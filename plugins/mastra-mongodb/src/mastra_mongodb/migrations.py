"""What ``mastra migrate`` shows for MongoDB: the indexes ``init()`` would create and the schema version it records.

Collections appear with their first write (or index); ``init()`` creates each collection's indexes
(:func:`~mastra_mongodb.schema.indexes_for`: the unique keys, the query indexes, the TTL index where a rule is
active, the configured ones) and records :data:`~mastra_mongodb.schema.SCHEMA_VERSION`. The plan lists, in mongosh
syntax, each of those that is missing now. Reads only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .connection import MongoConnection
from .schema import ENTITY, SCHEMA_VERSION, SCHEMA_VERSIONS, IndexSpec, indexes_for


def _keys(spec_keys: Iterable[tuple[str, Any]]) -> tuple[tuple[str, int], ...]:
    return tuple((str(f), int(d)) for f, d in spec_keys)


async def plan(conn: MongoConnection, collections: Iterable[str], ttl_entities: set[str]) -> list[str]:
    """The index creations and the version record ``init()`` would make now."""
    cfg = conn.config
    out: list[str] = []
    for name in collections:
        have: set[tuple[tuple[str, int], ...]] = set()
        # a collection that does not exist lists no index (listCollections is not asked: not every server has it)
        async for index in await conn.col(name).list_indexes():
            have.add(_keys(index["key"].items()))
        specs: list[IndexSpec] = indexes_for(name, defaults=not cfg.skip_default_indexes,
                                             ttl=ENTITY.get(name) in ttl_entities, custom=cfg.custom_indexes)
        for keys, options in specs:
            if _keys(keys) not in have:
                shown = json.dumps(dict(keys))
                out.append(f"db.{name}.createIndex({shown}" + (f", {json.dumps(options)})" if options else ")"))
    if await recorded(conn) < SCHEMA_VERSION:
        out.append(f'db.{SCHEMA_VERSIONS}.updateOne({{"_id": "mongodb"}}, {{"$set": {{"version": {SCHEMA_VERSION}}}}},'
                   ' {"upsert": true})')
    return out


async def recorded(conn: MongoConnection) -> int:
    """The layout version recorded in the database (0: none)."""
    doc = await conn.col(SCHEMA_VERSIONS).find_one({"_id": "mongodb"})
    return int(doc.get("version") or 0) if doc else 0
