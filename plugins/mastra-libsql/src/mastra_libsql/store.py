"""``LibSQLStore``: every domain on one libSQL database (file, ``:memory:`` or a remote sqld/Turso)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import attrs
from mastra_core.domains.base import DomainStore
from mastra_core.log import redact
from mastra_core.storage import BackendStorage

from .db import Database, Target
from .memory import LibSQLMemory
from .others import (
    LibSQLAgents,
    LibSQLEvals,
    LibSQLObservability,
    LibSQLScores,
    LibSQLTraces,
    LibSQLWorkflows,
)


def _positive(name: str, minimum: int = 0) -> Any:
    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")

    return check


@attrs.define(kw_only=True)
class LibSQLConfig:
    """Options of :class:`LibSQLStore`.

    ``url``: ``file:path/to.db`` (or a bare path), ``:memory:``, ``libsql://host`` (TLS), ``http://host:port``
    or ``https://host``. ``auth_token``: the token of a remote server (also accepted as ``?authToken=`` in
    the URL); never shown. ``max_retries``/``initial_backoff_ms``: retries of a transaction that meets
    SQLITE_BUSY, backing off exponentially. ``busy_timeout_ms``: how long SQLite itself waits for a lock.
    ``table_prefix``: prepended to every table, index and trigger name, so several independent stores share
    one database (tests on one server, tenants); empty (the default) keeps the reference's names.
    """

    url: str = attrs.field(default=None)
    auth_token: str | None = attrs.field(default=None, repr=False)
    max_retries: int = attrs.field(default=5, validator=_positive("max_retries"))
    initial_backoff_ms: int = attrs.field(default=100, validator=_positive("initial_backoff_ms"))
    busy_timeout_ms: int = attrs.field(default=5000, validator=_positive("busy_timeout_ms"))
    table_prefix: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.strip():
            raise ValueError("url is required: file:path.db, :memory:, libsql://host, http://host:port or https://host")
        if self.auth_token is not None and not isinstance(self.auth_token, str):
            raise ValueError("auth_token must be a string")
        Target(self.url, self.auth_token)  # rejects unsupported schemes now rather than at init
        if not isinstance(self.table_prefix, str) or (
            self.table_prefix and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", self.table_prefix)
        ):
            raise ValueError("table_prefix must be empty or a letter followed by up to 39 letters, digits or _")


class LibSQLStore(BackendStorage):
    """All seven domains on libSQL, sharing one connection driven from one worker thread.

    ``LibSQLStore(id="app", url="file:mastra.db")``; ``open_storage("file:mastra.db")``;
    ``create_storage("libsql", url=":memory:")``.
    """

    backend_id: ClassVar[str] = "libsql"
    backend_token: ClassVar[str] = "LIBSQL"
    #: ``""`` routes ``:memory:`` (and bare paths) here through ``open_storage``.
    url_schemes: ClassVar[tuple[str, ...]] = ("file", "libsql", "http", "https", "")
    config_class: ClassVar[type[Any]] = LibSQLConfig
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"transactions", "schema_migrations", "ttl_prune"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"auth_token"})

    def _create_stores(self) -> dict[str, DomainStore]:
        cfg = self.config
        self.db = Database(Target(cfg.url, cfg.auth_token), max_retries=cfg.max_retries,
                           initial_backoff_ms=cfg.initial_backoff_ms, busy_timeout_ms=cfg.busy_timeout_ms,
                           table_prefix=cfg.table_prefix)
        return {
            "memory": LibSQLMemory(self.db),
            "workflows": LibSQLWorkflows(self.db),
            "scores": LibSQLScores(self.db),
            "observability": LibSQLObservability(self.db),
            "agents": LibSQLAgents(self.db),
            "evals": LibSQLEvals(self.db),
            "traces": LibSQLTraces(self.db),
        }

    async def _open(self) -> None:
        from mastra_core.errors import ErrorCategory, StorageError

        if self.db.is_open:
            return
        try:
            await self.db.open()
        except Exception as exc:
            message = redact(str(exc))
            if cfg_token := self.config.auth_token:
                message = message.replace(cfg_token, "***")
            raise StorageError(
                f"cannot open libsql database {self.db.target.shown}: {type(exc).__name__}: {message}",
                id="MASTRA_STORAGE_LIBSQL_CONNECT_FAILED", category=ErrorCategory.THIRD_PARTY,
            ) from exc

    async def _close(self) -> None:
        await self.db.close()
        for store in self._stores.values():
            if getattr(store, "db", None) is self.db:
                store._initialized = False  # a reopened store checks its schema again (a new :memory: database is empty)

    @classmethod
    def from_url(cls, url: str, **config: Any) -> LibSQLStore:
        return cls(url=url, **config)

    def __repr__(self) -> str:
        return redact(f"<LibSQLStore id={self.id!r} url={self.db.target.shown!r} domains={list(self.domains)}>")
