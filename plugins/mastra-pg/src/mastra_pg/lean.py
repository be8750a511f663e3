"""One statement sent straight through the connection's libpq handle, for the single-statement ops.

psycopg's cursor runs a statement through generators, the connection lock, a wait that arms a timer and
(re)registers the socket twice, and result bookkeeping: measured under callgrind, a ``SELECT 1`` cost 190k
instructions that way and 38k (19k prepared) here, about half a one-row op's client CPU. What this does
is what the cursor does for one statement on an idle autocommit connection: the query and its
parameters converted by psycopg's own ``PostgresQuery`` and adapters (identical bytes on the wire), sent
with the extended protocol (the simple one when there are no parameters, as the cursor does), every
result read, a server error raised as psycopg's class for its SQLSTATE, rows loaded by psycopg's
``Transformer``. Statements are prepared as psycopg prepares them (after ``prepare_threshold`` uses,
``prepare=True`` at once, ``prepare=False`` never, None disables), under names of our own.

An interrupted wait (a deadline, a cancellation) closes the connection: the statement's outcome and the
connection's state are unknown, and the pool replaces a closed connection.
"""

from __future__ import annotations

import asyncio
import itertools
import operator
from collections.abc import Callable
from typing import Any

from psycopg import errors, pq
from psycopg.adapt import Transformer

try:  # psycopg's own query converter: private, so a release that moves it turns this path off, not the store
    from psycopg._queries import PostgresQuery, _query2pg_nocache
except ImportError:  # pragma: no cover - a psycopg without them (tests/test_pg_lean_fallback.py covers the effect)
    AVAILABLE = False
else:
    AVAILABLE = True

_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_EMPTY_QUERY = pq.ExecStatus.EMPTY_QUERY
#: SQLSTATE of a prepared statement the server does not know (a ``DEALLOCATE ALL``/``DISCARD ALL`` dropped it).
_UNKNOWN_STATEMENT = b"26000"
#: At most this many statements prepared per connection; later ones run unnamed (no eviction round trips).
PREPARED_MAX = 100
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

    __slots__ = ("tx", "pgq", "counts", "names", "serial", "encoded", "encoding")

    def __init__(self, conn: Any) -> None:
        self.tx = Transformer(conn)
        self.pgq = PostgresQuery(self.tx)
        self.counts: dict[tuple[bytes, tuple[int, ...]], int] = {}
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.serial = itertools.count()  # names are never reused on a connection, even after a clear
        #: Per statement text: its bytes in the connection's encoding and its :func:`_plan`. psycopg encodes a str
        #: query on every call, and its statement cache then hashes the new bytes (a few thousand instructions for
        #: a long upsert); here the same bytes object comes back every time, found by its cached hash.
        self.encoded: dict[str, tuple[bytes, Any]] = {}
        self.encoding = self.tx.encoding


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():  # the reader can fire again before the waiting task has run
        fut.set_result(None)


async def _until(pgconn: Any, loop: Any, writable: bool = False) -> None:
    """Wait for the socket to be readable (writable); no timer: the store's deadline bounds every attempt."""
    fd = pgconn.socket
    fut = loop.create_future()
    direct = type(loop) in _SELECTOR_LOOPS  # (see _selector_loops)
    if writable:
        loop.add_writer(fd, _wake, fut)
    elif direct:
        loop._add_reader(fd, _wake, fut)
    else:
        loop.add_reader(fd, _wake, fut)
    try:
        await fut
    finally:
        if writable:
            loop.remove_writer(fd)
        elif direct:
            loop._remove_reader(fd)
        else:
            loop.remove_reader(fd)


def _selector_loops() -> frozenset[type]:
    """The event loop classes whose ``_add_reader``/``_remove_reader`` :func:`_until` calls directly.

    ``add_reader``/``remove_reader`` of asyncio's selector loops first look the descriptor up among the loop's
    transports (a raised and caught KeyError each, on every wait); libpq's socket never has one. Only the standard
    library's selector loop class itself qualifies (exact type); any other loop (uvloop...) gets the public methods.
    """
    cls = asyncio.SelectorEventLoop
    if hasattr(cls, "_add_reader") and hasattr(cls, "_remove_reader"):
        return frozenset({cls})
    return frozenset()  # pragma: no cover - a Python without them


_SELECTOR_LOOPS = _selector_loops()


async def _results(pgconn: Any, loop: asyncio.AbstractEventLoop) -> list[Any]:
    """Flush what was sent and read every result of it (libpq's non-blocking protocol)."""
    while pgconn.flush():
        await _until(pgconn, loop, writable=True)
    out: list[Any] = []
    while True:
        # input is read only once the socket says there is some: the reply cannot be there right after the send,
        # and the next result (or the end) mostly came in the same packet; a read that finds nothing is a syscall
        while pgconn.is_busy():
            await _until(pgconn, loop)
            pgconn.consume_input()
        res = pgconn.get_result()
        if res is None:
            return out
        out.append(res)


def usable(conn: Any) -> bool:
    """Whether :func:`run` can take a statement for ``conn``: this psycopg has what it uses and the connection is
    not in pipeline mode (``_pipeline`` is psycopg's own marker; a psycopg without it gets the cursor)."""
    return AVAILABLE and getattr(conn, "_pipeline", False) is None


async def run(conn: Any, query: Any, params: Any, prepare: bool | None) -> Result:
    """Run one statement on ``conn`` (an idle autocommit connection, not in pipeline mode)."""
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
    name = _name(state, conn.prepare_threshold, pgq, prepare)
    try:
        results = await _send(pgconn, pgq, name, state)
        if name and len(results) == 1 and results[0].status == pq.ExecStatus.FATAL_ERROR \
                and results[0].error_field(pq.DiagnosticField.SQLSTATE) == _UNKNOWN_STATEMENT:
            state.names.clear()  # dropped on the server: prepare again later, run this one unnamed
            state.counts.clear()
            results = await _send(pgconn, pgq, b"", state)
    except BaseException:
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
        tx = state.tx
        tx.set_pgresult(res)
        rows = tx.load_rows(0, res.ntuples, tuple)
        tx.set_pgresult(None)
        return Result(rows, len(rows))
    n = res.command_tuples
    return Result(None, -1 if n is None else n)


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


def _name(state: _State, threshold: int | None, pgq: PostgresQuery, prepare: bool | None) -> bytes | None:
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


async def _send(pgconn: Any, pgq: PostgresQuery, name: bytes | None, state: _State) -> list[Any]:
    loop = asyncio.get_running_loop()
    if name is None:  # prepare it (its own round trip, as psycopg's cursor does), then run it by name
        new = f"_mastra_{next(state.serial)}".encode()
        pgconn.send_prepare(new, pgq.query, param_types=pgq.types)
        (res,) = await _results(pgconn, loop)
        if res.status != _COMMAND_OK:
            return [res]  # the statement's own error (a syntax error...), raised by the caller
        state.names[pgq.query, pgq.types] = name = new
    if name:
        pgconn.send_query_prepared(name, pgq.params, param_formats=pgq.formats)
    elif pgq.params:
        pgconn.send_query_params(pgq.query, pgq.params, param_formats=pgq.formats, param_types=pgq.types)
    else:  # the simple protocol, as the cursor uses without parameters (several statements allowed)
        pgconn.send_query(pgq.query)
    return await _results(pgconn, loop)


def _raise(res: Any, pgconn: Any) -> None:
    if res.status == pq.ExecStatus.FATAL_ERROR:
        raise errors.error_from_result(res, encoding=pgconn._encoding)
    raise errors.InternalError(f"unexpected result status from query: {pq.ExecStatus(res.status).name}")
