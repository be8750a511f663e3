"""MongoDB harness: a fresh database per namespace on a real server.

``MONGODB_URI`` (a real MongoDB 7+, replica set or Atlas) wins when set; otherwise
``MASTRA_TEST_MONGODB_URI`` from ``scripts/services/start.sh jongodb`` (the jongodb wire-protocol server).
A missing server is an error, never a skip. Cleanup drops the database on a real MongoDB; jongodb
has no dropDatabase, so there every mastra collection is emptied instead.
"""

from __future__ import annotations

import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "mongodb"
#: Enough to build a store for the capability probe (no I/O happens at construction).
PROBE_CONFIG = {"uri": "mongodb://127.0.0.1:1", "db_name": "capability_probe"}


def server_uri() -> str:
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MASTRA_TEST_MONGODB_URI")
    if not uri:
        raise RuntimeError(
            "no MongoDB server: set MONGODB_URI, or run `bash scripts/services/start.sh jongodb` and export "
            "the MASTRA_TEST_MONGODB_URI it prints"
        )
    return uri


def db_name(namespace: str) -> str:
    return f"mastra_{namespace}"[:63]


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    config: dict[str, Any] = {"uri": server_uri(), "db_name": db_name(namespace),
                              "options": {"server_selection_timeout_ms": 5000}}
    config.update(overrides)
    return create_storage("mongodb", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    from mastra_mongodb.schema import COLLECTIONS
    from pymongo import AsyncMongoClient
    from pymongo.errors import OperationFailure

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server_uri(), serverSelectionTimeoutMS=5000)
    try:
        try:
            await client.drop_database(db_name(namespace))
        except OperationFailure:  # jongodb: no dropDatabase command
            db = client[db_name(namespace)]
            for name in COLLECTIONS:
                await db[name].delete_many({})
    finally:
        await client.close()
