"""The commands-per-operation budget, counted on the client's connections (one list of commands per round trip).

No operation may SCAN or KEYS; writes are one script call (the read-modify-writes of update_thread, update_resource
and update_workflow_* included: they merge inside the script); a page or an include window is one script call;
get_thread_by_id is one HMGET; only the general modify_* with a caller's function reads first (2 requests).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread

FORBIDDEN = {"SCAN", "KEYS", "HSCAN", "ZSCAN", "SSCAN"}


def _msgs(thread_id: str, n: int, start, prefix: str = "m") -> list[Message]:
    return [Message(id=f"{prefix}{i}", role="user", thread_id=thread_id, resource_id="r",
                    created_at=start + timedelta(milliseconds=i),
                    content=MessageContent(parts=[TextPart(text=f"text {i}")]))
            for i in range(n)]


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
    newest = {"field": "created_at", "direction": "DESC"}
    assert await cost(mem.list_messages(thread_id="t", per_page=10, order_by=newest)) == [["EVALSHA"]]
    assert await cost(mem.list_messages(thread_id="t", per_page=0, include=[{"id": "b2-50", "with_previous_messages": 5,
                                                                            "with_next_messages": 5}])) == [["EVALSHA"]]
    assert await cost(mem.list_messages(thread_id=["t", "warm"], per_page=20, page=3)) == [["EVALSHA"]]
    assert await cost(mem.list_messages_by_id(message_ids=[f"m{i}" for i in range(10)])) == [["HMGET"] * 10]
    assert await cost(mem.list_threads(filter={"resource_id": "r"}, per_page=10)) == [["EVALSHA"]]
    # the merge runs inside the script: one request, created or updated
    assert await cost(mem.update_resource(resource_id="r", working_memory="wm")) == [["EVALSHA"]]
    assert await cost(mem.update_resource(resource_id="r", metadata={"a": 1})) == [["EVALSHA"]]
    assert await cost(mem.modify_resource(resource_id="r", change=lambda r: r)) == [["HMGET"], ["EVALSHA"]]
    assert await cost(mem.update_thread(id="t", title="new")) == [["EVALSHA"]]
    assert await cost(mem.update_thread(id="t", metadata={"k": [1]})) == [["EVALSHA"]]
    assert await cost(mem.modify_thread(thread_id="t", change=lambda t: t)) == [["HMGET"], ["EVALSHA"]]
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
                                                              result={"ok": 1})) == [["EVALSHA"]]
    assert await cost(store.workflows.update_workflow_results(workflow_name="wf", run_id="new", step_id="s",
                                                              result=1)) == [["EVALSHA"]]  # created in the script
    assert await cost(store.workflows.update_workflow_state(workflow_name="wf", run_id="r1",
                                                            opts={"status": "success"})) == [["EVALSHA"]]
    payload = {"scorerId": "sc", "entityId": "e", "runId": "r1", "score": 1, "scorer": {}, "entity": {},
               "source": "LIVE", "entityType": "AGENT"}
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
        batch = [Message(id=f"m{i}", role="user", thread_id="long", resource_id="r",
                         created_at=t0 + timedelta(milliseconds=i // 2),
                         content=MessageContent(parts=[TextPart(text=str(i))]))
                 for i in range(start, start + 1000)]
        await store.memory.save_messages(messages=batch)
    rec.reset()
    last = await store.memory.list_messages(thread_id="long", per_page=10,
                                            order_by={"field": "created_at", "direction": "DESC"})
    assert [m.id for m in last.items] == [f"m{i}" for i in range(n - 1, n - 11, -1)]
    assert last.total == n and last.has_more
    window = await store.memory.list_messages(thread_id="long", per_page=0, include=[
        {"id": f"m{n // 2}", "with_previous_messages": 3, "with_next_messages": 3}])
    assert [m.id for m in window.items] == [f"m{i}" for i in range(n // 2 - 3, n // 2 + 4)]
    assert rec.trips == [["EVALSHA"], ["EVALSHA"]]


async def test_no_operation_of_any_domain_scans(recorded) -> None:
    """Every public operation of every domain, with a TTL active (purges run too): never SCAN or KEYS."""
    store, rec = recorded
    t0 = utc_now() - timedelta(hours=1)
    mem, wf, sc, obs, ag, ev, tr = (store.memory, store.workflows, store.scores, store.observability, store.agents,
                                    store.evals, store.traces)
    from mastra_core.retention import Retention

    entities = ("thread", "message", "resource", "workflow_snapshot", "score", "span", "eval", "trace")
    ttl = Retention.parse({e: {"default_ttl_seconds": 60} for e in entities})
    for name in store.domains:
        store.get_store(name).retention = ttl
    rec.reset()
    await mem.save_thread(thread=Thread(id="t", resource_id="r", metadata={"a": 1}, created_at=t0, updated_at=t0))
    await mem.save_messages(messages=_msgs("t", 20, t0))
    await mem.get_thread_by_id(thread_id="t")
    await mem.update_thread(id="t", title="x", metadata={"b": 2})
    await mem.list_threads(filter={"resource_id": "r", "metadata": {"a": 1}})
    await mem.list_threads(order_by={"field": "updated_at", "direction": "ASC"})
    await mem.list_messages(thread_id=["t", "u"], resource_id="r", include=[{"id": "m3", "with_previous_messages": 2}],
                            filter={"date_range": {"start": t0, "end_exclusive": True,
                                                   "end": t0 + timedelta(seconds=1)}})
    await mem.list_messages_by_id(message_ids=["m1", "m2"])
    await mem.update_messages(messages=[{"id": "m1", "thread_id": "t2"}])
    await mem.delete_messages(message_ids=["m2"])
    await mem.clone_thread(source_thread_id="t", new_thread_id="t-clone")
    await mem.update_resource(resource_id="r", working_memory="wm")
    await mem.get_resource_by_id(resource_id="r")
    await mem.delete_thread(thread_id="t")
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", resource_id="r", snapshot={"status": "running"})
    await wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s", result=1)
    await wf.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "success"})
    await wf.list_workflow_runs(workflow_name="w", resource_id="r", status="success", from_date=t0)
    await wf.get_workflow_run_by_id(run_id="1")
    await wf.load_workflow_snapshot(workflow_name="w", run_id="1")
    await wf.delete_workflow_run_by_id(workflow_name="w", run_id="1")
    saved = await sc.save_score(score={"scorerId": "s", "entityId": "e", "runId": "1", "score": 1, "scorer": {},
                                       "entity": {}, "source": "LIVE", "entityType": "AGENT", "traceId": "tr",
                                       "spanId": "sp"})
    await sc.get_score_by_id(id=saved.id)
    await sc.list_scores_by_scorer_id(scorer_id="s", entity_id="e", entity_type="AGENT", source="LIVE")
    await sc.list_scores_by_run_id(run_id="1")
    await sc.list_scores_by_entity_id(entity_id="e", entity_type="AGENT")
    await sc.list_scores_by_span(trace_id="tr", span_id="sp")
    await obs.create_span(span={"traceId": "tr", "spanId": "root", "name": "n", "spanType": "agent_run",
                                "startedAt": t0})
    await obs.batch_create_spans(records=[{"traceId": "tr", "spanId": "c", "parentSpanId": "root", "name": "n",
                                           "spanType": "tool_call", "startedAt": t0}])
    await obs.update_span(trace_id="tr", span_id="c", updates={"error": {"message": "boom"}})
    await obs.get_span(trace_id="tr", span_id="c")
    await obs.get_root_span(trace_id="tr")
    await obs.get_trace(trace_id="tr")
    await obs.list_traces(filters={"has_child_error": True}, order_by={"field": "ended_at", "direction": "ASC"})
    await obs.batch_delete_traces(trace_ids=["tr"])
    await ag.create_agent(agent={"id": "a", "name": "A", "instructions": "i", "model": {}})
    await ag.update_agent(id="a", name="B")
    await ag.get_agent_by_id(id="a")
    await ag.list_agents(order_by={"field": "updated_at", "direction": "ASC"})
    await ag.delete_agent(id="a")
    await ev.save_evals(evals=[{"run_id": "1", "agent_name": "A", "metric_name": "m", "input": "i", "output": "o",
                                "result": {"score": 1}, "test_info": {"t": 1}}])
    await ev.list_evals(agent_name="A", type="test")
    await tr.save_traces(traces=[{"id": "x", "traceId": "tr", "name": "span", "scope": "s", "kind": 1, "startTime": 1,
                                  "endTime": 2, "attributes": {"k": "v"}}])
    await tr.list_traces(name="sp", scope="s", attributes={"k": "v"})
    await tr.list_traces()
    await store.prune()
    used = set(rec.commands)
    assert not FORBIDDEN & used, sorted(used)
    # HELLO / CLIENT SETINFO: redis-py's handshake on a new connection
    assert used <= {"EVALSHA", "HMGET", "EXISTS", "SCRIPT", "EVAL", "HELLO", "CLIENT"}, sorted(used)


async def test_list_traces_equality_filters_read_only_the_matches(recorded, raw) -> None:
    store, rec = recorded
    obs = store.observability
    t0 = utc_now() - timedelta(hours=1)
    for i in range(60):
        await obs.create_span(span={"traceId": f"tr{i}", "spanId": "root", "name": "run", "spanType": "agent_run",
                                    "startedAt": t0 + timedelta(seconds=i), "entityId": f"agent-{i % 3}",
                                    "userId": f"u{i % 4}"})
    await obs.create_span(span={"traceId": "tr3", "spanId": "child", "parentSpanId": "root", "name": "tool",
                                "spanType": "tool_call", "startedAt": t0, "error": {"message": "x"},
                                "entityId": "agent-0"})
    assert await raw.zcard(f"{store.prefix}traces:by:entity_id:agent-0") == 20  # roots only
    rec.reset()
    page = await obs.list_traces(filters={"entity_id": "agent-0", "user_id": "u3"}, per_page=100)
    assert [s.trace_id for s in page.items] == ["tr51", "tr39", "tr27", "tr15", "tr3"] and page.total == 5
    assert [trip[0] for trip in rec.trips] == ["EVALSHA", "EXISTS"]  # one script, then one pipeline of EXISTS
    errors = await obs.list_traces(filters={"entity_id": "agent-0", "has_child_error": True})
    assert [s.trace_id for s in errors.items] == ["tr3"]
    await obs.update_span(trace_id="tr3", span_id="root", updates={"entity_id": "agent-9"})
    moved = await obs.list_traces(filters={"entity_id": "agent-9"})
    assert [s.trace_id for s in moved.items] == ["tr3"]
    assert (await obs.list_traces(filters={"entity_id": "agent-0", "user_id": "u3"})).total == 4
