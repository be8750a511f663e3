"""Connection errors are retried with backoff: a real TCP proxy in front of the real server drops connections."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from mastra_core import ErrorCategory, StorageError
from mastra_core import records as r

_MONITORING = {"hello", "ismaster", "isMaster", None}


def _command_name(data: bytes) -> str | None:
    """The command of an OP_MSG (opcode 2013) starting this chunk, or None."""
    import bson

    if len(data) < 21 or int.from_bytes(data[12:16], "little") != 2013 or data[20] != 0:
        return None
    size = int.from_bytes(data[21:25], "little")
    try:
        return next(iter(bson.decode(data[21:21 + size])), None)
    except Exception:
        return None


class DroppingProxy:
    """Forwards TCP to the server; ``drop_next(n)`` kills the next ``n`` connections that send a command
    (server monitoring's hello is never dropped, so only the store's operations see the failures)."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.to_drop = 0
        self.dropped = 0
        self.server: asyncio.base_events.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    def drop_next(self, n: int) -> None:
        self.to_drop = n

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, from_client: bool) -> None:
            try:
                while data := await src.read(65536):
                    if from_client and self.to_drop > 0 and _command_name(data) not in _MONITORING:
                        self.to_drop -= 1
                        self.dropped += 1
                        break  # the request never reaches the server; the client sees the connection die
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                for w in (writer, up_writer):
                    w.close()

        for coro in (pipe(reader, up_writer, True), pipe(up_reader, writer, False)):
            task = asyncio.create_task(coro)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(Exception):
                await self.server.wait_closed()


@pytest.fixture
async def proxy(uri: str) -> AsyncIterator[tuple[DroppingProxy, str]]:
    parts = urlsplit(uri)
    if "," in parts.netloc or parts.scheme != "mongodb":
        pytest.fail("the retry test needs a single-host mongodb:// server (jongodb or one mongod)")
    p = DroppingProxy(parts.hostname or "127.0.0.1", parts.port or 27017)
    port = await p.start()
    auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    yield p, f"mongodb://{auth}127.0.0.1:{port}/?directConnection=true"
    await p.stop()


# the driver's own single retry is switched off, so what recovers here is the store's backoff loop
NO_DRIVER_RETRY = {"retry_reads": False, "retry_writes": False, "server_selection_timeout_ms": 3000}


async def test_a_dropped_connection_is_retried(proxy: tuple[DroppingProxy, str], make_store: Any) -> None:
    p, uri = proxy
    store = await make_store(uri=uri, options=NO_DRIVER_RETRY, retry_base_delay_ms=10)
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    p.drop_next(2)
    assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
    p.drop_next(1)
    await store.memory.save_messages(messages=[r.Message.from_text("hi", id="m", thread_id="t", resource_id="res")])
    assert [m.id for m in await store.memory.list_messages(thread_id="t")] == ["m"]
    assert p.dropped == 3


async def test_retries_give_up_after_retry_attempts(proxy: tuple[DroppingProxy, str], make_store: Any) -> None:
    p, uri = proxy
    store = await make_store(uri=uri, options=NO_DRIVER_RETRY, retry_attempts=1, retry_base_delay_ms=10)
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    p.drop_next(5)
    with pytest.raises(StorageError) as info:
        await store.memory.get_thread_by_id(thread_id="t")
    assert info.value.category is ErrorCategory.THIRD_PARTY
    assert info.value.id == "MASTRA_STORAGE_MONGODB_GET_THREAD_BY_ID_FAILED"
    assert p.dropped == 2  # the first try and one retry
