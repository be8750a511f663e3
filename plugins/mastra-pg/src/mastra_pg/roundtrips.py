"""Helpers for tests and benchmarks: a TCP proxy that counts real client/server round trips.

Every time a client starts sending after the server last spoke (or for the first time) is one round
trip, however many statements a pipeline carries. ``RoundTripProxy`` sits between psycopg and the
server, so it measures what goes over the wire rather than what the code meant to send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class RoundTripProxy:
    """A counting TCP proxy.

    ``async with RoundTripProxy("127.0.0.1", 5432) as proxy:`` then connect to ``proxy.port``; read ``proxy.count``.
    """

    def __init__(self, host: str, port: int, *, on_trip: Callable[[], Any] | None = None) -> None:
        self.host = host
        self.upstream_port = port
        self.count = 0
        self.on_trip = on_trip
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        """Listen on a free local port; returns it."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            writer.close()
            return
        self._writers += [writer, up_writer]
        state = {"last": "server"}

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, side: str) -> None:
            try:
                while data := await src.read(65536):
                    if side == "client" and state["last"] != "client":
                        self.count += 1
                        if self.on_trip is not None:
                            self.on_trip()
                    state["last"] = side
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    dst.close()
                except Exception:  # already closed
                    pass

        for coro in (pump(reader, up_writer, "client"), pump(up_reader, writer, "server")):
            task = asyncio.ensure_future(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop_listening(self) -> None:
        """Refuse new connections (as a server that is down would), keeping the port for :meth:`resume_listening`."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def resume_listening(self) -> None:
        """Accept connections again on the same port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    def kill_connections(self) -> None:
        """Drop every proxied connection abruptly (a network failure, as the client sees it)."""
        for w in self._writers:
            try:
                w.transport.abort()
            except Exception:  # already gone
                pass
        self._writers.clear()

    async def close(self) -> None:
        """Drop every connection and stop listening."""
        self.kill_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> RoundTripProxy:
        """Start the proxy."""
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Close the proxy."""
        await self.close()
