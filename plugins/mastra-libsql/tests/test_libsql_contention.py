"""Many writers at once: 16 processes opening one fresh file, 8 clients on one sqld (one thread and many).

Each scenario runs 5 rounds (the file one, and the sqld one in each shape: one event loop, eight threads), so a
race that shows once in five runs fails the suite; on the CI machine the whole file takes about two minutes
(``MASTRA_LIBSQL_CONTENTION_ROUNDS`` and ``MASTRA_LIBSQL_SQLD_CONTENTION_ROUNDS`` change the counts). Nothing
may be lost or applied twice, and no error may escape, while the machine is busy (the sqld tests start their own
CPU burner process).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from mastra_core import Resource
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.harness import server_url, sqld_harness

FILE_PROCESSES = 16
FILE_WRITES = 100
FILE_ROUNDS = int(os.environ.get("MASTRA_LIBSQL_CONTENTION_ROUNDS", "5"))
SQLD_CLIENTS = 8
SQLD_WRITES = 100
SQLD_ROUNDS = int(os.environ.get("MASTRA_LIBSQL_SQLD_CONTENTION_ROUNDS", "5"))


def _msg(thread_id: str, writer: int, i: int) -> Message:
    return Message(id=f"w{writer}-{i}", role="user", thread_id=thread_id, resource_id="r",
                   content=MessageContent(parts=[TextPart(text=f"{writer}:{i}")]))


def _append(resource: Resource | None, entry: str) -> Resource:
    """The resource with ``entry`` appended to the JSON list in its working memory (a read-modify-write)."""
    if resource is None:
        return Resource(id="log", working_memory=json.dumps([entry]))
    return attrs.evolve(resource, working_memory=json.dumps([*json.loads(resource.working_memory or "[]"), entry]))


async def _write(store: LibSQLStore, thread_id: str, writer: int, i: int) -> None:
    """Write ``i`` of ``writer``: a message on even ``i``, an append to the shared log on odd ``i``."""
    if i % 2 == 0:
        await store.memory.save_messages(messages=[_msg(thread_id, writer, i)])
    else:
        await store.memory.modify_resource(resource_id="log", change=lambda old: _append(old, f"{writer}:{i}"))


async def _check(store: LibSQLStore, thread_id: str, writers: int, writes: int) -> None:
    """Every write landed exactly once, and the log keeps each writer's order."""
    page = await store.memory.list_messages(thread_id=thread_id, per_page=False)
    assert sorted(m.id for m in page.items) == sorted(
        f"w{w}-{i}" for w in range(writers) for i in range(0, writes, 2))
    log = await store.memory.get_resource_by_id(resource_id="log")
    assert log is not None
    entries = json.loads(log.working_memory or "[]")
    assert sorted(entries) == sorted(f"{w}:{i}" for w in range(writers) for i in range(1, writes, 2))  # no dupes
    for w in range(writers):  # one total order that agrees with each writer's own order
        mine = [int(e.split(":")[1]) for e in entries if e.split(":")[0] == str(w)]
        assert mine == sorted(mine)


# ---------------------------------------------------------------- many processes, one fresh file


def _file_writer(url: str, writer: int, barrier: Any) -> None:
    async def run() -> None:
        store = LibSQLStore(id=f"p{writer}", url=url)  # the defaults a user gets
        barrier.wait()  # every process opens the fresh file at the same moment
        async with store:
            await store.init()
            for i in range(FILE_WRITES):
                await _write(store, "shared", writer, i)

    asyncio.run(run())


async def _check_file(url: str) -> None:
    async with LibSQLStore(id="check", url=url) as store:
        await _check(store, "shared", FILE_PROCESSES, FILE_WRITES)


@pytest.mark.parametrize("round_", range(FILE_ROUNDS))
def test_many_processes_open_and_write_one_fresh_file(tmp_path: Path, round_: int) -> None:
    url = f"file:{tmp_path / f'fresh{round_}.db'}"
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["mastra_libsql", "mastra_libsql.domains.memory", "libsql"])
    barrier = ctx.Barrier(FILE_PROCESSES)
    procs = [ctx.Process(target=_file_writer, args=(url, w, barrier)) for w in range(FILE_PROCESSES)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(600)
    codes = [p.exitcode for p in procs]
    for p in procs:
        if p.exitcode is None:
            p.kill()
    assert codes == [0] * FILE_PROCESSES  # an error escaping (a lock at connect, at schema creation...) exits 1
    asyncio.run(_check_file(url))


# ---------------------------------------------------------------- many clients, one sqld, under CPU load


@pytest.fixture
def cpu_burner() -> Iterator[None]:
    """A process that keeps one core busy for the duration of the test."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        proc.kill()
        proc.wait(10)


@pytest.fixture
def sqld_namespace() -> Iterator[str]:
    """A table prefix of this test's own on the shared sqld, dropped afterwards."""
    namespace = f"contention_{uuid.uuid4().hex[:8]}"
    yield namespace
    asyncio.run(sqld_harness.cleanup(namespace))


def _sqld_store(namespace: str, writer: int) -> LibSQLStore:
    return LibSQLStore(id=f"c{writer}", url=server_url(), auth_token=os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN"),
                       table_prefix=f"{namespace}_")


async def _sqld_client(namespace: str, thread_id: str, writer: int) -> None:
    async with _sqld_store(namespace, writer) as store:
        for i in range(SQLD_WRITES):
            await _write(store, thread_id, writer, i)


async def _check_sqld(namespace: str, thread_id: str) -> None:
    async with _sqld_store(namespace, -1) as store:
        await _check(store, thread_id, SQLD_CLIENTS, SQLD_WRITES)


async def _prepare_sqld(namespace: str, thread_id: str) -> None:
    async with _sqld_store(namespace, -1) as store:
        await store.memory.save_thread(thread=Thread(id=thread_id, resource_id="r"))


@pytest.mark.usefixtures("cpu_burner")
@pytest.mark.parametrize("round_", range(SQLD_ROUNDS))
async def test_sqld_clients_on_one_event_loop(sqld_namespace: str, round_: int) -> None:
    thread_id = f"loop{round_}"
    await _prepare_sqld(sqld_namespace, thread_id)
    await asyncio.gather(*(_sqld_client(sqld_namespace, thread_id, w) for w in range(SQLD_CLIENTS)))
    await _check_sqld(sqld_namespace, thread_id)


@pytest.mark.usefixtures("cpu_burner")
@pytest.mark.parametrize("round_", range(SQLD_ROUNDS))
def test_sqld_clients_on_separate_threads(sqld_namespace: str, round_: int) -> None:
    thread_id = f"threads{round_}"
    asyncio.run(_prepare_sqld(sqld_namespace, thread_id))
    errors: list[BaseException] = []

    def client(writer: int) -> None:
        try:
            asyncio.run(_sqld_client(sqld_namespace, thread_id, writer))
        except BaseException as exc:  # reported below, with every other client's
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(SQLD_CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    asyncio.run(_check_sqld(sqld_namespace, thread_id))
