"""``LibSQLStore``: every domain on one libSQL database (file, ``:memory:`` or a remote sqld/Turso)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mastra_core.backend import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.log import redact
from mastra_core.urlopts import split_url_options

from .config import LibSQLConfig
from .connection import LibSQLConnection, Target

DOMAINS = ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")


class LibSQLStore(ConnectedBackend[LibSQLConnection]):
    """All seven domains on libSQL, sharing one connection driven from one worker thread.

    ``LibSQLStore(id="app", url="file:mastra.db")``; ``open_storage("file:mastra.db")``;
    ``create_storage("libsql", url=":memory:")``. The domains are registered by the plugin's hooks.
    """

    stores_expiry = True

    backend_id: ClassVar[str] = "libsql"
    backend_token: ClassVar[str] = "LIBSQL"
    #: ``""`` routes ``:memory:`` (and bare paths) here through ``open_storage``.
    url_schemes: ClassVar[tuple[str, ...]] = ("file", "libsql", "http", "https", "")
    config_class: ClassVar[type[Any]] = LibSQLConfig
    declared_domains: ClassVar[tuple[str, ...]] = DOMAINS
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"transactions", "schema_migrations", "ttl_prune"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"auth_token"})

    def _connect(self) -> LibSQLConnection:
        cfg: LibSQLConfig = self.config
        return LibSQLConnection(Target(cfg.url, cfg.auth_token), max_retries=cfg.max_retries,
                                initial_backoff_ms=cfg.initial_backoff_ms, busy_timeout_ms=cfg.busy_timeout_ms,
                                table_prefix=cfg.table_prefix, operation_timeout=float(cfg.operation_timeout),
                                connect_timeout=float(cfg.connect_timeout), wal_flush_every=cfg.wal_flush_every,
                                wal_autocheckpoint=cfg.wal_autocheckpoint)

    @property
    def db(self) -> LibSQLConnection:
        """The shared connection (the name tools, benchmarks and ``LibSQLVector(database=store.db)`` use)."""
        return self.connection

    async def _close(self) -> None:
        await self.connection.close()
        for store in self._stores.values():
            if getattr(store, "conn", None) is self.connection:
                # a reopened store checks its schema again (a new :memory: database is empty)
                store._initialized = False

    url_field: ClassVar[str | None] = "url"

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """Query parameters naming a store option (``operation_timeout``, ``busy_timeout_ms``, ``authToken``...)
        become that option; the driver's ``tls`` stays in the URL; any other is a ``ConfigError``."""
        if url.strip() in (":memory:", "file::memory:"):
            return url, {}
        return split_url_options(url, LibSQLConfig, backend="libsql", exclude=("url",), passthrough=("tls",))

    @classmethod
    def from_url(cls, url: str, **config: Any) -> LibSQLStore:
        """``file:...``, ``:memory:``, ``libsql://...``, ``http(s)://...``: the URL is the ``url`` option."""
        return cls(url=url, **config)

    def __repr__(self) -> str:
        return redact(f"<LibSQLStore id={self.id!r} url={self.connection.target.shown!r} domains={list(self.domains)}>")

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, kind, expiries)

    def _missing_file(self) -> bool:
        target = self.connection.target
        return not target.remote and not target.memory and not os.path.exists(target.database)

    async def _open(self) -> None:
        if self.disable_init and self._missing_file():
            # connecting would create the file: with disable_init nothing is created
            from mastra_core.errors import SchemaNotReadyError

            raise SchemaNotReadyError(
                f"libsql database {self.connection.target.shown} does not exist and the storage was built with "
                "disable_init=True: create it with `mastra migrate URL` (or build the storage without disable_init)",
                id="MASTRA_STORAGE_LIBSQL_SCHEMA_NOT_READY",
            )
        await super()._open()

    async def migration_plan(self) -> list[str] | None:
        """The statements ``init()`` would run now, per domain (tables, columns, indexes, the message counts and
        their triggers, the version rows); reads only, and a database file that does not exist yet is not created
        (its plan is the whole schema)."""
        from .connection import LibSQLConnection, Target
        from .schema import DOMAIN_TABLES, plan

        components = {d: DOMAIN_TABLES[d] for d in self.domains if d in DOMAIN_TABLES}
        if self._missing_file():
            empty = LibSQLConnection(Target(":memory:", None), max_retries=1, initial_backoff_ms=1, busy_timeout_ms=100,
                                     table_prefix=self.connection.prefix)
            await empty.open()
            try:
                return await empty.read(lambda db: plan(db, components))
            finally:
                await empty.close()
        await self.connect()
        return await self.connection.read(lambda db: plan(db, components))

    async def schema_version(self) -> int | None:
        """The lowest version recorded among this storage's domains (0: a domain has none yet)."""
        from .schema import recorded_versions

        if self._missing_file():
            return 0
        await self.connect()
        versions = await self.connection.read(recorded_versions)
        return min((versions.get(d, 0) for d in self.domains), default=0)

    async def diagnose(self) -> list[Finding]:
        """The SQLite/libSQL version, where the database is and its journal mode (a local file should be in WAL
        mode, so readers never wait for the writer), and missing or unknown indexes (``mastra doctor``)."""
        await self.connect()
        target = self.connection.target

        def probe(db: LibSQLConnection) -> tuple[Any, Any]:
            version = db.one("SELECT sqlite_version()")
            mode = None if target.remote else db.one("PRAGMA journal_mode")
            return (version[0] if version else "?"), (mode[0] if mode else None)

        version, mode = await self.connection.read(probe)
        where = "remote (sqld/Turso)" if target.remote else ("in memory" if target.memory else "local file")
        out = [Finding(check="server.version", severity="ok", message=f"SQLite {version}, {where}")]
        if not target.remote and not target.memory:
            if str(mode).lower() == "wal":
                out.append(Finding(check="server.journal", severity="ok", message="journal_mode WAL"))
            else:
                out.append(Finding(check="server.journal", severity="warning",
                                   message=f"journal_mode {mode}: readers wait for writers",
                                   fix="open the file once with this plugin (it switches to WAL), or PRAGMA "
                                       "journal_mode=WAL"))
        from .doctor import index_findings
        from .schema import DOMAIN_TABLES

        tables = [t for d in self.domains for t in DOMAIN_TABLES.get(d, ())]
        return out + await self.connection.read(lambda db: index_findings(db, tables))
