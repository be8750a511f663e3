"""``RemoteDriver``: a remote libsql connection held by a child process, every wait bounded from outside it.

libsql 0.1.11 holds the GIL while a remote statement waits for the server and has no timeout of its own,
so a stalled sqld froze the whole process (the event loop too; ``asyncio.wait_for`` never fired). The
driver therefore runs in a small child process (:mod:`mastra_libsql.remote_child`); this side sends each
statement over a pipe and waits for the answer with ``poll(timeout)``, which releases the GIL. When the
deadline passes, the child is killed (the only way to stop a blocked driver) and :class:`OperationTimeout`
raised; the next job starts a new child. The object looks like the driver's connection to the rest of the
plugin (``execute`` returning something with ``fetchall()``/``rowcount``, ``executemany``,
``in_transaction``, ``close``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

#: How long a new child may take to start (a busy machine imports slowly); not part of connect_timeout.
SPAWN_TIMEOUT = 60.0
#: Idle children kept for the next connection (starting one costs an interpreter start-up).
POOL_SIZE = 4

_Child = tuple["subprocess.Popen[bytes]", Connection, Connection]
_idle: list[_Child] = []
_idle_guard = threading.Lock()
# A forked process must not share its parent's children (their pipes would carry both processes' requests).
os.register_at_fork(after_in_child=_idle.clear)


class OperationTimeout(TimeoutError):
    """The server did not answer within the operation's time; the child holding the stream was killed."""


class RemoteDriverError(Exception):
    """An error the driver raised in the child process (its message kept, for the retry rules to read)."""


class ChildGone(ConnectionError):
    """The child process died or closed its pipe."""


#: The type name the child gives a batch the server answered with an error (nothing of it was committed).
BATCH_REFUSED = "BatchRefused"


class _Result:
    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows


class RemoteDriver:
    """One child process with one libsql connection to ``database``; see the module docstring."""

    def __init__(self, database: str, auth_token: str | None) -> None:
        self.database = database
        self._auth_token = auth_token
        #: ``time.monotonic()`` by which the current job must be done (None: unbounded; never left so).
        self.deadline: float | None = None
        self.in_transaction = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._inbox: Connection | None = None
        self._outbox: Connection | None = None
        #: Requests sent to the server so far (one per ``execute``/``executemany``/``batch``; tests count them).
        self.requests = 0

    # ------------------------------------------------------------------ child lifecycle

    def connect(self, timeout: float) -> None:
        """Start the child if needed and open a new stream (``SELECT 1`` answered) within ``timeout`` seconds."""
        if self._proc is None or self._proc.poll() is not None:
            self._spawn()
        self._request(("connect", self.database, self._auth_token), time.monotonic() + timeout)
        self.in_transaction = False

    def _spawn(self) -> None:
        self.kill()
        with _idle_guard:
            while _idle:
                proc, inbox, outbox = _idle.pop()
                if proc.poll() is None:
                    self._proc, self._inbox, self._outbox = proc, inbox, outbox
                    return
                inbox.close()
                outbox.close()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        script = str(Path(__file__).with_name("remote_child.py"))
        try:
            # -P: nothing from the current directory shadows the standard library in the child
            self._proc = subprocess.Popen(  # our own interpreter running our own file
                [sys.executable, "-P", script, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                close_fds=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._outbox = Connection(to_child_w, readable=False)
        self._inbox = Connection(from_child_r, writable=False)
        answer = self._receive(time.monotonic() + SPAWN_TIMEOUT)
        if answer[0] != "ready":
            self.kill()
            raise ChildGone(f"the libsql child process answered {answer[0]!r} instead of starting")

    def kill(self) -> None:
        """Stop the child at once (a blocked driver cannot be asked) and forget its pipes."""
        proc, self._proc = self._proc, None
        for pipe in (self._inbox, self._outbox):
            if pipe is not None:
                pipe.close()
        self._inbox = self._outbox = None
        self.in_transaction = False
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(10)

    def close(self) -> None:
        """Close the stream; the child goes back to the pool of idle ones (killed if it does not answer promptly)."""
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._request(("close",), time.monotonic() + 2.0)
            except (OperationTimeout, ChildGone, RemoteDriverError, OSError):
                self.kill()
                return
            with _idle_guard:
                if len(_idle) < POOL_SIZE and self._inbox is not None and self._outbox is not None:
                    _idle.append((self._proc, self._inbox, self._outbox))
                    self._proc = self._inbox = self._outbox = None
                    self.in_transaction = False
                    return
        self.kill()

    @property
    def alive(self) -> bool:
        """Whether the child is running (after a timeout it is not, until the next ``connect``)."""
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------------------ statements

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> _Result:
        """Run one statement in the child, within the current deadline."""
        answer = self._request(("execute", sql, tuple(params)), self.deadline)
        return _Result(answer[1], answer[2])

    def executemany(self, sql: str, rows: Any) -> _Result:
        """Run one statement once per parameter row, within the current deadline."""
        answer = self._request(("executemany", sql, [tuple(r) for r in rows]), self.deadline)
        return _Result(answer[1], answer[2])

    def batch(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run ``statements`` as one write transaction in ONE request to the server (see ``remote_child``).

        Raises :class:`RemoteDriverError` starting with ``BatchRefused:`` when the server refused it (not
        committed); any other error leaves the outcome unknown.
        """
        # the child's own HTTP wait ends a little before the deadline, so a lost answer is reported (and the
        # outcome settled by the caller's operation token) rather than the child killed
        timeout = 30.0 if self.deadline is None else max(0.05, (self.deadline - time.monotonic()) * 0.9)
        self._request(("batch", statements, timeout), self.deadline)

    def _request(self, request: tuple[Any, ...], deadline: float | None) -> tuple[Any, ...]:
        if self._outbox is None or not self.alive:
            raise ChildGone("the libsql connection was lost (stream reset); reconnect first")
        if request[0] in ("execute", "executemany", "batch"):
            self.requests += 1
        try:
            self._outbox.send(request)
        except OSError as exc:
            self.kill()
            raise ChildGone(f"the libsql child process is gone: {exc}") from exc
        answer = self._receive(deadline)
        if answer[0] == "error":
            raise RemoteDriverError(f"{answer[1]}: {answer[2]}")
        self.in_transaction = bool(answer[3])
        return answer

    def _receive(self, deadline: float | None) -> tuple[Any, ...]:
        inbox = self._inbox
        assert inbox is not None
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        try:
            ready = inbox.poll(wait)  # releases the GIL while it waits
        except OSError as exc:
            self.kill()
            raise ChildGone(f"the libsql child process is gone: {exc}") from exc
        if not ready:
            self.kill()
            raise OperationTimeout("the libsql server did not answer in time; the stream was abandoned")
        try:
            answer: tuple[Any, ...] = inbox.recv()
        except (EOFError, OSError) as exc:
            self.kill()
            raise ChildGone(f"the libsql child process is gone: {exc}") from exc
        return answer
