"""libSQL over HTTP against a real sqld server (``bash scripts/services/start.sh sqld``).

The service's sqld runs without namespaces (no ``--enable-namespaces``), so a namespace cannot be a
database of its own. Each namespace gets its own tables on the one server instead, through the store's
``table_prefix`` option (``<namespace>_mastra_threads``...): storages on different namespaces are fully
isolated, two storages on one namespace share data, and ``cleanup`` drops the namespace's tables (their
indexes and triggers go with them). The store code is the same as with the reference's names; only the
identifiers in the SQL text get the prefix.
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
            raise RuntimeError(
                f"the sqld server at {url} does not answer ({exc}); start it with scripts/services/start.sh sqld"
            ) from exc
        _checked.add(url)
    return url


def _token() -> str | None:
    return os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN") or None


async def make_storage(namespace: str, **overrides: Any) -> Storage:
    config: dict[str, Any] = {"url": server_url(), "auth_token": _token(), "table_prefix": f"{namespace}_"}
    config.update(overrides)
    return create_storage("libsql", id=f"conformance-{namespace}", **config)


async def cleanup(namespace: str) -> None:
    """Drop the namespace's tables (their indexes and triggers go with them) in one write transaction.

    The one sqld database is shared with every other process testing against the same server, so this
    writer meets their locks (SQLITE_BUSY) like any other: it goes through the store's own connection
    class, which takes the write lock with BEGIN IMMEDIATE and waits for it as the store does
    (``busy_timeout_ms``, then backoff), instead of one bare DROP that fails on the first conflict.
    """
    from mastra_libsql.connection import LibSQLConnection, Target, quote

    conn = LibSQLConnection(Target(server_url(), _token()), max_retries=5, initial_backoff_ms=100, busy_timeout_ms=5000)
    prefix = f"{namespace}_"

    def drop(db: LibSQLConnection) -> None:
        names = db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?)) = ?",
                       (prefix, prefix))
        for (name,) in names:
            db.execute(f"DROP TABLE IF EXISTS {quote(name)}")

    await conn.open()
    try:
        await conn.write(drop)
    finally:
        await conn.close()
