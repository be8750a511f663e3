"""``LibSQLConfig``: the options of :class:`~mastra_libsql.store.LibSQLStore`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT
from mastra_core.secrets import MaskedRepr

from .connection import DEFAULT_AUTOCHECKPOINT, Target
from .walflush import DEFAULT_EVERY


def _positive(name: str, minimum: int = 0) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")

    return check


def _seconds(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 86400:
            raise ValueError(f"{name} must be a number of seconds > 0 (and below a day), got {value!r}")

    return check


@attrs.define(kw_only=True, repr=False)
class LibSQLConfig(MaskedRepr):
    """Options of :class:`~mastra_libsql.store.LibSQLStore`.

    ``url``: ``file:path/to.db`` (or a bare path), ``:memory:``, ``libsql://host`` (TLS), ``http://host:port``
    or ``https://host``. ``auth_token``: the token of a remote server (also accepted as ``?authToken=`` in
    the URL); never shown. ``max_retries``/``initial_backoff_ms``: retries of a transaction that meets
    SQLITE_BUSY, backing off exponentially. ``busy_timeout_ms``: how long SQLite itself waits for a lock.
    ``table_prefix``: prepended to every table, index and trigger name, so several independent stores share
    one database (tests on one server, tenants); empty (the default) keeps the reference's names.
    ``connect_timeout``: seconds to reach a remote server (its first answer) before init fails.
    ``operation_timeout``: seconds one attempt of an operation on a remote server may take; a stalled server
    gives a ``MASTRA_STORAGE_LIBSQL_OPERATION_TIMEOUT`` error then, and the next call opens a new stream.
    (Local files wait for locks within ``busy_timeout_ms`` and the retries instead.)
    ``wal_flush_every``: on a file, a background thread writes the WAL out to disk after this many writes, so
    SQLite's periodic checkpoint (every ``wal_autocheckpoint`` WAL pages, inside some write) has little left to
    sync: its pause at 1,000 pages fell from ~5-6 ms to ~2.4 ms on this project's test machine. Durability is the
    same either way; 0 turns the thread off. ``wal_autocheckpoint``: on a file, the WAL pages after which a commit
    checkpoints (SQLite's ``PRAGMA wal_autocheckpoint``; SQLite's default is 1,000): 4,000, a quarter as many
    checkpoint pauses on the event loop, each 1.5-2x as long, reads alike (a WAL of up to 4,062 pages is one
    wal-index hash table), and a WAL file of up to ~16 MB (4 KB pages) where 1,000 leaves ~4 MB. 0 turns automatic
    checkpoints off (the WAL then grows until something checkpoints it, such as closing the last connection).
    Every option can also be given in the URL's query string (``?operation_timeout=5&authToken=...``).
    """

    url: str = attrs.field(default=None)
    auth_token: str | None = attrs.field(default=None, repr=False)
    max_retries: int = attrs.field(default=5, validator=_positive("max_retries"))
    initial_backoff_ms: int = attrs.field(default=100, validator=_positive("initial_backoff_ms"))
    busy_timeout_ms: int = attrs.field(default=5000, validator=_positive("busy_timeout_ms"))
    table_prefix: str = attrs.field(default="")
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_seconds("connect_timeout"))
    operation_timeout: float = attrs.field(default=30.0, validator=_seconds("operation_timeout"))
    wal_flush_every: int = attrs.field(default=DEFAULT_EVERY, validator=_positive("wal_flush_every"))
    wal_autocheckpoint: int = attrs.field(default=DEFAULT_AUTOCHECKPOINT, validator=_positive("wal_autocheckpoint"))

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url.strip():
            raise ValueError("url is required: file:path.db, :memory:, libsql://host, http://host:port or https://host")
        if self.auth_token is not None and not isinstance(self.auth_token, str):
            raise ValueError("auth_token must be a string")
        Target(self.url, self.auth_token)  # rejects unsupported schemes now rather than at init
        if not isinstance(self.table_prefix, str) or (
            self.table_prefix and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,39}", self.table_prefix)
        ):
            raise ValueError("table_prefix must be empty or a letter followed by up to 39 letters, digits or _")
