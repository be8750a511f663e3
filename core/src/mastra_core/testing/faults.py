"""A loopback chaos proxy: a TCP proxy between a client and its server that counts round trips and injects faults.

Every time a client starts sending after the server last spoke (or for the first time) is one round trip,
however many statements a pipeline carries, so it measures what goes over the wire rather than what the code
meant to send. On top of counting, a test arms one fault at a time:

- :meth:`ChaosProxy.cut_request` - the next request reaches the server only in part, then both sides are cut;
- :meth:`ChaosProxy.lose_reply` - request number ``k`` (from now) reaches the server whole, the server's reply is
  swallowed and both sides are cut: the write committed, the client never heard (a lost reply);
- :meth:`ChaosProxy.stall` - nothing moves any more (connections stay open, new ones are accepted and hang);
- :meth:`ChaosProxy.trickle` - the server's replies reach the client one byte at a time, slowly;
- :meth:`ChaosProxy.stop_listening` - connection refused;
- :meth:`ChaosProxy.kill_connections` - the server side of every session goes away (both sides closed).

:meth:`ChaosProxy.heal` clears every fault. Runs in the test's own event loop; imports nothing but asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["ChaosProxy"]

#: Seconds between two bytes of a trickled reply.
TRICKLE_DELAY = 0.05


class ChaosProxy:
    """A counting, fault-injecting TCP proxy on 127.0.0.1.

    ``async with ChaosProxy("127.0.0.1", 5432) as proxy:`` then connect to ``proxy.port``; read ``proxy.count``.
    """

    def __init__(self, host: str, port: int, *, on_trip: Callable[[], Any] | None = None) -> None:
        self.host = host
        self.upstream_port = port
        self.count = 0
        self.on_trip = on_trip
        self.port = 0
        #: How many one-shot faults fired so far (a test checks its fault really happened).
        self.fired = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []
        self._moving = asyncio.Event()
        self._moving.set()
        self._trickle = False
        self._armed: tuple[str, int] | None = None

    # ------------------------------------------------------------------ faults

    def cut_request(self, trip: int = 1) -> None:
        """Forward only the first half of request number ``trip`` (1 = the next one), then close both sides."""
        self._armed = ("cut", trip)

    def lose_reply(self, trip: int = 1) -> None:
        """Forward request number ``trip`` (1 = the next one) whole, swallow its reply, then close both sides."""
        self._armed = ("lose", trip)

    def stall(self) -> None:
        """Stop forwarding anything (both directions, every connection, new ones too) until :meth:`heal`."""
        self._moving.clear()

    def trickle(self) -> None:
        """Deliver the server's bytes one at a time, ``TRICKLE_DELAY`` apart, until :meth:`heal`."""
        self._trickle = True

    def heal(self) -> None:
        """Clear every armed or running fault (a stall resumes; refused connections need :meth:`resume_listening`)."""
        self._armed = None
        self._trickle = False
        self._moving.set()

    @property
    def armed(self) -> bool:
        """Whether a one-shot fault is still waiting for its request."""
        return self._armed is not None

    def _due(self) -> str | None:
        """Count one request against the armed fault; its kind when this request is the one."""
        if self._armed is None:
            return None
        kind, left = self._armed
        if left > 1:
            self._armed = (kind, left - 1)
            return None
        self._armed = None
        return kind

    # ------------------------------------------------------------------ proxying

    async def start(self) -> int:
        """Listen on a free local port; returns it."""
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.append(writer)
        await self._moving.wait()
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers.append(up_writer)
        state: dict[str, Any] = {"last": "server", "swallow": False}

        def cut() -> None:
            self.fired += 1
            writer.transport.abort()
            up_writer.transport.abort()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                await self._moving.wait()
                if state["last"] != "client":
                    self.count += 1
                    if self.on_trip is not None:
                        self.on_trip()
                    fault = self._due()
                    if fault == "cut":
                        up_writer.write(data[: len(data) // 2])
                        await up_writer.drain()
                        cut()
                        return
                    if fault == "lose":
                        state["swallow"] = True
                state["last"] = "client"
                up_writer.write(data)
                await up_writer.drain()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                await self._moving.wait()
                if state["swallow"]:
                    cut()  # the server answered, so it has the whole request: the reply is lost
                    return
                state["last"] = "server"
                if self._trickle:
                    for i in range(len(data)):
                        await asyncio.sleep(TRICKLE_DELAY)
                        writer.write(data[i : i + 1])
                        await writer.drain()
                else:
                    writer.write(data)
                    await writer.drain()

        async def pump(job: Callable[[], Any], dst: asyncio.StreamWriter) -> None:
            try:
                await job()
            except (ConnectionError, OSError):
                pass
            finally:
                try:
                    dst.close()
                except Exception:  # already closed
                    pass

        for coro in (pump(client_to_server, up_writer), pump(server_to_client, writer)):
            task = asyncio.ensure_future(coro)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def stop_listening(self) -> None:
        """Refuse new connections (as a server that is down would), keeping the port for :meth:`resume_listening`."""
        if self._server is not None:
            self._server.close()  # not wait_closed(): it would wait for the open sessions to end
            self._server = None

    async def resume_listening(self) -> None:
        """Accept connections again on the same port."""
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    def kill_connections(self) -> None:
        """Drop every proxied connection abruptly, both sides (the server killed the session, as the client sees it)."""
        for w in self._writers:
            try:
                w.transport.abort()
            except Exception:  # already gone
                pass
        self._writers.clear()

    async def close(self) -> None:
        """Drop every connection and stop listening."""
        self.heal()
        self.kill_connections()
        if self._server is not None:
            self._server.close()
            self._server = None
        for task in list(self._tasks):
            task.cancel()

    async def __aenter__(self) -> ChaosProxy:
        """Start the proxy."""
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        """Close the proxy."""
        await self.close()
