"""The child process that holds a remote (sqld/Turso) libsql connection for :mod:`mastra_libsql.remote`.

Run as ``python -P remote_child.py <read_fd> <write_fd>``: it imports only the standard library and the
driver, then answers requests from its parent, one at a time, over the two pipes:
``("connect", database, auth_token)``, ``("execute", sql, params)``, ``("executemany", sql, rows)``,
``("close",)`` (the stream only: the child stays for the parent's pool of idle children) and ``("exit",)``.
Each answer is ``("ok", rows, rowcount, in_transaction)`` or ``("error", type name, message)``.

Why a process: libsql 0.1.11 holds the GIL while a remote statement waits for the network, so a stalled
server would freeze every thread of the process that runs it. Here only this child freezes, and the parent
kills it when the operation's time is up.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection
from typing import Any


def serve(inbox: Connection, outbox: Connection) -> None:
    """Answer requests until ``close`` or until the parent goes away."""
    import libsql

    conn: Any = None
    outbox.send(("ready",))
    while True:
        try:
            request = inbox.recv()
        except (EOFError, OSError):
            return
        op = request[0]
        try:
            if op == "connect":
                if conn is not None:
                    _close_quietly(conn)
                kwargs: dict[str, Any] = {"isolation_level": None}
                if request[2]:
                    kwargs["auth_token"] = request[2]
                conn = libsql.connect(request[1], **kwargs)
                conn.execute("SELECT 1").fetchall()
                outbox.send(("ok", [], 0, False))
            elif op == "execute":
                cursor = conn.execute(request[1], request[2])
                rows = [tuple(r) for r in (cursor.fetchall() or ())]  # None for a statement without rows
                outbox.send(("ok", rows, int(cursor.rowcount or 0), bool(conn.in_transaction)))
            elif op == "executemany":
                cursor = conn.executemany(request[1], request[2])
                outbox.send(("ok", [], int(cursor.rowcount or 0), bool(conn.in_transaction)))
            elif op == "close":
                if conn is not None:
                    _close_quietly(conn)
                conn = None
                outbox.send(("ok", [], 0, False))
            elif op == "exit":
                return
            else:
                outbox.send(("error", "ValueError", f"unknown request {op!r}"))
        except Exception as exc:  # every driver error goes back to the parent, which decides
            outbox.send(("error", type(exc).__name__, str(exc)))


def _close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # the stream may already be gone; a new one replaces it
        pass


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
