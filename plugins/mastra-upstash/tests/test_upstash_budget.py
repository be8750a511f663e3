"""The commands-per-operation budget, counted on the client's connections (one list of commands per round trip).

No operation may SCAN or KEYS; writes are one script call; a page or an include window is one script call;
get_thread_by_id is one HMGET.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread

FORBIDDEN = {"SCAN", "KEYS", "HSCAN", "ZSCAN", "SSCAN"}


def _msgs(thread_id: str, n: int, start, prefix: str = "m") -> list[Message]:
    return [Message(id=f"{prefix}{i}", role="user", thread_id=thread_id, resource_id="r", created_at=start + timedelta(milliseconds=i),
                    content=MessageContent(parts=[TextPart(text=f"text {i}")])) for i in range(n)]


async def _warm(store) -> None:
    """Load every script once (the first EVALSHA of a script costs a NOSCRIPT + SCRIPT LOAD)."""
    t0 = utc_now()
    await store.memory.save_thread(thread=Thread(id="warm", resource_id="warm", created_at=t0, updated_at=t0))
    await store.memory.save_messages(messages=_msgs("warm", 1, t0, "warm"))
    await store.memory.list_messages(thread_id="warm")
    await store.memory.list_threads()
    await store.memory.delete_messages(message_ids=["warm0"])


async def test_every_memory_operation_meets_its_budget(recorded) -> None:
    store, rec = recorded
    await _warm(store)
    t0 = utc_now() - timedelta(hours=1)
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r", created_at=t0, updated_at=t0))

    async def cost(coro) -> list[list[str]]:
        rec.reset()
        await coro
        trips = list(rec.trips)
        assert not FORBIDDEN & {c for trip in trips for c in trip}, trips
        return trips

    assert await cost(mem.save_messages(messages=_msgs("t", 10, t0))) == [["EVALSHA"]]
    for batch in range(5):
        await mem.save_messages(messages=_msgs("t", 100, t0 + timedelta(seconds=1 + batch), prefix=f"b{batch}-"))
    assert await cost(mem.get_thread_by_id(thread_id="t")) == [["HMGET"]]
    assert await cost(mem.list_messages(thread_id="t", per_page=10, order_by={"field": "created_at", "direction": "DESC"})) == [["EVALSHA"]]
    assert await cost(mem.list_messages(thread_id="t", per_page=0, include=[{"id": "b2-50", "with_previous_messages": 5,
                                                                            "with_next_messages": 5}])) == [["EVALSHA"]]
    assert await cost(mem.list_messages(thread_id=["t", "warm"], per_page=20, page=3)) == [["EVALSHA"]]
    assert await cost(mem.list_messages_by_id(message_ids=[f"m{i}" for i in range(10)])) == [["HMGET"] * 10]
    assert await cost(mem.list_threads(filter={"resource_id": "r"}, per_page=10)) == [["EVALSHA"]]
    assert await cost(mem.update_resource(resource_id="r", working_memory="wm")) == [["HMGET"], ["EVALSHA"]]
    assert await cost(mem.update_resource(resource_id="r", metadata={"a": 1})) == [["HMGET"], ["EVALSHA"]]
    assert await cost(mem.update_thread(id="t", title="new")) == [["HMGET"], ["EVALSHA"]]
    assert await cost(mem.delete_messages(message_ids=["m0", "m1"])) == [["EVALSHA"]]
    assert len(await cost(mem.update_messages(messages=[{"id": "m2", "content": {"content": "x"}}]))) == 3
    assert await cost(mem.delete_thread(thread_id="t")) == [["EVALSHA"]]


async def test_other_domains_have_no_fan_out(recorded) -> None:
    store, rec = recorded
    await _warm(store)
    await store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="warm", snapshot={"status": "running"})
    await store.workflows.list_workflow_runs(workflow_name="wf", status="running")

    async def cost(coro) -> list[list[str]]:
        rec.reset()
        await coro
        assert not FORBIDDEN & set(rec.commands), rec.trips
        return list(rec.trips)

    assert await cost(store.workflows.persist_workflow_snapshot(workflow_name="wf", run_id="r1",
                                                                snapshot={"status": "running"})) == [["EVALSHA"]]
    assert await cost(store.workflows.load_workflow_snapshot(workflow_name="wf", run_id="r1")) == [["HMGET"]]
    assert await cost(store.workflows.get_workflow_run_by_id(run_id="r1")) == [["EVALSHA"]]
    assert await cost(store.workflows.list_workflow_runs(workflow_name="wf", per_page=5)) == [["EVALSHA"]]
    assert await cost(store.workflows.update_workflow_results(workflow_name="wf", run_id="r1", step_id="s",
                                                              result={"ok": 1})) == [["HMGET"], ["EVALSHA"]]
    payload = {"scorerId": "sc", "entityId": "e", "runId": "r1", "score": 1, "scorer": {}, "entity": {}, "source": "LIVE",
               "entityType": "AGENT"}
    assert await cost(store.scores.save_score(score=payload)) == [["EVALSHA"]]
    assert await cost(store.scores.list_scores_by_scorer_id(scorer_id="sc", source="LIVE")) == [["EVALSHA"]]
    assert await cost(store.scores.list_scores_by_entity_id(entity_id="e", entity_type="AGENT")) == [["EVALSHA"]]


@pytest.mark.parametrize("n", [1000, 10000])
async def test_page_cost_does_not_grow_with_thread_length(recorded, raw, n: int) -> None:
    """The last-10 page and an include window return only what was asked, from threads of 1k and 10k messages."""
    store, rec = recorded
    await _warm(store)
    t0 = utc_now() - timedelta(days=1)
    await store.memory.save_thread(thread=Thread(id="long", resource_id="r", created_at=t0, updated_at=t0))
    for start in range(0, n, 1000):
        batch = [Message(id=f"m{i}", role="user", thread_id="long", resource_id="r", created_at=t0 + timedelta(milliseconds=i // 2),
                         content=MessageContent(parts=[TextPart(text=str(i))])) for i in range(start, start + 1000)]
        await store.memory.save_messages(messages=batch)
    rec.reset()
    last = await store.memory.list_messages(thread_id="long", per_page=10, order_by={"field": "created_at", "direction": "DESC"})
    assert [m.id for m in last.items] == [f"m{i}" for i in range(n - 1, n - 11, -1)]
    assert last.total == n and last.has_more
    window = await store.memory.list_messages(thread_id="long", per_page=0, include=[
        {"id": f"m{n // 2}", "with_previous_messages": 3, "with_next_messages": 3}])
    assert [m.id for m in window.items] == [f"m{i}" for i in range(n // 2 - 3, n // 2 + 4)]
    assert rec.trips == [["EVALSHA"], ["EVALSHA"]]
