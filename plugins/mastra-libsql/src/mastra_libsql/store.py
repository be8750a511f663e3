"""``LibSQLStore``: every domain on one libSQL database (file, ``:memory:`` or a remote sqld/Turso)."""

from __future__ import annotations

from typing import Any, ClassVar

from mastra_core.backend import ConnectedBackend
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
                                connect_timeout=float(cfg.connect_timeout))

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
