"""The parked connection (``PgConnection._park``): the last idle connection kept between attempts.

What must hold: a statement cancelled or timed out mid-flight, or one that failed, never leaves a broken connection
parked or reused; no connection is leaked (every one goes back to the pool once the store is idle); a caller
waiting on an exhausted pool gets the parked connection within a tick; one the server dropped while parked is
replaced, not used.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import psycopg
import pytest
from mastra_core.errors import StorageError
from mastra_core.records import Thread
from mastra_pg.connection import PARK_TICK
from mastra_pg.roundtrips import RoundTripProxy
from psycopg.conninfo import conninfo_to_dict, make_conninfo


async def _through_proxy(pg_url: str, make_store: Any, proxy: RoundTripProxy, **options: Any) -> Any:
    params = conninfo_to_dict(pg_url)
    params.update(host="127.0.0.1", port=str(proxy.port))
    return await make_store(connection_string=make_conninfo(**params), **options)


def _proxy(pg_url: str) -> RoundTripProxy:
    params = conninfo_to_dict(pg_url)
    return RoundTripProxy(params.get("host", "127.0.0.1"), int(params.get("port", 5432)))


async def _all_back(store: Any) -> None:
    """Wait until the store is idle and every connection is back in the pool (none leaked, none parked)."""
    pool = store.pool
    for _ in range(100):
        await asyncio.sleep(PARK_TICK)
        stats = pool.get_stats()
        if store.connection._parked is None and stats["pool_available"] == stats["pool_size"]:
            return
    raise AssertionError(f"connections not returned: {pool.get_stats()}")


async def test_sequential_ops_reuse_the_parked_connection_and_return_it_when_idle(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r"))
    parked = store.connection._parked
    assert parked is not None and not parked.closed
    for _ in range(3):
        assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
        assert store.connection._parked is parked  # the same connection, taken and parked again
    await _all_back(store)


async def test_a_statement_cancelled_mid_flight_never_leaves_a_broken_connection(pg_url: str,
                                                                               make_store: Any) -> None:
    async with _proxy(pg_url) as proxy:
        store = await _through_proxy(pg_url, make_store, proxy, min_pool_size=1, max_pool_size=1)
        mem = store.memory
        await mem.save_thread(thread=Thread(id="t", resource_id="r", title="before"))
        used = store.connection._parked
        assert used is not None
        proxy.stall()  # the statement goes out, no reply comes
        task = asyncio.ensure_future(mem.save_thread(thread=Thread(id="t", resource_id="r", title="cancelled")))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert used.closed  # its outcome unknown mid-reply: closed, not parked, not reused
        assert store.connection._parked is None
        proxy.heal()
        thread = await mem.get_thread_by_id(thread_id="t")  # a fresh connection from the pool
        assert thread is not None and thread.title in ("before", "cancelled")
        assert store.connection._parked is not used
        saved = await mem.save_thread(thread=Thread(id="t", resource_id="r", title="after"))
        assert saved.title == "after" and (await mem.get_thread_by_id(thread_id="t")).title == "after"
        await _all_back(store)


async def test_a_statement_past_its_deadline_never_leaves_a_broken_connection(pg_url: str, make_store: Any,
                                                                              statement_deadline: Any) -> None:
    async with _proxy(pg_url) as proxy:
        store = await _through_proxy(pg_url, make_store, proxy, min_pool_size=1, max_pool_size=2)
        mem = store.memory
        await mem.save_thread(thread=Thread(id="t", resource_id="r"))
        used = store.connection._parked
        proxy.stall()
        with pytest.raises(StorageError, match="operation_timeout=0.3"), statement_deadline(store, 0.3):
            await mem.get_thread_by_id(thread_id="t")
        assert used is not None and used.closed and store.connection._parked is None
        proxy.heal()
        assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
        await _all_back(store)


async def test_failed_statements_leave_a_clean_reusable_connection(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
    conn = store.connection
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    with pytest.raises(psycopg.errors.UndefinedTable):
        await conn.fetch("SELECT * FROM no_such_table_here")
    with pytest.raises(psycopg.errors.DivisionByZero):  # inside a transaction: rolled back before parking
        await conn.tx(lambda c: c.execute("SELECT 1 / 0"))
    parked = conn._parked
    assert parked is not None and parked.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert (await conn.fetchone("SELECT 41 + 1"))[0] == 42
    assert (await store.memory.get_thread_by_id(thread_id="t")).id == "t"
    await _all_back(store)


async def test_a_caller_waiting_on_an_exhausted_pool_gets_the_parked_connection(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1, pool_timeout=5)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    assert store.connection._parked is not None
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with store.pool.connection() as conn:  # the only connection is parked: handed back within a tick
        assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
    assert loop.time() - started < 1.0
    # and the store, competing with such a caller, still gets it back
    async def caller() -> None:
        for _ in range(5):
            async with store.pool.connection() as c:
                await c.execute("SELECT 1")

    async def ops() -> None:
        for _ in range(5):
            await store.memory.get_thread_by_id(thread_id="t")

    await asyncio.wait_for(asyncio.gather(caller(), ops()), 10)
    await _all_back(store)


async def test_a_parked_connection_the_server_dropped_is_replaced(pg_url: str, make_store: Any,
                                                                  terminate: Any) -> None:
    app = f"mastra-park-{uuid.uuid4().hex[:6]}"
    store = await make_store(application_name=app, min_pool_size=1, max_pool_size=1)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r"))
    parked = store.connection._parked
    assert parked is not None
    await terminate(app)
    assert (await mem.get_thread_by_id(thread_id="t")).id == "t"
    assert store.connection._parked is not parked
    await _all_back(store)


async def test_close_returns_the_parked_connection(make_store: Any) -> None:
    store = await make_store(min_pool_size=1, max_pool_size=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    parked = store.connection._parked
    assert parked is not None
    await store.close()
    assert store.connection._parked is None and parked.closed and store.pool.closed
