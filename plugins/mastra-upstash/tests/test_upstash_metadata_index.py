"""list_threads metadata filters run on (key, value) indexes: same answers as the in-memory spec, one round trip,
reading only the matches."""

from __future__ import annotations

from datetime import timedelta

from mastra_core import create_storage
from mastra_core.clock import utc_now
from mastra_core.records import Thread

# integers stop at 2^53-1, the value domain's bound (DESIGN section 4): the largest ones still need exact keys
VALUES = [1, 1.0, True, False, 0, None, "1", "", {"a": 1, "b": [1, 2]}, {"b": [1.0, 2], "a": 1.0},
          {"a": True, "b": [1, 2]}, [1, 2], [2, 1], 2**53 - 1, float(2**53 - 1), 2**53 - 2, 0.1,
          {"nested": {"x": None}}, {"nested": {}}, [], {}]


async def test_metadata_filters_agree_with_the_in_memory_spec(make_store) -> None:
    store = await make_store()
    oracle = create_storage("inmemory", id="oracle")
    t0 = utc_now() - timedelta(hours=1)
    for i, value in enumerate(VALUES):
        for j, rid in enumerate(("r1", "r2")):
            at = t0 + timedelta(milliseconds=i * 2 + j)
            thread = Thread(id=f"t{i}-{rid}", resource_id=rid, metadata={"v": value, "i": i % 3},
                            created_at=at, updated_at=at)
            await store.memory.save_thread(thread=thread)
            await oracle.memory.save_thread(thread=thread)
    no_v = Thread(id="no-v", resource_id="r1", metadata={"i": 0}, created_at=t0, updated_at=t0)
    await store.memory.save_thread(thread=no_v)
    await oracle.memory.save_thread(thread=no_v)
    for value in VALUES:
        for flt in ({"metadata": {"v": value}}, {"resource_id": "r1", "metadata": {"v": value}},
                    {"resource_id": "r2", "metadata": {"v": value, "i": 1}}):
            for order in ({"field": "created_at", "direction": "DESC"}, {"field": "updated_at", "direction": "ASC"}):
                for page, per_page in ((0, 100), (1, 1), (0, False), (0, 0)):
                    got = await store.memory.list_threads(filter=flt, order_by=order, page=page, per_page=per_page)
                    want = await oracle.memory.list_threads(filter=flt, order_by=order, page=page, per_page=per_page)
                    assert ([t.id for t in got.items], got.total, got.has_more) == (
                        [t.id for t in want.items], want.total, want.has_more), (value, flt, order, page, per_page)
    await oracle.close()


async def test_metadata_index_follows_updates_and_costs_one_trip(recorded, raw) -> None:
    store, rec = recorded
    t0 = utc_now() - timedelta(hours=1)
    for i in range(300):
        at = t0 + timedelta(milliseconds=i)
        tier = "gold" if i % 100 == 0 else "free"
        await store.memory.save_thread(thread=Thread(id=f"t{i}", resource_id="r", metadata={"tier": tier},
                                                     created_at=at, updated_at=at))
    assert await raw.zcard(f"{store.prefix}resource:r:threads:meta:tier:" + _hash("gold")) == 3
    rec.reset()
    page = await store.memory.list_threads(filter={"resource_id": "r", "metadata": {"tier": "gold"}})
    assert [t.id for t in page.items] == ["t200", "t100", "t0"] and page.total == 3
    assert rec.trips == [["EVALSHA"]]
    await store.memory.update_thread(id="t100", metadata={"tier": "free"})
    await store.memory.save_messages(messages=[])  # no-op
    page = await store.memory.list_threads(filter={"metadata": {"tier": "gold"}},
                                           order_by={"field": "updated_at", "direction": "DESC"})
    assert [t.id for t in page.items] == ["t200", "t0"] and page.total == 2
    await store.memory.delete_thread(thread_id="t0")
    assert [t.id for t in (await store.memory.list_threads(filter={"metadata": {"tier": "gold"}})).items] == ["t200"]
    assert await raw.zcard(f"{store.prefix}threads:meta:tier:" + _hash("gold")) == 1


def _hash(value) -> str:
    from mastra_upstash.schema import value_hash

    return value_hash(value)
