"""``UpstashStore``: the ``upstash`` backend, over Upstash's REST API (httpx) or the Redis protocol (redis-py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

from mastra_core.backend import ConnectedBackend
from mastra_core.diagnostics import Finding
from mastra_core.storage import BackendStorage
from mastra_core.urlopts import split_url_options

from .config import UpstashConfig
from .connection import UpstashConnection

__all__ = ["UpstashConfig", "UpstashStore"]


class UpstashStore(ConnectedBackend[UpstashConnection]):
    """Memory, workflows, scores, observability, agents and the legacy evals/traces on Redis.

    Every write is one Lua script (atomic, one request); lists read one page from a sorted-set index;
    nothing ever SCANs except ``dangerously_clear_all``. The transport (REST or Redis protocol) is chosen
    by the URL; both send the same requests. See the plugin README for the key layout.
    """

    stores_expiry = True

    backend_id: ClassVar[str] = "upstash"
    backend_token: ClassVar[str] = "UPSTASH"
    url_schemes: ClassVar[tuple[str, ...]] = ("redis", "rediss", "upstash", "upstash+http")
    config_class: ClassVar[type[Any]] = UpstashConfig
    declared_domains: ClassVar[tuple[str, ...]] = (
        "memory", "workflows", "scores", "observability", "agents", "evals", "traces")
    extra_capabilities: ClassVar[frozenset[str]] = frozenset({"native_ttl", "transactions"})
    secret_fields: ClassVar[frozenset[str]] = BackendStorage.secret_fields | {"client", "http_client"}
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
        """``redis://`` / ``rediss://`` go straight to redis-py; ``upstash://:TOKEN@host`` is Upstash's REST API.

        ``upstash://:TOKEN@<db>.upstash.io`` means ``https://<db>.upstash.io`` with that token (REST);
        ``?transport=redis`` means its TLS Redis endpoint instead (``rediss://...:6379``, the token as password);
        ``upstash+http://:TOKEN@127.0.0.1:8079`` is plain HTTP, for a local stand-in of the REST API.
        """
        lowered = url.lower()
        if lowered.startswith(("upstash://", "upstash+http://")):
            parts = urlsplit(url)
            token = unquote(parts.password or parts.username or "")
            config.setdefault("token", token or None)
            query = dict(parse_qsl(parts.query))
            transport = config.setdefault("transport", query.get("transport", "auto"))
            host = parts.hostname or ""
            if transport == "redis":
                url = f"rediss://{host}:{parts.port or 6379}"
            else:
                scheme = "http" if lowered.startswith("upstash+http://") else "https"
                url = f"{scheme}://{host}" + (f":{parts.port}" if parts.port else "")
        return cls(url=url, **config)

    async def diagnose(self) -> list[Finding]:
        """Redis version, eviction policy (an evicting policy loses records) and persistence (``mastra doctor``)."""
        await self.connect()
        client = self.connection.client
        info = await client.info("server")
        out = [Finding(check="server.version", severity="ok", message=f"Redis {info.get('redis_version', '?')}")]
        try:
            policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy")
        except Exception:  # Upstash and managed servers refuse CONFIG GET: say so rather than fail
            policy = None
        if policy is None:
            out.append(Finding(check="server.eviction", severity="info",
                               message="the eviction policy cannot be read (CONFIG GET refused)",
                               fix="make sure the server's maxmemory-policy is noeviction"))
        elif policy != "noeviction":
            out.append(Finding(check="server.eviction", severity="error",
                               message=f"maxmemory-policy is {policy}: Redis may evict threads and messages",
                               fix="CONFIG SET maxmemory-policy noeviction (and in redis.conf)"))
        else:
            out.append(Finding(check="server.eviction", severity="ok", message="maxmemory-policy noeviction"))
        return out

    async def _read_expiry(self, kind: str, keys: Sequence[tuple[str, ...]]) -> dict[tuple[str, ...], Any]:
        from . import expiry

        return await expiry.read(self.connection, kind, keys)

    async def _write_expiry(self, kind: str, expiries: Mapping[tuple[str, ...], Any]) -> None:
        from . import expiry

        await expiry.write(self.connection, kind, expiries)

    async def migration_plan(self) -> list[str] | None:
        """Nothing to migrate: keys and indexes are written with the records (the key layout is
        :data:`~mastra_upstash.schema.LAYOUT_VERSION`); ``[]``."""
        await self.connect()
        return []

    async def schema_version(self) -> int | None:
        """The key layout version this release reads and writes (nothing is stored: there is no schema to create)."""
        from .schema import LAYOUT_VERSION

        return LAYOUT_VERSION
