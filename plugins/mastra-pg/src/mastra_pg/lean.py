"""One statement sent straight through the connection's libpq handle, for the single-statement ops.

psycopg's cursor runs a statement through generators, the connection lock, a wait that arms a timer and
(re)registers the socket twice, and result bookkeeping: measured under callgrind, a ``SELECT 1`` cost 190k
instructions that way and 38k (19k prepared) here, about half a one-row op's client CPU. What this does
is what the cursor does for one statement on an idle autocommit connection: the query and its
parameters converted by psycopg's own ``PostgresQuery`` and adapters (identical bytes on the wire), sent
with the extended protocol (the simple one when there are no parameters, as the cursor does), every
result read, a server error raised as psycopg's class for its SQLSTATE, rows loaded by psycopg's
``Transformer``. Statements are prepared as psycopg prepares them (after ``prepare_threshold`` uses,
``prepare=True`` at once, ``prepare=False`` never, None disables), under names of our own; ``prepare=CUSTOM``
prepares at once but never lets PostgreSQL switch to a generic plan (see :data:`CUSTOM`).

An interrupted wait (a deadline, a cancellation) closes the connection: the statement's outcome and the
connection's state are unknown, and the pool replaces a closed connection.

On asyncio's own selector loop libpq's socket stays registered with the loop between statements (a
:class:`_Watch` per connection, on a duplicate descriptor of its own) instead of being added and removed around
every wait: two ``epoll_ctl`` calls and asyncio's bookkeeping, 10-25 us of a key lookup's 100-140 us of user CPU.
It is unregistered on any error or cancellation here, when the socket turns readable while no statement waits,
and by :func:`release` before the connection goes back to its pool.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
import os
from collections.abc import Callable
from typing import Any, Final, Literal

from psycopg import errors, pq
from psycopg.adapt import Transformer

try:  # psycopg's own query converter: private, so a release that moves it turns this path off, not the store
    from psycopg._queries import PostgresQuery, _query2pg_nocache
except ImportError:  # pragma: no cover - a psycopg without them (tests/test_pg_lean_fallback.py covers the effect)
    AVAILABLE = False
else:
    AVAILABLE = True

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_TUPLES_CHUNK = getattr(pq.ExecStatus, "TUPLES_CHUNK", -1)  # (psycopg >= 3.2, libpq >= 17)
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_EMPTY_QUERY = pq.ExecStatus.EMPTY_QUERY
_PIPELINE_SYNC = pq.ExecStatus.PIPELINE_SYNC
#: SQLSTATE of a prepared statement the server does not know (a ``DEALLOCATE ALL``/``DISCARD ALL`` dropped it).
_UNKNOWN_STATEMENT = b"26000"
#: At most this many statements prepared per connection; later ones run unnamed (no eviction round trips).
PREPARED_MAX = 100
#: ``prepare=CUSTOM``: the statement runs prepared (parsed once) but is always planned for its parameter values.
#: PostgreSQL plans the first five runs of a prepared statement for their values and only then may keep a generic
#: plan, which for some statements is a hazard (made on a small table, a sequential scan that stays once the table
#: has grown; a page of one thread that sorts a huge thread whole). So after :data:`CUSTOM_RUNS` runs the statement
#: is prepared again under a new name and the old one closed, in the same round trip as the run (libpq's pipeline
#: mode). Measured on a message page: 470 us against 612 parsed every time. Needs libpq >= 17 (Close in a
#: pipeline) and prepared statements on (``prepare_threshold`` not None); otherwise it runs unnamed.
CUSTOM: Final = "custom"
CUSTOM_RUNS = 5
CAN_CLOSE = pq.version() >= 170000
#: ``chunk=``: the rows are read and loaded (their JSON parsed) a few at a time as they come, while the server is still
#: producing the rest (libpq's chunked rows mode), instead of once the whole result is in. The server writes a long
#: result 8 KB at a time and spends longer per row on one of big JSON documents (its ``jsonb`` output function, ~35 us
#: for a 2.6 KB workflow snapshot here) than this client takes to parse it (~15-20 us), so all but the last chunk's
#: parsing overlaps the server's work, as the reference's driver (node-postgres parses each row as its message comes)
#: does. Needs libpq >= 17; otherwise the rows are read whole, as without it, and so is a ``prepare=CUSTOM`` run that
#: prepares its statement in a pipeline (libpq sets the mode only for the command at the head of its queue).
CAN_CHUNK = CAN_CLOSE and _TUPLES_CHUNK != -1 and hasattr(pq.PGconn, "set_chunked_rows_mode")
#: What ``prepare`` takes.
Prepare = bool | None | Literal["custom"]
#: At most this many encoded statement texts kept per connection (then the cache starts over).
ENCODED_MAX = 256


class Result:
    """What one statement returned: its rows (None when it returns no row set) and its row count (-1: none)."""

    __slots__ = ("rows", "rowcount")

    def __init__(self, rows: list[Any] | None, rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount


class _State:
    """Per connection: the transformer (adapters copied once), the query converter and the prepared statements."""

    __slots__ = ("tx", "pgq", "counts", "names", "custom", "serial", "encoded", "encoding", "watch")

    def __init__(self, conn: Any) -> None:
        self.tx = Transformer(conn)
        self.pgq = PostgresQuery(self.tx)
        self.counts: dict[tuple[bytes, tuple[int, ...]], int] = {}
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        #: ``prepare=CUSTOM`` statements: their current name and how many runs it has had.
        self.custom: dict[tuple[bytes, tuple[int, ...]], tuple[bytes, int]] = {}
        self.serial = itertools.count()  # names are never reused on a connection, even after a clear
        #: Per statement text: its bytes in the connection's encoding and its :func:`_plan`. psycopg encodes a str
        #: query on every call, and its statement cache then hashes the new bytes (a few thousand instructions for
        #: a long upsert); here the same bytes object comes back every time, found by its cached hash.
        self.encoded: dict[str, tuple[bytes, Any]] = {}
        self.encoding = self.tx.encoding
        self.watch = _Watch()


class _Watch:
    """libpq's socket registered with one event loop for reading, across statements (see the module's docstring).

    What is registered is a duplicate of libpq's descriptor (``os.dup``), opened and closed here: libpq closes its
    own when it finds the connection lost, psycopg when the connection is closed, neither of which this sees, and
    a registered number that the kernel hands to the next socket would be a key asyncio believes it has (a reader
    of that new socket silently never called). The duplicate keeps the socket open, and its number taken, until
    :meth:`disarm` has unregistered it. psycopg's own waits register libpq's number, a key of their own.

    ``fut`` is the waiting statement's future (None between waits); ``handle`` the loop's reader handle while
    registered (asyncio cancels a reader handle it replaces or removes).

    The watch reads the input as it fires (``consume_input``), not the woken statement: the loop polls again before
    the woken task runs, and a socket still holding that reply would be reported again, its callback queued behind
    the task's wakeup, and so run after the task had sent its next statement: a wakeup of the next wait before its
    reply (measured on a 1 ms statement: two waits a statement instead of one). With a registration per wait that
    late callback was cancelled with the reader; this one stays. It wakes the statement only once libpq holds a
    whole result: a long reply comes 8 KB a packet (a page of twenty 2.6 KB snapshots in 7), each part read here,
    where a task wakeup per part cost ~40k instructions per such page (callgrind). In chunked rows mode
    (:data:`CAN_CHUNK`) a whole chunk is such a result: the statement wakes per chunk, on purpose.
    """

    __slots__ = ("loop", "fd", "source", "handle", "fut", "pgconn")

    def __init__(self) -> None:
        self.loop: Any = None
        self.fd = -1  # the duplicate, registered; -1: none
        self.source = -1  # libpq's descriptor it duplicates
        self.handle: asyncio.Handle | None = None
        self.fut: asyncio.Future[None] | None = None
        self.pgconn: Any = None

    def fire(self) -> None:
        fut = self.fut
        if fut is None:  # readable while no statement of ours waits (a notice, a hang-up, psycopg's own wait)
            self.disarm()
        elif not fut.done():  # (done: fired again before the woken task ran, with input that came since)
            pgconn = self.pgconn
            try:
                pgconn.consume_input()
                if pgconn.is_busy():  # a part of the reply (the server sends 8 KB at a time): wait for the rest here
                    return
            except Exception as exc:  # the connection lost: raised in the waiting statement
                fut.set_exception(exc)
            else:
                fut.set_result(None)

    def disarm(self) -> None:
        """Unregister and close the duplicate (when there is one); the next wait registers again."""
        handle, fd = self.handle, self.fd
        self.handle, self.fd = None, -1
        if handle is not None and not handle.cancelled():  # (a closed loop ignores the removal)
            self.loop._remove_reader(fd)
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:  # a connection dropped unreleased, after its loop closed
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except (OSError, AttributeError, TypeError):  # (at interpreter exit ``os`` may be gone already)
                pass

    async def readable(self, pgconn: Any, loop: Any) -> None:
        """Wait until libpq's socket is readable and read what came (registering it first unless it still is)."""
        source = pgconn.socket
        handle = self.handle
        if handle is None or handle.cancelled() or self.loop is not loop or self.source != source:
            self.disarm()
            fd = os.dup(source)
            registered = loop._add_reader(fd, self.fire)
            if not isinstance(registered, asyncio.Handle):  # an asyncio whose _add_reader hands back nothing
                loop._remove_reader(fd)
                os.close(fd)
                _SELECTOR_LOOPS.discard(type(loop))  # (registration per wait from now on)
                await _until(pgconn, loop)
                pgconn.consume_input()
                return
            self.fd, self.handle, self.loop, self.source, self.pgconn = fd, registered, loop, source, pgconn
        fut = self.fut = loop.create_future()
        try:
            await fut
        finally:
            self.fut = None


def release(conn: Any) -> None:
    """Before ``conn`` goes back to its pool (or is closed): its socket no longer registered with the loop."""
    state: _State | None = getattr(conn, "_mastra_lean", None)
    if state is not None:
        state.watch.disarm()


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # the reader can fire again before the waiting task has run
        fut.set_result(None)


async def _until(pgconn: Any, loop: Any, writable: bool = False) -> None:
    """Wait for the socket to be writable (readable: on a loop other than asyncio's own selector loop, which
    :class:`_Watch` serves); no timer: the store's deadline bounds every attempt."""
    fd = pgconn.socket
    fut = loop.create_future()
    if writable:
        loop.add_writer(fd, _wake, fut)
    else:
        loop.add_reader(fd, _wake, fut)
    try:
        await fut
    finally:
        if writable:
            loop.remove_writer(fd)
        else:
            loop.remove_reader(fd)


def _selector_loops() -> set[type]:
    """The event loop classes on which :class:`_Watch` keeps libpq's socket registered, through the loop's
    ``_add_reader``/``_remove_reader`` (the public methods first look the descriptor up among the loop's transports:
    a raised and caught KeyError each time; libpq's socket never has one). Only the standard library's selector loop
    class itself qualifies (exact type), whose reader handles behave as :class:`_Watch` relies on; any other loop
    (uvloop...) gets :func:`_until`'s registration per wait through the public methods.
    """
    cls = asyncio.SelectorEventLoop
    if hasattr(cls, "_add_reader") and hasattr(cls, "_remove_reader"):
        return {cls}
    return set()  # pragma: no cover - a Python without them


_SELECTOR_LOOPS = _selector_loops()


async def _results(pgconn: Any, loop: asyncio.AbstractEventLoop, watch: _Watch,
                   sink: Callable[[Any], None] | None = None) -> list[Any]:
    """Flush what was sent and read every result of it (libpq's non-blocking protocol); a chunk of rows (chunked
    rows mode) goes to ``sink`` as it comes, not into the list."""
    while pgconn.flush():
        await _until(pgconn, loop, writable=True)
    out: list[Any] = []
    direct = type(loop) in _SELECTOR_LOOPS  # (the watch: asyncio's selector loop only, see _selector_loops)
    while True:
        # input is read only once the socket says there is some: the reply cannot be there right after the send,
        # and the next result (or the end) mostly came in the same packet; a read that finds nothing is a syscall
        while pgconn.is_busy():
            if direct:
                await watch.readable(pgconn, loop)  # (which read the input as the socket turned readable)
            else:
                await _until(pgconn, loop)
                pgconn.consume_input()
        res = pgconn.get_result()
        if res is None:
            return out
        if sink is not None and res.status == _TUPLES_CHUNK:
            sink(res)
            continue
        out.append(res)


def usable(conn: Any) -> bool:
    """Whether :func:`run` can take a statement for ``conn``: this psycopg has what it uses and the connection is
    not in pipeline mode (``_pipeline`` is psycopg's own marker; a psycopg without it gets the cursor)."""
    return AVAILABLE and getattr(conn, "_pipeline", False) is None


async def run(conn: Any, query: Any, params: Any, prepare: Prepare, chunk: int = 0,
              each: Callable[[Any], Any] | None = None) -> Result:
    """Run one statement on ``conn`` (an idle autocommit connection, not in pipeline mode); ``chunk`` > 0: its rows
    loaded that many at a time as they come (see :data:`CAN_CHUNK`); ``each``: what a row becomes, applied as the
    row is loaded (with chunks, while the rest is still coming)."""
    state: _State | None = getattr(conn, "_mastra_lean", None)
    if state is None:
        state = conn._mastra_lean = _State(conn)
    pgq = state.pgq
    if type(query) is str:
        encoded = state.encoded
        encoding = state.tx.encoding
        if encoding != state.encoding:  # a SET client_encoding on this connection
            encoded.clear()
            state.encoding = encoding
        hit = encoded.get(query)
        if hit is None:
            if len(encoded) >= ENCODED_MAX:
                encoded.clear()
            hit = encoded[query] = _plan(query.encode(encoding), encoding)
        text, plan = hit
        if plan is not None and type(params) is dict:
            _convert(state, text, plan, params)
        else:
            pgq.convert(text, params)
    else:
        pgq.convert(query, params)
    pgconn = conn.pgconn
    if prepare == CUSTOM and (not CAN_CLOSE or conn.prepare_threshold is None):
        prepare = False  # (no Close in this libpq's pipelines; prepared statements turned off, e.g. behind PgBouncer)
    chunks = _Chunks(state.tx, chunk, each) if chunk > 0 and CAN_CHUNK else None
    try:
        if prepare == CUSTOM:
            results = await _custom(pgconn, pgq, state, chunks)
        else:
            name = _name(state, conn.prepare_threshold, pgq, prepare)
            results = await _send(pgconn, pgq, name, state, chunks)
            if name and _unknown(results):
                _forget(state)  # dropped on the server: prepare again later, run this one unnamed
                results = await _send(pgconn, pgq, b"", state, chunks)
    except BaseException:
        state.watch.disarm()  # (its duplicate would keep the socket of a lost or finished connection open)
        if pgconn.transaction_status == pq.TransactionStatus.ACTIVE:  # interrupted mid-statement
            pgconn.finish()
        raise
    if not results:
        raise errors.InternalError("got no result from the query")
    for res in results:
        status = res.status
        if status != _TUPLES_OK and status != _COMMAND_OK and status != _EMPTY_QUERY:
            _raise(res, pgconn)
    res = results[0]  # (several only from a text of several statements: the first, as the cursor shows it)
    if res.status == _TUPLES_OK:
        if chunks is not None:
            chunks(res)  # (the result that ends a chunked one has no rows; a row set of none comes whole)
            rows = chunks.done()
            return Result(rows, len(rows))
        tx = state.tx
        tx.set_pgresult(res)
        rows = tx.load_rows(0, res.ntuples, tuple)
        tx.set_pgresult(None)
        if each is not None:
            rows = [each(row) for row in rows]
        return Result(rows, len(rows))
    n = res.command_tuples
    return Result(None, -1 if n is None else n)


class _Chunks:
    """The rows of a statement run in chunked rows mode, loaded chunk by chunk as :func:`_results` gets them.

    ``each`` (when given) turns each loaded row into what the caller keeps. A loader or ``each`` that raises (psycopg's
    loader on a value it cannot read) does not stop the reading: the rest of the result is read (and dropped), so the
    connection is left idle, and :meth:`done` raises the error after.
    """

    __slots__ = ("tx", "size", "each", "rows", "error")

    def __init__(self, tx: Any, size: int, each: Callable[[Any], Any] | None = None) -> None:
        self.tx = tx
        self.size = size
        self.each = each
        self.rows: list[Any] = []
        self.error: BaseException | None = None

    def __call__(self, res: Any) -> None:
        if self.error is not None or not res.ntuples:
            return
        tx = self.tx
        try:
            tx.set_pgresult(res)
            rows = tx.load_rows(0, res.ntuples, tuple)
            tx.set_pgresult(None)
            each = self.each
            self.rows.extend(rows if each is None else [each(row) for row in rows])
        except Exception as exc:
            self.error = exc
            tx.set_pgresult(None)

    def start(self, pgconn: Any) -> None:
        """Right after the statement was sent: its rows to come in chunks."""
        pgconn.set_chunked_rows_mode(self.size)

    def done(self) -> list[Any]:
        if self.error is not None:
            raise self.error
        return self.rows


def _unknown(results: list[Any]) -> bool:
    """Whether the results are the server's "no such prepared statement" (a ``DISCARD ALL`` dropped ours)."""
    return len(results) == 1 and results[0].status == pq.ExecStatus.FATAL_ERROR \
        and results[0].error_field(pq.DiagnosticField.SQLSTATE) == _UNKNOWN_STATEMENT


def _forget(state: _State) -> None:
    """Every prepared statement of ours is gone on the server."""
    state.names.clear()
    state.counts.clear()
    state.custom.clear()


async def _custom(pgconn: Any, pgq: PostgresQuery, state: _State, chunks: _Chunks | None) -> list[Any]:
    """A ``prepare=CUSTOM`` run (see :data:`CUSTOM`): by its current name while it has had fewer than
    :data:`CUSTOM_RUNS` runs, else prepared anew (the old name closed) and run, in one round trip."""
    key = (pgq.query, pgq.types)
    entry = state.custom.pop(key, None)
    if entry is not None and entry[1] < CUSTOM_RUNS:
        results = await _send(pgconn, pgq, entry[0], state, chunks)
        if not _unknown(results):
            state.custom[key] = (entry[0], entry[1] + 1)
            return results
        _forget(state)
        entry = None
    new = f"_mastra_{next(state.serial)}".encode()
    prepared, results = await _prepare_and_run(pgconn, pgq, None if entry is None else entry[0], new, state.watch)
    if prepared:
        state.custom[key] = (new, 1)
    return results


async def _prepare_and_run(pgconn: Any, pgq: PostgresQuery, old: bytes | None, new: bytes,
                           watch: _Watch) -> tuple[bool, list[Any]]:
    """Close ``old`` (when given), prepare ``new`` and run it, in one round trip (pipeline mode): whether ``new``
    was prepared, and the run's results (or the prepare's error). Closing an unknown name is no error."""
    loop = asyncio.get_running_loop()
    pgconn.enter_pipeline_mode()
    try:
        if old is not None:
            pgconn.send_close_prepared(old)
        pgconn.send_prepare(new, pgq.query, param_types=pgq.types)
        pgconn.send_query_prepared(new, pgq.params, param_formats=pgq.formats)
        pgconn.pipeline_sync()
        # each command's results end with a None, as a statement's do outside a pipeline; then the sync's own
        commands = [await _results(pgconn, loop, watch) for _ in range(2 if old is None else 3)]
        await _end_pipeline(pgconn, loop, watch)
    except BaseException:
        pgconn.finish()  # the pipeline's state is unknown: the pool replaces a closed connection
        raise
    prepare, run = commands[1:3] if old is not None else commands[0:2]
    if not prepare or prepare[0].status != _COMMAND_OK:
        return False, prepare[:1]  # the statement's own error (a syntax error...), raised by the caller
    return True, run


async def _end_pipeline(pgconn: Any, loop: asyncio.AbstractEventLoop, watch: _Watch) -> None:
    """After a pipeline's commands' results: read its sync's, then leave pipeline mode."""
    sync = await _results(pgconn, loop, watch)
    if [res.status for res in sync] != [_PIPELINE_SYNC]:
        raise errors.InternalError("the pipeline's results are out of step")
    pgconn.exit_pipeline_mode()


def _plan(text: bytes, encoding: str) -> tuple[bytes, tuple[bytes, list[Any], Callable[[dict[str, Any]], Any]] | None]:
    """A statement text and, when its placeholders are named, what :func:`_convert` needs: psycopg's converted
    query, the formats it wants and a getter of the parameters in placeholder order."""
    try:
        query, formats, order, _ = _query2pg_nocache(text, encoding)  # (cached here, per connection)
    except errors.ProgrammingError:  # not a template (a literal %): fine without parameters, psycopg's error with
        return text, None
    if not order:  # positional or no placeholders: psycopg's own convert
        return text, None
    if len(order) == 1:
        key = order[0]
        return text, (query, formats, lambda params: (params[key],))
    return text, (query, formats, operator.itemgetter(*order))


def _convert(state: _State, text: bytes, plan: tuple[bytes, list[Any], Callable[[dict[str, Any]], Any]],
             params: dict[str, Any]) -> None:
    """``PostgresQuery.convert`` for named placeholders and a dict: the same query and dumped parameters, the
    parameters picked in C (``itemgetter``) instead of psycopg's checks and list comprehension (a twentieth of a
    one-row write's client CPU). A missing parameter goes through psycopg's convert for its own error."""
    query, formats, getter = plan
    try:
        values = getter(params)
    except KeyError:
        state.pgq.convert(text, params)  # raises psycopg's "query parameter missing"
        raise AssertionError("unreachable: psycopg accepted a parameter set missing a key") from None
    pgq, tx = state.pgq, state.tx
    pgq.query = query
    pgq.params = tx.dump_sequence(values, formats)
    pgq.types = tx.types or ()
    pgq.formats = tx.formats


def _name(state: _State, threshold: int | None, pgq: PostgresQuery, prepare: Prepare) -> bytes | None:
    """The prepared statement's name (``b""``: run unnamed; None: to be prepared now, named on success)."""
    if prepare is False or threshold is None:
        return b""
    key = (pgq.query, pgq.types)
    name = state.names.get(key)
    if name is not None:
        return name
    count = state.counts.get(key, 0) + 1
    if (count >= threshold or prepare) and len(state.names) < PREPARED_MAX:
        state.counts.pop(key, None)
        return None
    state.counts[key] = count
    return b""


async def _send(pgconn: Any, pgq: PostgresQuery, name: bytes | None, state: _State,
                chunks: _Chunks | None = None) -> list[Any]:
    loop = asyncio.get_running_loop()
    if name is None:  # prepare it (its own round trip, as psycopg's cursor does), then run it by name
        new = f"_mastra_{next(state.serial)}".encode()
        pgconn.send_prepare(new, pgq.query, param_types=pgq.types)
        (res,) = await _results(pgconn, loop, state.watch)
        if res.status != _COMMAND_OK:
            return [res]  # the statement's own error (a syntax error...), raised by the caller
        state.names[pgq.query, pgq.types] = name = new
    if chunks is not None:
        return await _send_chunked(pgconn, pgq, name, state.watch, chunks)
    if name:
        pgconn.send_query_prepared(name, pgq.params, param_formats=pgq.formats)
    elif pgq.params:
        pgconn.send_query_params(pgq.query, pgq.params, param_formats=pgq.formats, param_types=pgq.types)
    else:  # the simple protocol, as the cursor uses without parameters (several statements allowed)
        pgconn.send_query(pgq.query)
    return await _results(pgconn, loop, state.watch)


async def _send_chunked(pgconn: Any, pgq: PostgresQuery, name: bytes, watch: _Watch, chunks: _Chunks) -> list[Any]:
    """Run the statement (by ``name``, or unnamed when empty) with its rows in chunks, in a pipeline of its own.

    Why a pipeline: libpq keeps a statement's chunked rows mode after its end until the next statement sent outside
    a pipeline, or the next command a pipeline moves on to; the first command of a pipeline entered next (psycopg's
    ``conn.pipeline()``, its ``executemany``) would get its rows in chunks, which psycopg refuses ("unexpected result
    status from query: TUPLES_CHUNK"). Ending this one with a sync moves libpq past the statement, which clears the
    mode. Same messages on the wire as outside a pipeline (Bind, Execute, Sync), same round trip.
    """
    loop = asyncio.get_running_loop()
    pgconn.enter_pipeline_mode()
    try:
        if name:
            pgconn.send_query_prepared(name, pgq.params, param_formats=pgq.formats)
        else:  # (the simple protocol has no place in a pipeline: one statement, extended protocol)
            pgconn.send_query_params(pgq.query, pgq.params, param_formats=pgq.formats, param_types=pgq.types)
        chunks.start(pgconn)
        pgconn.pipeline_sync()
        results = await _results(pgconn, loop, watch, chunks)
        await _end_pipeline(pgconn, loop, watch)
    except BaseException:
        pgconn.finish()  # the pipeline's state is unknown: the pool replaces a closed connection
        raise
    return results


def _raise(res: Any, pgconn: Any) -> None:
    if res.status == pq.ExecStatus.FATAL_ERROR:
        raise errors.error_from_result(res, encoding=pgconn._encoding)
    raise errors.InternalError(f"unexpected result status from query: {pq.ExecStatus(res.status).name}")
