"""LibSQLVector on an embedded libSQL file: one database file per namespace, removed by ``cleanup``.

``MASTRA_TEST_LIBSQL_DIR`` picks the folder (default: a ``mastra-vector-tests`` folder in the temp dir).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mastra_core.vector import VectorStore


def _dir() -> Path:
    d = Path(os.environ.get("MASTRA_TEST_LIBSQL_DIR") or Path(tempfile.gettempdir()) / "mastra-vector-tests")
    d.mkdir(parents=True, exist_ok=True)
    return d


async def make_vector(namespace: str) -> VectorStore:
    from mastra_libsql.vector import LibSQLVector

    return LibSQLVector(url=f"file:{_dir() / namespace}.db", id=f"vector-{namespace}")


async def cleanup(namespace: str) -> None:
    for suffix in (".db", ".db-wal", ".db-shm", ".db-info"):
        (_dir() / f"{namespace}{suffix}").unlink(missing_ok=True)
