"""``PostgresStore``: every domain of the core on one PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from mastra_core.backend.storage import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.errors import ConfigError
from mastra_core.storage import BackendStorage
from mastra_core.urlopts import split_url_options

from . import indexes as ix
from .config import PostgresConfig
from .connection import PgConnection
from .indexes import IndexInfo, IndexSpec


class PostgresStore(ConnectedBackend[PgConnection]):
    """Storage on PostgreSQL through psycopg 3 and psycopg_pool (backend id ``pg``).

    ``PostgresStore(id="pg-storage", url="postgresql://...")`` (``connection_string=`` is the same option), or
    ``host=``/``port=``/
    ``database=``/``user=``/``password=``, or ``pool=`` (a caller-owned ``AsyncConnectionPool``, never
    closed here). See :class:`~mastra_pg.config.PostgresConfig` for every option. ``store.pool`` is the
    pool for direct queries and transactions.
    """

    stores_expiry = True

    backend_id: ClassVar[str] = "pg"
    backend_token: ClassVar[str] = "PG"
    url_schemes: ClassVar[tuple[str, ...]] = ("postgresql", "postgres")
    config_class: ClassVar[type[Any]] = PostgresConfig
    #: The domains every instance has (shown by `mastra backends` without connecting).
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory",
        "workflows",
        "scores",
        "observability",
        "agents",
        "evals",
        "traces",
    )
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"transactions", "custom_indexes", "atomic_updates"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"ssl"}
    #: ``url`` is the name every backend shares for its connection URL.
    option_aliases: ClassVar[Mapping[str, str]] = {"url": "connection_string"}

    def _connect(self) -> PgConnection:
        # disable_init (or MASTRA_DISABLE_STORAGE_INIT=true): connect, but create and migrate nothing
        return PgConnection(self.config, migrate=not self.disable_init)

    url_field: ClassVar[str | None] = "connection_string"

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """Query parameters naming a store option (``schema_name``, ``connect_timeout``, ``max_pool_size``...)
        become that option; libpq's own parameters (``sslmode``...) stay in the connection string; any other is
        a ``ConfigError``."""
        from psycopg import pq

        libpq = {d.keyword.decode() for d in pq.Conninfo.get_defaults()}
        return split_url_options(
            url,
            PostgresConfig,
            backend="pg",
            passthrough=libpq,
            aliases=cls.option_aliases,
            exclude=("connection_string", "host", "port", "database", "user", "password"),
        )

    @classmethod
    def from_url(cls, url: str, **config: Any) -> PostgresStore:
        """``postgresql://user:password@host:port/database?...`` (a libpq URL, options in its query) plus options."""
        return cls(connection_string=url, **config)

    async def schema_version(self) -> int | None:
        """The migration version recorded in this schema (0 when it has none yet)."""
        from .schema import recorded_version

        await self.connect()
        schema = self.schema_name
        return await self.connection.with_conn(lambda conn: recorded_version(conn, schema))

    @property
    def pool(self) -> Any:
        """The ``psycopg_pool.AsyncConnectionPool`` (yours if you passed one); open after ``init()``."""
        return self.connection.pool

    @property
    def schema_name(self) -> str:
        """The PostgreSQL schema holding the tables."""
        return self.connection.schema

    # ---------------------------------------------------------------- indexes

    async def create_index(self, spec: IndexSpec | dict[str, Any] | None = None, /, **options: Any) -> bool:
        """Create a custom index (``IndexSpec`` or its fields); returns False when one of that name exists.

        ``where`` is your own SQL, used verbatim; names, columns and expressions are validated and quoted.
        """
        try:
            parsed = IndexSpec.parse(spec if spec is not None else options)
        except ValueError as exc:
            raise ConfigError(f"invalid index: {exc}", id="MASTRA_STORAGE_PG_CREATE_INDEX_INVALID") from None
        await self.init()
        schema = self.schema_name
        return await self.connection.with_conn(lambda conn: ix.create_index(conn, parsed, schema))

    async def list_indexes(self, table: str | None = None) -> list[IndexInfo]:
        """Indexes of the mastra tables in this schema (or of one table)."""
        await self.init()
        schema = self.schema_name
        return await self.connection.with_conn(lambda conn: ix.list_indexes(conn, schema, table))

    async def describe_index(self, name: str) -> IndexInfo | None:
        """One index with its size and usage statistics (scans, tuples read/fetched), or None."""
        await self.init()
        schema = self.schema_name
        return await self.connection.with_conn(lambda conn: ix.describe_index(conn, schema, name))

    async def drop_index(self, name: str, *, concurrent: bool = True, if_exists: bool = True) -> None:
        """Drop an index of this schema."""
        await self.init()
        schema = self.schema_name
        await self.connection.with_conn(
            lambda conn: ix.drop_index(conn, schema, name, concurrent=concurrent, if_exists=if_exists)
        )

    async def diagnose(self) -> list[Finding]:
        """Server version, pgvector, the recorded schema version against this release's, missing default indexes and
        mastra indexes never scanned (``mastra doctor``)."""
        from .schema import SCHEMA_VERSION, recorded_version

        schema = self.connection.schema
        await self.connect()  # a doctor looks: nothing is created, and a missing schema is a finding

        async def probe(conn: Any) -> tuple[Any, ...]:
            async def one(query: str, params: tuple[Any, ...] = ()) -> Any:
                row = await (await conn.execute(query, params)).fetchone()
                return None if row is None else row[0]

            version = await one("SHOW server_version")
            installed = await one("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            available = await one("SELECT default_version FROM pg_available_extensions WHERE name = 'vector'")
            recorded = await recorded_version(conn, schema)
            cur = await conn.execute(
                "SELECT s.indexrelname, s.idx_scan, i.indisunique FROM pg_stat_user_indexes s "
                "JOIN pg_index i ON i.indexrelid = s.indexrelid "
                "WHERE s.schemaname = %s AND s.relname LIKE 'mastra%%'",
                (schema,),
            )
            return version, installed, available, recorded, await cur.fetchall()

        version, installed, available, recorded, stats = await self.connection.with_conn(probe)
        out = [Finding(check="server.version", severity="ok", message=f"PostgreSQL {version}")]
        if installed:
            out.append(Finding(check="server.pgvector", severity="ok", message=f"pgvector {installed} installed"))
        elif available:
            out.append(
                Finding(
                    check="server.pgvector",
                    severity="info",
                    message=f"pgvector {available} is available but not installed (vector store off)",
                    fix="CREATE EXTENSION vector;",
                )
            )
        else:
            out.append(
                Finding(
                    check="server.pgvector",
                    severity="info",
                    message="pgvector is not available",
                    fix="install pgvector on the server to use the pgvector vector store",
                )
            )
        if recorded == 0:
            out.append(
                Finding(
                    check="schema.version",
                    severity="error",
                    message=f"no mastra schema in {schema!r}",
                    fix="mastra migrate URL",
                )
            )
        elif recorded < SCHEMA_VERSION:
            out.append(
                Finding(
                    check="schema.version",
                    severity="warning",
                    message=f"schema {schema!r} is at version {recorded}; this release needs {SCHEMA_VERSION}",
                    fix="mastra migrate URL",
                )
            )
        else:
            out.append(Finding(check="schema.version", severity="ok", message=f"schema version {recorded}"))
        present = {row[0]: row for row in stats}
        missing = [spec.name for spec in ix.default_indexes(schema) if spec.name not in present]
        if missing and recorded:
            out.append(
                Finding(
                    check="indexes.missing",
                    severity="warning",
                    message=f"default index(es) missing: {', '.join(missing)}",
                    fix="mastra migrate URL",
                )
            )
        unused = sorted(row[0] for row in stats if not row[2] and int(row[1] or 0) == 0)
        if unused:
            out.append(
                Finding(
                    check="indexes.unused",
                    severity="info",
                    message=f"never scanned since statistics were reset: {', '.join(unused)}",
                    fix="drop an index only after watching it under real traffic (pg_stat_user_indexes)",
                )
            )
        return out

    async def migration_plan(self) -> list[str] | None:
        """The SQL ``init()`` would run now: schema, tables and columns when the recorded version is behind, then
        the missing default and configured indexes (reads only; build the store with ``disable_init=True``)."""
        from .schema import plan

        conn, config = self.connection, self.config
        await conn.connect()
        return await conn.with_conn(
            lambda c: plan(c, conn.schema, skip_default_indexes=config.skip_default_indexes, indexes=config.indexes)
        )

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, self.schema_name, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, self.schema_name, kind, expiries)
