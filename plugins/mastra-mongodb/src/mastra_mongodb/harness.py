"""MongoDB harness: a fresh database per namespace on a real server.

``MONGODB_URI`` (a real MongoDB 7+, replica set or Atlas) wins when set; otherwise
``MASTRA_TEST_MONGODB_URI`` from ``scripts/services/start.sh jongodb`` (the jongodb wire-protocol server).
A missing server is an error, never a skip.

On a real MongoDB each namespace gets its own database, dropped by ``cleanup``. jongodb has no
dropDatabase/drop/dropIndexes and its commitTransaction slows down with every namespace it holds, so
there ``cleanup`` empties every mastra collection of the namespace's database and the database is
handed to the next namespace (one pool per process: each test still starts from empty collections).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "mongodb"
#: Enough to build a store for the capability probe (no I/O happens at construction).
PROBE_CONFIG = {"uri": "mongodb://127.0.0.1:1", "db_name": "capability_probe"}


def server_uri() -> str:
    """``MONGODB_URI`` or ``MASTRA_TEST_MONGODB_URI``; an error when neither is set."""
    uri = os.environ.get("MONGODB_URI") or os.environ.get("MASTRA_TEST_MONGODB_URI")
    if not uri:
        raise RuntimeError(
            "no MongoDB server: set MONGODB_URI, or run `bash scripts/services/start.sh jongodb` and export "
            "the MASTRA_TEST_MONGODB_URI it prints"
        )
    return uri


_names: dict[str, str] = {}
_free: list[str] = []
_made = itertools.count()


def real_server() -> bool:
    """True on a real MongoDB (``MONGODB_URI``), False on jongodb."""
    return bool(os.environ.get("MONGODB_URI"))


def db_name(namespace: str) -> str:
    """The database of ``namespace`` (on jongodb, a recycled one)."""
    if namespace not in _names:
        if real_server():
            _names[namespace] = f"mastra_{namespace}"[:63]
        else:
            _names[namespace] = _free.pop() if _free else f"mastra_conf_{os.getpid()}_{next(_made)}"
    return _names[namespace]


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    """An un-initialised storage on the database of ``namespace``."""
    config: dict[str, Any] = {"uri": server_uri(), "db_name": db_name(namespace),
                              "options": {"server_selection_timeout_ms": 5000}}
    config.update(overrides)
    return create_storage("mongodb", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    """Drop (real server) or empty and recycle (jongodb) the namespace's database."""
    from pymongo import AsyncMongoClient

    from .schema import COLLECTIONS

    if namespace not in _names:  # already cleaned (several storages on one namespace)
        return
    name = _names[namespace]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(server_uri(), serverSelectionTimeoutMS=5000)
    try:
        if real_server():
            await client.drop_database(name)
        else:
            db = client[name]
            for collection in (*COLLECTIONS, "mastra_schema_version"):
                await db[collection].delete_many({})
            if name not in _free:
                _free.append(name)
    finally:
        _names.pop(namespace, None)
        await client.close()


def fault_upstream() -> tuple[str, int]:
    """The server's TCP address (the fault suite's chaos proxy forwards there)."""
    from pymongo.uri_parser import parse_uri

    host, port = parse_uri(server_uri())["nodelist"][0]
    return str(host), int(port)


async def make_proxied_storage(namespace: str, host: str, port: int, **overrides: Any) -> Storage:
    """An un-initialised storage on the database of ``namespace`` reaching the server through ``host:port``
    (a direct connection: the driver must not discover the server's own address and go around the proxy)."""
    uri = f"mongodb://{host}:{port}/?directConnection=true"
    return await make_storage(namespace, uri=uri, **overrides)
