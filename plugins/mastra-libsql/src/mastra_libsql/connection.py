"""``LibSQLConnection``: one libSQL connection per store, driven from a single worker thread.

Everything that touches the driver is here: connecting, the worker thread, transactions, lock waits and
retries, reconnects after a remote interrupt, parameter binding, and wrapping a failed connect into a
``StorageError`` (the domains' operation errors are wrapped by core's ``DomainStore._run``).


The ``libsql`` driver is synchronous. Every call runs on one dedicated thread (a one-worker
executor), which serialises access to the connection (a transaction is one job on that thread, so no
other operation of this store can interleave with it) and keeps the driver's work off the event loop.
Note that libsql 0.1.11 holds the GIL while a statement runs (local or remote), so the event loop still
pauses for the duration of each statement; waits for locks are therefore done here, not in SQLite.
Across processes, file databases use WAL and ``BEGIN IMMEDIATE``; a job that meets SQLITE_BUSY/locked
is retried as a whole: first polling the lock until ``busy_timeout_ms`` has passed, then with exponential
backoff, always awaited on the event loop. (The driver holds the GIL while SQLite runs, so SQLite's own
busy wait is kept to a few milliseconds: a worker thread alone would not keep the event loop free.)
A remote server waits for its write lock server-side, so write transactions of one process to one remote
database queue on a process-wide lock first (see ``LibSQLConnection._in_transaction``).

Remote databases (sqld, Turso) are reached through :class:`~mastra_libsql.remote.RemoteDriver`: the driver
runs in a child process, so a stalled server cannot freeze this one, and every remote job is bounded by
``operation_timeout`` (connecting by ``connect_timeout``). After any remote error the stream is replaced
before the next job (no stale baton is ever reused). A remote write transaction is retried as a whole when
the stream broke (expired, interrupted, baton refused, child gone); it records an operation token in the
same transaction, so a COMMIT whose answer was lost is recognised and never applied twice.
"""


from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib
import re
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from mastra_core.connect import connection_error
from mastra_core.errors import ErrorCategory, StorageError
from mastra_core.log import get_logger, redact

from .remote import BATCH_REFUSED, ChildGone, OperationTimeout, RemoteDriver
from .walflush import DEFAULT_EVERY, WalFlusher

T = TypeVar("T")
_log = get_logger("mastra_libsql")

_BUSY = re.compile(
    r"database is locked|database table is locked|table is locked|SQLITE_BUSY|SQLITE_LOCKED|database is busy",
    re.IGNORECASE,
)
#: SQLite's own busy wait per attempt. The driver holds the GIL while SQLite waits, so this stays short;
#: the rest of ``busy_timeout_ms`` is waited on the event loop (see ``LibSQLConnection._retrying``).
_SQLITE_BUSY_WAIT_MS = 10
#: A file's ``PRAGMA wal_autocheckpoint`` (SQLite's default: 1,000 pages). The checkpoint runs inside the commit that
#: crosses the mark, on the event loop for an inline job, with the GIL held (the driver never releases it): strace
#: of the bench's write mix (our ops alone) put 5-7 ms of fsync in the loop's thread per checkpoint at 1,000, 9-11 at
#: 4,000, a quarter as often (each page in the WAL is copied once, however many frames it has). 4,000 still fits
#: the first wal-index hash table (4,062 frames), so reads look a page up as before.
DEFAULT_AUTOCHECKPOINT = 4000
#: The first wait for a lock (then doubling, see ``LibSQLConnection._retrying``).
_FIRST_POLL_S = 0.002
#: What ``LibSQLConnection._first_inline`` hands back for a job that met a lock.
_MET_LOCK = object()
_OBJECT_NAME = re.compile(r"(?<![A-Za-z0-9_$])mastra_")
#: Remote (sqld) failures after which the job was rolled back server-side and runs fine on a new stream:
#: an interrupted statement, or a transaction timed out because another connection was waiting for the lock.
_INTERRUPTED = re.compile(
    r"SQLITE_INTERRUPT|interrupted|TRANSACTION_TIMEOUT|Transaction timed out|STREAM_EXPIRED|stream has expired"
    r"|baton|stream not found|connection (?:was )?(?:reset|closed|refused)|broken pipe|hyper|error sending request"
    r"|connection was lost",
    re.IGNORECASE,
)
#: Operation tokens older than this (seconds) are pruned: no retry of that write can still be in flight.
_TOKEN_TTL_S = 24 * 3600
#: The driver binds Python ints outside the signed 32-bit range as REAL (libsql 0.1.11), losing
#: precision; such values are sent as decimal text and SQL casts them back (or column affinity does).
_I32 = (-(2**31), 2**31 - 1)

#: One write lock per remote database, shared by every connection of this process to it (see
#: ``LibSQLConnection._in_transaction``).
_REMOTE_WRITERS: dict[str, threading.Lock] = {}
_REMOTE_WRITERS_GUARD = threading.Lock()


def _remote_writer_lock(database: str) -> threading.Lock:
    with _REMOTE_WRITERS_GUARD:
        return _REMOTE_WRITERS.setdefault(database, threading.Lock())


def is_busy(exc: BaseException) -> bool:
    """Whether a driver error is a transient lock conflict worth retrying."""
    return _BUSY.search(str(exc)) is not None


def awkward(text: str) -> bool:
    """Text the driver cannot carry as TEXT: a NUL (reads stop at it) or lone surrogates (not UTF-8)."""
    if "\x00" in text:
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def bind(value: Any) -> Any:
    """A parameter the driver binds without loss.

    Awkward text is bound as its UTF-8 bytes (lone surrogates kept with ``surrogatepass``) and stored
    as a BLOB; :func:`text` turns it back. Equality still works because every comparison binds the
    same way, and SQLite's JSON functions decode ``\\u0000``/``\\ud800`` escapes to these same bytes.
    """
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass") if awkward(value) else value
    if isinstance(value, bool):
        return int(value)  # booleans are stored as 0/1
    if isinstance(value, int) and not (_I32[0] <= value <= _I32[1]):
        return str(value)
    return value


def text(value: Any) -> Any:
    """A text column's value as written: BLOBs written by :func:`bind` become ``str`` again."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogatepass")
    return value


def quote(name: str) -> str:
    """A validated, double-quoted SQL identifier."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"invalid SQL identifier {name!r}")
    return f'"{name}"'


class Target:
    """Where to connect: the driver's ``database`` argument, the auth token and whether it is remote."""

    def __init__(self, url: str, auth_token: str | None) -> None:
        self.auth_token = auth_token
        text = url.strip()
        if text in (":memory:", "file::memory:", "file:memory"):
            self.database, self.remote, self.memory = ":memory:", False, True
            return
        scheme = text.split(":", 1)[0].lower() if "://" in text or text.startswith("file:") else ""
        self.memory = False
        if scheme in ("libsql", "http", "https", "ws", "wss"):
            parts = urlsplit(text)
            query = parse_qsl(parts.query, keep_blank_values=True)
            token = next((v for k, v in query if k in ("authToken", "auth_token")), None)
            if token and not self.auth_token:
                self.auth_token = token
            rest = [(k, v) for k, v in query if k not in ("authToken", "auth_token")]
            self.database = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))
            self.remote = True
        elif scheme == "file":
            path = text[len("file:"):]
            if path.startswith("//"):
                path = urlsplit(text).path  # file:///abs/path or file://localhost/abs/path
            path = path.split("?", 1)[0]
            if not path:
                raise ValueError("file: URL without a path")
            self.database, self.remote = path, False
        elif scheme == "":
            self.database, self.remote = text, False  # a bare path
        else:
            raise ValueError(
                f"unsupported libsql URL scheme {scheme!r}; use file:, :memory:, libsql://, http:// or https://")

    @property
    def shown(self) -> str:
        """The database, redacted for logs and messages."""
        return redact(self.database)


class _CommitUncertain(Exception):
    """COMMIT of a remote write failed: the write may or may not have landed (the answer was lost)."""

    def __init__(self, result: Any, seq: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.result, self.seq, self.cause = result, seq, cause


def _driver(conn: Any) -> RemoteDriver | None:
    """The remote driver under ``conn`` (a benchmark may wrap it in a statement counter), or None."""
    while conn is not None and not isinstance(conn, RemoteDriver):
        conn = getattr(conn, "inner", None)
    return conn


def _remote_transient(exc: BaseException) -> bool:
    """A remote failure after which the job was not applied and runs fine on a new stream."""
    return isinstance(exc, ChildGone) or _INTERRUPTED.search(str(exc)) is not None


class LibSQLConnection:
    """The shared connection of one store (every domain, and a vector store built on it) and the thread that owns it.

    Built without I/O; :meth:`open` connects on the worker thread, :meth:`close` releases both.
    """

    def __init__(self, target: Target, *, max_retries: int, initial_backoff_ms: int, busy_timeout_ms: int,
                 table_prefix: str = "", operation_timeout: float = 30.0, connect_timeout: float = 5.0,
                 wal_flush_every: int = DEFAULT_EVERY, wal_autocheckpoint: int = DEFAULT_AUTOCHECKPOINT) -> None:
        self.target = target
        #: Prepended to every table, index and trigger name (empty: the reference's names).
        self.prefix = table_prefix
        self._rewritten: dict[str, str] = {}
        self.max_retries = max_retries
        self.initial_backoff_ms = initial_backoff_ms
        self.busy_timeout_ms = busy_timeout_ms
        #: Seconds one attempt of a remote job may take (enforced in :class:`RemoteDriver`).
        self.operation_timeout = operation_timeout
        #: Seconds to open a remote stream (``SELECT 1`` answered).
        self.connect_timeout = connect_timeout
        #: Write jobs between background flushes of a file's WAL (0: none; see :mod:`.walflush`).
        self.wal_flush_every = wal_flush_every
        #: WAL pages after which a commit checkpoints (a file's ``PRAGMA wal_autocheckpoint``; 0: never).
        self.wal_autocheckpoint = wal_autocheckpoint
        #: The file's WAL flusher, from :meth:`open` to :meth:`close` (None: remote, in memory, or turned off).
        self.wal: WalFlusher | None = None
        #: The raw driver connection (benchmarks wrap it to count statements).
        self.conn: Any = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        #: A remote job failed: the next job opens a new stream first (never reuse a baton after an error).
        self._stale = False
        #: Operation tokens of remote writes: this connection's id and the last sequence number used.
        self._client = uuid.uuid4().hex
        self._seq = 0
        self._tokens_ready = False
        #: Held by whoever is using the driver connection: a worker job (waits for it) or an inline job on the
        #: event loop (only takes it when free, see :meth:`_call`).
        self._driver_lock = threading.Lock()
        #: The last job handed to the worker thread: inline jobs run only once it is done (queued work first).
        self._last_job: concurrent.futures.Future[Any] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Connect (idempotent); a failure is a ``MASTRA_STORAGE_LIBSQL_CONNECT_FAILED`` error without secrets."""
        if self.conn is not None:
            return
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="mastra-libsql")
        try:
            if self.target.remote:
                await self._call(self._connect)  # bounded by connect_timeout; a refused or stalled server fails fast
            else:
                # Switching a new file to WAL takes a lock that another process opening it at the same moment may
                # hold: connecting waits for locks like every other job (polling, then backoff).
                await self._retrying(self._connect)
        except BaseException as exc:
            self._executor.shutdown(wait=False)
            self._executor = None
            if not isinstance(exc, Exception):
                raise
            raise self._connect_error(exc) from exc
        if not self.target.remote and not self.target.memory and self.wal_flush_every > 0:
            self.wal = WalFlusher(self.target.database, self.wal_flush_every)

    def _connect_error(self, exc: BaseException) -> StorageError:
        hint = None
        if not self.target.remote:
            hint = "check that the file's directory exists and is writable, and that the path is a database file"
        elif "401" in str(exc) or "unauthorized" in str(exc).lower():
            hint = "the server refused the auth token: check auth_token (or ?authToken= in the URL)"
        error = connection_error("libsql", self.target.database, exc, token="LIBSQL", hint=hint,
                                 timeout=self.connect_timeout if self.target.remote else None)
        if self.target.auth_token:
            error.message = error.message.replace(self.target.auth_token, "***")
            error.args = (error.message,)
        return error

    def _connect(self) -> None:
        if self.target.remote:
            driver = _driver(self.conn) or RemoteDriver(self.target.database, self.target.auth_token)
            try:
                driver.connect(self.connect_timeout)
            except BaseException:
                driver.kill()
                raise
            self.conn, self._stale = driver, False
            return
        libsql = importlib.import_module("libsql")  # imported on first connect only (the plugin loads without it)
        conn = libsql.connect(self.target.database, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {min(int(self.busy_timeout_ms), _SQLITE_BUSY_WAIT_MS)}")
            if not self.target.memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute(f"PRAGMA wal_autocheckpoint = {int(self.wal_autocheckpoint)}")  # (a validated int)
            conn.execute("SELECT 1").fetchall()
        except BaseException:
            conn.close()
            raise
        self.conn = conn

    async def close(self) -> None:
        """Close the driver connection and stop the worker thread (idempotent)."""
        if self._executor is None:
            return
        conn, self.conn = self.conn, None
        executor, self._executor = self._executor, None
        wal, self.wal = self.wal, None
        if wal is not None:  # before the connection: SQLite may delete the WAL file when its last connection closes
            await asyncio.get_running_loop().run_in_executor(executor, wal.close)
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(executor, conn.close)
        executor.shutdown(wait=True)

    @property
    def is_open(self) -> bool:
        """Whether :meth:`open` succeeded and :meth:`close` has not run since."""
        return self.conn is not None

    # ------------------------------------------------------------------ running work

    async def _call(self, fn: Callable[[], T], inline: bool = False) -> T:
        """Run ``fn`` on the worker thread, or (``inline``, a file, nothing queued, driver free) right here.

        Why inline: measured on the embedded file (``bench/bench_libsql_small_ops.py``), handing a job to the
        worker thread and back costs ~40-80 us, more than the short statements themselves (an indexed SELECT
        or one-row upsert: 5-30 us). And the driver holds the GIL while SQLite runs, so the worker thread
        never kept the event loop running during a statement anyway; it only let the loop run the Python
        between statements of a long job. So short jobs (the domains mark them: single rows, bounded pages)
        run on the event loop thread when nothing else is using the connection. Lock waits stay off the loop
        in both cases: SQLite's own busy wait is capped at :data:`_SQLITE_BUSY_WAIT_MS`, and a job that meets
        SQLITE_BUSY is retried by :meth:`_retrying`, which waits with ``asyncio.sleep``. Remote databases
        never run inline (their waits are network round trips, done on the worker thread without the GIL).
        """
        executor = self._executor
        if executor is None:
            raise RuntimeError("libsql store is not open (call init() first) or was closed")
        if inline and not self.target.remote:
            ran, result = self._inline(fn)
            if ran:
                return cast(T, result)

        def locked() -> T:
            with self._driver_lock:
                return fn()

        job = executor.submit(locked)
        self._last_job = job
        result = await asyncio.wrap_future(job)
        if self._last_job is job:
            self._last_job = None  # nothing queued behind it: the next inline job need not ask the future
        return result

    def _inline(self, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """``(True, fn())`` run right here when no job is queued and the driver is free; ``(False, None)`` else."""
        last = self._last_job
        if (last is None or last.done()) and self._executor is not None and self._driver_lock.acquire(blocking=False):
            try:
                return True, fn()
            finally:
                self._driver_lock.release()
        return False, None

    def _bounded(self, job: Callable[[], T]) -> Callable[[], T]:
        """``job`` for the worker thread: on a remote database, first a new stream if the last job failed, and
        the whole attempt within ``operation_timeout``."""
        if not self.target.remote:
            return job

        def run() -> T:
            driver = _driver(self.conn)
            if driver is None:
                return job()  # a wrapped driver (benchmarks) or a closed store: nothing to bound here
            driver.deadline = time.monotonic() + self.operation_timeout
            try:
                if self._stale or not driver.alive:
                    driver.connect(min(self.connect_timeout, self.operation_timeout))
                    self._stale = False
                return job()
            except BaseException:
                self._stale = True  # whatever failed, the stream's state (baton, transaction) is not trusted
                raise
            finally:
                driver.deadline = None

        return run

    async def read(self, fn: Callable[[LibSQLConnection], T], *, inline: bool = False) -> T:
        """Run ``fn`` (reads only) on the worker thread, retrying on lock conflicts.

        ``inline``: ``fn`` is short (a few indexed statements on bounded rows): on a file it may run on the
        event loop thread (see :meth:`_call`).
        """
        job = functools.partial(fn, self)
        return await self._dispatch(job, inline)

    async def write(self, fn: Callable[[LibSQLConnection], T], *, inline: bool = False, single: bool = False,
                    batch: bool = False) -> T:
        """Run ``fn`` inside one write transaction (BEGIN IMMEDIATE) on the worker thread; all or nothing.

        ``single``: ``fn`` runs exactly one statement, which SQLite applies atomically on its own, so on a file
        it runs without BEGIN/COMMIT (one statement instead of three). A remote write keeps its transaction: its
        operation token must commit with it. ``inline``: as for :meth:`read`. ``batch``: ``fn`` only sends
        statements and uses none of their results (``execute`` returns an empty result), so on a remote
        database the whole transaction (BEGIN, the statements, the operation token, COMMIT) is ONE request.
        """
        if single and not self.target.remote:
            job: Callable[[], T] = functools.partial(fn, self)
        else:
            job = functools.partial(self._in_transaction, fn, batch and self.target.remote)
        result = await self._dispatch(job, inline)
        if self.wal is not None:
            self.wal.wrote()
        return result

    async def _dispatch(self, job: Callable[[], T], inline: bool) -> T:
        """Run ``job`` for :meth:`read`/:meth:`write`: inline first when allowed (see :meth:`_first_inline`), else
        (or after the first poll, when it met a lock) through :meth:`_retrying`."""
        if inline:
            ran, result = self._first_inline(job)
            if ran:
                return cast(T, result)
            if result is _MET_LOCK:
                await asyncio.sleep(_FIRST_POLL_S)
        return await self._retrying(job, inline)

    def _first_inline(self, job: Callable[[], T]) -> tuple[bool, Any]:
        """The usual case of a short job, tried before :meth:`_retrying` (and its coroutine) is set up: a file
        connection that is free and no lock met. Not run: ``(False, None)``, or ``(False, _MET_LOCK)`` when it met
        a lock (the caller waits as :meth:`_retrying` would before its next attempt)."""
        if self.target.remote:
            return False, None
        try:
            return self._inline(job)
        except Exception as exc:
            if not is_busy(exc):
                raise
        return False, _MET_LOCK

    async def _retrying(self, job: Callable[[], T], inline: bool = False) -> T:
        """Run ``job``; wait out locks without holding the GIL, then retry with backoff.

        The driver keeps the GIL while SQLite runs, including SQLite's own busy wait, so a long
        ``busy_timeout`` would freeze every thread of the process (the event loop too). SQLite's busy
        wait is therefore kept short (:data:`_SQLITE_BUSY_WAIT_MS`) and the rest of ``busy_timeout_ms``
        is waited here, with ``asyncio.sleep``, polling the lock every few milliseconds. After that the
        reference's policy applies: up to ``max_retries`` more attempts, backing off from
        ``initial_backoff_ms``. A remote job whose stream broke is run again as a whole on a new stream;
        a remote attempt that runs out of ``operation_timeout`` is not retried (the caller gets the error).
        """
        delay = self.initial_backoff_ms / 1000.0
        poll = _FIRST_POLL_S
        attempt = 0
        started = time.monotonic()
        bounded = self._bounded(job)
        while True:
            try:
                return await self._call(bounded, inline)
            except _CommitUncertain as uncertain:
                if await self._committed(uncertain.seq):
                    _log.debug("libsql remote commit answer lost, but the write landed", attempt=attempt)
                    return cast(T, uncertain.result)
                exc: Exception = uncertain.cause if isinstance(uncertain.cause, Exception) else uncertain
            except OperationTimeout as timeout:
                raise StorageError(
                    f"libsql server {self.target.shown} did not answer within operation_timeout="
                    f"{self.operation_timeout:g}s; the stream was abandoned (the next call opens a new one)",
                    id="MASTRA_STORAGE_LIBSQL_OPERATION_TIMEOUT", category=ErrorCategory.THIRD_PARTY,
                    details={"operation_timeout": self.operation_timeout},
                ) from timeout
            except Exception as caught:
                exc = caught
            if is_busy(exc) and (time.monotonic() - started) * 1000 < self.busy_timeout_ms:
                await asyncio.sleep(poll)  # still within busy_timeout_ms: poll the lock, GIL-free
                poll = min(poll * 2, 0.05)
                continue
            if attempt >= self.max_retries:
                raise exc
            if self.target.remote and _remote_transient(exc):
                # The stream broke (sqld expired it, interrupted a statement, refused its baton, or timed out
                # a transaction another connection waited for): nothing of the job was committed (an
                # uncertain COMMIT was checked above), and it succeeds on a new stream, opened by the next
                # attempt. A short pause after the first retry lets the other writer finish.
                attempt += 1
                _log.debug("libsql remote stream lost, running the job again on a new one", attempt=attempt,
                           reason=type(exc).__name__)
                if attempt > 1:
                    await asyncio.sleep(delay)
                    delay *= 2
                continue
            if not is_busy(exc):
                raise exc
            attempt += 1
            _log.debug("libsql busy, retrying", attempt=attempt, delay_s=delay)
            await asyncio.sleep(delay)
            delay *= 2

    async def _committed(self, seq: int) -> bool:
        """Whether the remote write with operation token ``seq`` of this connection landed (read on a new stream)."""

        def check() -> bool:
            if self.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (self.name("mastra_write_tokens"),)) is None:
                return False  # the first write of this connection creates the table: it did not land
            row = self.one("SELECT seq FROM mastra_write_tokens WHERE client = ?", (self._client,))
            return row is not None and int(row[0]) >= seq

        for attempt in range(3):
            try:
                return await self._call(self._bounded(check))
            except OperationTimeout:
                raise
            except Exception as exc:
                if not _remote_transient(exc) or attempt == 2:
                    raise
        return False

    async def reconnect(self) -> None:
        """Replace the connection with a new one (a new stream on a remote server)."""
        await self._call(self._reconnect)

    def _reconnect(self) -> None:
        if self.target.remote and _driver(self.conn) is not None:
            self._stale = True  # the next job opens the new stream, within its own time bound
            return
        old, self.conn = self.conn, None
        try:
            self._connect()
        except BaseException:
            self.conn = old
            raise
        try:
            old.close()
        except Exception:  # the old stream may already be gone
            _log.debug("closing the interrupted libsql connection failed")

    def _in_transaction(self, fn: Callable[[LibSQLConnection], T], batched: bool = False) -> T:
        if not self.target.remote:
            return self._transaction(fn)
        # A remote server waits for its write lock server-side. Writers of one process queue here first (a lock
        # that releases the GIL while waiting, bounded by the job's time), so the server only ever sees other
        # processes' writers and one stream of ours at a time never waits behind another.
        lock = _remote_writer_lock(self.target.database)
        driver = _driver(self.conn)
        deadline = driver.deadline if driver is not None and driver.deadline is not None else None
        wait = self.operation_timeout if deadline is None else max(0.0, deadline - time.monotonic())
        if not lock.acquire(timeout=wait):
            raise OperationTimeout("waited operation_timeout for this process's other writers to this database")
        try:
            return self._batched(fn) if batched else self._transaction(fn)
        finally:
            lock.release()

    def _batched(self, fn: Callable[[LibSQLConnection], T]) -> T:
        """A remote write transaction sent as one request: ``fn``'s statements and the operation token."""
        conn = self.conn
        collector = _Collector()
        self.conn = collector
        try:
            result = fn(self)
            seq = self._record_token()
        finally:
            self.conn = conn
        try:
            conn.batch(collector.statements)
        except OperationTimeout:
            raise
        except Exception as exc:
            if str(exc).startswith(BATCH_REFUSED):
                raise  # the server answered: the transaction was rolled back
            raise _CommitUncertain(result, seq, exc) from exc
        self._tokens_ready = True
        return result

    def _transaction(self, fn: Callable[[LibSQLConnection], T]) -> T:
        conn = self.conn
        remote = self.target.remote
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(self)
            seq = self._record_token() if remote else 0
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except OperationTimeout:
            raise
        except Exception as exc:
            if remote:
                raise _CommitUncertain(result, seq, exc) from exc
            self._rollback(conn)
            raise
        self._tokens_ready = self._tokens_ready or remote
        return result

    def _record_token(self) -> int:
        """Write this transaction's operation token (in the transaction): a lost COMMIT answer is then decidable."""
        if not self._tokens_ready:
            self.execute("CREATE TABLE IF NOT EXISTS mastra_write_tokens "
                         "(client TEXT PRIMARY KEY, seq INTEGER NOT NULL, at REAL NOT NULL)")
            self.execute("DELETE FROM mastra_write_tokens WHERE at < ?", (time.time() - _TOKEN_TTL_S,))
        self._seq += 1
        self.execute("INSERT INTO mastra_write_tokens (client, seq, at) VALUES (?, ?, ?) "
                     "ON CONFLICT(client) DO UPDATE SET seq = excluded.seq, at = excluded.at",
                     (self._client, self._seq, time.time()))
        return self._seq

    def _rollback(self, conn: Any) -> None:
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except Exception as rollback_error:  # the original error matters more than a failed rollback
            if self.target.remote or "no transaction is active" in str(rollback_error):
                # a broken remote stream is replaced before the next job; its transaction died with it
                _log.debug("libsql rollback skipped: the transaction is already gone", reason=str(rollback_error)[:200])
            else:
                _log.warning("libsql rollback failed", error=str(rollback_error)[:200])

    # ------------------------------------------------------------------ statements (worker thread only)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement (table names prefixed, parameters bound losslessly); the driver's cursor."""
        if self.prefix:
            sql = self._prefixed(sql)
        # ASCII text without NUL and NULL go as they are (most values): no call per value
        return self.conn.execute(sql, tuple([p if p is None or type(p) is str and p.isascii() and "\x00" not in p
                                             else bind(p) for p in params]))

    def name(self, logical: str) -> str:
        """The physical name of a table, index or trigger (for names passed as parameters)."""
        return self.prefix + logical

    def _prefixed(self, sql: str) -> str:
        # Every schema object this package creates is named mastra_*; SQL text holds no user data
        # (values are parameters), so renaming the identifiers in the text is exact.
        out = self._rewritten.get(sql)
        if out is None:
            out = _OBJECT_NAME.sub(lambda m: self.prefix + m.group(0), sql)
            if len(self._rewritten) < 4096:
                self._rewritten[sql] = out
        return out

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Every row of a query."""
        return list(self.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """The first row of a query, or None."""
        rows = self.execute(sql, params).fetchall()
        return tuple(rows[0]) if rows else None

    def changes(self, sql: str, params: Sequence[Any] = ()) -> int:
        """How many rows a statement changed."""
        return int(self.execute(sql, params).rowcount or 0)


class _NoRows:
    rowcount = 0

    def fetchall(self) -> list[tuple[Any, ...]]:
        return []


class _Collector:
    """Stands in for the driver while a batched write's statements are gathered (see ``LibSQLConnection.write``)."""

    in_transaction = True

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _NoRows:
        self.statements.append((sql, tuple(params)))
        return _NoRows()


def chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (SQLite bounds the parameters of a statement)."""
    for i in range(0, len(items), size):
        yield items[i:i + size]


class RecordingConnection:
    """Wraps a driver connection and records every statement (benchmarks count round trips with it).

    ``store.connection.conn = RecordingConnection(store.connection.conn)`` after ``init()``; ``statements`` holds
    ``(sql, params)`` in order. Not used by the store itself.
    """

    def __init__(self, conn: Any) -> None:
        self.inner = conn
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Record the statement, then run it."""
        self.statements.append((sql, tuple(params)))
        return self.inner.execute(sql, params)

    def batch(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Record a remote batch's statements (one request), then send it."""
        self.statements += statements
        self.inner.batch(statements)

    def __getattr__(self, name: str) -> Any:
        """Everything else is the wrapped connection's."""
        return getattr(self.inner, name)


async def select_plan(store: Any, call: Callable[[], Awaitable[Any]]) -> tuple[list[str], Any]:
    """The query plan (``EXPLAIN QUERY PLAN``'s detail lines) of the ONE SELECT that ``call`` sends through
    ``store`` (a LibSQLStore after ``init()``), and ``call``'s result: what the plan tests assert an index on.
    An AssertionError when ``call`` sends no SELECT or more than one."""
    rec = RecordingConnection(store.db.conn)
    store.db.conn = rec
    try:
        result = await call()
    finally:
        store.db.conn = rec.inner
    selects = [(sql, params) for sql, params in rec.statements if sql.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert len(selects) == 1, f"expected one SELECT, got {len(rec.statements)} statements: {rec.statements}"
    sql, params = selects[0]
    plan = await store.db.read(lambda db: [str(row[-1]) for row in db.all("EXPLAIN QUERY PLAN " + sql, params)])
    return plan, result
