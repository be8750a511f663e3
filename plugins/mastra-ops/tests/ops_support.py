"""Test support shared by the mastra-ops tests (and bench/bench_copy.py): each backend's contract-suite harness, and
where a namespace of it lives (URL and options, as ``mastra copy``/``migrate`` take them on the command line)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

#: backend id -> harness module names, first found wins.
HARNESSES = {
    "pg": ["mastra_pg.harness"],
    "mongodb": ["mastra_mongodb.harness"],
    "dynamodb": ["mastra_dynamodb.harness"],
    "upstash": ["mastra_upstash.harness"],
    "mysql": ["mastra_mysql.harness"],
}


def harness(backend: str) -> Any:
    """The harness module of an installed backend."""
    for name in HARNESSES[backend]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError(f"no test harness for {backend}: is its plugin installed?")


def place(backend: str, ns: str, tmp: Path, *, fresh_db: bool = False) -> tuple[str, dict[str, Any]]:
    """URL and options of ``backend``'s namespace ``ns`` (nothing is created; libsql is a file in ``tmp``).

    On jongodb the harness hands a namespace a recycled database (emptied by its ``cleanup``: jongodb cannot drop
    one), which is what copies want; ``fresh_db`` names a database of its own instead (``ns`` itself), for tests of
    what a never-used namespace looks like (a recycled one keeps its collections and indexes).
    """
    if backend == "libsql":
        return f"file:{tmp / (ns + '.db')}", {}
    h = harness(backend)
    if backend == "pg":
        return h.server_url(), {"schema_name": ns}
    if backend == "mongodb":
        return h.server_uri(), {"db_name": ns if fresh_db else h.db_name(ns)}
    if backend == "dynamodb":
        return f"dynamodb://{h.endpoint().split('://', 1)[1]}/{h.table_name(ns)}", {"credentials": h.CREDENTIALS}
    if backend == "upstash":
        return h.redis_url(), {"prefix": h.prefix_for(ns)}
    if backend == "mysql":
        return h.server_url(), {"database": ns}
    raise ValueError(f"no place for backend {backend!r}")
