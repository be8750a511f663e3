"""``MySQLStore`` options, validated up front (a URL and/or discrete connection fields)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT

#: Database names we create and quote: letters, digits, ``_`` and ``$`` (MariaDB's unquoted identifiers).
DATABASE_NAME = re.compile(r"[A-Za-z0-9_$]{1,64}")
SCHEMES = ("mysql", "mariadb")


def _count(minimum: int) -> Any:
    def check(_: Any, attribute: Any, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{attribute.name} must be an integer >= {minimum}, got {value!r}")

    return check


def _seconds(_: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{attribute.name} must be a positive number of seconds, got {value!r}")


@attrs.define(kw_only=True)
class MySQLConfig:
    """Options of :class:`~mastra_mysql.store.MySQLStore`.

    ``url``: ``mysql://user:password@host:port/database`` (``mariadb://`` too); fields given explicitly win
    over the URL's. ``database`` is created at init unless ``disable_init``. ``min_pool_size``/``max_pool_size``
    size the connection pool; ``max_retries`` is how often a transaction that meets a deadlock or lock wait
    timeout is run again. ``connect_timeout`` bounds establishing a connection, ``operation_timeout`` one call on
    the client side (a stalled server included). ``password`` and ``url`` are never shown in reprs or errors.
    """

    url: str | None = attrs.field(default=None, repr=False)
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    database: str | None = None
    min_pool_size: int = attrs.field(default=1, validator=_count(0))
    max_pool_size: int = attrs.field(default=10, validator=_count(1))
    max_retries: int = attrs.field(default=20, validator=_count(0))
    #: Seconds to establish a connection (``init()`` fails after this when the server does not answer).
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_seconds)
    #: Seconds one call (a transaction with its deadlock retries, or a read) may take before it fails.
    operation_timeout: float = attrs.field(default=DEFAULT_OPERATION_TIMEOUT, validator=_seconds)

    def __attrs_post_init__(self) -> None:
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme not in SCHEMES:
                raise ValueError(f"url scheme must be one of {', '.join(SCHEMES)} (mysql://user:password@host:port/db)")
            self.host = self.host if self.host is not None else parts.hostname
            self.port = self.port if self.port is not None else parts.port
            if self.user is None and parts.username is not None:
                self.user = unquote(parts.username)
            if self.password is None and parts.password is not None:
                self.password = unquote(parts.password)
            path = unquote(parts.path.lstrip("/"))
            if self.database is None and path:
                self.database = path
        self.host = self.host or "127.0.0.1"
        self.port = 3306 if self.port is None else self.port
        self.user = self.user or "root"
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 < self.port < 65536:
            raise ValueError(f"port must be an integer in 1..65535, got {self.port!r}")
        if self.database is None or not DATABASE_NAME.fullmatch(self.database):
            raise ValueError("database is required (in the url or as database=) and must match [A-Za-z0-9_$]{1,64}")
        if self.min_pool_size > self.max_pool_size:
            raise ValueError("min_pool_size must not exceed max_pool_size")
