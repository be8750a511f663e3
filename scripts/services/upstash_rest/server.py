#!/usr/bin/env python3
"""A local stand-in for Upstash's Redis REST API, in front of a real Redis (for tests; stdlib only).

Written to the protocol Upstash publishes (https://upstash.com/docs/redis/features/restapi):

- ``POST /`` with a JSON array ``["CMD", "arg", ...]``; ``GET|POST /cmd/arg1/arg2`` (path form; a POST body
  is appended as the last argument, query parameters other than ``_token`` as ``NAME value`` pairs);
- ``POST /pipeline`` and ``POST /multi-exec`` with a 2-D JSON array (``/multi-exec`` runs MULTI ... EXEC);
- ``Authorization: Bearer <token>`` or ``?_token=<token>``; 401 when it is missing or wrong;
- replies ``{"result": ...}`` / ``{"error": "..."}`` (400 for a failed command); a pipeline or transaction
  answers ``[{"result": ...}, {"error": ...}, ...]``; a discarded transaction one ``{"error": ...}``;
- ``Upstash-Encoding: base64``: every string of the result is base64 encoded, except the ``OK`` status;
- only HEAD, GET, POST and PUT (405 otherwise).

Where it departs from the hosted service is listed in README.md next to this file. Run it with
``UPSTASH_REST_TOKEN=... python3 server.py --port 8079 --redis redis://127.0.0.1:6379/1`` (the token is
read from the environment, never from the command line, so it does not show in ``ps``). It binds
127.0.0.1 only and never logs the token or request bodies.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

#: Upstash's documented maximum request size (free and pay-as-you-go plans).
MAX_REQUEST_BYTES = 10 * 1024 * 1024
#: Seconds an idle keep-alive connection is kept open.
IDLE_TIMEOUT = 120.0
#: Commands this stand-in refuses: blocking, connection-state and pub/sub commands the REST API does not
#: support, plus everything that could touch the machine's other databases or its configuration.
REFUSED = {
    "BLPOP", "BRPOP", "BRPOPLPUSH", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP", "WAIT", "WAITAOF",
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE", "MONITOR",
    "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SELECT", "AUTH", "HELLO", "QUIT", "RESET", "CLIENT",
    "SWAPDB", "MOVE", "FLUSHALL", "FLUSHDB", "CONFIG", "SHUTDOWN", "DEBUG", "REPLICAOF", "SLAVEOF", "SYNC",
    "PSYNC", "MIGRATE", "ACL", "MODULE", "SAVE", "BGSAVE", "BGREWRITEAOF", "FAILOVER", "CLUSTER",
}
#: Subcommands refused for the same reason (SCRIPT FLUSH would empty the shared server's script cache).
REFUSED_SUB = {("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"), ("FUNCTION", "DELETE"), ("FUNCTION", "RESTORE")}


class Status(str):
    """A RESP simple-string reply (``+OK``), kept apart from bulk strings for the base64 rule."""


class RedisError(Exception):
    """A RESP error reply (``-ERR ...``)."""


class CommandRefused(Exception):
    """A request this stand-in (or the REST API) does not accept; answered with HTTP 400."""


class Resp:
    """A minimal RESP2 client on one socket: pipelined writes, one parsed reply per read."""

    def __init__(self, host: str, port: int, db: int, password: str | None) -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")
        hello: list[list[bytes]] = []
        if password:
            hello.append([b"AUTH", password.encode()])
        hello.append([b"SELECT", str(db).encode()])
        for reply in self.execute(hello):
            if isinstance(reply, RedisError):
                raise reply

    def close(self) -> None:
        """Close the socket."""
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def execute(self, commands: list[list[bytes]]) -> list[Any]:
        """Send every command in one write and read one reply per command (errors are returned, not raised)."""
        out = bytearray()
        for cmd in commands:
            out += b"*%d\r\n" % len(cmd)
            for arg in cmd:
                out += b"$%d\r\n%s\r\n" % (len(arg), arg)
        self.sock.sendall(out)
        return [self._read() for _ in commands]

    def _read(self) -> Any:
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return Status(rest.decode("utf-8", "replace"))
        if kind == b"-":
            return RedisError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise ConnectionError(f"unexpected RESP reply type {kind!r}")


def to_json(value: Any, b64: bool) -> Any:
    """A RESP reply as the REST API's JSON value."""
    if isinstance(value, Status):
        return str(value) if not b64 or value == "OK" else base64.b64encode(value.encode()).decode()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode() if b64 else value.decode("utf-8", "replace")
    if isinstance(value, RedisError):
        return str(value)
    if isinstance(value, list):
        return [to_json(v, b64) for v in value]
    return value


def item(value: Any, b64: bool) -> dict[str, Any]:
    """One ``{"result": ...}`` or ``{"error": ...}`` entry."""
    if isinstance(value, RedisError):
        return {"error": str(value)}
    return {"result": to_json(value, b64)}


def command_args(raw: Any) -> list[bytes]:
    """A JSON command (``["SET", "k", "v", "EX", 100]``) as RESP arguments; refuses what REST does not allow."""
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], str):
        raise CommandRefused("ERR a command must be a non-empty JSON array starting with the command name")
    args: list[bytes] = []
    for arg in raw:
        if isinstance(arg, bool) or arg is None or isinstance(arg, list | dict):
            raise CommandRefused(f"ERR unsupported argument type: {type(arg).__name__}")
        args.append(arg.encode() if isinstance(arg, str) else repr(arg).encode())
    check_allowed(args)
    return args


def check_allowed(args: list[bytes]) -> None:
    """Refuse blocking, connection-state and server-wide commands (see ``REFUSED``)."""
    name = args[0].decode("utf-8", "replace").upper()
    sub = args[1].decode("utf-8", "replace").upper() if len(args) > 1 else ""
    if name in REFUSED or (name, sub) in REFUSED_SUB:
        raise CommandRefused(f"ERR Command is not allowed: {name}" + (f" {sub}" if (name, sub) in REFUSED_SUB else ""))


class Handler(BaseHTTPRequestHandler):
    """One keep-alive HTTP connection, with its own Redis connection (opened on first use)."""

    protocol_version = "HTTP/1.1"
    server_version = "upstash-rest-standin/1"
    timeout = IDLE_TIMEOUT
    server: Server

    def setup(self) -> None:
        """Start without a Redis connection; no Nagle delay (a reply is headers then body: two small writes)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.redis: Resp | None = None

    def finish(self) -> None:
        """Close this connection's Redis connection too."""
        super().finish()
        if self.redis is not None:
            self.redis.close()

    # --- HTTP methods ----------------------------------------------------------------------

    def do_GET(self) -> None:
        """Path-form commands."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """As GET, without a body."""
        self._serve(head=True)

    def do_POST(self) -> None:
        """JSON commands, /pipeline, /multi-exec, or the path form with the body as the last argument."""
        self._serve(head=False)

    do_PUT = do_POST

    def _not_allowed(self) -> None:
        self._drain()
        self._send(405, {"error": "Method Not Allowed"})

    do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

    # --- request handling ---------------------------------------------------------------------

    def _drain(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self, head: bool) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True  # the body is not read: the connection cannot be reused
            self._send(400, {"error": f"ERR max request size exceeded. Limit: {MAX_REQUEST_BYTES} bytes, "
                                      f"Actual: {length} bytes"}, head=head)
            return
        body = self.rfile.read(length) if length > 0 else b""
        parts = urlsplit(self.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not self._authorised(query):
            self._send(401, {"error": "Unauthorized"}, head=head)
            self.server.log_line(self.command, parts.path, 401, time.monotonic() - started)
            return
        b64 = (self.headers.get("Upstash-Encoding") or "").lower() == "base64"
        if (self.headers.get("Upstash-Response-Format") or "json").lower() != "json":
            self._send(400, {"error": "ERR only the json response format is supported here"}, head=head)
            return
        path = parts.path.rstrip("/")
        try:
            status, payload = self._dispatch(path, body, query, b64)
        except CommandRefused as exc:
            status, payload = 400, {"error": str(exc)}
        except (ConnectionError, OSError) as exc:
            if self.redis is not None:
                self.redis.close()
                self.redis = None
            status, payload = 500, {"error": f"ERR redis unavailable: {type(exc).__name__}"}
        self._send(status, payload, head=head)
        self.server.log_line(self.command, path, status, time.monotonic() - started)

    def _authorised(self, query: list[tuple[str, str]]) -> bool:
        expected = self.server.token.encode()
        header = self.headers.get("Authorization") or ""
        scheme, _, given = header.partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected):
            return True
        return any(k == "_token" and hmac.compare_digest(v.encode(), expected) for k, v in query)

    def _dispatch(self, path: str, body: bytes, query: list[tuple[str, str]], b64: bool) -> tuple[int, Any]:
        if path in ("/pipeline", "/multi-exec"):
            if self.command not in ("POST", "PUT"):
                raise CommandRefused(f"ERR {path} needs a POST with a JSON array of commands")
            rows = self._json(body)
            if not isinstance(rows, list) or not rows:
                raise CommandRefused("ERR the body must be a non-empty two-dimensional JSON array")
            commands = [command_args(row) for row in rows]
            if path == "/pipeline":
                return 200, [item(r, b64) for r in self._redis().execute(commands)]
            return self._multi_exec(commands, b64)
        if path == "":
            if not body:
                raise CommandRefused("ERR empty request: POST a JSON array, or use the path form /cmd/arg")
            args = command_args(self._json(body))
        else:
            args = [unquote(p).encode() for p in path.lstrip("/").split("/")]
            if body:
                args.append(body)
            for k, v in query:
                if k != "_token":
                    args += [k.encode(), v.encode()]
            check_allowed(args)
        reply = self._redis().execute([args])[0]
        if isinstance(reply, RedisError):
            return 400, {"error": str(reply)}
        return 200, {"result": to_json(reply, b64)}

    def _multi_exec(self, commands: list[list[bytes]], b64: bool) -> tuple[int, Any]:
        replies = self._redis().execute([[b"MULTI"], *commands, [b"EXEC"]])
        queued, result = replies[1:-1], replies[-1]
        if isinstance(result, RedisError):  # EXECABORT: a command was refused while queueing
            reason = next((str(q) for q in queued if isinstance(q, RedisError)), str(result))
            return 400, {"error": reason}
        return 200, [item(r, b64) for r in (result or [])]

    def _json(self, body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise CommandRefused("ERR the body is not valid JSON") from None

    def _redis(self) -> Resp:
        if self.redis is None:
            s = self.server
            self.redis = Resp(s.redis_host, s.redis_port, s.redis_db, s.redis_password)
        return self.redis

    def _send(self, status: int, payload: Any, head: bool = False) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silenced: ``Server.log_line`` logs each request without its query string (it may hold the token)."""

    def log_message(self, format: str, *args: Any) -> None:
        """Errors of http.server itself, with the token masked (a bad request line may hold ``_token``)."""
        sys.stderr.write("[upstash-rest] " + (format % args).replace(self.server.token, "***") + "\n")


class Server(ThreadingHTTPServer):
    """The HTTP server: one thread per connection; the token and the Redis address."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, token: str, redis_url: str, quiet: bool) -> None:
        """Bind 127.0.0.1:port (only loopback, by design)."""
        parts = urlsplit(redis_url)
        self.token = token
        self.redis_host = parts.hostname or "127.0.0.1"
        self.redis_port = parts.port or 6379
        self.redis_db = int((parts.path or "/0").lstrip("/") or 0)
        self.redis_password = unquote(parts.password) if parts.password else None
        self.quiet = quiet
        super().__init__(("127.0.0.1", port), Handler)

    def log_line(self, method: str, path: str, status: int, seconds: float) -> None:
        """One line per request: method, path without query, status, duration (never the token or the body)."""
        if not self.quiet:
            sys.stderr.write(f"[upstash-rest] {method} {path or '/'} {status} {seconds * 1000:.1f}ms\n")


def main() -> int:
    """Parse the arguments, check Redis answers, serve forever."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/1", help="the Redis behind it (its own DB number)")
    ap.add_argument("--quiet", action="store_true", help="no per-request log lines")
    opts = ap.parse_args()
    token = os.environ.get("UPSTASH_REST_TOKEN", "")
    if not token:
        print("[upstash-rest] UPSTASH_REST_TOKEN is not set", file=sys.stderr)
        return 2
    server = Server(opts.port, token, opts.redis, opts.quiet)
    Resp(server.redis_host, server.redis_port, server.redis_db, server.redis_password).close()
    print(f"[upstash-rest] serving http://127.0.0.1:{opts.port} -> redis db {server.redis_db}", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
