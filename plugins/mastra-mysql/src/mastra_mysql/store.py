"""``MySQLStore``: every domain on one MariaDB/MySQL database (backend id ``mysql``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mastra_core.backend import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.urlopts import split_url_options

from .config import MySQLConfig
from .connection import MySQLConnection


class MySQLStore(ConnectedBackend[MySQLConnection]):
    """All seven domains on MariaDB (10.6+) or MySQL (8.0+) through one asyncmy pool.

    ``MySQLStore(id="app", url="mysql://root@127.0.0.1:3306/mastra")``; ``open_storage("mariadb://...")``;
    ``create_storage("mysql", host=..., database=...)``.
    """

    stores_expiry = True

    backend_id: ClassVar[str] = "mysql"
    backend_token: ClassVar[str] = "MYSQL"
    url_schemes: ClassVar[tuple[str, ...]] = ("mysql", "mariadb")
    config_class: ClassVar[type[Any]] = MySQLConfig
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory", "workflows", "scores", "observability", "agents", "evals", "traces")
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"transactions", "ttl_prune"})
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password", "url", "connection_string"})
    #: Other names of the connection URL (as other backends spell it).
    option_aliases: ClassVar[Mapping[str, str]] = {"connection_string": "url"}

    def _connect(self) -> MySQLConnection:
        return MySQLConnection(self.config, disable_init=self.disable_init)

    url_field: ClassVar[str | None] = "url"

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """Query parameters naming an option (``connect_timeout``, ``max_pool_size``...) become that option; any
        other is a ``ConfigError``."""
        return split_url_options(url, MySQLConfig, backend="mysql", aliases=cls.option_aliases,
                                 exclude=("url", "host", "port", "user", "password", "database"))

    @classmethod
    def from_url(cls, url: str, **config: Any) -> MySQLStore:
        """``mysql://user:password@host:port/database`` (or ``mariadb://``), options in its query."""
        return cls(url=url, **config)

    async def diagnose(self) -> list[Finding]:
        """Server version (MariaDB or MySQL); missing, unknown and unused indexes (``mastra doctor``)."""
        await self.connect()
        row = await self.connection.one("SELECT VERSION() AS v")
        version = str(row["v"]) if row else "?"
        kind = "MariaDB" if "MariaDB" in version else "MySQL"
        from . import doctor

        return [Finding(check="server.version", severity="ok", message=f"{kind} {version}"),
                *await doctor.index_findings(self.connection)]

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, kind, expiries)

    async def migration_plan(self) -> list[str] | None:
        """The statements ``init()`` would run now (the database, missing tables, the version row); reads only."""
        from mastra_core.connect import ConnectionFailedError

        from . import migrations

        try:
            await self.connect()
        except ConnectionFailedError as exc:
            if exc.reason != "database_missing":
                raise
            return migrations.whole_schema(self.config.database or "")
        return await migrations.plan(self.connection)

    async def schema_version(self) -> int | None:
        """The version recorded in ``mastra_schema_version`` (0: none yet)."""
        from mastra_core.connect import ConnectionFailedError

        from . import migrations

        try:
            await self.connect()
        except ConnectionFailedError as exc:
            if exc.reason != "database_missing":
                raise
            return 0
        return await migrations.recorded(self.connection)

    async def _open(self) -> None:
        from mastra_core.connect import ConnectionFailedError

        try:
            await super()._open()
        except ConnectionFailedError as exc:
            if not (self.disable_init and exc.reason == "database_missing"):
                raise
            # the same error (its reason and exit code), with the fix for a deployment that migrates separately
            raise ConnectionFailedError(
                f"{exc.message}; with disable_init=True nothing is created: create the database and its tables with "
                "`mastra migrate URL`.", id=exc.id, reason=exc.reason, target=exc.target) from exc.__cause__
