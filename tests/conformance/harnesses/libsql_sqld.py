"""libSQL over HTTP against a real sqld server (``bash scripts/services/start.sh sqld``).

The server started by the service script runs without namespaces (``--enable-namespaces`` is off),
and table names are fixed (mastra_threads...), so a namespace can be neither a separate database nor
a table prefix. Isolation is by clearing: the first ``make_storage`` of a namespace initialises the
schema and wipes every table with ``dangerously_clear_all``; later storages on the same namespace
(two app instances on one database) see its data. The suite must run serially (pytest's default; never
with xdist). Known limit: storages on *different* namespaces that are alive at the same time share the
tables, so a test that compares two such storages (e.g. different TTL rules side by side) sees the
other's rows; with a namespaced sqld this harness would create one database per namespace instead.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from typing import Any

from mastra_core import Storage, create_storage

BACKEND_ID = "libsql"
PROBE_CONFIG = {"url": ":memory:"}
_checked: set[str] = set()
_live: set[str] = set()  # namespaces cleared and in use by the current test


def server_url() -> str:
    url = os.environ.get("MASTRA_TEST_SQLD_URL", "").strip()
    if not url:
        raise RuntimeError(
            "MASTRA_TEST_SQLD_URL is not set: start the server with `bash scripts/services/start.sh sqld` "
            "and export the line it prints (nox does this itself)"
        )
    if url not in _checked:
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=5) as resp:
                resp.read()
        except (urllib.error.URLError, OSError) as exc:
            raise RuntimeError(f"the sqld server at {url} does not answer ({exc}); start it with scripts/services/start.sh sqld") from exc
        _checked.add(url)
    return url


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    config: dict[str, Any] = {"url": server_url(), "auth_token": os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN") or None}
    config.update(overrides)
    storage = create_storage("libsql", id=f"conformance-{namespace}", **config)
    if namespace not in _live:
        _live.add(namespace)
        await storage.init()
        await storage.dangerously_clear_all()
    return storage


async def cleanup(namespace: str) -> None:
    _live.discard(namespace)
