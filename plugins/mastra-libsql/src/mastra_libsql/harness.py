"""Contract-suite harnesses of mastra-libsql: ``libsql`` (local files) and ``libsql-sqld`` (a real sqld server).

``libsql``: every namespace gets a fresh database file in one temporary directory.

``libsql-sqld``: libSQL over HTTP against ``MASTRA_TEST_SQLD_URL`` (``bash scripts/services/start.sh sqld``).
The service's sqld runs without namespaces (no ``--enable-namespaces``), so a namespace cannot be a
database of its own. Each namespace gets its own tables on the one server instead, through the store's
``table_prefix`` option (``<namespace>_mastra_threads``...): storages on different namespaces are fully
isolated, two storages on one namespace share data, and ``cleanup`` drops the namespace's tables (their
indexes and triggers go with them).

The nox session ``conformance(libsql)`` runs both against the same services, so the file harness also
requires the sqld server and fails loudly when it is missing or silent, as the remote harness does.
A missing service is an error, never a skip.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from mastra_core import Storage, create_storage

_checked: set[str] = set()


def server_url() -> str:
    """The sqld URL from ``MASTRA_TEST_SQLD_URL``, checked once to answer on ``/health``."""
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


class FileHarness:
    """``libsql``: a fresh database file per namespace in one temporary directory (removed at exit)."""

    BACKEND_ID: ClassVar[str] = "libsql"
    PROBE_CONFIG: ClassVar[dict[str, Any]] = {"url": ":memory:"}

    def __init__(self) -> None:
        self._root: Path | None = None

    def _dir(self) -> Path:
        if self._root is None:
            self._root = Path(tempfile.mkdtemp(prefix="mastra-libsql-conformance-"))
            atexit.register(shutil.rmtree, self._root, True)
        return self._root

    async def make_storage(self, namespace: str, **overrides: Any) -> Storage:
        """An un-initialised storage on ``<tmp>/<namespace>.db``."""
        server_url()
        config: dict[str, Any] = {"url": f"file:{self._dir() / f'{namespace}.db'}"}
        config.update(overrides)
        return create_storage("libsql", id=f"conformance-{namespace}", **config)

    async def cleanup(self, namespace: str) -> None:
        """Delete the namespace's database file and its WAL/SHM companions."""
        for suffix in ("", "-wal", "-shm"):
            (self._dir() / f"{namespace}.db{suffix}").unlink(missing_ok=True)


class SqldHarness:
    """``libsql-sqld``: tables prefixed ``<namespace>_`` on the one sqld server."""

    BACKEND_ID: ClassVar[str] = "libsql"
    PROBE_CONFIG: ClassVar[dict[str, Any]] = {"url": ":memory:"}

    async def make_storage(self, namespace: str, **overrides: Any) -> Storage:
        """An un-initialised storage whose tables carry the prefix ``<namespace>_``."""
        config: dict[str, Any] = {"url": server_url(), "auth_token": _token(), "table_prefix": f"{namespace}_"}
        config.update(overrides)
        return create_storage("libsql", id=f"conformance-{namespace}", **config)

    def fault_upstream(self) -> tuple[str, int]:
        """The sqld server's TCP address (the fault suite's chaos proxy forwards there)."""
        parts = urlsplit(server_url())
        return parts.hostname or "127.0.0.1", parts.port or 8080

    async def make_proxied_storage(self, namespace: str, host: str, port: int, **overrides: Any) -> Storage:
        """An un-initialised storage on the namespace's tables, reaching sqld over HTTP through ``host:port``."""
        scheme = urlsplit(server_url()).scheme or "http"
        return await self.make_storage(namespace, url=f"{scheme}://{host}:{port}", **overrides)

    async def cleanup(self, namespace: str) -> None:
        """Drop the namespace's tables (their indexes and triggers go with them) in one write transaction.

        The one sqld database is shared with every other process testing against the same server, so this
        writer meets their locks (SQLITE_BUSY) like any other: it goes through the store's own connection
        class, which takes the write lock with BEGIN IMMEDIATE and waits for it as the store does
        (``busy_timeout_ms``, then backoff), instead of one bare DROP that fails on the first conflict.
        """
        from .connection import LibSQLConnection, Target, quote

        conn = LibSQLConnection(Target(server_url(), _token()), max_retries=5, initial_backoff_ms=100,
                                busy_timeout_ms=5000)
        prefix = f"{namespace}_"

        def drop(db: LibSQLConnection) -> None:
            names = db.all("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, length(?)) = ?",
                           (prefix, prefix))
            for (name,) in names:
                if re.fullmatch(r"[A-Za-z0-9_]+", str(name)):  # only names a prefix of ours can produce
                    db.execute(f"DROP TABLE IF EXISTS {quote(str(name))}")

        await conn.open()
        try:
            await conn.write(drop)
        finally:
            await conn.close()


file_harness = FileHarness()
sqld_harness = SqldHarness()
