"""A TCP proxy in front of MariaDB that counts the commands clients send: round trips, counted on the wire (the
plugin's round-trip tests and ``bench/bench_round_trips.py`` use it; the store itself never does).

The client/server protocol is strictly request/reply: a client sends one command (a packet with sequence number
0) and reads the whole answer before sending the next one, so commands sent = round trips. A multi-statement text
is one COM_QUERY, one round trip; the server's ``Questions`` counter would count its statements instead.
"""

from __future__ import annotations

import asyncio
import contextlib

#: Command bytes worth naming in a failure message.
NAMES = {0x01: "QUIT", 0x03: "QUERY", 0x0E: "PING", 0x16: "STMT_PREPARE", 0x17: "STMT_EXECUTE"}


class WireCounter:
    """Forwards ``127.0.0.1:<port>`` to the server; ``commands`` lists every command sent since :meth:`reset`,
    as ``(name, first 60 characters of its text)``."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.commands: list[tuple[str, str]] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on a free local port (:attr:`port`)."""
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut every forwarded connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def reset(self) -> None:
        """Forget the commands counted so far."""
        self.commands.clear()

    @property
    def trips(self) -> int:
        """Round trips since :meth:`reset` (a pool's idle check would show up as PING: none is expected)."""
        return len(self.commands)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        tasks = {asyncio.ensure_future(self._pump(reader, up_writer, count=True)),
                 asyncio.ensure_future(self._pump(up_reader, writer, count=False))}
        self._tasks |= tasks
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
        self._tasks -= tasks
        for w in (writer, up_writer):
            w.close()

    async def _pump(self, src: asyncio.StreamReader, dst: asyncio.StreamWriter, *, count: bool) -> None:
        buf = b""
        while True:
            data = await src.read(65536)
            if not data:
                return
            dst.write(data)
            await dst.drain()
            if not count:
                continue
            buf += data
            while len(buf) >= 4:
                size = int.from_bytes(buf[:3], "little")
                if len(buf) < 4 + size:
                    break
                seq, payload = buf[3], buf[4:4 + size]
                buf = buf[4 + size:]
                if seq == 0 and payload:  # a new command (the handshake's packets have later sequence numbers)
                    self.commands.append((NAMES.get(payload[0], hex(payload[0])),
                                          payload[1:61].decode("utf-8", "replace")))
