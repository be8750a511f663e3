"""Round trips per operation, counted on the wire (``mastra_mysql.wire_counter``): DESIGN.md section 5's budget.

A transaction's START TRANSACTION and its deferred writes travel with its next statement, its COMMIT with what is
still queued (``connection.Tx``); a read of several statements is one multi-statement; the update_* read-modify-
writes merge in SQL (``merge.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from mastra_core.clock import utc_now
from mastra_core.records import Message, Thread
from mastra_mysql.harness import fault_upstream
from mastra_mysql.wire_counter import WireCounter


@pytest.fixture
async def counted(make_store: Any) -> AsyncIterator[tuple[Any, WireCounter]]:
    """A store on one pooled connection through the counting proxy."""
    proxy = WireCounter(*fault_upstream())
    await proxy.start()
    store = await make_store(host="127.0.0.1", port=proxy.port, min_pool_size=1, max_pool_size=1)
    yield store, proxy
    await store.close()
    await proxy.stop()


def _msgs(n: int, start: Any, prefix: str = "m") -> list[Message]:
    return [Message.from_text(f"text {i}", id=f"{prefix}{i}", thread_id="t", resource_id="r",
                              created_at=start + timedelta(milliseconds=i)) for i in range(n)]


async def test_every_memory_operation_meets_its_budget(counted: tuple[Any, WireCounter]) -> None:
    store, wire = counted
    mem = store.memory
    t0 = utc_now() - timedelta(hours=1)

    async def trips(coro: Any) -> int:
        wire.reset()
        await coro
        return wire.trips

    assert await trips(mem.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))) == 2
    assert await trips(mem.save_messages(messages=_msgs(300, t0))) == 1  # two INSERT chunks, the bump, COMMIT
    assert [c[1].split()[0] for c in wire.commands] == ["START"]
    assert await trips(mem.save_messages(messages=_msgs(10, t0 + timedelta(seconds=1), "n"))) == 1
    assert await trips(mem.get_thread_by_id(thread_id="t")) == 1
    newest = {"field": "created_at", "direction": "DESC"}
    page = mem.list_messages(thread_id="t", per_page=10, order_by=newest)
    assert await trips(page) == 1
    window = mem.list_messages(thread_id="t", per_page=0, include=[
        {"id": "m150", "with_previous_messages": 5, "with_next_messages": 5}])
    assert await trips(window) == 1
    wire.reset()
    got = await mem.list_messages(thread_id="t", per_page=5, order_by=newest, include=[
        {"id": "m150", "with_previous_messages": 2, "with_next_messages": 1},
        {"id": "m3", "with_previous_messages": 1}])
    assert wire.trips == 1 and got.total == 310
    assert [m.id for m in got.items] == [*(f"n{i}" for i in range(9, 4, -1)), "m151", "m150", "m149", "m148", "m3",
                                         "m2"]
    assert await trips(mem.list_threads(filter={"resource_id": "r"}, per_page=10)) == 1
    assert await trips(mem.list_threads(filter={"resource_id": "r", "metadata": {"a": 1}}, per_page=10)) == 1
    assert await trips(mem.delete_messages(message_ids=["m0", "m1"])) == 1
    assert (await mem.get_thread_by_id(thread_id="t")).updated_at > t0  # the bump went with the delete
    # read-modify-writes merged in SQL: UPDATE, ROW_COUNT() and the row read back, with START and COMMIT
    assert await trips(mem.update_thread(id="t", title="x", metadata={"a": 1})) == 1
    # a missing resource: the UPDATE matches nothing, then the general path creates it (FOR UPDATE read, write)
    assert await trips(mem.update_resource(resource_id="r", working_memory="wm")) == 1 + 2
    assert await trips(mem.update_resource(resource_id="r", working_memory="wm2", metadata={"k": [1]})) == 1
    assert await trips(mem.modify_thread(thread_id="t", change=lambda t: t)) == 2
    assert await trips(mem.delete_thread(thread_id="t")) == 1


async def test_workflow_updates_and_a_failing_deferred_write(counted: tuple[Any, WireCounter]) -> None:
    store, wire = counted
    wf = store.workflows
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", snapshot={"status": "running"})
    wire.reset()
    await wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s", result=1)
    await wf.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "success"})
    assert wire.trips == 1 + 1
    assert await wf.list_workflow_runs(workflow_name="w", per_page=5) is not None
    # a deferred write that fails surfaces from the send that carried it (here the COMMIT's), after earlier
    # statements of the same multi-statement ran: the transaction is rolled back, nothing of it stays
    from mastra_core import StorageError

    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r"))
    await store.memory.conn.tx(lambda tx: tx.execute("RENAME TABLE `mastra_threads` TO `gone_threads`"))
    try:
        with pytest.raises(StorageError):  # the messages' INSERT ran, the thread bump's UPDATE failed
            await mem.save_messages(messages=_msgs(3, utc_now()))
    finally:
        await store.memory.conn.tx(lambda tx: tx.execute("RENAME TABLE `gone_threads` TO `mastra_threads`"))
    assert (await mem.list_messages(thread_id="t")).total == 0
