"""Uncounted threads: a new thread is ONE PutItem above its resource's thread counter; listings merge both regions
by real order with exact totals, fold uncounted threads into the counter (once, even when several listings race or
the fold's reply is lost), and agree with the in-memory backend on any sequence of creates, re-saves, moves,
deletes and listings."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from dynamodb_helpers import message, thread, uid
from mastra_core.clock import utc_now
from test_dynamodb_thread_counts import ASC, BY_UPDATED, DESC, fold_all, raw_counter, totals

MAX_ORDER = 10**37


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Listings fold every uncounted thread they read, and their first Query leaves no room for them."""
    from mastra_dynamodb.domains import memory

    monkeypatch.setattr(memory, "FOLD_AT", 0)
    monkeypatch.setattr(memory, "SLACK", 0)


def raw_thread(store: Any, tid: str) -> dict[str, Any]:
    key = {"pk": {"S": f"THREAD#{tid}"}, "sk": {"S": "THREAD"}}
    item: dict[str, Any] = store.client.get_item(TableName=store.table_name, Key=key, ConsistentRead=True)["Item"]
    return item


def counted(store: Any, tid: str) -> bool:
    return int(raw_thread(store, tid)["gsi1sk"]["N"]) < MAX_ORDER


def counter_total(store: Any, rid: str) -> int:
    item = raw_counter(store, rid) or {}
    return int(item.get("nbase", {"N": "0"})["N"]) + int(item.get("n", {"N": "0"})["N"])


async def ids_of(mem: Any, rid: str, order: dict[str, str], per_page: Any = False, page: int = 0) -> list[str]:
    got = await mem.list_threads(filter={"resource_id": rid}, per_page=per_page, page=page, order_by=order)
    return [t.id for t in got.items]


async def test_a_new_thread_is_one_put_above_the_counter_and_stays_there(store: Any, counter: Any) -> None:
    from mastra_dynamodb.schema import SCALE, UNCOUNTED, ms_order

    mem = store.memory
    t = thread()
    counter.reset()
    await mem.save_thread(thread=t)
    assert counter.ops == ["PutItem"]
    item = raw_thread(store, t.id)
    seq, created, updated = int(item["seq"]["N"]), int(item["createdMs"]["N"]), int(item["updatedMs"]["N"])
    assert int(item["gsi1sk"]["N"]) == ms_order(created, seq) + UNCOUNTED
    assert int(item["useq"]["N"]) == seq + UNCOUNTED
    assert int(item["gsi3sk"]["N"]) == ms_order(created, seq)  # the every-thread listings are not shifted

    later = attrs.evolve(t, title="again", updated_at=t.updated_at + timedelta(seconds=5))
    await mem.save_thread(thread=later)  # the plain update rebuilds gsi2sk from useq: still uncounted
    await mem.save_messages(messages=[message(t.id, "hi")])  # the thread bump too
    item = raw_thread(store, t.id)
    updated = int(item["updatedMs"]["N"])
    assert int(item["gsi2sk"]["N"]) == updated * SCALE + seq + UNCOUNTED
    assert int(item["gsi4sk"]["N"]) == updated * SCALE + seq

    await fold_all(store, t.resource_id)
    item = raw_thread(store, t.id)
    assert "useq" not in item and int(item["gsi1sk"]["N"]) == ms_order(created, seq)
    assert int(item["gsi2sk"]["N"]) == updated * SCALE + seq
    await mem.save_thread(thread=attrs.evolve(later, title="counted", updated_at=later.updated_at + timedelta(1)))
    await mem.save_messages(messages=[message(t.id, "ho")])
    item = raw_thread(store, t.id)
    assert int(item["gsi2sk"]["N"]) == int(item["updatedMs"]["N"]) * SCALE + seq  # counted stays counted
    assert (await mem.list_threads(filter={"resource_id": t.resource_id}, per_page=1)).total == 1


async def test_a_listing_asks_for_the_uncounted_threads_it_expects(store: Any, counter: Any, settled: None) -> None:
    """This store's own creates widen its next page Query (still one request); another store's creates past the
    margin cost one more round trip once, and the listing learns them."""
    mem, other = store.memory, store.memory.__class__.from_storage(store)
    rid = uid("r-")
    for _ in range(30):
        await mem.save_thread(thread=thread(resource_id=rid))
    await mem.list_threads(filter={"resource_id": rid}, per_page=5)  # counts: the counter is exact
    await mem.list_threads(filter={"resource_id": rid}, per_page=5)  # folds the 30
    for _ in range(4):
        await mem.save_thread(thread=thread(resource_id=rid))
    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=5)).total == 34
    assert counter.ops == ["Query"]  # 4 uncounted (too few to fold), the counter and the page: one Query
    for _ in range(4):
        await other.save_thread(thread=thread(resource_id=rid))  # unknown to mem: more than the margin
    counter.reset()
    page = await mem.list_threads(filter={"resource_id": rid}, per_page=5)
    assert page.total == 38 and counter.ops == ["Query", "Query"]  # the rest of the counted page next
    counter.reset()
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=5)).total == 38
    assert counter.ops == ["Query"]


@pytest.mark.parametrize("when", [datetime(1901, 1, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
                                  datetime(2999, 12, 31, tzinfo=UTC)])
async def test_far_dates_keep_their_order_in_both_regions(store: Any, when: datetime, settled: None) -> None:
    """Shifted keys are exact 38-digit numbers for any order value (pre-1970 negative ones included)."""
    from mastra_dynamodb.schema import UNCOUNTED, ms_order

    mem = store.memory
    rid = uid("r-")
    now = utc_now()
    mid = await mem.save_thread(thread=thread(resource_id=rid, created_at=now, updated_at=now))
    far = await mem.save_thread(thread=thread(resource_id=rid, created_at=when, updated_at=when))
    item = raw_thread(store, far.id)
    assert int(item["gsi1sk"]["N"]) == ms_order(int(item["createdMs"]["N"]), int(item["seq"]["N"])) + UNCOUNTED
    expected = sorted([mid, far], key=lambda t: t.created_at)
    assert await ids_of(mem, rid, ASC) == [t.id for t in expected]
    await fold_all(store, rid)
    late = await mem.save_thread(thread=thread(resource_id=rid, created_at=now - timedelta(days=1),
                                               updated_at=now - timedelta(days=1)))
    expected = sorted([mid, far, late], key=lambda t: t.created_at)
    for order in (ASC, DESC, BY_UPDATED):
        want = expected[::-1] if order is not ASC else expected
        assert await ids_of(mem, rid, order) == [t.id for t in want]
        assert await ids_of(mem, rid, order, per_page=1, page=1) == [want[1].id]
    assert await totals(mem, rid) == (3, 3, 3)


async def test_a_late_thread_with_an_old_created_at_is_ordered_and_counted(store: Any, settled: None,
                                                                          eager: None) -> None:
    mem = store.memory
    rid = uid("r-")
    t0 = utc_now() - timedelta(hours=1)
    made = [await mem.save_thread(thread=thread(resource_id=rid, created_at=t0 + timedelta(minutes=i),
                                                updated_at=t0 + timedelta(minutes=i))) for i in range(12)]
    assert await totals(mem, rid) == (12, 12, 12)  # the first listing counts, the next ones fold
    assert all(counted(store, t.id) for t in made)
    late = [await mem.save_thread(thread=thread(resource_id=rid, created_at=t0 + timedelta(minutes=m, seconds=30),
                                                updated_at=t0 + timedelta(minutes=m, seconds=30)))
            for m in (-5, 3, 20)]  # oldest of all, among the counted ones, newest of all
    assert not any(counted(store, t.id) for t in late)
    everything = sorted(made + late, key=lambda t: t.created_at)
    for order, want in ((ASC, everything), (DESC, everything[::-1]), (BY_UPDATED, everything[::-1])):
        for per_page in (1, 4, 7):
            for page in range(0, 15 // per_page + 1):
                got = await mem.list_threads(filter={"resource_id": rid}, per_page=per_page, page=page,
                                             order_by=order)
                assert [t.id for t in got.items] == [t.id for t in want[page * per_page:(page + 1) * per_page]]
                assert got.total == 15
    assert all(counted(store, t.id) for t in late)  # folded by those listings
    assert counter_total(store, rid) == 15


async def test_totals_stay_exact_across_creates_deletes_moves_and_folds(store: Any, settled: None) -> None:
    mem = store.memory
    a, b = uid("a-"), uid("b-")
    ts = [await mem.save_thread(thread=thread(resource_id=a)) for _ in range(12)]
    assert await totals(mem, a) == (12, 12, 12)  # counts (12 uncounted > FOLD_AT), then the next listing folds
    assert all(counted(store, t.id) for t in ts) and counter_total(store, a) == 12
    fresh = [await mem.save_thread(thread=thread(resource_id=a)) for _ in range(3)]  # uncounted, below FOLD_AT
    assert await totals(mem, a) == (15, 15, 15) and not any(counted(store, t.id) for t in fresh)

    await mem.delete_thread(thread_id=ts[0].id)  # counted: -1
    await mem.delete_thread(thread_id=fresh[0].id)  # uncounted: the counter is not touched
    assert counter_total(store, a) == 11
    await mem.save_thread(thread=attrs.evolve(ts[1], resource_id=b))  # counted, moved: a -1, lands uncounted in b
    await mem.modify_thread(thread_id=fresh[1].id, change=lambda t: attrs.evolve(t, resource_id=b))  # uncounted
    assert counter_total(store, a) == 10 and not counted(store, ts[1].id) and not counted(store, fresh[1].id)
    assert await totals(mem, a) == (11, 11, 11)
    assert await totals(mem, b) == (2, 2, 2)
    await mem.save_thread(thread=attrs.evolve(ts[1], resource_id=a))  # back again: uncounted in a
    assert await totals(mem, a) == (12, 12, 12) and await totals(mem, b) == (1, 1, 1)
    await mem.update_thread(id=fresh[2].id, title="renamed")  # versioned RMW of an uncounted thread keeps it so
    assert not counted(store, fresh[2].id) and await totals(mem, a) == (12, 12, 12)


async def test_concurrent_listings_and_writes_fold_each_thread_once(store: Any, settled: None,
                                                                    eager: None) -> None:
    mem = store.memory
    rid = uid("r-")
    for _ in range(12):
        await mem.save_thread(thread=thread(resource_id=rid))
    await mem.list_threads(filter={"resource_id": rid}, per_page=1)  # makes the counter exact (nbase 0)
    others = [mem.__class__.from_storage(store) for _ in range(6)]
    pages = await asyncio.gather(*(o.list_threads(filter={"resource_id": rid}, per_page=3, order_by=order)
                                   for o in others for order in (DESC, ASC)))
    assert {p.total for p in pages} == {12}  # each computed from what it read, whichever fold won
    assert counter_total(store, rid) == 12

    extra = [thread(resource_id=rid) for _ in range(20)]
    victims = (await mem.list_threads(filter={"resource_id": rid}, per_page=False)).items[:4]
    jobs = [mem.save_thread(thread=t) for t in extra]
    jobs += [o.list_threads(filter={"resource_id": rid}, per_page=2, order_by=o_) for o in others
             for o_ in (DESC, ASC, BY_UPDATED)]
    jobs += [mem.delete_thread(thread_id=t.id) for t in victims[:2]]
    jobs += [mem.save_thread(thread=attrs.evolve(t, resource_id=uid("elsewhere-"))) for t in victims[2:]]
    random.Random(7).shuffle(jobs)
    await asyncio.gather(*jobs)
    assert await totals(mem, rid) == (28, 28, 28)
    assert await totals(mem, rid) == (28, 28, 28)
    listed = await mem.list_threads(filter={"resource_id": rid}, per_page=False)
    assert listed.total == len(listed.items) == 28
    counted_now = sum(counted(store, t.id) for t in listed.items)
    assert counter_total(store, rid) == counted_now


async def test_a_fold_whose_reply_is_lost_is_applied_once(store: Any, endpoint: str, settled: None) -> None:
    from urllib.parse import urlsplit

    from conftest import CREDENTIALS
    from mastra_core.testing.faults import ChaosProxy
    from mastra_dynamodb import DynamoDBStore, make_client
    from test_dynamodb_lean_path import Sends

    mem = store.memory
    rid = uid("r-")
    for _ in range(20):
        await mem.save_thread(thread=thread(resource_id=rid))
    assert (await mem.list_threads(filter={"resource_id": rid}, per_page=1)).total == 20  # counter exact, nbase 0
    parts = urlsplit(endpoint)
    async with ChaosProxy(parts.hostname or "127.0.0.1", parts.port or 80) as proxy:
        client = make_client(endpoint=f"http://127.0.0.1:{proxy.port}", credentials=CREDENTIALS, read_timeout=2,
                             connect_timeout=2, max_attempts=3)
        proxied = DynamoDBStore(id="proxied", table_name=store.table_name, client=client)
        try:
            await proxied.init()  # its DescribeTable before the fault is armed
            proxy.lose_reply(2)  # the page Query goes through; the fold's TransactWriteItems lands, its reply is lost
            with Sends(client, "TransactWriteItems") as sends:
                page = await proxied.memory.list_threads(filter={"resource_id": rid}, per_page=5)
            assert proxy.fired == 1 and sends.count == 2 and page.total == 20
        finally:
            await proxied.close()
    assert (raw_counter(store, rid) or {}).get("n") == {"N": "20"}  # once, not twice
    assert await totals(mem, rid) == (20, 20, 20)


async def test_a_metadata_filter_orders_both_regions(store: Any, settled: None) -> None:
    mem = store.memory
    rid = uid("r-")
    t0 = utc_now() - timedelta(hours=1)
    first = [await mem.save_thread(thread=thread(resource_id=rid, metadata={"k": i % 2},
                                                 created_at=t0 + timedelta(minutes=2 * i))) for i in range(6)]
    await fold_all(store, rid)
    second = [await mem.save_thread(thread=thread(resource_id=rid, metadata={"k": i % 2},
                                                  created_at=t0 + timedelta(minutes=2 * i + 1))) for i in range(6)]
    want = sorted((t for t in first + second if t.metadata["k"] == 1), key=lambda t: t.created_at)
    for order, expected in ((ASC, want), (DESC, want[::-1])):
        got = await mem.list_threads(filter={"resource_id": rid, "metadata": {"k": 1}}, per_page=4, order_by=order)
        assert [t.id for t in got.items] == [t.id for t in expected[:4]] and got.total == 6


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_sequences_match_the_in_memory_backend(store: Any, settled: None, seed: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from mastra_core.inmemory.store import InMemoryStore
    from mastra_dynamodb.domains import memory

    rng = random.Random(seed)
    monkeypatch.setattr(memory, "FOLD_AT", rng.choice([0, 2, 8]))
    monkeypatch.setattr(memory, "SLACK", rng.choice([0, 1, 16]))
    ref = InMemoryStore(id=f"ref-{seed}")
    await ref.init()
    ours = [store.memory, store.memory.__class__.from_storage(store)]  # a second one has seen no thread
    resources = [uid("r-") for _ in range(3)]
    live: dict[str, Any] = {}
    base = utc_now() - timedelta(days=1)
    stamps = rng.sample(range(-10**6, 10**6), 400)  # distinct milliseconds: one expected order

    def at() -> datetime:
        return base + timedelta(milliseconds=stamps.pop())

    for step in range(150):
        mem = rng.choice(ours)
        kind = rng.random()
        if kind < 0.3 or not live:
            when = at()
            t = thread(resource_id=rng.choice(resources), created_at=when, updated_at=when)
        elif kind < 0.45:
            t = attrs.evolve(rng.choice(list(live.values())), title=f"s{step}", updated_at=at())
        elif kind < 0.55:
            t = attrs.evolve(rng.choice(list(live.values())), resource_id=rng.choice(resources), updated_at=at())
        elif kind < 0.65:
            tid = rng.choice(list(live))
            await mem.delete_thread(thread_id=tid)
            await ref.memory.delete_thread(thread_id=tid)
            del live[tid]
            continue
        else:
            rid = rng.choice(resources)
            order = rng.choice([DESC, ASC, BY_UPDATED, {"field": "updated_at", "direction": "ASC"}])
            per_page: Any = rng.choice([0, 1, 2, 5, 20, False])
            page = 0 if per_page is False or per_page == 0 else rng.randrange(0, 4)
            args = {"filter": {"resource_id": rid}, "per_page": per_page, "page": page, "order_by": order}
            got, expected = await mem.list_threads(**args), await ref.memory.list_threads(**args)
            assert ([x.id for x in got.items], got.total, got.has_more) == (
                [x.id for x in expected.items], expected.total, expected.has_more), (step, args)
            continue
        saved = await mem.save_thread(thread=t)
        await ref.memory.save_thread(thread=t)
        live[saved.id] = saved
    for rid in resources:
        for order in (DESC, ASC, BY_UPDATED):
            got = await store.memory.list_threads(filter={"resource_id": rid}, per_page=False, order_by=order)
            expected = await ref.memory.list_threads(filter={"resource_id": rid}, per_page=False, order_by=order)
            assert [x.id for x in got.items] == [x.id for x in expected.items]
            counted_now = sum(counted(store, x.id) for x in got.items)
            if raw_counter(store, rid) is not None and "nbase" in (raw_counter(store, rid) or {}):
                assert counter_total(store, rid) == counted_now
    await ref.close()
