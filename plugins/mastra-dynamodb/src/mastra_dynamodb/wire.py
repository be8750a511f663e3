"""Keep-alive HTTP/1.1 connections to one endpoint, for the lean path's small JSON POSTs.

urllib3's pool is general: per request it copies a ``Timeout`` and a ``Retry``, wraps the reply in its own response
class with decoders, and writes the head and the body in two ``send`` calls (two TCP segments, so the server wakes
twice), and ``http.client`` parses a reply's headers with the ``email`` package. For a request of a few hundred
bytes that is more CPU than everything else the lean path does (``bench/dynamodb_callgrind.py``). Here a request is
one ``sendall`` of head and body, and a reply is read with as few ``recv`` calls as it arrives in (usually one):
status line, headers, a ``Content-Length`` or chunked body, interim 1xx replies skipped, ``Connection: close`` and
HTTP/1.0 honoured. ``tests/test_dynamodb_wire.py`` holds the reader to ``http.client`` as the oracle.

What it keeps from the botocore session it is made from: the connect and read timeouts, the socket options (TCP
keepalive, no Nagle), TLS with the same certificate checks (``verify``: the CA bundle botocore would use, or no
check when verification is off) and the pool size. An idle connection is checked before reuse (a closed peer or
unexpected bytes close it, as urllib3 checks), so a connection the server timed out is not written to.
Failures are the socket/``http.client`` exceptions; the lean path translates them into botocore's, whose retry
handler decides as for botocore's own transport.
"""

from __future__ import annotations

import http.client
import select
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from urllib3 import HTTPHeaderDict

#: botocore's Host header of a URL (the one it signs: default ports dropped, IPv6 bracketed). Private, so a botocore
#: that moves it leaves this None, and lean.LeanPath then refuses (the store takes botocore's full path).
host_from_url: Callable[[str], str] | None
try:
    from botocore.auth import _host_from_url

    host_from_url = _host_from_url
except ImportError:  # pragma: no cover - a botocore without it (tests/test_dynamodb_private_names.py)
    host_from_url = None

#: Longest reply head (status line and headers) accepted, as http.client bounds a header line and their count.
MAX_HEAD = 64 * 1024
#: Longest chunk-size line of a chunked body.
MAX_LINE = 1024


class ConnectFailed(Exception):
    """A new connection could not be made; ``__cause__`` says why (a timeout, a refusal, a name that does not
    resolve, a TLS handshake that failed)."""


class Reply:
    """A whole reply: status, headers (case-insensitive) and body; ``keep`` when the connection may be reused."""

    __slots__ = ("status", "headers", "body", "keep")

    def __init__(self, status: int, headers: HTTPHeaderDict, body: bytes, keep: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep = keep

    def stream(self) -> list[bytes]:
        """The body as botocore's ``AWSResponse`` reads a raw reply's."""
        return [self.body]


class Stream:
    """A connected socket and the bytes received on it and not consumed yet."""

    __slots__ = ("sock", "buf")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            if self.buf:
                raise http.client.IncompleteRead(bytes(self.buf))
            raise http.client.RemoteDisconnected("the server closed the connection without a reply")
        self.buf += chunk

    def until(self, mark: bytes, limit: int) -> bytes:
        """The bytes before the next ``mark`` (consumed with it); more than ``limit`` of them is an error."""
        start = 0
        while True:
            i = self.buf.find(mark, start)
            if i >= 0:
                out = bytes(self.buf[:i])
                del self.buf[: i + len(mark)]
                return out
            if len(self.buf) > limit:
                raise http.client.LineTooLong(f"reply head over {limit} bytes")
            start = max(0, len(self.buf) - len(mark) + 1)
            self._more()

    def exactly(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        while len(self.buf) < n:
            self._more()
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def to_end(self) -> bytes:
        """Everything until the server closes (a body delimited by the connection's end)."""
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                out = bytes(self.buf)
                self.buf.clear()
                return out
            self.buf += chunk


def read_reply(stream: Stream) -> Reply:
    """Read one reply to a POST (interim 1xx replies skipped)."""
    while True:
        head = stream.until(b"\r\n\r\n", MAX_HEAD)
        lines = head.split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        code = rest[:3]
        if not version.startswith(b"HTTP/") or len(code) != 3 or not code.isdigit():
            raise http.client.BadStatusLine(repr(lines[0]))
        status = int(code)
        headers = HTTPHeaderDict()
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip():
                raise http.client.HTTPException(f"malformed header line {line!r}")
            headers.add(name.decode("latin-1"), value.strip(b" \t").decode("latin-1"))
        if not 100 <= status < 200:
            break
    tokens = headers.get("connection", "").lower()
    keep = "keep-alive" in tokens if version == b"HTTP/1.0" else "close" not in tokens
    if status in (204, 304):
        return Reply(status, headers, b"", keep)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = bytearray()
        while True:
            size_text = stream.until(b"\r\n", MAX_LINE).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise http.client.HTTPException(f"malformed chunk size {size_text!r}") from None
            if size == 0:
                while stream.until(b"\r\n", MAX_HEAD):  # trailers, up to the empty line
                    pass
                return Reply(status, headers, bytes(body), keep)
            body += stream.exactly(size)
            if stream.exactly(2) != b"\r\n":
                raise http.client.HTTPException("a chunk not followed by CRLF")
    length = headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise http.client.HTTPException(f"malformed Content-Length {length!r}")
        return Reply(status, headers, stream.exactly(int(length)), keep)
    return Reply(status, headers, stream.to_end(), False)


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle keep-alive connection is unusable: readable while idle means closed by the peer (or bytes
    nobody asked for), either way not a connection to send a request on."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def host_header(url: str) -> str:
    """The ``Host`` header botocore writes and signs for ``url``; LookupError on a botocore without it."""
    if host_from_url is None:
        raise LookupError("botocore.auth._host_from_url moved")
    return host_from_url(url)


class Connections:
    """Idle connections to one ``http``/``https`` endpoint, reused LIFO; thread-safe (one request per connection
    at a time, any number of threads)."""

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float | None,
        read_timeout: float | None,
        socket_options: list[tuple[int, int, int]],
        max_idle: int,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LookupError(f"not an http(s) endpoint: {parts.scheme!r}")
        if parts.scheme == "https" and ssl_context is None:
            raise LookupError("https needs an SSL context")
        self.host = parts.hostname
        #: ``Host`` as botocore writes and signs it (brackets for IPv6, the port unless the scheme's default)
        self.host_header = host_header(url)
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self._tls = ssl_context if parts.scheme == "https" else None
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._options = list(socket_options)
        self._max_idle = max_idle
        self._idle: deque[Stream] = deque()
        self._lock = threading.Lock()  # only around close(), which empties the idle set
        self._closed = False

    def _connect(self) -> Stream:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self._connect_timeout)
        except OSError as exc:
            raise ConnectFailed(str(exc)) from exc
        try:
            for level, option, value in self._options:
                sock.setsockopt(level, option, value)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._read_timeout)
        except OSError as exc:
            sock.close()
            raise ConnectFailed(str(exc)) from exc
        except BaseException:
            sock.close()
            raise
        return Stream(sock)

    def _checkout(self) -> Stream:
        while True:
            try:
                stream = self._idle.pop()
            except IndexError:
                return self._connect()
            if not _dropped(stream.sock):
                return stream
            stream.sock.close()

    def _checkin(self, stream: Stream) -> None:
        if self._closed or len(self._idle) >= self._max_idle:
            stream.sock.close()
            return
        self._idle.append(stream)

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """POST ``body`` with ``headers`` (``Host`` and ``Content-Length`` are added) and read the whole reply.

        The connection goes back to the idle set only after a complete reply the server keeps open and nothing
        unasked for after it; on any error it is closed (never reused in an unknown state)."""
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        data = (f"POST {path} HTTP/1.1\r\nHost: {self.host_header}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
                ).encode("latin-1") + body
        stream = self._checkout()
        try:
            stream.sock.sendall(data)
            reply = read_reply(stream)
        except BaseException:
            stream.sock.close()
            raise
        if reply.keep and not stream.buf:
            self._checkin(stream)
        else:
            stream.sock.close()
        return reply

    def close(self) -> None:
        """Close every idle connection; connections in use are closed when their request ends."""
        with self._lock:
            self._closed = True
            while self._idle:
                self._idle.pop().sock.close()


def tls_context(verify: Any) -> ssl.SSLContext:
    """The SSL context botocore's transport uses for ``verify`` (True, False or a CA bundle path)."""
    from botocore.httpsession import create_urllib3_context, get_cert_path

    context: ssl.SSLContext = create_urllib3_context()
    if verify:
        context.verify_mode = ssl.CERT_REQUIRED
        context.check_hostname = True
        context.load_verify_locations(cafile=get_cert_path(verify))
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
