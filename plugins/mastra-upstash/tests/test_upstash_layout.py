"""The documented key layout, prefix isolation and id escaping, checked on the real keys in Redis."""

from __future__ import annotations

from datetime import timedelta

from mastra_core.clock import epoch_ms, utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread
from upstash_helpers import drop_prefix, new_prefix


def _msg(mid: str, thread_id: str, resource_id: str, created_at, text: str = "hi") -> Message:
    return Message(id=mid, role="user", thread_id=thread_id, resource_id=resource_id, created_at=created_at,
                   content=MessageContent(parts=[TextPart(text=text)]))


async def test_keys_are_the_documented_ones(make_store, raw) -> None:
    store = await make_store()
    p = store.prefix
    t0 = utc_now() - timedelta(minutes=1)
    await store.memory.save_thread(thread=Thread(id="t1", resource_id="r1", title="x", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=[_msg("m1", "t1", "r1", t0), _msg("m2", "t1", "r1", t0)])
    await store.memory.update_resource(resource_id="r1", working_memory="wm")
    keys = set(await raw.keys(p.replace("*", "\\*") + "*"))  # KEYS is fine in a test
    assert keys == {
        f"{p}seq", f"{p}thread:t1", f"{p}message:m1", f"{p}message:m2", f"{p}thread:t1:messages",
        f"{p}thread:t1:resource:r1:messages", f"{p}threads:created", f"{p}threads:updated",
        f"{p}resource:r1:threads:created", f"{p}resource:r1:threads:updated", f"{p}resource:r1",
    }
    assert await raw.type(f"{p}thread:t1") == "hash"
    # thread index: score = created_at ms, member = zero-padded save sequence + id (ties keep save order)
    entries = await raw.zrange(f"{p}thread:t1:messages", 0, -1, withscores=True)
    assert [m.split(":", 1)[1] for m, _ in entries] == ["m1", "m2"]
    assert all(score == epoch_ms(t0) for _, score in entries)
    assert entries[0][0] < entries[1][0] and len(entries[0][0].split(":")[0]) == 15
    bumped = await raw.zscore(f"{p}threads:updated", (await raw.zrange(f"{p}threads:updated", 0, 0))[0])
    assert bumped > epoch_ms(t0)  # save_messages moved the thread in the updated_at index


async def test_ids_with_colons_and_percent_cannot_collide(make_store, raw) -> None:
    store = await make_store()
    p = store.prefix
    t0 = utc_now()
    a = Thread(id="a:messages", resource_id="r", created_at=t0, updated_at=t0)
    b = Thread(id="a", resource_id="r:threads:created", created_at=t0, updated_at=t0)
    await store.memory.save_thread(thread=a)
    await store.memory.save_thread(thread=b)
    await store.memory.save_messages(messages=[_msg("x%3Ay", "a", "r", t0), _msg("x:y", "a:messages", "r", t0)])
    assert await raw.exists(f"{p}thread:a%3Amessages") and await raw.exists(f"{p}message:x%253Ay")
    assert [m.id for m in (await store.memory.list_messages(thread_id="a")).items] == ["x%3Ay"]
    assert [m.id for m in (await store.memory.list_messages(thread_id="a:messages")).items] == ["x:y"]
    page = await store.memory.list_threads(filter={"resource_id": "r"})
    assert [t.id for t in page.items] == ["a:messages"]


async def test_two_prefixes_on_one_database_are_isolated(make_store, raw) -> None:
    one = await make_store()
    two = await make_store()
    t0 = utc_now()
    for store, title in ((one, "one"), (two, "two")):
        thread = Thread(id="same", resource_id="r", title=title, created_at=t0, updated_at=t0)
        await store.memory.save_thread(thread=thread)
        await store.memory.save_messages(messages=[_msg(f"m-{title}", "same", "r", t0, title)])
        await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"status": title})
    assert (await one.memory.get_thread_by_id(thread_id="same")).title == "one"
    assert (await two.memory.get_thread_by_id(thread_id="same")).title == "two"
    assert [m.id for m in await one.memory.list_messages(thread_id="same")] == ["m-one"]
    assert (await two.workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")) == {"status": "two"}
    await one.memory.delete_thread(thread_id="same")
    await one.dangerously_clear_all()
    assert await one.memory.get_thread_by_id(thread_id="same") is None
    assert (await one.workflows.list_workflow_runs()).total == 0
    assert (await two.memory.get_thread_by_id(thread_id="same")).title == "two"
    assert [m.id for m in await two.memory.list_messages(thread_id="same")] == ["m-two"]
    assert (await two.workflows.list_workflow_runs()).total == 1
    assert (await two.memory.list_threads()).total == 1
    assert not [k async for k in raw.scan_iter(match=one.prefix.replace("*", "\\*") + "*") if not k.endswith("seq")]
    assert all(k.startswith(two.prefix) for k in await raw.keys(two.prefix + "*"))


async def test_a_prefix_that_is_a_prefix_of_another_stays_isolated(make_store, raw) -> None:
    base = new_prefix()
    short = await make_store(prefix=base)
    long = await make_store(prefix=base + "x:")
    t0 = utc_now()
    await long.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await short.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await short.dangerously_clear_all()
    assert await long.memory.get_thread_by_id(thread_id="t") is not None
    assert await short.memory.get_thread_by_id(thread_id="t") is None
    await drop_prefix(raw, base)


async def test_moving_a_message_leaves_no_index_entry_behind(make_store, raw) -> None:
    store = await make_store()
    p = store.prefix
    t0 = utc_now()
    for tid in ("t1", "t2"):
        await store.memory.save_thread(thread=Thread(id=tid, resource_id="r", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=[_msg("m", "t1", "r", t0)])
    await store.memory.save_messages(messages=[_msg("m", "t2", "r2", t0 + timedelta(seconds=5))])
    assert await raw.zcard(f"{p}thread:t1:messages") == 0
    assert await raw.exists(f"{p}thread:t1:resource:r:messages") == 0
    assert await raw.zcard(f"{p}thread:t2:resource:r2:messages") == 1
    (moved,) = (await store.memory.list_messages(thread_id="t2")).items
    assert moved.created_at == t0 and moved.resource_id == "r2"  # the upsert kept created_at
    await store.memory.delete_thread(thread_id="t2")
    assert [k for k in await raw.keys(p + "*") if "message" in k] == []
