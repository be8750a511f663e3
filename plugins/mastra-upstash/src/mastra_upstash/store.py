"""``UpstashStore``: the ``upstash`` backend on redis-py's asyncio client (Upstash or any Redis)."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from mastra_core.backend import ConnectedBackend
from mastra_core.storage import BackendStorage
from mastra_core.urlopts import merge, split_url_options

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

    def _connect(self) -> UpstashConnection:
        return UpstashConnection(self.config)

    @property
    def prefix(self) -> str:
        """The prefix every key of this store starts with."""
        return str(self.config.prefix)

    @classmethod
    def from_url(cls, url: str, **config: Any) -> UpstashStore:
        """``redis://`` / ``rediss://`` go straight to redis-py; ``upstash://:TOKEN@host`` means Upstash over TLS.

        Query parameters naming a store option (``prefix``, ``connect_timeout``, ``max_connections``...) become
        that option; redis-py's own URL parameters stay in the URL; any other is a ``ConfigError``.
        """
        from redis.connection import URL_QUERY_ARGUMENT_PARSERS

        url, options = split_url_options(url, UpstashConfig, backend="upstash", exclude=("url", "token"),
                                         passthrough=set(URL_QUERY_ARGUMENT_PARSERS))
        config = merge(options, config)
        if url.lower().startswith("upstash://"):
            parts = urlsplit(url)
            token = unquote(parts.password or parts.username or "")
            config.setdefault("token", token or None)
            url = f"rediss://{parts.hostname}:{parts.port or 6379}"
        return cls(url=url, **config)
