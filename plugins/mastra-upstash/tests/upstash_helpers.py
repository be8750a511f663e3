"""Fixtures and tools of the Upstash-only tests: real Redis (MASTRA_TEST_REDIS_URL), unique prefixes, a command
recorder on the client's connections, and a TCP proxy that can cut a connection mid-request."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

ENV = "MASTRA_TEST_REDIS_URL"


def redis_url() -> str:
    url = os.environ.get(ENV)
    if not url:
        raise RuntimeError(f"{ENV} is not set: run `bash scripts/services/start.sh redis` and export what it prints")
    return url


REST_ENV = ("MASTRA_TEST_UPSTASH_REST_URL", "MASTRA_TEST_UPSTASH_REST_TOKEN", "MASTRA_TEST_UPSTASH_REST_REDIS_URL")


def rest_env() -> tuple[str, str]:
    """The REST stand-in's URL and token (``bash scripts/services/start.sh upstash-rest`` prints them)."""
    url, token = (os.environ.get(REST_ENV[0], ""), os.environ.get(REST_ENV[1], ""))
    if not url or not token:
        raise RuntimeError(f"{REST_ENV[0]}/{REST_ENV[1]} are not set: run "
                           "`bash scripts/services/start.sh upstash-rest` and export what it prints")
    return url, token


def backing_redis_url(transport: str) -> str:
    """The Redis a store of ``transport`` ends up in (the stand-in serves its own DB number)."""
    if transport == "rest":
        url = os.environ.get(REST_ENV[2], "")
        if not url:
            raise RuntimeError(f"{REST_ENV[2]} is not set: run `bash scripts/services/start.sh upstash-rest`")
        return url
    return redis_url()


def recording_http_client(recorder: Recorder) -> Any:
    """An ``httpx.AsyncClient`` reporting each REST request's command names to ``recorder`` (one trip each)."""
    import json

    import httpx

    async def on_request(request: httpx.Request) -> None:
        body = json.loads(request.content or b"[]")
        rows = body if request.url.path.rstrip("/") in ("/pipeline", "/multi-exec") else [body]
        recorder.trips.append([str(row[0]).upper() for row in rows])

    return httpx.AsyncClient(event_hooks={"request": [on_request]})


def new_prefix() -> str:
    return f"mastra-test:{uuid.uuid4().hex[:12]}:"


class Recorder:
    """What the client sent: one list of command names per round trip (a pipeline is one trip)."""

    def __init__(self) -> None:
        self.trips: list[list[str]] = []
        self.pending: list[str] = []

    def reset(self) -> None:
        self.trips.clear()
        self.pending.clear()

    @property
    def commands(self) -> list[str]:
        return [c for trip in self.trips for c in trip]


def recording_client(url: str, recorder: Recorder, **kw: Any) -> Any:
    """A redis.asyncio client whose connections report every command and round trip to ``recorder``."""

    class RecordingConnection(redis.Connection):
        def pack_command(self, *args: Any) -> Any:
            recorder.pending.append(_name(args))
            return super().pack_command(*args)

        async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
            recorder.trips.append(list(recorder.pending))
            recorder.pending.clear()
            await super().send_packed_command(command, check_health)

    pool = redis.ConnectionPool.from_url(url, connection_class=RecordingConnection, decode_responses=True,
                                         health_check_interval=0, **kw)
    return redis.Redis(connection_pool=pool)


def _name(args: Any) -> str:
    first = args[0]
    name = first.decode() if isinstance(first, bytes) else str(first)
    return name.split(" ")[0].upper()


async def drop_prefix(client: Any, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(match=prefix.replace("*", "\\*") + "*", count=1000)]
    for i in range(0, len(keys), 500):
        await client.unlink(*keys[i:i + 500])



class CuttingProxy:
    """A TCP proxy to Redis that can cut a connection half-way through the next request, or after the
    request went through but before its reply; once cut, it refuses every new connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.mode = "pass"
        self.cut = False
        self.server: asyncio.AbstractServer | None = None
        self.forwarded_requests = 0
        #: after a cut, accept new connections again (to let a client's retry through)
        self.reconnect = False
        #: "drop-reply" waits for a request containing these bytes (any request when empty)
        self.match = b""
        self.writers: set[asyncio.StreamWriter] = set()
        #: connections accepted so far (keep-alive: one per concurrent request, reused afterwards)
        self.connections = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"

    @property
    def http_url(self) -> str:
        """The proxy as the REST endpoint (when it fronts the REST stand-in)."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def close_connections(self) -> None:
        """Close every proxied connection now (as a server closing idle connections would)."""
        for writer in list(self.writers):
            writer.close()
        self.writers.clear()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, cr: asyncio.StreamReader, cw: asyncio.StreamWriter) -> None:
        if self.cut:
            cw.close()
            return
        sr, sw = await asyncio.open_connection(self.host, self.port)
        self.writers.update((cw, sw))
        self.connections += 1

        def close_all() -> None:
            if self.mode in ("cut-request", "dropping"):
                self.cut = not self.reconnect
                if self.reconnect:
                    self.mode = "pass"
            cw.close()
            sw.close()

        async def upstream() -> None:
            try:
                while data := await cr.read(1 << 20):
                    if self.mode == "cut-request":
                        sw.write(data[: len(data) // 2])
                        await sw.drain()
                        close_all()
                        return
                    if self.mode == "drop-reply" and self.match in data:
                        self.mode = "dropping"  # before writing: the reply may come back at once
                    sw.write(data)
                    await sw.drain()
                    self.forwarded_requests += 1
            except (ConnectionError, OSError):
                pass
            close_all()

        async def downstream() -> None:
            try:
                while data := await sr.read(1 << 20):
                    if self.mode == "dropping":
                        close_all()
                        return
                    cw.write(data)
                    await cw.drain()
            except (ConnectionError, OSError):
                pass
            close_all()

        await asyncio.gather(upstream(), downstream())


def no_retry_client(url: str) -> Any:
    """A client that surfaces a dropped connection at once (redis-py would otherwise retry 3 times)."""
    return redis.Redis.from_url(url, decode_responses=True, retry=Retry(NoBackoff(), 0), health_check_interval=0)
