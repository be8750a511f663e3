"""``PgConnection``: the driver I/O of one store, in one place.

One psycopg_pool pool per store (or the caller's), health checks, the JSON loaders of our connections,
retries of idempotent units on a lost connection, transactions, pipelines, and the wrapping of
connection failures into ``StorageError``. Opening also creates or migrates the schema (``schema.py``).
"""

from __future__ import annotations

import asyncio
import select
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from mastra_core.connect import connection_error
from mastra_core.errors import ConfigError
from mastra_core.log import get_logger, redact
from psycopg import pq
from psycopg.conninfo import make_conninfo
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

from . import codec
from .config import PostgresConfig
from .schema import migrate as migrate_schema

T = TypeVar("T")
_log = get_logger("mastra_pg")


def conninfo(config: PostgresConfig) -> str:
    """The libpq connection string for the config (never logged: it may hold a password)."""
    kw: dict[str, Any] = dict(config.ssl_options())
    kw["connect_timeout"] = max(1, int(config.connect_timeout))
    kw["application_name"] = config.application_name
    if config.statement_timeout_ms is not None:
        kw["options"] = f"-c statement_timeout={int(config.statement_timeout_ms)}"
    if config.connection_string is not None:
        try:
            return make_conninfo(config.connection_string, **kw)
        except psycopg.ProgrammingError as exc:  # an unknown or malformed libpq option
            raise ConfigError(
                f"invalid PostgreSQL connection string {redact(config.connection_string)!r}: {redact(str(exc))[:200]}",
                id="MASTRA_STORAGE_PG_CONFIG_INVALID",
            ) from None
    kw.update({"host": config.host, "dbname": config.database})
    if config.port is not None:
        kw["port"] = config.port
    if config.user is not None:
        kw["user"] = config.user
    if config.password is not None:
        kw["password"] = config.password
    return make_conninfo("", **kw)


@asynccontextmanager
async def pipelined_transaction(conn: Any) -> AsyncIterator[None]:
    """A transaction in pipeline mode on an autocommit connection.

    ``BEGIN`` travels with the first statement whose result is read and ``COMMIT`` with the last
    writes, so a read-modify-write (``SELECT ... FOR UPDATE`` then ``UPDATE``) is two round trips
    instead of four. Any error rolls back.
    """
    async with conn.pipeline():
        await conn.execute("BEGIN")
        try:
            yield
        except BaseException:
            if not conn.broken:
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")


def _connection_lost(exc: BaseException, conn: Any) -> bool:
    return isinstance(exc, psycopg.OperationalError) and (conn is None or conn.broken or conn.closed)


async def _check(conn: Any) -> None:
    """Pool check: free unless the socket is readable while idle (the server hung up or sent a FATAL)."""
    try:
        ready, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        ready = [True]
    if ready:
        await AsyncConnectionPool.check_connection(conn)


class PgConnection:
    """What every domain store of one :class:`~mastra_pg.PostgresStore` shares (and what ``PgVector`` runs on).

    ``fetch``/``execute`` run one statement on a pooled autocommit connection (one round trip);
    ``tx`` runs a function inside a transaction; a unit that fails because the connection was lost
    (server restart, terminated backend) is retried once on a fresh connection when it is idempotent.
    """

    def __init__(self, config: PostgresConfig, *, migrate: bool = True) -> None:
        self.config = config
        self.migrate = migrate
        self.schema = config.schema_name
        self._owns_pool = config.pool is None
        self._pool: Any = config.pool
        self._opened = False
        self._ready = False
        self._lock: asyncio.Lock | None = None
        self._configured: weakref.WeakSet[Any] = weakref.WeakSet()
        if self._owns_pool:
            kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": config.prepare_threshold}
            self._pool = AsyncConnectionPool(
                conninfo(config),
                min_size=config.min_pool_size,
                max_size=config.max_pool_size,
                timeout=config.pool_timeout,
                max_idle=max(config.idle_timeout, 1.0),
                max_lifetime=config.max_lifetime,
                kwargs=kwargs,
                open=False,
                configure=self._configure_new,
                check=_check if config.health_check else None,
                name=f"mastra-pg-{config.schema_name}",
                reconnect_timeout=max(config.connect_timeout * 6, 60.0),
            )

    @property
    def pool(self) -> Any:
        """The ``psycopg_pool.AsyncConnectionPool`` (the caller's when one was passed)."""
        return self._pool

    @property
    def owns_pool(self) -> bool:
        """Whether the pool was created (and is closed) here."""
        return self._owns_pool

    async def _configure_new(self, conn: Any) -> None:
        self._setup(conn)

    def _setup(self, conn: Any) -> None:
        set_json_loads(codec.loads, conn)
        set_json_dumps(codec.dumps, conn)
        self._configured.add(conn)

    async def connect(self) -> None:
        """Open the pool (when it is ours), once; no schema work."""
        if self._opened:
            return
        if self._owns_pool:
            # one direct connection first: it fails at once with libpq's own reason (refused, unknown
            # host, password, missing database, TLS) where the pool would retry quietly until its timeout
            await self._probe()
            try:
                await self._pool.open(wait=True, timeout=self.config.connect_timeout)
            except Exception as exc:
                await self._pool.close()
                raise connection_error(
                    "PostgreSQL", self.target(), exc, token="PG", timeout=self.config.connect_timeout
                ) from exc
        self._opened = True

    def target(self) -> str:
        """Where this store connects, for messages (password masked)."""
        cfg = self.config
        if cfg.connection_string is not None:
            return redact(cfg.connection_string)
        if cfg.host is not None:
            return f"{cfg.host}:{cfg.port or 5432}/{cfg.database}"
        return "the caller's pool"

    async def _probe(self) -> None:
        try:
            conn = await asyncio.wait_for(
                psycopg.AsyncConnection.connect(conninfo(self.config), autocommit=True),
                timeout=self.config.connect_timeout + 1,
            )
        except (psycopg.Error, OSError, TimeoutError) as exc:
            raise connection_error(
                "PostgreSQL", self.target(), exc, token="PG", timeout=self.config.connect_timeout
            ) from exc
        try:
            await conn.execute("select 1")
        finally:
            await conn.close()

    async def open(self) -> None:
        """Open the pool and run migrations, once (concurrent callers wait for the same work)."""
        if self._ready:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._ready:
                return
            await self.connect()
            if self.migrate:
                config = self.config
                await self.with_conn(
                    lambda conn: migrate_schema(
                        conn, self.schema, indexes=config.indexes, skip_default_indexes=config.skip_default_indexes
                    )
                )
            self._ready = True

    async def close(self) -> None:
        """Close the pool when it is ours (never a caller's)."""
        if self._owns_pool and self._pool is not None:
            await self._pool.close()
        self._opened = False
        self._ready = False

    # ------------------------------------------------------------------ running statements

    async def with_conn(self, fn: Callable[[Any], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run ``fn(conn)`` on a pooled connection in autocommit mode; retry once on a lost connection."""
        attempt = 0
        while True:
            conn = None
            try:
                async with self._pool.connection() as conn:
                    if conn not in self._configured:
                        self._setup(conn)
                    restore = not conn.autocommit
                    if restore:
                        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                            await conn.rollback()
                        await conn.set_autocommit(True)
                    try:
                        return await fn(conn)
                    finally:
                        if restore and not conn.broken:
                            await conn.set_autocommit(False)
            except psycopg.OperationalError as exc:
                if attempt == 0 and idempotent and _connection_lost(exc, conn):
                    attempt += 1
                    _log.warning(
                        "postgres connection lost; retrying on a fresh connection", error=redact(str(exc))[:200]
                    )
                    try:
                        await self._pool.check()
                    except Exception:  # the pool will keep reconnecting in the background
                        _log.debug("pool check failed", exc_info=True)
                    continue
                raise

    async def tx(self, fn: Callable[[Any], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run ``fn(conn)`` inside one transaction (rolled back on any error)."""

        async def go(conn: Any) -> T:
            async with pipelined_transaction(conn):
                return await fn(conn)

        return await self.with_conn(go, idempotent=idempotent)

    async def fetch(
        self,
        query: Any,
        params: Sequence[Any] | dict[str, Any] = (),
        *,
        idempotent: bool = True,
        prepare: bool | None = None,
    ) -> list[Any]:
        """One statement's rows (one round trip); ``prepare=False`` never uses a prepared plan."""

        async def go(conn: Any) -> list[Any]:
            cur = await conn.execute(query, params, prepare=prepare)
            return await cur.fetchall() if cur.description else []

        return await self.with_conn(go, idempotent=idempotent)

    async def fetchone(
        self, query: Any, params: Sequence[Any] | dict[str, Any] = (), *, idempotent: bool = True
    ) -> Any:
        """One statement's first row, or None."""

        async def go(conn: Any) -> Any:
            cur = await conn.execute(query, params)
            return await cur.fetchone() if cur.description else None

        return await self.with_conn(go, idempotent=idempotent)

    async def execute(self, query: Any, params: Sequence[Any] | dict[str, Any] = (), *, idempotent: bool = True) -> int:
        """One statement; its row count."""

        async def go(conn: Any) -> int:
            cur = await conn.execute(query, params)
            return int(cur.rowcount)

        return await self.with_conn(go, idempotent=idempotent)

    async def pipeline(self, statements: Sequence[tuple[Any, Any]], *, idempotent: bool = True) -> list[list[Any]]:
        """Several statements in one round trip (pipeline mode); returns each one's rows."""

        async def go(conn: Any) -> list[list[Any]]:
            async with conn.pipeline():
                curs = [await conn.execute(q, params) for q, params in statements]
            # leaving the block syncs once: every result is in
            return [await c.fetchall() if c.description else [] for c in curs]

        return await self.with_conn(go, idempotent=idempotent)
