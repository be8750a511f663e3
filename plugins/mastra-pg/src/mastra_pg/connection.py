"""``PgConnection``: the driver I/O of one store, in one place.

One psycopg_pool pool per store (or the caller's), health checks, the JSON loaders of our connections,
retries of idempotent units on a lost connection, transactions, pipelines, and the wrapping of
connection failures into ``StorageError``. Opening also creates or migrates the schema (``schema.py``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import select
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from mastra_core.connect import connection_error
from mastra_core.errors import ConfigError
from mastra_core.log import get_logger, redact
from psycopg import pq, sql
from psycopg.conninfo import make_conninfo
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

from . import codec, lean
from .arrays import register_array_dumpers
from .config import PostgresConfig
from .schema import TABLES
from .schema import migrate as migrate_schema

T = TypeVar("T")
_IDLE = pq.TransactionStatus.IDLE
_log = get_logger("mastra_pg")
#: Every this many tokenised writes also delete the tokens older than an hour (in the same transaction).
TOKEN_SWEEP_EVERY = 256
#: Operation tokens are kept an hour (``_ops_sweep``): far longer than any retry of their operation can come.
#: Seconds between looks at the parked connection (see :meth:`PgConnection._park`): a caller waiting for a
#: connection of an exhausted pool gets it within this; an unused one goes back to the pool within two.
PARK_TICK = 0.05


class AlreadyApplied(Exception):
    """A retried write found its own operation token: the first attempt committed (its reply was lost)."""


def conninfo(config: PostgresConfig) -> str:
    """The libpq connection string for the config (never logged: it may hold a password)."""
    kw: dict[str, Any] = dict(config.ssl_options())
    kw["connect_timeout"] = max(1, int(config.connect_timeout))
    kw["application_name"] = config.application_name
    # a peer that vanished without a FIN is noticed by the kernel, not only by our deadline
    kw.update(keepalives=1, keepalives_idle=max(1, int(config.operation_timeout)), keepalives_interval=1,
              keepalives_count=3)
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


async def bounded(work: Awaitable[T], limit: float) -> T:
    """``await work``, but at most ``limit`` seconds; then an OperationalError.

    The work runs in the caller's task (no task of its own: a task, its wait and its callbacks cost about as
    much client CPU as a whole single-row read). At the deadline a timer cancels the task; psycopg answers a
    cancellation by asking the server to cancel the query (which a stalled server never answers, for up to ten
    seconds), so the timer cancels again every 0.1 s until the work ends: psycopg then closes the connection
    at once (the pool replaces it). Our own cancellations are withdrawn (``uncancel``) before the
    OperationalError is raised; a cancellation from outside still propagates as one.
    """
    task = asyncio.current_task()
    if task is None:  # pragma: no cover - always awaited from a task
        return await work
    loop = asyncio.get_running_loop()
    cancels = 0
    handle: asyncio.TimerHandle

    def expire() -> None:
        nonlocal cancels, handle
        if task.cancel():
            cancels += 1
        handle = loop.call_later(0.1, expire)

    handle = loop.call_later(limit, expire)
    try:
        result = await work
    except BaseException:
        handle.cancel()
        if cancels == 0:
            raise
        if _withdraw(task, cancels) > 0:  # cancelled from outside as well: that cancellation wins
            raise
        raise psycopg.OperationalError(f"no answer from PostgreSQL within operation_timeout={limit} s") from None
    handle.cancel()
    if cancels:  # it finished as the deadline passed: withdraw our cancellation, the caller is not cancelled
        _withdraw(task, cancels)
    return result


class Deadlines:
    """What :func:`bounded` does for every attempt of one store, on one shared timer.

    A timer per attempt (a ``TimerHandle``, its heap push and its cancel, all Python code in asyncio) cost about a
    twelfth of a one-row read's client CPU. Here an attempt only registers its deadline; one timer, armed for the
    earliest one, cancels every attempt past its deadline (and again every 0.1 s until it ends, as ``bounded``)
    and re-arms itself for the next; with nothing in flight it stops. Used from another event loop than the first
    one, it falls back to :func:`bounded`.
    """

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self._loop: asyncio.AbstractEventLoop | None = None
        #: key -> [deadline (loop time), the task, our cancellations so far]
        self._active: dict[int, list[Any]] = {}
        self._keys = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    async def run(self, work: Awaitable[T]) -> T:
        """``await work``, but at most ``limit`` seconds; then an OperationalError (see :func:`bounded`)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            if self._loop is not None:
                return await bounded(work, self.limit)
            self._loop = loop
        task = asyncio.current_task(loop)  # (the loop given: no second running-loop lookup, a getpid on 3.11)
        if task is None:  # pragma: no cover - always awaited from a task
            return await work
        entry: list[Any] = [loop.time() + self.limit, task, 0]
        key = next(self._keys)
        self._active[key] = entry
        timer = self._timer
        if timer is None or entry[0] < timer.when():  # (earlier than a re-cancellation when limit < 0.1 s)
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(entry[0], self._expire)
        try:
            result = await work
        except BaseException:
            del self._active[key]
            cancels = entry[2]
            if cancels == 0:
                raise
            if _withdraw(task, cancels) > 0:  # cancelled from outside as well: that cancellation wins
                raise
            raise psycopg.OperationalError(
                f"no answer from PostgreSQL within operation_timeout={self.limit} s") from None
        del self._active[key]
        if entry[2]:  # it finished as the deadline passed: withdraw our cancellation, the caller is not cancelled
            _withdraw(task, entry[2])
        return result

    def _expire(self) -> None:
        loop = self._loop
        assert loop is not None
        now = loop.time()
        earliest = None
        for entry in self._active.values():
            if entry[0] <= now:
                if entry[1].cancel():
                    entry[2] += 1
                entry[0] = now + 0.1  # cancelled again until it ends
            if earliest is None or entry[0] < earliest:
                earliest = entry[0]
        self._timer = None if earliest is None else loop.call_at(earliest, self._expire)


def _withdraw(task: asyncio.Task[Any], cancels: int) -> int:
    """Withdraw ``cancels`` cancellation requests of ours; how many (from elsewhere) remain."""
    remaining = 0
    for _ in range(cancels):
        remaining = task.uncancel()
    return remaining


#: Put-backs in flight (a task must be referenced until it ends).
_returning: set[asyncio.Task[Any]] = set()


def _connection_lost(exc: BaseException, conn: Any) -> bool:
    return isinstance(exc, psycopg.OperationalError) and (conn is None or conn.broken or conn.closed)


async def run_statement(conn: Any, query: Any, params: Any = None, *, prepare: lean.Prepare = None,
                        chunk: int = 0, each: Callable[[Any], Any] | None = None) -> lean.Result:
    """One statement on an idle autocommit connection, its rows read (see :mod:`.lean`; ``chunk`` and ``each``:
    :func:`.lean.run`); the cursor in the unusual case of a connection in pipeline mode (or a psycopg release
    without what :mod:`.lean` uses)."""
    if lean.usable(conn):
        return await lean.run(conn, query, params, prepare, chunk, each)
    cur = await conn.execute(query, params, prepare=False if prepare == lean.CUSTOM else prepare)
    if not _has_rows(cur):
        return lean.Result(None, cur.rowcount)
    rows = await cur.fetchall()
    return lean.Result(rows if each is None else [each(row) for row in rows], cur.rowcount)


def _has_rows(cur: Any) -> bool:
    """Whether the cursor's result has a row set (what ``cur.description`` tells, without building its columns:
    a ``Column`` per column and a type lookup each, a tenth of a one-row read's client CPU)."""
    res = cur.pgresult
    return res is not None and (res.nfields > 0 or res.status == pq.ExecStatus.TUPLES_OK)


def _hung_up(conn: Any) -> bool:
    """Whether an idle connection's socket is readable (the server hung up or sent a FATAL), or unusable."""
    try:
        ready, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        return True
    return bool(ready)


def _readable(conn: Any) -> bool:
    """:func:`_hung_up` through a ``poll`` object kept on the connection: a third of ``select``'s CPU, which builds
    its descriptor sets from lists on every call (this runs before every attempt on the parked connection)."""
    try:
        poller = conn._mastra_poll
    except AttributeError:
        try:
            poller = conn._mastra_poll = select.poll()
            poller.register(conn.pgconn.socket, select.POLLIN)
        except (OSError, ValueError, psycopg.OperationalError):
            return True
    try:
        return bool(poller.poll(0))  # readable, or hung up / in error (reported whatever was asked)
    except (OSError, ValueError):
        return True


async def _check(conn: Any) -> None:
    """Pool check: free unless the socket is readable while idle (see :func:`_hung_up`)."""
    if _hung_up(conn):
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
        self._once_count = itertools.count(1)
        self._deadlines = Deadlines(config.operation_timeout)
        self._once_queries: dict[tuple[str, bool], str] = {}
        #: An idle connection of our own pool kept out of it between attempts (see :meth:`_park`); None: none.
        self._parked: Any = None
        self._park_uses = 0  # attempts that took the parked connection (the tick sees whether it is still used)
        self._park_seen = -1
        self._park_timer: asyncio.TimerHandle | None = None
        self._park_health = config.health_check
        ops = sql.Identifier(config.schema_name, TABLES["ops"])
        self._ops_insert = sql.SQL("INSERT INTO {} (op_id) VALUES (%s)").format(ops)
        self._ops_sweep = sql.SQL("DELETE FROM {} WHERE applied_at < NOW() - INTERVAL '1 hour'").format(ops)
        #: What :meth:`once_row` appends to a statement whose data-modifying CTE ``up`` returns the written row:
        #: the token's INSERT (and now and then the sweep), then the row.
        token = sql.SQL(", op AS (INSERT INTO {} (op_id) SELECT %(op_token)s FROM up LIMIT 1)").format(ops)
        sweep = sql.SQL(", sweep AS (DELETE FROM {} WHERE applied_at < NOW() - INTERVAL '1 hour')").format(ops)
        self._ops_tails = (sql.Composed([token, sql.SQL(" SELECT * FROM up")]).as_string(None),
                           sql.Composed([token, sweep, sql.SQL(" SELECT * FROM up")]).as_string(None))
        if self._owns_pool:
            kwargs: dict[str, Any] = {"autocommit": True, "prepare_threshold": config.prepare_threshold}
            self._pool = AsyncConnectionPool(
                conninfo(config),
                min_size=config.min_pool_size,
                max_size=config.max_pool_size,
                timeout=min(config.pool_timeout, config.operation_timeout),
                max_idle=max(config.idle_timeout, 1.0),
                max_lifetime=config.max_lifetime,
                kwargs=kwargs,
                open=False,
                configure=self._configure_new,
                check=_check if config.health_check else None,
                name=f"mastra-pg-{config.schema_name}",
                reconnect_timeout=max(config.connect_timeout * 6, 60.0),
            )
        #: Only our own pool's connections are parked, and only with the psycopg_pool internals read below.
        self._parks = self._owns_pool and hasattr(self._pool, "_waiting") and hasattr(self._pool, "_closed")

    @property
    def pool(self) -> Any:
        """The ``psycopg_pool.AsyncConnectionPool`` (the caller's when one was passed)."""
        return self._pool

    @property
    def owns_pool(self) -> bool:
        """Whether the pool was created (and is closed) here."""
        return self._owns_pool

    async def _configure_new(self, conn: Any) -> None:
        # Our pool's sessions in UTC: psycopg then reads every timestamptz with ``datetime.UTC`` itself (for
        # "Etc/UTC", a server default, it uses a ZoneInfo), which the row decoders take as it is instead of
        # converting each value (two per row). Only the rendering of instants changes; a caller's pool is left alone,
        # and so is a session behind PgBouncer (``prepare_threshold=None``): in transaction pooling a SET would stay
        # on a server connection other clients share.
        if self.config.prepare_threshold is not None:
            await conn.execute("SET TIME ZONE 'UTC'")
        self._setup(conn)

    def _setup(self, conn: Any) -> None:
        register_array_dumpers(conn)
        set_json_loads(codec.loads, conn)
        set_json_dumps(codec.jsonb_dumps, conn)
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
        await self._unpark()
        if self._owns_pool and self._pool is not None:
            await self._pool.close()
        self._opened = False
        self._ready = False

    # ------------------------------------------------------------------ running statements

    async def with_conn(self, fn: Callable[[Any], Awaitable[T]], *, idempotent: bool = True) -> T:
        """Run ``fn(conn)`` on a pooled connection in autocommit mode; retry once on a lost connection.

        Each attempt (getting a connection included) is bounded by ``operation_timeout`` on the client side:
        ``statement_timeout`` cannot help when the server (or the network to it) stalls. A connection whose
        attempt ran out of time is closed, never handed to the next caller mid-reply.
        """
        attempt = 0
        while True:
            taken: list[Any] = []  # the attempt's connection, once it has one (was it lost?)
            try:
                return await self._deadlines.run(self._attempt(fn, taken))
            except psycopg.OperationalError as exc:
                if attempt == 0 and idempotent and _connection_lost(exc, taken[0] if taken else None):
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

    async def _attempt(self, fn: Callable[[Any], Awaitable[T]], taken: list[Any]) -> T:
        """``fn(conn)`` on a connection checked out of the pool (and put back, whatever happens).

        ``getconn``/``putconn`` rather than ``pool.connection()``: that context manager and the connection's own
        ``async with`` (a ``commit()`` through the connection lock even when there is no transaction) cost as much
        client CPU as the pool itself. What their exit did is kept: a transaction left open is committed after
        success and rolled back after an error.
        """
        pool = self._pool
        conn = self._parked
        if conn is not None:  # (see _park)
            self._parked = None
            if self._park_health and _readable(conn):  # the pool checks it (and replaces it) as its getconn does
                await self._put_back(conn)
                conn = None
            else:
                self._park_uses += 1
        if conn is None:
            conn = await pool.getconn()
        taken.append(conn)
        try:
            if not self._owns_pool and conn not in self._configured:  # our pool configures its own connections
                self._setup(conn)
            if conn.autocommit:
                result = await fn(conn)
            else:
                result = await self._in_autocommit(conn, fn)
            if conn.pgconn.transaction_status != _IDLE and not conn.closed:
                await conn.commit()
            return result
        except BaseException:
            if conn.pgconn.transaction_status != _IDLE and not conn.closed:
                try:
                    await conn.rollback()
                except Exception as exc:  # the connection is in a bad state: the pool discards it
                    _log.warning("rollback failed", error=redact(str(exc))[:200])
            raise
        finally:
            if not self._park(conn):
                await self._put_back(conn)

    # ------------------------------------------------------------------ the parked connection
    # psycopg_pool's getconn/putconn (a lock, a health check, stats, logging, several coroutines each) cost about an
    # eighth of a one-row op's client CPU. Between attempts the last connection is kept instead ("parked", still
    # checked out of our own pool) and the next attempt takes it back synchronously. Parked only when it is
    # certainly reusable (idle, autocommit, open, not past its lifetime) and nobody waits for a pool connection;
    # a failed or cancelled statement leaves a closed or busy connection, which goes back to the pool as before
    # (the pool discards or resets it). A timer (one per idle spell, not per op) hands it back when someone waits
    # for a connection of an exhausted pool (the store's own attempts take the parked one first; ``store.pool``'s
    # other users and a PgVector sharing it go through the pool) or when it went unused for a tick.

    def _park(self, conn: Any) -> bool:
        """Keep ``conn`` for the next attempt instead of putting it back; whether it was kept."""
        pool = self._pool
        # (IDLE also means open and not broken: libpq reports UNKNOWN for a connection that is not OK)
        if not self._parks or self._parked is not None or pool._closed or pool._waiting \
                or conn.pgconn.transaction_status != _IDLE or getattr(conn, "_pipeline", False) is not None \
                or not conn.autocommit or getattr(conn, "_expire_at", 0.0) <= time.monotonic():
            return False
        self._parked = conn
        if self._park_timer is None:
            self._park_seen = self._park_uses
            self._park_timer = asyncio.get_running_loop().call_later(PARK_TICK, self._park_tick)
        return True

    def _park_tick(self) -> None:
        self._park_timer = None
        conn = self._parked
        if conn is None:  # in use: parked again (and the timer re-armed) when its attempt ends
            return
        if self._pool._waiting or self._pool._closed or self._park_uses == self._park_seen:
            self._parked = None
            self._return_later(conn)
            return
        self._park_seen = self._park_uses
        self._park_timer = asyncio.get_running_loop().call_later(PARK_TICK, self._park_tick)

    def _return_later(self, conn: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._put_back(conn))
        _returning.add(task)
        task.add_done_callback(_returning.discard)

    async def _put_back(self, conn: Any) -> None:
        """Every connection goes back to its pool through here: first unregistered from the event loop
        (``lean.release``: the pool's code may close it, and its socket must not stay registered)."""
        lean.release(conn)
        await self._pool.putconn(conn)

    async def _unpark(self) -> None:
        if self._park_timer is not None:
            self._park_timer.cancel()
            self._park_timer = None
        conn, self._parked = self._parked, None
        if conn is not None:
            await self._put_back(conn)

    async def _in_autocommit(self, conn: Any, fn: Callable[[Any], Awaitable[T]]) -> T:
        """``fn(conn)`` on a caller's pool connection that is not in autocommit mode: switched for the call."""
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            await conn.rollback()
        await conn.set_autocommit(True)
        try:
            return await fn(conn)
        finally:
            if not conn.broken and not conn.closed:
                await conn.set_autocommit(False)

    async def once(self, fn: Callable[[Any], Awaitable[T]], applied: Callable[[Any], Awaitable[T]]) -> T:
        """Run the non-idempotent ``fn(conn)`` in one transaction that also records a fresh operation token.

        When the connection is lost after the server committed but before the reply arrived, the retry on a
        fresh connection inserts the same token again; the primary key refuses it, the retry rolls back and
        returns ``applied(conn)`` (the stored state) instead of applying ``fn`` twice. The token's INSERT
        travels with the transaction's last writes and its COMMIT: no extra round trip.
        """
        token = os.urandom(16).hex()  # as unique as a uuid4, without building one
        sweep = next(self._once_count) % TOKEN_SWEEP_EVERY == 0

        async def go(conn: Any) -> T:
            try:
                async with pipelined_transaction(conn):
                    result = await fn(conn)
                    await conn.execute(self._ops_insert, (token,))
                    if sweep:
                        await conn.execute(self._ops_sweep)
                return result
            except psycopg.errors.UniqueViolation as exc:
                if exc.diag.table_name != TABLES["ops"]:
                    raise
                await conn.execute("ROLLBACK")
                _log.info("a retried write had already been applied (its reply was lost); not applying it again")
                return await applied(conn)

        return await self.with_conn(go, idempotent=True)

    async def once_row(self, head: str, params: dict[str, Any], applied: Callable[[Any], Awaitable[Any]]) -> Any:
        """Run a one-statement write that records its own operation token; its first row (None: no row written).

        ``head`` is ``WITH up AS (... RETURNING ...)``, a data-modifying CTE returning the written row; the token's
        INSERT (taken from ``up``: nothing written, no token) and ``SELECT * FROM up`` are appended here. One
        statement in autocommit is one transaction and one round trip. A retry after a lost reply finds its
        token (the primary key refuses it, the statement and its second write roll back) and returns
        ``applied(conn)`` (the stored row) instead, as :meth:`once` does.
        """
        token = os.urandom(16).hex()  # as unique as a uuid4, without building one
        sweep = next(self._once_count) % TOKEN_SWEEP_EVERY == 0
        query = self._once_queries.get((head, sweep))
        if query is None:  # the statements are a few fixed texts: joined once, and psycopg's caches see one string
            query = self._once_queries[head, sweep] = head + self._ops_tails[sweep]
        args = {**params, "op_token": token}

        async def go(conn: Any) -> Any:
            try:
                rows = (await run_statement(conn, query, args)).rows
                return rows[0] if rows else None
            except psycopg.errors.UniqueViolation as exc:
                if exc.diag.table_name != TABLES["ops"]:
                    raise
                _log.info("a retried write had already been applied (its reply was lost); not applying it again")
                return await applied(conn)

        return await self.with_conn(go, idempotent=True)

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
        prepare: lean.Prepare = None,
        chunk: int = 0,
        each: Callable[[Any], Any] | None = None,
    ) -> list[Any]:
        """One statement's rows (one round trip); ``prepare=False`` never uses a prepared plan, ``prepare=CUSTOM``
        (``lean.CUSTOM``) a prepared one always planned for its parameters; ``chunk`` > 0: rows loaded that many at
        a time as they come (``lean.CAN_CHUNK``: for rows of big JSON documents); ``each``: what each row becomes,
        applied as it is loaded."""

        async def go(conn: Any) -> list[Any]:
            rows = (await run_statement(conn, query, params, prepare=prepare, chunk=chunk, each=each)).rows
            return [] if rows is None else rows

        return await self.with_conn(go, idempotent=idempotent)

    async def fetchone(
        self, query: Any, params: Sequence[Any] | dict[str, Any] = (), *, idempotent: bool = True
    ) -> Any:
        """One statement's first row, or None."""

        async def go(conn: Any) -> Any:
            if lean.usable(conn):  # (run_statement's usual case, one coroutine fewer)
                rows = (await lean.run(conn, query, params, None)).rows
            else:
                rows = (await run_statement(conn, query, params)).rows
            return rows[0] if rows else None

        return await self.with_conn(go, idempotent=idempotent)

    async def execute(self, query: Any, params: Sequence[Any] | dict[str, Any] = (), *, idempotent: bool = True,
                      prepare: lean.Prepare = None) -> int:
        """One statement; its row count. ``prepare``: as :meth:`fetch`'s."""

        async def go(conn: Any) -> int:
            if lean.usable(conn):  # (as in fetchone)
                return (await lean.run(conn, query, params, prepare)).rowcount
            return (await run_statement(conn, query, params, prepare=prepare)).rowcount

        return await self.with_conn(go, idempotent=idempotent)

    async def pipeline(self, statements: Sequence[tuple[Any, Any]], *, idempotent: bool = True) -> list[list[Any]]:
        """Several statements in one round trip (pipeline mode); returns each one's rows."""

        async def go(conn: Any) -> list[list[Any]]:
            async with conn.pipeline():
                curs = [await conn.execute(q, params) for q, params in statements]
            # leaving the block syncs once: every result is in
            return [await c.fetchall() if _has_rows(c) else [] for c in curs]

        return await self.with_conn(go, idempotent=idempotent)
