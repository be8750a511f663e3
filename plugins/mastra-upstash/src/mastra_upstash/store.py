"""``UpstashStore``: the ``upstash`` backend on redis-py's asyncio client (Upstash or any Redis)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import quote, unquote, urlsplit

import attrs
from mastra_core.domains.base import DomainStore
from mastra_core.errors import ConfigError
from mastra_core.log import redact
from mastra_core.registry import import_optional
from mastra_core.storage import BackendStorage

from .base import Conn
from .keys import Keys


def _check_url(_: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value.strip():
        raise ValueError("url must be a non-empty string")
    scheme = urlsplit(value).scheme.lower()
    if scheme not in ("redis", "rediss", "https", "http", "upstash", "unix"):
        raise ValueError(f"url must be a redis://, rediss://, unix:// or Upstash https:// URL, got scheme {scheme!r}")


@attrs.define(kw_only=True)
class UpstashConfig:
    """Options of :class:`UpstashStore`.

    Give exactly one of ``url`` or ``client``:

    - ``url`` + ``token``: the Upstash console's REST URL (``https://<name>.upstash.io``) and token; the
      store connects to ``rediss://default:<token>@<name>.upstash.io:6379`` (Upstash's TLS Redis endpoint).
    - ``url`` alone: any ``redis://`` / ``rediss://`` / ``unix://`` URL (the console's TLS URL, or any Redis);
      a ``token`` given with such a URL is used as the password.
    - ``client``: a ``redis.asyncio.Redis`` you own (the store never closes it).

    ``prefix`` starts every key (default ``mastra:``) so several stores can share one database.
    """

    url: str | None = attrs.field(default=None, validator=_check_url, repr=lambda v: "None" if v is None else repr(redact(v)))
    token: str | None = attrs.field(default=None, repr=False)
    client: Any = None
    prefix: str = "mastra:"
    max_connections: int = 50
    socket_timeout: float | None = 30.0
    retries: int = 3

    def __attrs_post_init__(self) -> None:
        if (self.url is None) == (self.client is None):
            raise ValueError("give exactly one of url (with token for an Upstash https URL) or client")
        if self.token is not None and (not isinstance(self.token, str) or not self.token):
            raise ValueError("token must be a non-empty string")
        if self.url is not None and urlsplit(self.url).scheme.lower() in ("https", "http", "upstash") and not (
            self.token or urlsplit(self.url).password
        ):
            raise ValueError("an Upstash https:// URL needs the token")
        if not isinstance(self.prefix, str):
            raise ValueError("prefix must be a string")
        if isinstance(self.retries, bool) or not isinstance(self.retries, int) or self.retries < 0:
            raise ValueError("retries must be an integer >= 0")
        if isinstance(self.max_connections, bool) or not isinstance(self.max_connections, int) or self.max_connections < 1:
            raise ValueError("max_connections must be a positive integer")

    def redis_url(self) -> str:
        """The redis-py URL this config connects to (contains the secret: never log it)."""
        assert self.url is not None
        parts = urlsplit(self.url)
        scheme = parts.scheme.lower()
        if scheme in ("https", "http", "upstash"):
            token = self.token or unquote(parts.password or "")
            host = parts.hostname or ""
            return f"rediss://default:{quote(token, safe='')}@{host}:6379"
        if self.token and not parts.password:
            netloc = f"{quote(parts.username or 'default', safe='')}:{quote(self.token, safe='')}@{parts.hostname or ''}"
            if parts.port:
                netloc += f":{parts.port}"
            return parts._replace(netloc=netloc).geturl()
        return self.url


class UpstashStore(BackendStorage):
    """Memory, workflows, scores, observability, agents and the legacy evals/traces on Redis.

    Every write is one Lua script (atomic, one round trip); lists read one page from a sorted-set
    index; nothing ever SCANs except ``dangerously_clear_all``. See the plugin README for the key layout.
    """

    #: The domains every instance has (shown by `mastra backends` without connecting).
    declared_domains = ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")

    backend_id: ClassVar[str] = "upstash"
    backend_token: ClassVar[str] = "UPSTASH"
    url_schemes: ClassVar[tuple[str, ...]] = ("redis", "rediss", "upstash")
    config_class: ClassVar[type[Any]] = UpstashConfig
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl", "transactions"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"client"}

    def _create_stores(self) -> dict[str, DomainStore]:
        from .agents import UpstashAgents
        from .legacy import UpstashEvals, UpstashTraces
        from .memory import UpstashMemory
        from .observability import UpstashObservability
        from .scores import UpstashScores
        from .workflows import UpstashWorkflows

        self.conn = Conn(Keys(self.config.prefix))
        self._owns_client = False
        return {
            "memory": UpstashMemory(self.conn),
            "workflows": UpstashWorkflows(self.conn),
            "scores": UpstashScores(self.conn),
            "observability": UpstashObservability(self.conn),
            "agents": UpstashAgents(self.conn),
            "evals": UpstashEvals(self.conn),
            "traces": UpstashTraces(self.conn),
        }

    @property
    def prefix(self) -> str:
        return str(self.config.prefix)

    async def _open(self) -> None:
        if self.conn.client is not None:
            return
        client = self.config.client
        if client is None:
            redis = import_optional("redis.asyncio", "redis")
            from redis.asyncio.retry import Retry
            from redis.backoff import EqualJitterBackoff
            try:
                # a blocking pool: more concurrent operations than connections wait for one instead of failing
                pool = redis.BlockingConnectionPool.from_url(
                    self.config.redis_url(), decode_responses=True, max_connections=self.config.max_connections,
                    timeout=self.config.socket_timeout, socket_timeout=self.config.socket_timeout,
                    socket_connect_timeout=self.config.socket_timeout,
                    retry=Retry(EqualJitterBackoff(cap=1.0, base=0.05), self.config.retries),
                )
            except ValueError as exc:
                raise ConfigError(f"invalid upstash url: {type(exc).__name__}", id="MASTRA_STORAGE_UPSTASH_CONFIG_INVALID") from None
            client = redis.Redis.from_pool(pool)
            self._owns_client = True
        self.conn.attach(client)

    async def _close(self) -> None:
        client, self.conn.client = self.conn.client, None
        if client is not None and self._owns_client:
            await client.aclose()
        self._owns_client = False

    @classmethod
    def from_url(cls, url: str, **config: Any) -> UpstashStore:
        """``redis://`` / ``rediss://`` go straight to redis-py; ``upstash://:TOKEN@host`` means Upstash over TLS."""
        if url.lower().startswith("upstash://"):
            parts = urlsplit(url)
            token = unquote(parts.password or parts.username or "")
            config.setdefault("token", token or None)
            url = f"rediss://{parts.hostname}:{parts.port or 6379}"
        return cls(url=url, **config)
