"""``UpstashStore``: the ``upstash`` backend on redis-py's asyncio client (Upstash or any Redis)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from mastra_core.backend import ConnectedBackend
from mastra_core.storage import BackendStorage
from mastra_core.urlopts import split_url_options

from .config import UpstashConfig
from .connection import UpstashConnection

__all__ = ["UpstashConfig", "UpstashStore"]


class UpstashStore(ConnectedBackend[UpstashConnection]):
    """Memory, workflows, scores, observability, agents and the legacy evals/traces on Redis.

    Every write is one Lua script (atomic, one round trip); lists read one page from a sorted-set
    index; nothing ever SCANs except ``dangerously_clear_all``. See the plugin README for the key layout.
    """

    backend_id: ClassVar[str] = "upstash"
    backend_token: ClassVar[str] = "UPSTASH"
    url_schemes: ClassVar[tuple[str, ...]] = ("redis", "rediss", "upstash")
    config_class: ClassVar[type[Any]] = UpstashConfig
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory", "workflows", "scores", "observability", "agents", "evals", "traces")
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl", "transactions"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"client"}
    #: The names every backend shares for the pool size and the per-operation timeout.
    option_aliases: ClassVar[Mapping[str, str]] = {"max_pool_size": "max_connections",
                                                   "operation_timeout": "socket_timeout"}

    def _connect(self) -> UpstashConnection:
        return UpstashConnection(self.config)

    @property
    def prefix(self) -> str:
        """The prefix every key of this store starts with."""
        return str(self.config.prefix)

    url_field: ClassVar[str | None] = "url"

    @classmethod
    def split_url(cls, url: str) -> tuple[str, dict[str, Any]]:
        """Query parameters naming a store option (``prefix``, ``connect_timeout``, ``max_pool_size``...) become
        that option; redis-py's own URL parameters stay in the URL; any other is a ``ConfigError``."""
        from redis.connection import URL_QUERY_ARGUMENT_PARSERS

        return split_url_options(url, UpstashConfig, backend="upstash", exclude=("url", "token"),
                                 aliases=cls.option_aliases, passthrough=set(URL_QUERY_ARGUMENT_PARSERS))

    @classmethod
    def from_url(cls, url: str, **config: Any) -> UpstashStore:
        """``redis://`` / ``rediss://`` go straight to redis-py; ``upstash://:TOKEN@host`` means Upstash over TLS."""
        if url.lower().startswith("upstash://"):
            parts = urlsplit(url)
            token = unquote(parts.password or parts.username or "")
            config.setdefault("token", token or None)
            url = f"rediss://{parts.hostname}:{parts.port or 6379}" + (f"?{parts.query}" if parts.query else "")
        return cls(url=url, **config)
