"""Per-resource thread counters: a list_threads page is ONE Query with its total, the count stays exact through
creates, moves, deletes and clones, a resource written without counters (an old table) is counted and then migrated
lazily, and a thread TTL rule falls back to Select=COUNT."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest
from dynamodb_helpers import message, thread, uid

DESC = {"field": "created_at", "direction": "DESC"}
ASC = {"field": "created_at", "direction": "ASC"}
BY_UPDATED = {"field": "updated_at", "direction": "DESC"}


async def totals(mem: Any, rid: str) -> tuple[int, int, int]:
    """The total of a one-thread page newest first, oldest first and by updated_at (never the whole partition)."""
    got = [await mem.list_threads(filter={"resource_id": rid}, per_page=1, order_by=o) for o in (DESC, ASC, BY_UPDATED)]
    return got[0].total, got[1].total, got[2].total


def raw_counter(store: Any, rid: str) -> dict[str, Any] | None:
    key = {"pk": {"S": f"RESOURCE#{rid}"}, "sk": {"S": "THREADS"}}
    item: dict[str, Any] | None = store.client.get_item(TableName=store.table_name, Key=key,
                                                        ConsistentRead=True).get("Item")
    return item


async def test_page_and_total_in_one_query(store: Any, counter: Any, settled: None) -> None:
    mem = store.memory
    rid = uid("r-")
    ids = [(await mem.save_thread(thread=thread(resource_id=rid))).id for _ in range(25)]

    first = await mem.list_threads(filter={"resource_id": rid}, per_page=10)  # counts once, makes the counter exact
    assert first.total == 25 and "nbase" in (raw_counter(store, rid) or {})
    counter.reset()
    page = await mem.list_threads(filter={"resource_id": rid}, per_page=10, page=1)
    assert counter.ops == ["Query"]  # no Select=COUNT
    assert page.total == 25 and [t.id for t in page.items] == ids[::-1][10:20] and page.has_more

    counter.reset()
    oldest = await mem.list_threads(filter={"resource_id": rid}, per_page=10, order_by=ASC)
    assert sorted(counter.ops) == ["GetItem", "Query"] and oldest.total == 25
    assert [t.id for t in oldest.items] == ids[:10]

    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=0)).total == 25
    assert counter.ops == ["GetItem"]
    everything = await mem.list_threads(filter={"resource_id": rid}, per_page=False)
    assert everything.total == 25 and len(everything.items) == 25  # the counter item is never a thread


async def test_counts_follow_creates_moves_deletes_and_clones(store: Any, counter: Any, settled: None) -> None:
    mem = store.memory
    a, b = uid("a-"), uid("b-")
    threads = [await mem.save_thread(thread=thread(resource_id=a)) for _ in range(4)]
    await mem.save_messages(messages=[message(threads[0].id, "hi")])
    assert await totals(mem, a) == (4, 4, 4)

    await mem.save_thread(thread=thread(resource_id=a))  # a new one
    await mem.save_thread(thread=threads[1])  # a re-save changes nothing
    await mem.save_thread(thread=thread(id=threads[2].id, resource_id=b))  # moved by a save
    await mem.modify_thread(thread_id=threads[3].id, change=lambda t: attrs.evolve(t, resource_id=b))  # moved by RMW
    await mem.delete_thread(thread_id=threads[1].id)
    await mem.delete_thread(thread_id=uid("missing-"))  # nothing to delete: no count changes
    await mem.clone_thread(source_thread_id=threads[0].id, new_thread_id=uid("clone-"))
    await mem.update_thread(id=threads[0].id, title="renamed")
    counter.reset()
    assert await totals(mem, a) == (3, 3, 3)  # 4 + new - moved - moved - deleted + clone
    assert sorted(counter.ops) == ["GetItem", "Query", "Query", "Query"]  # a's counter stayed exact: no Select=COUNT
    assert await totals(mem, b) == (2, 2, 2)  # b's counter was made by the moves: counted once, then exact
    counter.reset()
    assert await totals(mem, b) == (2, 2, 2)
    assert sorted(counter.ops) == ["GetItem", "Query", "Query", "Query"]
    a_page = await mem.list_threads(filter={"resource_id": a}, per_page=False)
    assert a_page.total == len(a_page.items) == 3


async def test_concurrent_creates_count_exactly(store: Any, settled: None) -> None:
    mem = store.memory
    rid = uid("r-")
    await mem.save_thread(thread=thread(resource_id=rid))
    await mem.list_threads(filter={"resource_id": rid}, per_page=1)  # exact from here on
    await asyncio.gather(*(mem.save_thread(thread=thread(resource_id=rid)) for _ in range(20)))
    assert await totals(mem, rid) == (21, 21, 21)


async def test_an_old_resource_without_a_counter_is_counted_then_migrated(store: Any, counter: Any,
                                                                          settled: None) -> None:
    mem = store.memory
    rid = uid("old-")
    for _ in range(5):
        await mem.save_thread(thread=thread(resource_id=rid))
    # as a release without counters left it: no counter item at all
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"RESOURCE#{rid}"}, "sk": {"S": "THREADS"}})
    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=2)).total == 5
    assert counter.ops.count("Query") == 3 and counter.ops[-1] == "UpdateItem"  # page, 2 COUNTs, the backfill
    created = await mem.save_thread(thread=thread(resource_id=rid))
    await mem.delete_thread(thread_id=created.id)
    await mem.save_thread(thread=thread(resource_id=rid))
    counter.reset()
    assert await totals(mem, rid) == (6, 6, 6)
    assert counter.ops.count("Query") == 3

    # only the deltas since the upgrade (threads written by the old release before): counted, then made exact
    rid2 = uid("old-")
    for _ in range(3):
        await mem.save_thread(thread=thread(resource_id=rid2))
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"RESOURCE#{rid2}"}, "sk": {"S": "THREADS"}})
    await mem.save_thread(thread=thread(resource_id=rid2))
    assert "nbase" not in (raw_counter(store, rid2) or {})
    assert await totals(mem, rid2) == (4, 4, 4)
    assert "nbase" in (raw_counter(store, rid2) or {})


async def test_a_recent_change_is_not_backfilled_yet(store: Any) -> None:
    mem = store.memory
    rid = uid("r-")
    for _ in range(3):
        await mem.save_thread(thread=thread(resource_id=rid))
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=1)).total == 3  # counted
    assert "nbase" not in (raw_counter(store, rid) or {})  # GSIs may lag on AWS: the counter waits for SETTLE_MS


@pytest.mark.parametrize("ttl_seconds", [3600])
async def test_a_thread_ttl_rule_counts_live_threads(make_store: Any, ttl_seconds: int, settled: None) -> None:
    store = await make_store(ttl={"thread": {"default_ttl_seconds": ttl_seconds}})
    await store.init()
    mem = store.memory
    rid = uid("r-")
    keep = [await mem.save_thread(thread=thread(resource_id=rid)) for _ in range(3)]
    await mem.save_thread(thread=keep[0])
    assert await totals(mem, rid) == (3, 3, 3)
    assert "nbase" not in (raw_counter(store, rid) or {})  # threads that expire never make the counter exact
    await mem.delete_thread(thread_id=keep[1].id)
    assert await totals(mem, rid) == (2, 2, 2)


async def test_save_thread_requests(store: Any, counter: Any) -> None:
    mem = store.memory
    t = thread()
    counter.reset()
    await mem.save_thread(thread=t)
    assert counter.ops == ["TransactWriteItems"]  # the thread and its resource's counter
    counter.reset()
    await mem.save_thread(thread=t)
    assert counter.ops == ["UpdateItem"]  # a thread this store has seen: the plain update
    other = store.memory.__class__.from_storage(store)  # a store that has not seen it: the transaction fails first
    counter.reset()
    saved = await other.save_thread(thread=t)
    assert counter.ops == ["TransactWriteItems", "UpdateItem"] and saved.created_at == t.created_at


async def test_an_expiry_set_by_a_copy_makes_the_counter_inexact(store: Any, settled: None) -> None:
    from datetime import timedelta

    from mastra_core.clock import utc_now

    mem = store.memory
    rid = uid("r-")
    threads = [await mem.save_thread(thread=thread(resource_id=rid)) for _ in range(3)]
    assert await totals(mem, rid) == (3, 3, 3) and "nbase" in (raw_counter(store, rid) or {})
    assert await store.write_expiry("thread", {(threads[0].id,): utc_now() + timedelta(hours=1)})
    assert "nbase" not in (raw_counter(store, rid) or {})  # it would count the thread after DynamoDB deleted it
    assert await totals(mem, rid) == (3, 3, 3)
    assert "nbase" not in (raw_counter(store, rid) or {})  # a thread carries an expiry: never exact again meanwhile
    read = await store.read_expiry("thread", [(threads[0].id,)])
    assert read is not None and read[(threads[0].id,)] is not None


async def test_delete_thread_requests_and_count(store: Any, counter: Any, settled: None) -> None:
    from dynamodb_helpers import in_order

    mem = store.memory
    rid = uid("r-")
    small, big, _ = [await mem.save_thread(thread=thread(resource_id=rid)) for _ in range(3)]
    await mem.save_messages(messages=in_order(small.id, 97))
    await mem.save_messages(messages=in_order(big.id, 98))
    assert await totals(mem, rid) == (3, 3, 3)
    counter.reset()
    await mem.delete_thread(thread_id=small.id)  # 97 messages + message counter + thread + thread counter: 100
    assert sorted(counter.ops) == ["GetItem", "Query", "TransactWriteItems"]
    counter.reset()
    await mem.delete_thread(thread_id=big.id)  # one more: the messages in batches, then the same transaction
    assert sorted(counter.ops) == ["BatchWriteItem"] * 4 + ["GetItem", "Query", "TransactWriteItems"]
    assert await totals(mem, rid) == (1, 1, 1)
    assert (await mem.list_messages(thread_id=big.id)).total == 0
    assert await mem.get_thread_by_id(thread_id=big.id) is None
