"""The child process that holds a remote (sqld/Turso) libsql connection for :mod:`mastra_libsql.remote`.

Run as ``python -P remote_child.py <read_fd> <write_fd>``: it imports only the standard library and the
driver, then answers requests from its parent, one at a time, over the two pipes:
``("connect", database, auth_token)``, ``("execute", sql, params)``, ``("executemany", sql, rows)``,
``("batch", statements, timeout)``, ``("close",)`` (the stream only: the child stays for the parent's pool of
idle children) and ``("exit",)``. Each answer is ``("ok", rows, rowcount, in_transaction)`` or
``("error", type name, message)``.

``batch`` sends one write transaction as ONE request: a Hrana pipeline holding a batch whose steps are
``BEGIN IMMEDIATE``, the statements, ``COMMIT`` (each run only if the step before succeeded) and a ``ROLLBACK``
when the COMMIT did not succeed, then the stream's ``close``. The driver (libsql 0.1.11) has no batch with
parameters (one request per ``execute``), so this request is made here, over a kept-alive HTTP connection.
An error the server answered is ``BatchRefused`` (nothing was committed); any other failure (the connection
broke, no answer in time) leaves the outcome unknown, which the parent settles with its operation token.

Why a process: libsql 0.1.11 holds the GIL while a remote statement waits for the network, so a stalled
server would freeze every thread of the process that runs it. Here only this child freezes, and the parent
kills it when the operation's time is up.
"""

from __future__ import annotations

import base64
import http.client
import json
import sys
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import parse_qsl, urlsplit


class BatchRefused(Exception):
    """The server answered a batch with an error: the transaction was not committed."""


class Hrana:
    """Batches over Hrana's HTTP pipeline (``POST /v2/pipeline``) to the server the driver is connected to."""

    def __init__(self, database: str, auth_token: str | None) -> None:
        parts = urlsplit(database)
        query = dict(parse_qsl(parts.query))
        secure = parts.scheme in ("https", "wss") or (parts.scheme == "libsql" and query.get("tls") != "0")
        self.secure = secure
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if secure else 80)
        self.path = parts.path.rstrip("/") + "/v2/pipeline"
        self.headers = {"Content-Type": "application/json"}
        if auth_token:
            self.headers["Authorization"] = f"Bearer {auth_token}"
        self._http: http.client.HTTPConnection | None = None

    def close(self) -> None:
        """Drop the kept-alive HTTP connection."""
        if self._http is not None:
            self._http.close()
            self._http = None

    def transaction(self, statements: list[tuple[str, tuple[Any, ...]]], timeout: float) -> None:
        """Run ``statements`` as one transaction in one request; :class:`BatchRefused` if it was not committed."""
        steps: list[dict[str, Any]] = [{"stmt": {"sql": "BEGIN IMMEDIATE", "want_rows": False}}]
        for sql, params in statements:
            steps.append({"condition": {"type": "ok", "step": len(steps) - 1},
                          "stmt": {"sql": sql, "args": [_value(v) for v in params], "want_rows": False}})
        commit = len(steps)
        steps.append({"condition": {"type": "ok", "step": commit - 1}, "stmt": {"sql": "COMMIT", "want_rows": False}})
        steps.append({"condition": {"type": "not", "cond": {"type": "ok", "step": commit}},
                      "stmt": {"sql": "ROLLBACK", "want_rows": False}})
        body = json.dumps({"baton": None, "requests": [{"type": "batch", "batch": {"steps": steps}},
                                                       {"type": "close"}]})
        answer = self._post(body.encode(), timeout)
        first = answer["results"][0]
        if first.get("type") != "ok":
            raise BatchRefused(_message(first.get("error") or {}))
        result = first["response"]["result"]
        errors = result.get("step_errors") or []
        for error in errors[:commit + 1]:
            if error:
                raise BatchRefused(_message(error))
        if result["step_results"][commit] is None:
            raise BatchRefused("the transaction's COMMIT did not run")

    def _post(self, body: bytes, timeout: float) -> dict[str, Any]:
        for reused in (True, False):
            if self._http is None:
                reused = False
                cls = http.client.HTTPSConnection if self.secure else http.client.HTTPConnection
                self._http = cls(self.host, self.port, timeout=timeout)
            self._http.timeout = timeout
            if self._http.sock is not None:
                self._http.sock.settimeout(timeout)
            try:
                self._http.request("POST", self.path, body, self.headers)
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if reused:
                    continue  # a kept-alive connection the server had closed: the request was never sent
                raise
            except BaseException:
                self.close()
                raise
            try:
                response = self._http.getresponse()
                data = response.read()
            except BaseException:
                self.close()  # the answer was lost: the outcome is unknown (the parent checks its token)
                raise
            if response.status != 200:
                if response.status >= 500:
                    raise ConnectionError(f"HTTP {response.status} from the server: {data[:300]!r}")
                raise BatchRefused(f"HTTP {response.status}: {data[:300].decode('utf-8', 'replace')}")
            answer: dict[str, Any] = json.loads(data)
            return answer
        raise ConnectionError("unreachable")


def _value(v: Any) -> dict[str, Any]:
    if v is None:
        return {"type": "null"}
    if isinstance(v, bool):
        return {"type": "integer", "value": str(int(v))}
    if isinstance(v, int):
        return {"type": "integer", "value": str(v)}
    if isinstance(v, float):
        return {"type": "float", "value": v}
    if isinstance(v, (bytes, bytearray, memoryview)):
        return {"type": "blob", "base64": base64.b64encode(bytes(v)).decode().rstrip("=")}
    return {"type": "text", "value": str(v)}


def _message(error: dict[str, Any]) -> str:
    code, message = error.get("code"), str(error.get("message", "error"))
    return f"{code}: {message}" if code else message


def serve(inbox: Connection, outbox: Connection) -> None:
    """Answer requests until ``close`` or until the parent goes away."""
    import libsql

    conn: Any = None
    hrana: Hrana | None = None
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
                if hrana is not None:
                    hrana.close()
                hrana = Hrana(request[1], request[2])
                outbox.send(("ok", [], 0, False))
            elif op == "execute":
                cursor = conn.execute(request[1], request[2])
                rows = [tuple(r) for r in (cursor.fetchall() or ())]  # None for a statement without rows
                outbox.send(("ok", rows, int(cursor.rowcount or 0), bool(conn.in_transaction)))
            elif op == "executemany":
                cursor = conn.executemany(request[1], request[2])
                outbox.send(("ok", [], int(cursor.rowcount or 0), bool(conn.in_transaction)))
            elif op == "batch":
                if hrana is None:
                    raise ConnectionError("not connected")
                hrana.transaction(request[1], request[2])
                outbox.send(("ok", [], 0, False))
            elif op == "close":
                if conn is not None:
                    _close_quietly(conn)
                conn = None
                if hrana is not None:
                    hrana.close()
                    hrana = None
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
