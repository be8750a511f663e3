"""Connection failures said plainly: the driver's root cause, the target (secrets masked) and a hint.

Every backend turns a failure to reach its database into :class:`ConnectionFailedError` through
:func:`connection_error`, which reads the driver error chain and classifies the root cause
(refused, unknown host, authentication, missing database, TLS, timeout). The CLI maps the class to
its own exit code; programs can branch on ``error.reason``.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import ErrorCategory, StorageError
from .log import redact

#: Default seconds a backend waits to establish its first connection before failing (every backend's
#: ``connect_timeout`` option defaults to this).
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Default seconds one operation (one attempt, its retry included where the backend retries) may wait on the
#: wire before it fails with a StorageError (every networked backend's ``operation_timeout`` option).
DEFAULT_OPERATION_TIMEOUT = 30.0

#: reason -> words that identify it in a driver message (lower case), checked in this order.
_PATTERNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("database_missing", ("does not exist", "unknown database", "database not found")),
    ("auth_failed", ("password authentication failed", "authentication failed", "wrongpass", "noauth",
                     "invalid username-password", "invalid password", "access denied", "auth failed",
                     "unrecognizedclientexception", "security token included in the request is invalid",
                     "not authorized", "unauthorized")),
    ("tls", ("ssl", "tls", "certificate", "handshake")),
    ("unknown_host", ("name or service not known", "nodename nor servname", "could not translate host name",
                      "getaddrinfo failed", "temporary failure in name resolution", "no address associated",
                      "name resolution", "dns")),
    ("refused", ("connection refused", "connect call failed", "error 111", "errno 111", "actively refused",
                 "could not connect to the endpoint")),
    ("timeout", ("timed out", "timeout", "serverselectiontimeout")),
)

#: Where a driver message stops saying why and starts dumping state.
_NOISE = (" (configured timeouts:", ", Timeout: ", ", Topology Description:")

#: reason -> what to check.
HINTS: Mapping[str, str] = {
    "refused": "nothing is listening there: is the server running, and are the host and port right?",
    "unknown_host": "the host name does not resolve: check its spelling in the URL",
    "auth_failed": "the server refused the credentials: check the user name and password (or token)",
    "database_missing": "the database does not exist: create it first or fix its name in the URL",
    "tls": "the TLS handshake failed: check the TLS/SSL options and the server's certificate",
    "timeout": "the server did not answer in time: check host, port and firewall, or raise connect_timeout",
    "unknown": "check the URL and that the server is up",
}


class ConnectionFailedError(StorageError):
    """The backend could not reach or log in to its database (category THIRD_PARTY).

    ``reason`` is one of ``refused``, ``unknown_host``, ``auth_failed``, ``database_missing``, ``tls``,
    ``timeout``, ``unknown``; ``target`` is where it tried to connect, secrets masked.
    """

    def __init__(self, message: str, *, id: str, reason: str, target: str,
                 details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message, id=id, category=ErrorCategory.THIRD_PARTY,
                         details={"reason": reason, "target": target, **(details or {})})
        self.reason = reason
        self.target = target


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (current.__cause__, current.__context__):
            if nxt is not None:
                todo.append(nxt)
        for arg in getattr(current, "args", ()):  # e.g. an ExceptionGroup-like wrapper or a wrapped OSError
            if isinstance(arg, BaseException):
                todo.append(arg)


def classify(exc: BaseException) -> str:
    """The reason of a connection failure (see :class:`ConnectionFailedError`)."""
    errors = list(_chain(exc))
    for err in errors:
        if isinstance(err, socket.gaierror):
            return "unknown_host"
        if isinstance(err, ssl.SSLError):
            return "tls"
        if isinstance(err, ConnectionRefusedError):
            return "refused"
    text = " ".join(str(e) for e in errors).lower()
    if "role" in text and "does not exist" in text:  # PostgreSQL names an unknown user a missing role
        return "auth_failed"
    for reason, words in _PATTERNS:
        if any(w in text for w in words):
            return reason
    if any(isinstance(e, TimeoutError | socket.timeout) for e in errors):
        return "timeout"
    return "unknown"


def root_cause(exc: BaseException, limit: int = 300) -> str:
    """The most informative line of the driver error chain (redacted, at most ``limit`` characters)."""
    lines: list[str] = []
    for err in _chain(exc):
        text = str(err).strip()
        if text:
            lines.append(f"{type(err).__name__}: {text}" if not lines else text)
    if not lines:
        return type(exc).__name__
    first = " ".join(lines[0].split())
    for noise in _NOISE:  # drivers append their whole state after the reason
        first = first.split(noise, 1)[0]
    return redact(first)[:limit]


def mask_target(target: str) -> str:
    """A URL or host with passwords and tokens replaced by ``***``."""
    return redact(target)


def connection_error(backend: str, target: str, exc: BaseException, *, token: str | None = None,
                     hint: str | None = None, timeout: float | None = None) -> ConnectionFailedError:
    """A :class:`ConnectionFailedError` for ``backend`` failing to reach ``target`` because of ``exc``.

    The message reads ``cannot connect to <backend> at <target>: <root cause> (<hint>)``; ``token`` is the
    backend's token in the error id (``MASTRA_STORAGE_<TOKEN>_CONNECT_FAILED``), ``backend`` upper-cased by default.
    """
    reason = classify(exc)
    shown = mask_target(target)
    advice = hint or HINTS[reason]
    if reason == "timeout" and timeout is not None:
        advice = f"no answer within {timeout:g}s: " + advice
    token = token or "".join(c if c.isalnum() else "_" for c in backend.upper())
    return ConnectionFailedError(
        f"cannot connect to {backend} at {shown}: {root_cause(exc)} ({advice})",
        id=f"MASTRA_STORAGE_{token}_CONNECT_FAILED", reason=reason, target=shown)
