"""libSQL on local files: every namespace gets a fresh database file in one temporary directory.

The nox session ``conformance(libsql)`` runs this harness and ``libsql_sqld`` against the same
services, so this one also requires the sqld server (MASTRA_TEST_SQLD_URL) and fails loudly when
it is missing or silent, as the remote harness does.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mastra_core import Storage, create_storage

from .libsql_sqld import server_url

BACKEND_ID = "libsql"
PROBE_CONFIG = {"url": ":memory:"}

_ROOT = Path(tempfile.mkdtemp(prefix="mastra-libsql-conformance-"))
atexit.register(shutil.rmtree, _ROOT, True)


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    server_url()
    config: dict[str, Any] = {"url": f"file:{_ROOT / f'{namespace}.db'}"}
    config.update(overrides)
    return create_storage("libsql", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        (_ROOT / f"{namespace}.db{suffix}").unlink(missing_ok=True)
