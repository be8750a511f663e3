"""``MySQLConnection``: the asyncmy pool, transactions with deadlock retries, and driver-error wrapping.

Every statement of the plugin goes through here. Reads run on a pooled autocommit connection; every
write of one operation runs in :meth:`MySQLConnection.tx` (one transaction, run again from the start
when MariaDB picks it as a deadlock victim or a lock wait times out).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from mastra_core.connect import connection_error
from mastra_core.errors import ErrorCategory, StorageError
from mastra_core.log import redact

from .config import MySQLConfig
from .schema import create_schema, quote

if TYPE_CHECKING:
    from asyncmy import Pool
    from asyncmy.cursors import Cursor

T = TypeVar("T")
Row = dict[str, Any]
#: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT: the transaction was rolled back (or must be) and may simply run again.
RETRYABLE = frozenset({1213, 1205})
#: Strict mode (a value that does not fit is an error, never silently cut), UTC for the session, and no notes
#: (``IF NOT EXISTS`` on existing objects would otherwise surface as driver warnings).
INIT_COMMAND = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00', sql_notes = 0"


class Tx:
    """The cursor of one transaction (or of one autocommit read): every statement of an operation runs through it
    (dict rows).

    Round trips are the cost that counts, so statements whose result nobody reads are queued (:meth:`defer`) and
    travel with the next statement that is sent, as one multi-statement (MariaDB runs them in order and stops at
    the first error, which then surfaces from that send). A transaction queues its ``START TRANSACTION`` the same
    way and sends its ``COMMIT`` with whatever is still queued: a transaction of deferred writes only (a
    ``save_messages``) is one round trip.
    """

    def __init__(self, cursor: Cursor, *, begin: bool = False) -> None:
        self.cursor = cursor
        self._queued: list[str] = ["START TRANSACTION"] if begin else []
        #: the COMMIT was sent with the last statements (:meth:`fetch_each`)
        self.committed = False

    def defer(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Queue one statement whose result is not read: it is sent with the next one (at the latest the COMMIT)."""
        self._queued.append(self.cursor.mogrify(sql, tuple(params)))

    async def _send(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> int:
        """Send what is queued and ``statements`` in one round trip, leaving the cursor on the first of
        ``statements``' results; how many queued ones came before it."""
        if not self._queued and len(statements) == 1:
            await self.cursor.execute(statements[0][0], tuple(statements[0][1]))
            return 0
        queued, self._queued = self._queued, []
        # bound here, so the joined text is sent as is (no second %-formatting)
        await self.cursor.execute(";\n".join([*queued, *(self.cursor.mogrify(q, tuple(p)) for q, p in statements)]),
                                  None)
        for _ in queued:
            await self.cursor.nextset()
        return len(queued)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (after what is queued); the number of affected rows."""
        await self._send([(sql, params)])
        affected: Any = self.cursor.rowcount  # the current result's (typed ``object`` by asyncmy)
        return int(affected)

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of a query (sent after what is queued), as ``{column: value}``."""
        await self._send([(sql, params)])
        return list(await self.cursor.fetchall())

    async def fetch_each(self, statements: Sequence[tuple[str, Sequence[Any]]], *,
                         commit: bool = False) -> list[list[Row]]:
        """Every statement's rows (none for one that returns none), all sent in one round trip; with ``commit``
        the transaction's COMMIT goes in the same round trip (then nothing may follow in it)."""
        if commit:
            self.committed = True
            await self._send([*statements, ("COMMIT", ())])
        else:
            await self._send(statements)
        out = [list(await self.cursor.fetchall() or ())]
        for _ in statements[1:]:
            await self.cursor.nextset()
            out.append(list(await self.cursor.fetchall() or ()))
        if commit:
            await self.cursor.nextset()  # the COMMIT's own answer (a failed COMMIT raises here)
        return out

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a query, or None."""
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def commit(self) -> None:
        """COMMIT, sent with whatever is still queued."""
        await self._send([("COMMIT", ())])


def error_code(exc: BaseException) -> int | None:
    """The MariaDB error number of a driver error (None for anything else)."""
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def _healthy(conn: Any) -> bool:
    """Whether a connection can still be used (its socket is open and not at end of stream)."""
    return bool(conn.connected) and not bool(getattr(conn, "_stream_broken", False))


class MySQLConnection:
    """One storage's pool on one database; built without I/O, opened once, closed once."""

    def __init__(self, config: MySQLConfig, *, disable_init: bool = False) -> None:
        self.config = config
        self.disable_init = disable_init
        self.database = quote(str(config.database))
        self._pool: Pool | None = None
        self._lock = asyncio.Lock()

    def _params(self) -> dict[str, Any]:
        c = self.config
        return {
            "host": c.host,
            "port": c.port,
            "user": c.user,
            "password": c.password or "",
            "charset": "utf8mb4",
            "autocommit": True,
            "connect_timeout": c.connect_timeout,
            "read_timeout": c.operation_timeout,  # each read; the whole call is bounded in ``_bounded``
            "init_command": INIT_COMMAND,
        }

    async def open(self) -> None:
        """Create the database (unless ``disable_init``), the pool and the schema."""
        async with self._lock:
            if self._pool is not None:
                return
            import asyncmy
            from asyncmy.errors import Error as DriverError

            try:
                # the first connection says why it fails (refused, unknown host, access denied, unknown database)
                try:
                    conn = await asyncio.wait_for(
                        asyncmy.connect(
                            **self._params(), **({"db": self.config.database} if self.disable_init else {})
                        ),
                        timeout=self.config.connect_timeout + 1,
                    )
                except (OSError, TimeoutError, DriverError) as exc:
                    raise connection_error(
                        "MySQL", self.target(), exc, token="MYSQL", timeout=self.config.connect_timeout
                    ) from exc
                try:
                    if not self.disable_init:
                        async with conn.cursor() as cur:
                            await cur.execute(
                                f"CREATE DATABASE IF NOT EXISTS {self.database} "
                                "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
                            )
                finally:
                    conn.close()
                self._pool = await asyncmy.create_pool(
                    minsize=self.config.min_pool_size,
                    maxsize=self.config.max_pool_size,
                    db=self.config.database,
                    **self._params(),
                )
                if not self.disable_init:
                    await self.tx(create_schema)
            except StorageError:
                raise
            except Exception as exc:
                raise self.wrap("CONNECT", exc) from exc

    def target(self) -> str:
        """Where this store connects, for messages (no password)."""
        c = self.config
        return f"mysql://{c.user}@{c.host}:{c.port}/{c.database}"

    async def close(self) -> None:
        """Close the pool (connections in use are closed when released)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
            await pool.wait_closed()

    def wrap(self, op: str, exc: BaseException) -> StorageError:
        """A driver failure as a THIRD_PARTY StorageError, secrets masked."""
        message = redact(str(exc))
        if self.config.password:
            message = message.replace(self.config.password, "***")
        where = f"{self.config.host}:{self.config.port}/{self.config.database}"
        return StorageError(
            f"mysql {op.lower()} failed on {where}: {type(exc).__name__}: {message}",
            id=f"MASTRA_STORAGE_MYSQL_{op}_FAILED",
            category=ErrorCategory.THIRD_PARTY,
        )

    @property
    def pool(self) -> Pool:
        """The open pool (an error before :meth:`open`)."""
        if self._pool is None:
            raise StorageError("mysql storage is not open", id="MASTRA_STORAGE_MYSQL_NOT_OPEN")
        return self._pool

    async def read(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn`` on one pooled autocommit connection (a consistent read of one statement each)."""
        from asyncmy.cursors import DictCursor

        async with self._bounded():
            async with self.pool.acquire() as conn:
                try:
                    async with conn.cursor(DictCursor) as cur:
                        return await fn(Tx(cur))
                except BaseException:
                    if not _healthy(conn):
                        conn.close()  # the pool drops a closed connection instead of handing it out again
                    raise

    @asynccontextmanager
    async def _bounded(self) -> AsyncIterator[None]:
        """At most ``operation_timeout`` seconds (asyncmy has no read timeout of its own)."""
        limit = self.config.operation_timeout
        try:
            async with asyncio.timeout(limit):
                yield
        except TimeoutError:
            raise TimeoutError(f"no answer from MySQL within operation_timeout={limit} s") from None

    async def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Every row of one query."""
        return await self.read(lambda tx: tx.fetch(sql, params))

    async def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of one query, or None."""
        return await self.read(lambda tx: tx.one(sql, params))

    async def tx(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        """Run ``fn`` in one transaction: all its writes or none; run again on deadlock or lock wait timeout. Its
        ``START TRANSACTION`` and ``COMMIT`` cost no round trip of their own (:class:`Tx`)."""
        from asyncmy.cursors import DictCursor

        async with self._bounded():
            attempt = 0
            while True:
                async with self.pool.acquire() as conn:
                    try:
                        async with conn.cursor(DictCursor) as cur:
                            tx = Tx(cur, begin=True)  # START TRANSACTION travels with the first statement sent
                            result = await fn(tx)
                            if not tx.committed:
                                await tx.commit()
                        return result
                    except BaseException as exc:
                        if isinstance(exc, asyncio.CancelledError) or not _healthy(conn):
                            # cut off mid-reply (our deadline) or lost: never roll back over it, never reuse it;
                            # the server rolls back an uncommitted transaction when the connection goes
                            conn.close()
                            raise
                        try:
                            await asyncio.shield(conn.rollback())
                        except BaseException:  # a connection we cannot roll back must not go back to the pool
                            conn.close()
                        if error_code(exc) not in RETRYABLE or attempt >= self.config.max_retries:
                            raise
                attempt += 1
                await asyncio.sleep(random.uniform(0, 0.005 * min(attempt, 10)))  # jitter
