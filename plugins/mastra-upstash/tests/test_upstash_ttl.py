"""TTL per entity type: PEXPIREAT really set on the keys, expired records hidden, index entries purged, totals exact."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread

TTL = {e: {"default_ttl_seconds": 1} for e in ("thread", "message", "resource", "workflow_snapshot", "score", "span")}


def _msg(mid: str, thread_id: str, created_at) -> Message:
    return Message(id=mid, role="user", thread_id=thread_id, resource_id="r", created_at=created_at,
                   content=MessageContent(parts=[TextPart(text=mid)]))


async def test_expire_is_set_on_every_entity_key(make_store, raw) -> None:
    store = await make_store(ttl={**TTL, "thread": {"default_ttl_seconds": 3600},
                                  "message": {"default_ttl_seconds": 60}})
    p = store.prefix
    t0 = utc_now()
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=[_msg("m", "t", t0)])
    await store.memory.update_resource(resource_id="r", working_memory="x")
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="run", snapshot={"status": "running"})
    score = await store.scores.save_score(score={"scorerId": "s", "entityId": "e", "runId": "run", "score": 1,
                                                 "scorer": {}, "entity": {}, "source": "LIVE"})
    assert 3590_000 < await raw.pttl(f"{p}thread:t") <= 3600_000
    assert 50_000 < await raw.pttl(f"{p}message:m") <= 60_000
    for key in (f"{p}resource:r", f"{p}run:wf:run", f"{p}score:{score.id}"):
        assert 0 < await raw.pttl(key) <= 1000, key
    # indexes never expire (they are purged entry by entry); each entity has an expiry index
    assert await raw.pttl(f"{p}thread:t:messages") == -1
    assert await raw.zcard(f"{p}exp:message") == 1 and await raw.zcard(f"{p}exp:thread") == 1


async def test_no_ttl_means_no_expiry(make_store, raw) -> None:
    store = await make_store()
    t0 = utc_now()
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=[_msg("m", "t", t0)])
    assert await raw.pttl(f"{store.prefix}thread:t") == -1
    assert await raw.pttl(f"{store.prefix}message:m") == -1
    assert not await raw.exists(f"{store.prefix}exp:message")


async def test_rewrite_refreshes_the_expiry(make_store, raw) -> None:
    store = await make_store(ttl={"thread": {"default_ttl_seconds": 2}})
    t0 = utc_now()
    thread = Thread(id="t", resource_id="r", created_at=t0, updated_at=t0)
    await store.memory.save_thread(thread=thread)
    await asyncio.sleep(1.2)
    await store.memory.update_thread(id="t", title="again")
    assert await raw.pttl(f"{store.prefix}thread:t") > 1500
    assert await raw.zcard(f"{store.prefix}exp:thread") == 1  # the old expiry entry was replaced, not added to


async def test_expired_records_are_hidden_and_index_totals_stay_exact(make_store, raw) -> None:
    store = await make_store(ttl={"message": {"default_ttl_seconds": 1}})
    p = store.prefix
    t0 = utc_now() - timedelta(minutes=1)
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=[_msg(f"old{i}", "t", t0 + timedelta(milliseconds=i)) for i in range(5)])
    await asyncio.sleep(1.1)
    assert await raw.exists(*(f"{p}message:old{i}" for i in range(5))) == 0  # Redis expired the hashes...
    assert await raw.zcard(f"{p}thread:t:messages") == 5  # ...but not their index entries
    page = await store.memory.list_messages(thread_id="t")
    assert page.total == 0 and page.items == []
    assert await raw.zcard(f"{p}thread:t:messages") == 0  # the read purged them
    later = t0 + timedelta(seconds=1)
    fresh = [_msg(f"new{i}", "t", later + timedelta(milliseconds=i)) for i in range(3)]
    await store.memory.save_messages(messages=fresh)
    page = await store.memory.list_messages(thread_id="t", per_page=2)
    assert page.total == 3 and [m.id for m in page.items] == ["new0", "new1"] and page.has_more
    assert await raw.zcard(f"{p}thread:t:messages") == 3
    assert await raw.zcard(f"{p}thread:t:resource:r:messages") == 3
    assert await raw.zcard(f"{p}exp:message") == 3
    assert await store.memory.list_messages_by_id(message_ids=["old0", "new2"]) == [
        m for m in (await store.memory.list_messages(thread_id="t")).items if m.id == "new2"]
    # an include of an expired target is skipped
    inc = await store.memory.list_messages(thread_id="t", per_page=0, include=[{"id": "old1", "with_next_messages": 2}])
    assert inc.items == [] and inc.total == 3


async def test_expired_threads_leave_the_thread_lists(make_store) -> None:
    store = await make_store(ttl={"thread": {"default_ttl_seconds": 1}})
    t0 = utc_now()
    await store.memory.save_thread(thread=Thread(id="gone", resource_id="r", created_at=t0, updated_at=t0))
    await asyncio.sleep(1.1)
    await store.memory.save_thread(thread=Thread(id="kept", resource_id="r", created_at=t0, updated_at=t0))
    assert await store.memory.get_thread_by_id(thread_id="gone") is None
    for filt in (None, {"resource_id": "r"}):
        page = await store.memory.list_threads(filter=filt)
        assert [t.id for t in page.items] == ["kept"] and page.total == 1
    with_meta = await store.memory.list_threads(filter={"resource_id": "r", "metadata": {"a": 1}})
    assert with_meta.total == 0


async def test_expired_runs_and_scores_are_hidden(make_store) -> None:
    store = await make_store(ttl={"workflow_snapshot": {"default_ttl_seconds": 1}, "score": {"default_ttl_seconds": 1}})
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="old", snapshot={"status": "running"})
    saved = await store.scores.save_score(score={"scorerId": "s", "entityId": "e", "runId": "run", "score": 1,
                                                 "scorer": {}, "entity": {}, "source": "LIVE"})
    await asyncio.sleep(1.1)
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="new", snapshot={"status": "running"})
    runs = await store.workflows.list_workflow_runs(workflow_name="wf")
    assert [r.run_id for r in runs.items] == ["new"] and runs.total == 1
    assert await store.workflows.get_workflow_run_by_id(run_id="old") is None
    assert await store.scores.get_score_by_id(id=saved.id) is None
    assert (await store.scores.list_scores_by_scorer_id(scorer_id="s")).total == 0
