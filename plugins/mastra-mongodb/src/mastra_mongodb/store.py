"""``MongoDBStore``: every mastra domain on MongoDB 7+ / Atlas through pymongo's async client."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

from mastra_core.backend.storage import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.storage import BackendStorage
from mastra_core.urlopts import snake, split_url_options, url_option_names

from .config import MongoDBConfig
from .connection import MongoConnection

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.database import AsyncDatabase


#: The store's own options a URL may set (the rest of a query string is pymongo's).
_STORE_OPTIONS = frozenset(url_option_names(MongoDBConfig, exclude=("uri", "url")))


class MongoDBStore(ConnectedBackend[MongoConnection]):
    """MongoDB storage (backend id ``mongodb``).

    ``MongoDBStore(id="app", uri="mongodb://localhost:27017", db_name="mastra")``; see
    :class:`~mastra_mongodb.config.MongoDBConfig` for every option. Collections and indexes are
    created by ``init()``; writes of several documents run in one transaction where the deployment
    has transactions (replica sets, sharded clusters, Atlas).
    """

    stores_expiry = True

    #: The domains every instance has (shown by `mastra backends` without connecting).
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory", "workflows", "scores", "observability", "agents", "evals", "traces")

    backend_id: ClassVar[str] = "mongodb"
    backend_token: ClassVar[str] = "MONGODB"
    url_schemes: ClassVar[tuple[str, ...]] = ("mongodb", "mongodb+srv")
    config_class: ClassVar[type[Any]] = MongoDBConfig
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"client", "options"}

    def _connect(self) -> MongoConnection:
        """The connection object (no I/O until ``init()``); the domains come from the plugin's hooks."""
        return MongoConnection(self.config)

    async def init(self) -> None:
        """Connect, create collections and indexes (once), then record the schema version."""
        first = not self._initialized
        await super().init()
        if first and self.connection.db is not None and not self.disable_init:
            await self.connection.retrying(self.connection.record_schema_version)

    async def schema_version(self) -> int | None:
        """The layout version recorded in the database (0 when it has none yet)."""
        from . import migrations

        await self.connect()
        return await migrations.recorded(self.connection)

    @property
    def client(self) -> AsyncMongoClient[dict[str, Any]] | None:
        """The ``AsyncMongoClient`` in use (None before ``init()``)."""
        return self.connection.client

    @property
    def db(self) -> AsyncDatabase[dict[str, Any]] | None:
        """The ``AsyncDatabase`` in use (None before ``init()``)."""
        return self.connection.db

    @property
    def supports_transactions(self) -> bool:
        """Whether multi-document writes run in transactions (known after ``init()``)."""
        return self.connection.supports_transactions

    url_field: ClassVar[str | None] = "uri"
    option_aliases: ClassVar[Mapping[str, str]] = {"url": "uri"}

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """Query parameters naming a store option (``db_name``, ``connect_timeout``, ``use_transactions``...)
        become that option; every other one is pymongo's (``retryWrites``, ``tls``...) and stays in the URI."""
        return split_url_options(url, MongoDBConfig, backend="mongodb", exclude=("uri", "url"),
                                 passthrough=lambda key: snake(key) not in _STORE_OPTIONS)

    @classmethod
    def from_url(cls, url: str, **config: Any) -> Self:
        """``open_storage("mongodb://host/db")``: the URL's path names the database unless ``db_name`` is given.

        Query parameters naming a store option (``db_name``, ``connect_timeout``, ``use_transactions``...)
        become that option; every other one is pymongo's (``retryWrites``, ``tls``...) and stays in the URI.
        """
        return cls(uri=url, **config)

    async def diagnose(self) -> list[Finding]:
        """Server version, topology, transactions and the recorded schema version (``mastra doctor``)."""
        await self.connect()
        conn = self.connection
        client = conn.client
        if client is None:
            return [Finding(check="server.connect", severity="error", message="not connected")]
        hello = await client.admin.command("hello")
        topology = "replica set " + str(hello["setName"]) if hello.get("setName") else (
            "sharded (mongos)" if hello.get("msg") == "isdbgrid" else "standalone")
        out = [Finding(check="server.version", severity="ok",
                       message=f"MongoDB {conn.server_version or '?'}" + (" (jongodb)" if conn.is_jongodb else "")),
               Finding(check="server.topology", severity="ok", message=topology)]
        if conn.supports_transactions:
            out.append(Finding(check="server.transactions", severity="ok", message="multi-document transactions on"))
        else:
            out.append(Finding(check="server.transactions", severity="warning",
                               message="no transactions: batches are not all or nothing",
                               fix="run MongoDB as a replica set (a one-node replica set is enough)"))
        return out + await self._index_usage()

    async def _index_usage(self) -> list[Finding]:
        """Indexes of the mastra collections never used since the server started (``$indexStats``)."""
        unused: list[str] = []
        names = [n for store in self._stores.values() for n in getattr(store, "collections", ())]
        try:
            for name in dict.fromkeys(names):
                async for stat in await self.connection.col(name).aggregate([{"$indexStats": {}}]):
                    if stat.get("name") != "_id_" and int((stat.get("accesses") or {}).get("ops") or 0) == 0:
                        unused.append(f"{name}.{stat.get('name')}")
        except Exception as exc:  # jongodb and some managed tiers have no $indexStats: say so
            return [Finding(check="indexes.unused", severity="info",
                            message=f"index usage cannot be read ($indexStats: {type(exc).__name__})")]
        if not unused:
            return [Finding(check="indexes.unused", severity="ok", message="every mastra index has been used")]
        return [Finding(check="indexes.unused", severity="info",
                        message=f"never used since the server started: {', '.join(sorted(unused)[:20])}"
                        + (" ..." if len(unused) > 20 else ""),
                        fix="drop an index only after watching it under real traffic ($indexStats)")]

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, kind, expiries)

    async def migration_plan(self) -> list[str] | None:
        """The indexes ``init()`` would create now (mongosh syntax) and the schema version record; reads only."""
        from . import migrations

        await self.connect()
        names = [n for store in self._stores.values() for n in getattr(store, "collections", ())]
        ttl = {e for e in self.retention.rules if self.retention.rule(e) is not None}
        return await migrations.plan(self.connection, dict.fromkeys(names), ttl)
