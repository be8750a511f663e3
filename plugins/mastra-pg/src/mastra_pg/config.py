"""``PostgresStore`` options, validated up front (custom index specifications live in ``indexes.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT
from mastra_core.secrets import MaskedRepr

from .indexes import IndexSpec, check_identifier

__all__ = ["IndexSpec", "PostgresConfig", "check_identifier"]

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
SSL_KEYS = ("sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslcrl", "sslsni", "sslcompression",
            "ssl_min_protocol_version", "ssl_max_protocol_version")


def _nonempty(name: str) -> Any:
    def check(_: Any, __: Any, value: Any) -> None:
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValueError(f"{name} must be a non-empty string when given")

    return check


def _positive(name: str, *, allow_zero: bool = False) -> Any:
    def check(_: Any, __: Any, value: Any) -> None:
        if value is None:
            return
        bad = isinstance(value, bool) or not isinstance(value, int | float)
        if bad or value < 0 or (value == 0 and not allow_zero):
            raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} number, got {value!r}")

    return check


@attrs.define(kw_only=True, repr=False)
class PostgresConfig(MaskedRepr):
    """Options of :class:`~mastra_pg.PostgresStore`; exactly one connection form:
    ``connection_string``, ``host``/``port``/``database``/``user``/``password``, or a caller-owned ``pool``."""

    connection_string: str | None = attrs.field(default=None, validator=_nonempty("connection_string"))
    host: str | None = attrs.field(default=None, validator=_nonempty("host"))
    port: int | None = None
    database: str | None = attrs.field(default=None, validator=_nonempty("database"))
    user: str | None = attrs.field(default=None, validator=_nonempty("user"))
    password: str | None = None
    #: ``True`` (sslmode=require), ``False`` (disable), an sslmode string, or a mapping of libpq ssl* options.
    ssl: Any = None
    #: A caller-owned ``psycopg_pool.AsyncConnectionPool``; never opened or closed by the store.
    pool: Any = None
    schema_name: str = "public"
    min_pool_size: int = attrs.field(default=1, validator=_positive("min_pool_size", allow_zero=True))
    max_pool_size: int = attrs.field(default=20, validator=_positive("max_pool_size"))
    #: Seconds to wait for a free pooled connection.
    pool_timeout: float = attrs.field(default=30.0, validator=_positive("pool_timeout"))
    #: Seconds an idle connection above ``min_pool_size`` is kept.
    idle_timeout: float = attrs.field(default=30.0, validator=_positive("idle_timeout"))
    #: Seconds after which a connection is replaced.
    max_lifetime: float = attrs.field(default=3600.0, validator=_positive("max_lifetime"))
    #: Seconds to establish a connection (also how long ``init()`` waits for the server).
    connect_timeout: float = attrs.field(default=DEFAULT_CONNECT_TIMEOUT, validator=_positive("connect_timeout"))
    #: Seconds one attempt of an operation may take on the client side (getting a pooled connection included);
    #: bounds a stalled server or network, which ``statement_timeout`` cannot.
    operation_timeout: float = attrs.field(default=DEFAULT_OPERATION_TIMEOUT, validator=_positive("operation_timeout"))
    #: Server-side statement timeout in milliseconds (None: the server's default).
    statement_timeout_ms: int | None = attrs.field(default=None, validator=_positive("statement_timeout_ms"))
    application_name: str = "mastra"
    #: psycopg's automatic prepared statements (None disables them, e.g. behind PgBouncer in transaction mode).
    prepare_threshold: int | None = 5
    #: Check a pooled connection before use when its socket shows the server hung up (free when it did not).
    health_check: bool = True
    skip_default_indexes: bool = False
    indexes: tuple[Any, ...] = ()

    def __attrs_post_init__(self) -> None:
        """Check the options together (one connection form, pool sizes, identifiers, indexes)."""
        forms = [self.connection_string is not None, self.host is not None, self.pool is not None]
        if sum(forms) != 1:
            raise ValueError(
                "give exactly one connection form: connection_string, host (with port/database/user/password), or pool"
            )
        if self.host is None and any(v is not None for v in (self.port, self.database, self.user, self.password)):
            raise ValueError("port/database/user/password go with host")
        if self.host is not None and self.database is None:
            raise ValueError("database is required with host")
        if self.password is not None and not isinstance(self.password, str):
            raise ValueError("password must be a string")
        port = self.port
        if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536):
            raise ValueError(f"port must be an integer 1-65535, got {self.port!r}")
        if self.pool is not None and not hasattr(self.pool, "connection"):
            raise ValueError("pool must be a psycopg_pool.AsyncConnectionPool")
        if self.min_pool_size > self.max_pool_size:
            raise ValueError("min_pool_size must not exceed max_pool_size")
        check_identifier(self.schema_name, "schema_name")
        threshold = self.prepare_threshold
        if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0):
            raise ValueError("prepare_threshold must be None or an integer >= 0")
        self.ssl_options()  # validate
        specs = tuple(IndexSpec.parse(i) for i in (self.indexes or ()))
        names = [s.name for s in specs]
        if len(set(names)) != len(names):
            raise ValueError("custom index names must be unique")
        self.indexes = specs

    def ssl_options(self) -> dict[str, str]:
        """libpq keyword options for ``ssl``."""
        ssl = self.ssl
        if ssl is None:
            return {}
        if ssl is True:
            return {"sslmode": "require"}
        if ssl is False:
            return {"sslmode": "disable"}
        if isinstance(ssl, str):
            if ssl not in SSL_MODES:
                raise ValueError(f"ssl must be a bool, one of {SSL_MODES} or a mapping of libpq ssl options")
            return {"sslmode": ssl}
        if isinstance(ssl, Mapping):
            unknown = sorted(set(ssl) - set(SSL_KEYS))
            if unknown:
                raise ValueError(f"unknown ssl option(s) {unknown}; valid: {list(SSL_KEYS)}")
            if "sslmode" in ssl and ssl["sslmode"] not in SSL_MODES:
                raise ValueError(f"sslmode must be one of {SSL_MODES}")
            return {k: str(v) for k, v in ssl.items()}
        raise ValueError("ssl must be a bool, an sslmode string or a mapping of libpq ssl options")
