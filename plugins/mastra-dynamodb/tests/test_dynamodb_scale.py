"""A thread far larger than one 1 MB Query page reads back complete and in order (reference defect #19550)."""

from __future__ import annotations

from typing import Any

import pytest
from dynamodb_helpers import in_order, text_of, thread
from mastra_core.records import MessageInclude

N = 5000
PAD = 900  # ~1 KB per item: the thread spans ~5 MB, i.e. several 1 MB Query pages


@pytest.mark.slow
async def test_five_thousand_messages_across_pages(store: Any, counter: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    msgs = in_order(t.id, N, pad=PAD)
    for i in range(0, N, 98):
        await mem.save_messages(messages=msgs[i:i + 98])
    want = [f"m{i:05d}" for i in range(N)]

    everything = await mem.list_messages(thread_id=t.id, per_page=False)
    assert everything.total == N and not everything.has_more
    assert [text_of(m)[:6] for m in everything] == want

    counter.reset()
    last = await mem.list_messages(thread_id=t.id, per_page=10, order_by={"field": "created_at", "direction": "DESC"})
    assert [text_of(m)[:6] for m in last] == want[::-1][:10]
    assert last.total == N and last.has_more
    assert counter.ops == ["Query"], counter.ops  # page and total in ONE Query, whatever the thread length

    deep = await mem.list_messages(thread_id=t.id, page=37, per_page=100)
    assert [text_of(m)[:6] for m in deep] == want[3700:3800]
    assert deep.total == N and deep.has_more

    tail = await mem.list_messages(thread_id=t.id, page=49, per_page=100)
    assert [text_of(m)[:6] for m in tail] == want[4900:] and not tail.has_more

    counter.reset()
    window = await mem.list_messages(thread_id=t.id, per_page=0, include=[
        MessageInclude(id=msgs[2500].id, with_previous_messages=3, with_next_messages=2)])
    assert [text_of(m)[:6] for m in window] == want[2497:2503]
    assert window.total == N
    # the window reads only its neighbours: a BatchGetItem for the target, two Limit-ed Queries, the counter
    assert sorted(counter.ops) == ["BatchGetItem", "BatchGetItem", "Query", "Query"], counter.ops

    newest = await mem.list_messages(thread_id=t.id, per_page=5, order_by={"field": "created_at", "direction": "DESC"},
                                     filter={"date_range": {"end": msgs[1000].created_at}})
    assert [text_of(m)[:6] for m in newest] == want[1000:995:-1]
    assert newest.total == 1001

    await mem.delete_thread(thread_id=t.id)
    assert (await mem.list_messages(thread_id=t.id, per_page=False)).total == 0
    assert await mem.list_messages_by_id(message_ids=[msgs[0].id, msgs[-1].id]) == []
