"""Concurrent writers on one thread, and moves: the message counter and the bump stay exact."""

from __future__ import annotations

import asyncio
from typing import Any

from dynamodb_helpers import message, text_of, thread


async def test_concurrent_saves_to_one_thread(store: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    batches = [[message(t.id, f"{w}-{i}") for i in range(20)] for w in range(16)]
    await asyncio.gather(*(mem.save_messages(messages=b) for b in batches))
    page = await mem.list_messages(thread_id=t.id, per_page=False)
    assert page.total == 320 and len(page) == 320
    texts = [text_of(m) for m in page]
    for w in range(16):  # each call's messages keep the order given
        mine = [x for x in texts if x.startswith(f"{w}-")]
        assert mine == [f"{w}-{i}" for i in range(20)]
    newest = await mem.list_messages(thread_id=t.id, per_page=5, order_by={"field": "created_at", "direction": "DESC"})
    assert newest.total == 320  # the counter item saw every transaction
    assert (await mem.get_thread_by_id(thread_id=t.id)).updated_at > t.updated_at


async def test_move_keeps_position_and_fixes_both_counters(store: Any, counter: Any) -> None:
    mem = store.memory
    a = await mem.save_thread(thread=thread())
    b = await mem.save_thread(thread=thread(resource_id=a.resource_id))
    msgs = [message(a.id, f"a{i}") for i in range(5)]
    await mem.save_messages(messages=msgs)
    moved = msgs[2]
    counter.reset()
    from attrs import evolve

    await mem.save_messages(messages=[evolve(moved, thread_id=b.id, content=moved.content)])
    # first attempt finds the message exists (condition + ALL_OLD), the second moves it: two transactions
    assert counter.ops == ["TransactWriteItems", "TransactWriteItems"]
    desc = {"field": "created_at", "direction": "DESC"}
    pa = await mem.list_messages(thread_id=a.id, per_page=10, order_by=desc)
    pb = await mem.list_messages(thread_id=b.id, per_page=10, order_by=desc)
    assert [text_of(m) for m in pa] == ["a4", "a3", "a1", "a0"] and pa.total == 4
    assert [m.id for m in pb] == [moved.id] and pb.total == 1
    (back,) = await mem.list_messages_by_id(message_ids=[moved.id])
    assert back.created_at == moved.created_at and back.thread_id == b.id
