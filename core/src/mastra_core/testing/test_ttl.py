"""TTL per entity type: reads hide expired rows whether or not the backend has deleted them; prune() works.

Each expiry test writes with a 1 s TTL and sleeps ~2.1 s once (a backend that stores whole seconds and rounds
up still expires within 2 s of the write).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import attrs
import pytest

from mastra_core import ConfigError
from mastra_core.clock import utc_now
from mastra_core.records import EvalRow, TraceRow

from .factories import (
    messages_in_order,
    raises_not_found,
    sample_message,
    sample_score,
    sample_snapshot,
    sample_span,
    sample_thread,
    uid,
)

SHORT = {"default_ttl_seconds": 1}
LONG = {"default_ttl_seconds": 3600}


async def _sleep_past_expiry(written_at: float) -> None:
    await asyncio.sleep(max(0.0, 2.1 - (time.monotonic() - written_at)))


def _assert_prune_result(result: Any) -> None:
    assert isinstance(result, dict)
    assert all(isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in result.items())


async def test_fresh_rows_with_a_ttl_are_visible_and_survive_prune(make_storage) -> None:
    storage = await make_storage(ttl={e: LONG for e in ("thread", "message", "resource", "workflow_snapshot", "score")})
    memory, workflows, scores = storage.memory, storage.workflows, storage.scores
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, 3)
    await memory.save_messages(messages=msgs)
    resource = await memory.update_resource(resource_id=uid(), working_memory="wm")
    name, run_id = uid("wf-"), uid("run-")
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id))
    score = await scores.save_score(score=sample_score())
    _assert_prune_result(await storage.prune())
    assert (await memory.get_thread_by_id(thread_id=thread.id)).id == thread.id
    assert [m.id for m in await memory.list_messages(thread_id=thread.id)] == [m.id for m in msgs]
    assert (await memory.list_threads(filter={"resource_id": thread.resource_id})).total == 1
    assert await memory.get_resource_by_id(resource_id=resource.id) == resource
    assert (await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id))["runId"] == run_id
    assert await scores.get_score_by_id(id=score.id) == score
    updated = await memory.update_thread(id=thread.id, title="still here")
    assert updated.title == "still here"


async def test_expired_memory_workflow_and_score_rows_are_hidden_and_pruned(make_storage) -> None:
    # a: everything but resources expires; b: only messages expire; c: a disabled rule never expires
    a = await make_storage(ttl={"thread": SHORT, "message": SHORT, "workflow_snapshot": SHORT, "score": SHORT})
    b = await make_storage(ttl={"message": SHORT})
    c = await make_storage(
        ttl={"thread": {"enabled": False, "default_ttl_seconds": 1}, "message": {"default_ttl_seconds": 0}}
    )

    thread = sample_thread()
    await a.memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, 3)
    await a.memory.save_messages(messages=msgs)
    resource = await a.memory.update_resource(resource_id=uid("resource-"), working_memory="kept")
    name, run_id = uid("wf-"), uid("run-")
    await a.workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id))
    score = await a.scores.save_score(score=sample_score())

    b_thread = sample_thread()
    await b.memory.save_thread(thread=b_thread)
    b_msgs = messages_in_order(b_thread.id, 2)
    await b.memory.save_messages(messages=b_msgs)

    c_thread = sample_thread()
    await c.memory.save_thread(thread=c_thread)
    c_msg = sample_message(c_thread.id)
    await c.memory.save_messages(messages=[c_msg])
    await _sleep_past_expiry(time.monotonic())

    for rounds in ("before prune", "after prune"):
        # a: threads, messages, runs and scores are gone; the resource (no rule) is not
        assert await a.memory.get_thread_by_id(thread_id=thread.id) is None, rounds
        assert (await a.memory.list_threads()).total == 0
        page = await a.memory.list_messages(thread_id=thread.id)
        assert (page.items, page.total, page.has_more) == ([], 0, False)
        assert await a.memory.list_messages_by_id(message_ids=[m.id for m in msgs]) == []
        assert (
            await a.memory.list_messages(
                thread_id=thread.id, per_page=0, include=[{"id": msgs[1].id, "with_previous_messages": 1}]
            )
        ).items == []
        assert await a.memory.get_resource_by_id(resource_id=resource.id) == resource
        assert await a.workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) is None
        assert await a.workflows.get_workflow_run_by_id(run_id=run_id) is None
        assert (await a.workflows.list_workflow_runs()).total == 0
        assert (
            await a.workflows.update_workflow_state(workflow_name=name, run_id=run_id, opts={"status": "success"})
            is None
        )
        assert await a.scores.get_score_by_id(id=score.id) is None
        assert (await a.scores.list_scores_by_run_id(run_id=score.run_id)).total == 0
        # b: the thread stays, its messages are gone
        assert (await b.memory.get_thread_by_id(thread_id=b_thread.id)).id == b_thread.id
        assert (await b.memory.list_messages(thread_id=b_thread.id)).total == 0
        # c: disabled and zero-second rules never expire
        assert (await c.memory.get_thread_by_id(thread_id=c_thread.id)).id == c_thread.id
        assert [m.id for m in await c.memory.list_messages(thread_id=c_thread.id)] == [c_msg.id]
        if rounds == "before prune":
            for s in (a, c):  # b stays unpruned: its expired rows must stay hidden all the same
                _assert_prune_result(await s.prune())

    with raises_not_found(a.memory, "UPDATE_THREAD"):
        await a.memory.update_thread(id=thread.id, title="gone")
    # expired ids can be written again, as new rows, in the same or another thread
    await a.memory.save_thread(thread=thread)
    await a.memory.save_messages(messages=msgs[:1])
    assert [m.id for m in await a.memory.list_messages(thread_id=thread.id)] == [msgs[0].id]
    # b (not pruned): an expired message id re-saved into another thread lives only there
    elsewhere = sample_thread()
    await b.memory.save_messages(messages=[attrs.evolve(b_msgs[0], thread_id=elsewhere.id)])
    assert (await b.memory.list_messages(thread_id=b_thread.id)).total == 0
    assert [m.id for m in await b.memory.list_messages(thread_id=elsewhere.id)] == [b_msgs[0].id]
    window = await b.memory.list_messages(
        thread_id=b_thread.id, per_page=0, include=[{"id": b_msgs[0].id, "with_previous_messages": 5}]
    )
    assert [(m.id, m.thread_id) for m in window] == [(b_msgs[0].id, elsewhere.id)]
    _assert_prune_result(await b.prune())
    assert [m.id for m in await b.memory.list_messages(thread_id=elsewhere.id)] == [b_msgs[0].id]
    ctx = await a.workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="s", result=1)
    assert ctx == {"s": 1}
    assert (await a.workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id))["status"] == "pending"


@pytest.mark.requires("observability")
async def test_expired_spans_are_hidden_and_pruned(make_storage) -> None:
    storage = await make_storage(ttl={"span": SHORT})
    obs = storage.observability
    root = sample_span()
    child = sample_span(root.trace_id, parent_span_id=root.span_id)
    await obs.batch_create_spans(records=[root, child])
    await _sleep_past_expiry(time.monotonic())
    for _ in range(2):
        assert await obs.get_trace(trace_id=root.trace_id) is None
        assert await obs.get_span(trace_id=root.trace_id, span_id=child.span_id) is None
        assert await obs.get_root_span(trace_id=root.trace_id) is None
        assert (await obs.list_traces()).total == 0
        _assert_prune_result(await storage.prune())
    with raises_not_found(obs, "UPDATE_SPAN"):
        await obs.update_span(trace_id=root.trace_id, span_id=root.span_id, updates={"name": "x"})


@pytest.mark.requires("evals", "traces")
async def test_expired_legacy_rows_are_hidden_and_pruned(make_storage) -> None:
    storage = await make_storage(ttl={"eval": SHORT, "trace": SHORT})
    agent = uid("agent-")
    await storage.evals.save_evals(
        evals=[EvalRow(run_id="r", agent_name=agent, metric_name="m", input="i", output="o", result={})]
    )
    scope = uid("scope-")
    await storage.traces.save_traces(
        traces=[TraceRow(id=uid(), trace_id=uid(), name="n", scope=scope, kind=0, start_time=1, end_time=2)]
    )
    assert (await storage.evals.list_evals(agent_name=agent)).total == 1
    await _sleep_past_expiry(time.monotonic())
    for _ in range(2):
        assert (await storage.evals.list_evals(agent_name=agent)).total == 0
        assert (await storage.traces.list_traces(scope=scope)).total == 0
        _assert_prune_result(await storage.prune())


@pytest.mark.parametrize(
    "ttl",
    [
        {"threads": SHORT},
        {"thread": {"default_ttl_seconds": -1}},
        {"thread": {"default_ttl_seconds": "60"}},
        {"thread": {"ttl_seconds": 60}},
        {"thread": {"attribute_name": ""}},
        {"thread": 60},
        ["thread"],
    ],
)
async def test_bad_ttl_config_is_a_config_error(make_storage, ttl: Any) -> None:
    with pytest.raises(ConfigError):
        await make_storage(ttl=ttl)


async def test_ttl_config_accepts_camel_case_and_attribute_names(make_storage) -> None:
    storage = await make_storage(
        ttl={"thread": {"defaultTtlSeconds": 3600, "attributeName": "expiresAt", "enabled": True}}
    )
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    assert (await storage.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id


async def test_count_expired_counts_exactly_what_prune_deletes(make_storage) -> None:
    # an instant two hours ahead: the rows (1 h TTL) count as expired there, without sleeping
    storage = await make_storage(ttl={e: LONG for e in ("thread", "message", "workflow_snapshot", "score")})
    thread = sample_thread()
    await storage.memory.save_thread(thread=thread)
    await storage.memory.save_messages(messages=messages_in_order(thread.id, 3))
    kept = await storage.memory.update_resource(resource_id=uid("resource-"), working_memory="no rule: kept")
    run_id = uid("run-")
    await storage.workflows.persist_workflow_snapshot(
        workflow_name=uid("wf-"), run_id=run_id, snapshot=sample_snapshot(run_id)
    )
    await storage.scores.save_score(score=sample_score())
    later = utc_now() + timedelta(hours=2)

    assert all(n == 0 for n in (await storage.count_expired()).values())  # nothing has expired yet
    counts = await storage.count_expired(later)
    assert {d: counts[d] for d in ("memory", "workflows", "scores")} == {"memory": 4, "workflows": 1, "scores": 1}
    assert all(n == 0 for d, n in counts.items() if d not in ("memory", "workflows", "scores")), counts
    assert await storage.prune(later) == counts
    assert all(n == 0 for n in (await storage.count_expired(later)).values())
    assert await storage.memory.get_resource_by_id(resource_id=kept.id) == kept
