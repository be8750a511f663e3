"""Transactions: concurrent writers on one thread keep one total order; a failed batch writes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from mastra_core import records as r
from mastra_core.errors import StorageError


def _message(mid: str, thread_id: str, at: datetime) -> r.Message:
    return r.Message(id=mid, role="user", thread_id=thread_id, resource_id="res", created_at=at,
                     content=r.MessageContent(parts=[r.TextPart(text=mid)]))


async def test_concurrent_writers_on_one_thread_keep_total_order(make_store: Any) -> None:
    store = await make_store()
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    same = datetime(2024, 1, 1, tzinfo=UTC)  # every message at one instant: only the insertion order separates them

    async def writer(w: int) -> None:
        for b in range(5):
            await store.memory.save_messages(messages=[_message(f"w{w}-b{b}-{i}", "t", same) for i in range(4)])

    await asyncio.gather(*(writer(w) for w in range(6)))
    page = await store.memory.list_messages(thread_id="t", per_page=False)
    ids = [m.id for m in page.items]
    assert len(ids) == 120 and len(set(ids)) == 120
    # each batch stays contiguous-in-order relative to itself, and the order is stable across reads and pages
    for w in range(6):
        for b in range(5):
            batch = [ids.index(f"w{w}-b{b}-{i}") for i in range(4)]
            assert batch == sorted(batch)
        mine = [ids.index(f"w{w}-b{b}-0") for b in range(5)]
        assert mine == sorted(mine)
    again = await store.memory.list_messages(thread_id="t", per_page=False)
    assert [m.id for m in again.items] == ids
    pages = []
    for p in range(12):
        pages += [m.id for m in (await store.memory.list_messages(thread_id="t", page=p, per_page=10)).items]
    assert pages == ids


async def test_a_failed_batch_writes_nothing(make_store: Any) -> None:
    store = await make_store()
    await store.memory.save_thread(thread=r.Thread(id="t", resource_id="res"))
    at = datetime(2024, 1, 1, tzinfo=UTC)
    good = [_message(f"m{i}", "t", at) for i in range(300)]  # more than one INSERT statement
    bad = _message("bad", "x" * 300, at)  # thread_id longer than its VARCHAR(255): refused in strict mode
    with pytest.raises(StorageError):
        await store.memory.save_messages(messages=[*good, bad])
    assert (await store.memory.list_messages(thread_id="t", per_page=False)).items == []
    thread = await store.memory.get_thread_by_id(thread_id="t")
    assert thread is not None


async def test_concurrent_working_memory_updates_are_not_lost(make_store: Any) -> None:
    store = await make_store()

    async def bump(i: int) -> None:
        await store.memory.update_resource(resource_id="res", metadata={f"k{i}": i})

    await asyncio.gather(*(bump(i) for i in range(10)))
    resource = await store.memory.get_resource_by_id(resource_id="res")
    assert resource is not None and resource.metadata == {f"k{i}": i for i in range(10)}
