"""Per-resource thread counters: a list_threads page is ONE Query with its total, the count stays exact through
creates, moves, deletes and clones of counted and uncounted threads, a resource written without counters (an old
table) is counted and then migrated lazily, and a thread TTL rule falls back to Select=COUNT."""

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


async def fold_all(store: Any, rid: str) -> None:
    """Fold every uncounted thread of ``rid`` into its counter now (as a listing does past FOLD_AT)."""
    from mastra_dynamodb.domains.thread_counts import fold

    part = f"RTHREADS#{rid}"
    items = store.client.query(TableName=store.table_name, IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                               ExpressionAttributeValues={":p": {"S": part}})["Items"]
    ids = [it["id"]["S"] for it in items if it["entity"]["S"] == "thread" and int(it["gsi1sk"]["N"]) > 10**37]
    for i in range(0, len(ids), 99):
        assert await fold(store.db, rid, ids[i:i + 99])


def drop_counter(store: Any, rid: str) -> None:
    store.client.delete_item(TableName=store.table_name, Key={"pk": {"S": f"RESOURCE#{rid}"}, "sk": {"S": "THREADS"}})


async def test_page_and_total_in_one_query(store: Any, counter: Any, settled: None) -> None:
    mem = store.memory
    rid = uid("r-")
    ids = [(await mem.save_thread(thread=thread(resource_id=rid))).id for _ in range(40)]
    assert raw_counter(store, rid) is None  # creates do not touch it

    first = await mem.list_threads(filter={"resource_id": rid}, per_page=10)  # counts once, makes the counter exact
    assert first.total == 40 and [t.id for t in first.items] == ids[::-1][:10]
    assert (raw_counter(store, rid) or {}).get("nbase") == {"N": "0"}  # every thread is still uncounted
    counter.reset()
    second = await mem.list_threads(filter={"resource_id": rid}, per_page=10)  # exact: the 40 are folded in
    assert second.total == 40 and [t.id for t in second.items] == ids[::-1][:10]
    assert counter.ops.count("TransactWriteItems") == 1 and (raw_counter(store, rid) or {}).get("n") == {"N": "40"}

    counter.reset()
    page = await mem.list_threads(filter={"resource_id": rid}, per_page=10, page=1)
    assert counter.ops == ["Query"]  # no Select=COUNT
    assert page.total == 40 and [t.id for t in page.items] == ids[::-1][10:20] and page.has_more

    counter.reset()
    oldest = await mem.list_threads(filter={"resource_id": rid}, per_page=10, order_by=ASC)
    assert counter.ops == ["Query", "Query"] and oldest.total == 40  # counted page + the region above the counter
    assert [t.id for t in oldest.items] == ids[:10]

    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=0)).total == 40
    assert counter.ops == ["Query"]
    everything = await mem.list_threads(filter={"resource_id": rid}, per_page=False)
    assert everything.total == 40 and len(everything.items) == 40  # the counter item is never a thread


@pytest.mark.parametrize("counted", [False, True])
async def test_counts_follow_creates_moves_deletes_and_clones(store: Any, counter: Any, settled: None,
                                                              counted: bool) -> None:
    mem = store.memory
    a, b = uid("a-"), uid("b-")
    threads = [await mem.save_thread(thread=thread(resource_id=a)) for _ in range(4)]
    if counted:  # as listings leave them (or an earlier release wrote them): in the counter
        await fold_all(store, a)
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
    assert sorted(counter.ops) == ["Query"] * 4  # no Select=COUNT: the oldest-first listing is two Queries
    if counted:
        assert (raw_counter(store, a) or {}).get("n") == {"N": "1"}  # 4 folded - 2 moved - 1 deleted
    assert await totals(mem, b) == (2, 2, 2)  # both landed uncounted
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
    for _ in range(25):
        await mem.save_thread(thread=thread(resource_id=rid))
    # as a release without counters left it: every thread counted, no counter item at all
    await fold_all(store, rid)
    drop_counter(store, rid)
    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=2)).total == 25
    assert counter.ops.count("Query") == 4 and counter.ops[-1] == "UpdateItem"  # page, 3 COUNTs, the backfill
    created = await mem.save_thread(thread=thread(resource_id=rid))
    await mem.delete_thread(thread_id=created.id)
    await mem.save_thread(thread=thread(resource_id=rid))
    counter.reset()
    assert await totals(mem, rid) == (26, 26, 26)
    assert counter.ops.count("Query") == 4 and "UpdateItem" not in counter.ops

    # only the deltas since the upgrade (threads written by the old release before): counted, then made exact
    rid2 = uid("old-")
    old = [await mem.save_thread(thread=thread(resource_id=rid2)) for _ in range(25)]
    await fold_all(store, rid2)
    drop_counter(store, rid2)
    await mem.delete_thread(thread_id=old[0].id)  # a counted thread: the counter is made, holding n = -1
    assert "nbase" not in (raw_counter(store, rid2) or {}) and (raw_counter(store, rid2) or {}).get("n") == {"N": "-1"}
    assert await totals(mem, rid2) == (24, 24, 24)
    assert (raw_counter(store, rid2) or {}).get("nbase") == {"N": "25"}


async def test_a_recent_change_is_not_backfilled_yet(store: Any) -> None:
    mem = store.memory
    rid = uid("r-")
    for _ in range(20):
        await mem.save_thread(thread=thread(resource_id=rid))
    await fold_all(store, rid)  # the counter now exists without nbase, changed just now
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=1)).total == 20  # counted
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
    assert counter.ops == ["PutItem"]  # uncounted: its resource's counter is not touched
    counter.reset()
    await mem.save_thread(thread=t)
    assert counter.ops == ["UpdateItem"]  # a thread this store has seen: the plain update
    other = store.memory.__class__.from_storage(store)  # a store that has not seen it: the transaction fails first
    counter.reset()
    saved = await other.save_thread(thread=t)
    assert counter.ops == ["PutItem", "UpdateItem"] and saved.created_at == t.created_at


async def test_an_expiry_set_by_a_copy_makes_the_counter_inexact(store: Any, settled: None) -> None:
    from datetime import timedelta

    from mastra_core.clock import utc_now

    mem = store.memory
    rid = uid("r-")
    threads = [await mem.save_thread(thread=thread(resource_id=rid)) for _ in range(20)]
    assert await totals(mem, rid) == (20, 20, 20) and "nbase" in (raw_counter(store, rid) or {})
    assert await store.write_expiry("thread", {(threads[0].id,): utc_now() + timedelta(hours=1)})
    assert "nbase" not in (raw_counter(store, rid) or {})  # it would count the thread after DynamoDB deleted it
    assert await totals(mem, rid) == (20, 20, 20)
    assert "nbase" not in (raw_counter(store, rid) or {})  # a thread carries an expiry: never exact again meanwhile
    read = await store.read_expiry("thread", [(threads[0].id,)])
    assert read is not None and read[(threads[0].id,)] is not None


async def test_delete_thread_requests_and_count(store: Any, counter: Any, settled: None) -> None:
    from dynamodb_helpers import in_order

    mem = store.memory
    rid = uid("r-")
    small, big, _ = [await mem.save_thread(thread=thread(resource_id=rid)) for _ in range(3)]
    await fold_all(store, rid)  # counted: a delete also decrements the counter
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

    uncounted = await mem.save_thread(thread=thread(resource_id=rid))
    await mem.save_messages(messages=in_order(uncounted.id, 98))
    counter.reset()
    await mem.delete_thread(thread_id=uncounted.id)  # 98 messages + message counter + thread: no counter update
    assert sorted(counter.ops) == ["GetItem", "Query", "TransactWriteItems"]
    assert await totals(mem, rid) == (1, 1, 1) and (raw_counter(store, rid) or {}).get("n") == {"N": "1"}
