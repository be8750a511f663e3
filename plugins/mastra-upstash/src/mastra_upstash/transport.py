"""The two ways a store talks to Redis: the Redis protocol (redis-py) and Upstash's REST API (httpx).

Both offer the same five calls, so :class:`~mastra_upstash.connection.UpstashConnection` and every
domain run unchanged on either, with the same Lua scripts and keys and the same number of requests per
operation: a script call is one request (EVALSHA; the script is sent once more only when the server
answers NOSCRIPT), a batch of point reads is one request (a redis-py pipeline, or REST ``/pipeline``).

Driver errors stay inside this module: an invalid URL becomes a ``ConfigError``, a REST failure a
:class:`RestError` whose message never holds the token (the domain base class turns it into a
``StorageError``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from mastra_core.errors import ConfigError
from mastra_core.registry import import_optional

from .codec import text
from .config import UpstashConfig

#: Keep-alive connections of the REST client are closed after this many idle seconds (Upstash's edge
#: closes idle connections too; a reused dead one would cost a retry).
KEEPALIVE_SECONDS = 30.0


class Transport(Protocol):
    """What the connection needs from a transport (redis-py or REST)."""

    name: str

    async def open(self) -> None:
        """Make the client (no I/O)."""

    async def close(self) -> None:
        """Release the client, unless the caller owns it."""

    async def script(self, name: str, args: Sequence[str]) -> Any:
        """Run a registered script with no keys: one request (EVALSHA, EVAL on NOSCRIPT)."""

    async def call(self, *args: str) -> Any:
        """One command, one request."""

    async def pipeline(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """Several independent commands in one request (not atomic); a failed command raises."""

    async def multi_exec(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """Several commands in one request, applied atomically (MULTI ... EXEC); a failed command raises."""

    def scan(self, match: str, count: int) -> AsyncIterator[str]:
        """Every key matching ``match`` (admin/test paths only)."""


@asynccontextmanager
async def bound(config: UpstashConfig) -> AsyncIterator[None]:
    """At most ``operation_timeout`` (``socket_timeout``) seconds for one call, its retries included.

    Socket timeouts bound each read, not a reply that trickles in or a retry loop; this bounds the whole. A
    cancelled redis-py read drops its connection (the pool makes a new one), so no reply arrives out of turn.
    """
    limit = config.socket_timeout
    if limit is None:
        yield
        return
    try:
        async with asyncio.timeout(limit):
            yield
    except TimeoutError:
        raise TimeoutError(f"no answer within operation_timeout={limit} s") from None


class RestError(Exception):
    """A failure of Upstash's REST API: a refused command, an HTTP error or a network error."""


class RestAuthError(RestError):
    """HTTP 401: the token is missing, wrong or revoked."""


class RedisTransport:
    """redis-py's asyncio client with a blocking pool and jittered retries (or a client you own)."""

    name = "redis"

    def __init__(self, config: UpstashConfig, scripts: Mapping[str, str]) -> None:
        """Keep the config and the script sources; nothing connects here."""
        self.config = config
        self.sources = dict(scripts)
        self.client: Any = None
        self.scripts: dict[str, Any] = {}
        self._owns_client = False

    async def open(self) -> None:
        """Make the pool and client (or adopt ``config.client``) and register the scripts."""
        if self.client is not None:
            return
        client = self.config.client
        if client is None:
            client = self._make_client()
            self._owns_client = True
        self.client = client
        self.scripts = {name: client.register_script(src) for name, src in self.sources.items()}

    def _make_client(self) -> Any:
        redis = import_optional("redis.asyncio", "redis")
        from redis.asyncio.retry import Retry
        from redis.backoff import EqualJitterBackoff

        cfg = self.config
        try:
            # a blocking pool: more concurrent operations than connections wait for one instead of failing
            pool = redis.BlockingConnectionPool.from_url(
                cfg.redis_url(), decode_responses=True, max_connections=cfg.max_connections,
                timeout=cfg.socket_timeout, socket_timeout=cfg.socket_timeout,
                socket_connect_timeout=cfg.connect_timeout, socket_keepalive=True,
                retry=Retry(EqualJitterBackoff(cap=1.0, base=0.05), cfg.retries),
            )
        except ValueError as exc:
            # the message could quote the URL (and its password): only the error type is kept
            raise ConfigError(f"invalid upstash url: {type(exc).__name__}",
                              id="MASTRA_STORAGE_UPSTASH_CONFIG_INVALID") from None
        return redis.Redis.from_pool(pool)

    async def close(self) -> None:
        """Close the client if this transport made it; a caller-supplied client stays open."""
        client, self.client = self.client, None
        if client is not None and self._owns_client:
            await client.aclose()
        self._owns_client = False

    async def script(self, name: str, args: Sequence[str]) -> Any:
        """EVALSHA through redis-py's ``Script`` (which loads the script on NOSCRIPT)."""
        async with bound(self.config):
            return text(await self.scripts[name](keys=[], args=list(args)))

    async def call(self, *args: str) -> Any:
        """One command."""
        async with bound(self.config):
            return text(await self.client.execute_command(*args))

    async def pipeline(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """A non-transactional pipeline: one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for cmd in commands:
            pipe.execute_command(*cmd)
        async with bound(self.config):
            return [text(r) for r in await pipe.execute()]

    async def multi_exec(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """MULTI ... EXEC in one round trip."""
        pipe = self.client.pipeline(transaction=True)
        for cmd in commands:
            pipe.execute_command(*cmd)
        async with bound(self.config):
            return [text(r) for r in await pipe.execute()]

    async def scan(self, match: str, count: int) -> AsyncIterator[str]:
        """redis-py's SCAN iterator."""
        async for key in self.client.scan_iter(match=match, count=count):
            yield text(key)


class RestTransport:
    """Upstash's REST API over one pooled ``httpx.AsyncClient`` (HTTP keep-alive; or a client you own).

    Every request carries ``Authorization: Bearer <token>`` and ``Upstash-Encoding: base64``, so values
    come back base64 encoded and arrive byte for byte, whatever they hold. A network error or timeout
    is retried (``retries`` times, jittered backoff), as redis-py does on the Redis protocol: the
    scripts' write tokens make a replayed write harmless.
    """

    name = "rest"

    def __init__(self, config: UpstashConfig, scripts: Mapping[str, str]) -> None:
        """Keep the config, the script sources and their SHA-1s; nothing connects here."""
        self.config = config
        self.base_url = config.rest_url()
        self.sources = dict(scripts)
        self.shas = {name: hashlib.sha1(src.encode()).hexdigest() for name, src in self.sources.items()}
        self.http: Any = None
        self._owns_client = False
        self._headers = {"Authorization": f"Bearer {config.rest_token()}", "Upstash-Encoding": "base64",
                         "Content-Type": "application/json"}

    def __repr__(self) -> str:
        """The URL only (never the token)."""
        return f"RestTransport(url={self.base_url!r})"

    async def open(self) -> None:
        """Make the pooled client (no request is sent until the first command)."""
        if self.http is not None:
            return
        if self.config.http_client is not None:
            self.http = self.config.http_client
            return
        httpx = import_optional("httpx", "httpx")
        cfg = self.config
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(cfg.socket_timeout, connect=cfg.connect_timeout),
            limits=httpx.Limits(max_connections=cfg.max_connections, max_keepalive_connections=cfg.max_connections,
                                keepalive_expiry=KEEPALIVE_SECONDS),
        )
        self._owns_client = True

    async def close(self) -> None:
        """Close the client if this transport made it."""
        http, self.http = self.http, None
        if http is not None and self._owns_client:
            await http.aclose()
        self._owns_client = False

    async def script(self, name: str, args: Sequence[str]) -> Any:
        """EVALSHA; on NOSCRIPT (a server that has not seen the script yet) EVAL, which also caches it."""
        try:
            return await self.call("EVALSHA", self.shas[name], "0", *args)
        except RestError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
        return await self.call("EVAL", self.sources[name], "0", *args)

    async def call(self, *args: str) -> Any:
        """``POST /`` with the command as a JSON array."""
        reply = await self._post("", list(args))
        if not isinstance(reply, dict):
            raise RestError("upstash REST: unexpected reply shape")
        return _result(reply)

    async def pipeline(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """``POST /pipeline``: one request; the first failed command raises."""
        reply = await self._post("/pipeline", [list(c) for c in commands])
        if not isinstance(reply, list) or len(reply) != len(commands):
            raise RestError("upstash REST: unexpected pipeline reply shape")
        return [_result(r) for r in reply]

    async def multi_exec(self, commands: Sequence[Sequence[str]]) -> list[Any]:
        """``POST /multi-exec``: one atomic request; a discarded transaction or a failed command raises."""
        reply = await self._post("/multi-exec", [list(c) for c in commands])
        if not isinstance(reply, list) or len(reply) != len(commands):
            raise RestError("upstash REST: unexpected transaction reply shape")
        return [_result(r) for r in reply]

    async def scan(self, match: str, count: int) -> AsyncIterator[str]:
        """SCAN, one request per cursor step."""
        cursor = "0"
        while True:
            reply = await self.call("SCAN", cursor, "MATCH", match, "COUNT", str(count))
            cursor = str(reply[0])
            for key in reply[1]:
                yield key
            if cursor == "0":
                return

    async def _post(self, path: str, body: Any) -> Any:
        async with bound(self.config):
            return await self._post_unbounded(path, body)

    async def _post_unbounded(self, path: str, body: Any) -> Any:
        httpx = import_optional("httpx", "httpx")
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                resp = await self.http.post(url, content=payload, headers=self._headers)
                break
            except httpx.TransportError as exc:  # connect/read/write errors and timeouts
                if attempt >= self.config.retries:
                    raise RestError(f"upstash REST: {type(exc).__name__} talking to {self.base_url}") from None
                attempt += 1
                await asyncio.sleep(min(1.0, 0.05 * 2 ** attempt) * random.uniform(0.5, 1.0))
        if resp.status_code == 401:
            raise RestAuthError(f"upstash REST: 401 Unauthorized from {self.base_url}: the token was refused")
        try:
            data = resp.json()
        except ValueError:
            raise RestError(f"upstash REST: HTTP {resp.status_code} without a JSON body") from None
        if isinstance(data, dict) and "error" in data:
            raise RestError(str(data["error"]))
        if resp.status_code != 200:
            raise RestError(f"upstash REST: HTTP {resp.status_code}")
        return data


def _result(entry: Any) -> Any:
    """``{"result": ...}`` decoded, or the command's ``{"error": ...}`` raised."""
    if not isinstance(entry, dict):
        raise RestError("upstash REST: unexpected reply shape")
    if "error" in entry:
        raise RestError(str(entry["error"]))
    return _decode(entry.get("result"))


def _decode(value: Any) -> Any:
    """Undo ``Upstash-Encoding: base64``: every string but the ``OK`` status is base64.

    The bytes are UTF-8 for everything the store writes; anything else still round-trips losslessly
    (``surrogateescape``), so no reply is ever altered, which is why the transport asks for base64.
    """
    if isinstance(value, str):
        return value if value == "OK" else base64.b64decode(value).decode("utf-8", "surrogateescape")
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def make_transport(config: UpstashConfig, scripts: Mapping[str, str]) -> RedisTransport | RestTransport:
    """The transport ``config`` asks for (see ``UpstashConfig.transport_name``)."""
    if config.transport_name() == "rest":
        return RestTransport(config, scripts)
    return RedisTransport(config, scripts)
