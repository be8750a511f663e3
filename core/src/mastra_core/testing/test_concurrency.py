"""Concurrent writers lose nothing: atomic read-modify-writes of resources, threads, workflow runs; concurrent init."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import attrs
import pytest

from .factories import (
    base_time,
    ids,
    messages_in_order,
    sample_resource,
    sample_score,
    sample_snapshot,
    sample_thread,
    uid,
)

N = 20


async def test_concurrent_update_resource_metadata_loses_nothing(memory) -> None:
    rid = uid("resource-")
    await memory.update_resource(resource_id=rid, working_memory="start", metadata={"base": True})
    await asyncio.gather(*(memory.update_resource(resource_id=rid, metadata={f"k{i}": i}) for i in range(N)))
    got = await memory.get_resource_by_id(resource_id=rid)
    assert got.metadata == {"base": True, **{f"k{i}": i for i in range(N)}}
    assert got.working_memory == "start"


async def test_concurrent_update_resource_creating_it_loses_nothing(memory) -> None:
    rid = uid("resource-")
    results = await asyncio.gather(*(memory.update_resource(resource_id=rid, metadata={f"k{i}": i}) for i in range(N)))
    got = await memory.get_resource_by_id(resource_id=rid)
    assert got.metadata == {f"k{i}": i for i in range(N)}
    assert len({r.created_at for r in results}) == 1  # one creation, everyone else updated it


async def test_concurrent_modify_resource_appends_to_working_memory(memory) -> None:
    rid = uid("resource-")
    await memory.save_resource(resource=sample_resource(id=rid, working_memory=""))

    def append(i: int):
        def change(old):
            assert old is not None
            return attrs.evolve(old, working_memory=(old.working_memory or "") + f"[{i}]")

        return change

    await asyncio.gather(*(memory.modify_resource(resource_id=rid, change=append(i)) for i in range(N)))
    wm = (await memory.get_resource_by_id(resource_id=rid)).working_memory
    assert sorted(wm.strip("[]").split("][")) == sorted(str(i) for i in range(N))


async def test_concurrent_update_thread_metadata_loses_nothing(memory) -> None:
    thread = sample_thread(metadata={"base": 0})
    await memory.save_thread(thread=thread)
    results = await asyncio.gather(*(memory.update_thread(id=thread.id, metadata={f"k{i}": i}) for i in range(N)))
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.metadata == {"base": 0, **{f"k{i}": i for i in range(N)}}
    assert got.updated_at == max(r.updated_at for r in results)
    assert len({r.updated_at for r in results}) == N  # every update bumped updated_at strictly


async def test_concurrent_modify_thread_counter(memory) -> None:
    thread = sample_thread(metadata={"count": 0})
    await memory.save_thread(thread=thread)

    def incr(t):
        return attrs.evolve(t, metadata={**t.metadata, "count": t.metadata["count"] + 1})

    await asyncio.gather(*(memory.modify_thread(thread_id=thread.id, change=incr) for _ in range(N)))
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata["count"] == N


async def test_concurrent_thread_working_memory_updates(memory) -> None:
    thread = sample_thread(metadata={})
    await memory.save_thread(thread=thread)

    def add(i: int):
        def change(t):
            wm = dict((t.metadata or {}).get("workingMemory") or {})
            wm[f"fact{i}"] = i
            return attrs.evolve(t, metadata={**(t.metadata or {}), "workingMemory": wm})

        return change

    await asyncio.gather(*(memory.modify_thread(thread_id=thread.id, change=add(i)) for i in range(N)))
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.metadata["workingMemory"] == {f"fact{i}": i for i in range(N)}


async def test_concurrent_update_workflow_results_for_different_steps_all_land(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id))
    await asyncio.gather(
        *(
            workflows.update_workflow_results(
                workflow_name=name, run_id=run_id, step_id=f"step-{i}", result={"i": i}, request_context={f"c{i}": i}
            )
            for i in range(N)
        )
    )
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["context"] == {"input": {"x": 1}, **{f"step-{i}": {"i": i} for i in range(N)}}
    assert snap["requestContext"] == {f"c{i}": i for i in range(N)}


async def test_concurrent_update_workflow_results_on_a_missing_run(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    await asyncio.gather(
        *(
            workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id=f"s{i}", result=i)
            for i in range(10)
        )
    )
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["context"] == {f"s{i}": i for i in range(10)}
    assert (await workflows.list_workflow_runs(workflow_name=name)).total == 1


async def test_concurrent_results_and_state_updates_both_land(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id))
    await asyncio.gather(
        workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="step-1", result={"ok": 1}),
        workflows.update_workflow_state(
            workflow_name=name, run_id=run_id, opts={"status": "waiting", "waitingPaths": {"step-2": [1]}}
        ),
        workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="step-2", result={"ok": 2}),
        workflows.update_workflow_state(
            workflow_name=name, run_id=run_id, opts={"status": "waiting", "result": {"r": 1}}
        ),
    )
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["context"]["step-1"] == {"ok": 1} and snap["context"]["step-2"] == {"ok": 2}
    assert (snap["status"], snap["waitingPaths"], snap["result"]) == ("waiting", {"step-2": [1]}, {"r": 1})


async def test_concurrent_save_messages_to_one_thread(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    batches = [messages_in_order(thread.id, 5, start=t0 + timedelta(seconds=i)) for i in range(10)]
    await asyncio.gather(*(memory.save_messages(messages=b) for b in batches))
    page = await memory.list_messages(thread_id=thread.id, per_page=False)
    assert ids(page) == [m.id for b in batches for m in b]
    assert page.total == 50


async def test_concurrent_saves_of_distinct_threads(memory) -> None:
    resource = uid("resource-")
    threads = [sample_thread(resource_id=resource) for _ in range(N)]
    await asyncio.gather(*(memory.save_thread(thread=t) for t in threads))
    assert sorted(ids(await memory.list_threads(filter={"resource_id": resource}))) == sorted(ids(threads))


async def test_concurrent_scores_are_all_saved(scores) -> None:
    run = uid("run-")
    saved = await asyncio.gather(*(scores.save_score(score=sample_score(run_id=run)) for _ in range(N)))
    page = await scores.list_scores_by_run_id(run_id=run, per_page=False)
    assert sorted(s.id for s in page) == sorted(s.id for s in saved)


@pytest.mark.requires("agents")
async def test_concurrent_agent_updates_all_resolve(agents) -> None:
    from mastra_core.records import Agent

    agent = await agents.create_agent(agent=Agent(id=uid("agent-"), name="a", instructions="i", model={}))
    results = await asyncio.gather(*(agents.update_agent(id=agent.id, metadata={"n": i}) for i in range(10)))
    final = await agents.get_agent_by_id(id=agent.id)
    assert final.metadata in [r.metadata for r in results]
    assert final.updated_at == max(r.updated_at for r in results)


@pytest.mark.requires("agents")
async def test_concurrent_creates_of_one_agent_id_let_exactly_one_win(agents) -> None:
    from mastra_core import ValidationError
    from mastra_core.records import Agent

    aid = uid("agent-")
    results = await asyncio.gather(
        *(agents.create_agent(agent=Agent(id=aid, name=f"n{i}", instructions="i", model={})) for i in range(5)),
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ValidationError) for r in results if isinstance(r, BaseException))
    assert (await agents.get_agent_by_id(id=aid)).name == winners[0].name


async def test_concurrent_init_is_safe(make_storage) -> None:
    fresh = await make_storage(init=False)
    await asyncio.gather(*(fresh.init() for _ in range(10)))
    await asyncio.gather(*(fresh.init() for _ in range(3)))
    thread = sample_thread()
    await fresh.memory.save_thread(thread=thread)
    assert (await fresh.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id


async def test_first_calls_racing_on_an_uninitialised_storage(make_storage) -> None:
    fresh = await make_storage(init=False)
    threads = [sample_thread() for _ in range(5)]
    await asyncio.gather(
        *(fresh.memory.save_thread(thread=t) for t in threads),
        *(fresh.workflows.list_workflow_runs() for _ in range(3)),
        *(fresh.scores.list_scores_by_run_id(run_id="r") for _ in range(3)),
    )
    for t in threads:
        assert await fresh.memory.get_thread_by_id(thread_id=t.id) is not None


async def test_two_storages_on_one_namespace_init_concurrently(make_storage) -> None:
    """Two app instances starting together on one database: both inits succeed and they see each other's writes."""
    ns = f"t{uid()[:12].replace('-', '')}"
    a = await make_storage(ns, init=False)
    b = await make_storage(ns, init=False)
    await asyncio.gather(a.init(), b.init())
    thread = sample_thread()
    await a.memory.save_thread(thread=thread)
    assert (await a.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id
    if a.backend_id != "inmemory":  # in-memory storages are separate objects: they never share data
        assert (await b.memory.get_thread_by_id(thread_id=thread.id)).id == thread.id
