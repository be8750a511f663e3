"""libpq's socket kept registered with the event loop between statements (``mastra_pg.lean._Watch``).

What must hold: statements reuse one registration (no add and remove around every wait); what is registered is a
duplicate descriptor, so a number libpq or psycopg closes behind our back can be reused by anyone without asyncio
believing it still has that key; the registration is gone (unregistered, the duplicate closed) after the store
closes, when the server hangs up on the idle parked connection (no busy loop on the readable socket), after a
connection lost mid-statement, and after psycopg's own waits used the connection; and the loop keeps no key of ours.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import psycopg
import pytest
from mastra_core.records import Thread
from mastra_pg import lean


def _watches(loop: asyncio.AbstractEventLoop) -> dict[int, Any]:
    """The loop's selector keys whose reader is a watch's: descriptor -> the watch."""
    out = {}
    for fd, key in loop._selector.get_map().items():  # type: ignore[attr-defined]
        reader = key.data[0]
        owner = getattr(getattr(reader, "_callback", None), "__self__", None)
        if isinstance(owner, lean._Watch):
            out[fd] = owner
    return out


def _parked_watch(store: Any) -> Any:
    parked = store.connection._parked
    assert parked is not None
    return parked, parked._mastra_lean.watch


async def test_statements_reuse_one_registration_of_a_duplicate_descriptor(make_store: Any) -> None:
    loop = asyncio.get_running_loop()
    store = await make_store(min_pool_size=1, max_pool_size=1)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r"))
    parked, watch = _parked_watch(store)
    handle, fd = watch.handle, watch.fd
    assert handle is not None and not handle.cancelled()
    assert fd >= 0 and fd != parked.pgconn.socket  # a duplicate of libpq's descriptor, not libpq's own
    for _ in range(20):
        assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
    assert watch.handle is handle and watch.fd == fd  # registered once for all twenty
    assert _watches(loop) == {fd: watch}
    await store.close()
    assert watch.handle is None and watch.fd == -1 and _watches(loop) == {}


async def test_the_server_hanging_up_on_the_parked_connection_unregisters_it(make_store: Any,
                                                                            terminate: Any) -> None:
    loop = asyncio.get_running_loop()
    app = f"mastra-watch-{uuid.uuid4().hex[:6]}"
    store = await make_store(application_name=app, min_pool_size=1, max_pool_size=1)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r"))
    parked, watch = _parked_watch(store)
    fires = 0
    fire = watch.fire

    def counted() -> None:
        nonlocal fires
        fires += 1
        fire()

    watch.handle._callback = counted  # (the registered handle's callback, counted)
    await terminate(app)
    await asyncio.sleep(0.3)  # the loop turns many times meanwhile: a still-registered EOF would fire on each turn
    assert fires == 1 and watch.handle is None and watch.fd == -1 and _watches(loop) == {}
    assert (await mem.get_thread_by_id(thread_id="t")).id == "t"  # on a fresh connection
    assert store.connection._parked is not parked


async def test_a_connection_lost_mid_statement_leaves_no_registration(make_store: Any, terminate: Any) -> None:
    loop = asyncio.get_running_loop()
    app = f"mastra-watch-{uuid.uuid4().hex[:6]}"
    store = await make_store(application_name=app, min_pool_size=1, max_pool_size=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    parked, watch = _parked_watch(store)
    sleeping = asyncio.ensure_future(store.connection.execute("SELECT pg_sleep(5)", idempotent=False))
    for _ in range(100):  # until our statement is waiting for its reply
        await asyncio.sleep(0.02)
        if watch.fut is not None:
            break
    assert watch.fut is not None
    await terminate(app)
    with pytest.raises(psycopg.OperationalError):
        await asyncio.wait_for(sleeping, 10)
    assert watch.handle is None and watch.fd == -1 and _watches(loop) == {}
    assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
    assert len(_watches(loop)) == 1  # the fresh connection's


async def test_psycopg_waits_on_the_connection_between_statements(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1, operation_timeout=5)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r", title="a"))
    parked, _ = _parked_watch(store)

    async def by_psycopg(conn: Any) -> Any:  # a transaction through psycopg's cursor: its own waits on the socket
        assert conn is parked
        cur = await conn.execute("SELECT 1")
        return await cur.fetchone()

    for k in range(5):
        assert await asyncio.wait_for(store.connection.tx(by_psycopg), 10) == (1,)
        thread = await asyncio.wait_for(mem.update_thread(id="t", title=f"t{k}"), 10)
        assert thread.title == f"t{k}"
        assert (await asyncio.wait_for(mem.get_thread_by_id(thread_id="t"), 10)).title == f"t{k}"


async def test_a_descriptor_closed_behind_our_back_is_free_for_the_next_socket(make_store: Any) -> None:
    """libpq's number, closed without :func:`lean.release` (as libpq does on a lost connection), is reused by the
    next socket; a reader added for that socket is called (with libpq's own number registered, asyncio would
    take it for the key it has and never poll the new socket)."""
    loop = asyncio.get_running_loop()
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    parked, watch = _parked_watch(store)
    number = parked.pgconn.socket
    parked.pgconn.finish()  # libpq closes its socket; our registration stays, on the duplicate
    left, right = socket.socketpair()
    try:
        assert number in (left.fileno(), right.fileno())  # the lowest free numbers: libpq's is reused
        reused = left if left.fileno() == number else right
        other = right if reused is left else left
        called = loop.create_future()
        loop.add_reader(reused.fileno(), lambda: called.done() or called.set_result(True))
        other.send(b"x")
        assert await asyncio.wait_for(called, 2)
        loop.remove_reader(reused.fileno())
    finally:
        left.close()
        right.close()
    # the duplicate stays registered until the server's hang-up (libpq sent it Terminate) is read, or the release
    assert set(_watches(loop)) <= {watch.fd}
    lean.release(parked)
    assert _watches(loop) == {}


async def test_one_wait_per_statement_however_long_the_server_takes(make_store: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The loop polls again before a woken statement runs; the watch has read the reply by then, so that poll does
    not report it again and wake the statement's next wait before its reply."""
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    waits = 0
    readable = lean._Watch.readable

    async def counted(self: Any, pgconn: Any, loop: Any) -> None:
        nonlocal waits
        waits += 1
        await readable(self, pgconn, loop)

    monkeypatch.setattr(lean._Watch, "readable", counted)
    for _ in range(20):  # the reply comes ~5 ms after the statement, in one packet (never prepared: one round trip)
        assert await store.connection.fetch("SELECT pg_sleep(0.005)", prepare=False) == [("",)]
    assert waits == 20


async def test_a_reply_in_many_packets_wakes_its_statement_once(make_store: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The server sends a long reply 8 KB at a time; the watch reads each part as it comes and wakes the waiting
    statement only once libpq holds a whole result (a page of twenty 2.6 KB snapshots: 7 parts, 1 wakeup)."""
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    fires = waits = 0
    fire, readable = lean._Watch.fire, lean._Watch.readable

    def counted_fire(self: Any) -> None:
        nonlocal fires
        fires += 1
        fire(self)

    async def counted_wait(self: Any, pgconn: Any, loop: Any) -> None:
        nonlocal waits
        waits += 1
        await readable(self, pgconn, loop)

    monkeypatch.setattr(lean._Watch, "fire", counted_fire)
    monkeypatch.setattr(lean._Watch, "readable", counted_wait)
    lean.release(_parked_watch(store)[0])  # registered again, with the counted callback
    rows = await store.connection.fetch("SELECT repeat(md5(g::text), 64) FROM generate_series(1, 100) g",
                                        prepare=False)  # ~200 KB
    assert len(rows) == 100 and all(len(row[0]) == 2048 for row in rows)
    assert waits == 1 and fires > 3, (waits, fires)


async def test_concurrent_ops_cancelled_at_random_leave_no_registration_behind(make_store: Any) -> None:
    """Twelve tasks on a pool of four, every seventh op cancelled a fraction of a millisecond in (mid-statement,
    mostly): every op after still answers, at most the parked connection stays registered, none after close."""
    loop = asyncio.get_running_loop()
    store = await make_store(min_pool_size=2, max_pool_size=4, operation_timeout=10)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r", title="start"))
    cancelled = 0

    async def worker(k: int) -> None:
        nonlocal cancelled
        for i in range(30):
            if i % 7 == 0:
                try:
                    await asyncio.wait_for(mem.update_thread(id="t", title=f"{k}-{i}"), 0.0005)
                except TimeoutError:
                    cancelled += 1
            elif i % 3:
                assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
            else:
                assert (await mem.update_thread(id="t", title=f"{k}-{i}")).title == f"{k}-{i}"

    await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(12))), 60)
    assert cancelled > 0
    left = _watches(loop)
    assert len(left) <= 1 and all(w.fd == fd and not w.handle.cancelled() for fd, w in left.items())
    assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
    await store.close()
    assert _watches(loop) == {}
