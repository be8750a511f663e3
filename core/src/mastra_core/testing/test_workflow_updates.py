"""update_workflow_results and update_workflow_state: atomic merges into the stored snapshot."""

from __future__ import annotations

from mastra_core.records import WorkflowStateUpdate

from .factories import base_time, ms, sample_snapshot, uid


async def _run(workflows, **snap_kw):
    name, run_id = uid("wf-"), uid("run-")
    t0 = base_time()
    await workflows.persist_workflow_snapshot(
        workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id, **snap_kw), created_at=t0, updated_at=t0
    )
    return name, run_id, t0


async def test_update_results_sets_the_step_and_returns_the_context(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    ctx = await workflows.update_workflow_results(
        workflow_name=name,
        run_id=run_id,
        step_id="step-1",
        result={"status": "success", "output": {"v": 1}},
        request_context={},
    )
    assert ctx == {"input": {"x": 1}, "step-1": {"status": "success", "output": {"v": 1}}}
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["context"] == ctx
    assert snap["status"] == "running"


async def test_update_results_replaces_a_step_and_keeps_others(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="a", result=1)
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="b", result=2)
    ctx = await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="a", result=3)
    assert ctx == {"input": {"x": 1}, "a": 3, "b": 2}


async def test_update_results_merges_request_context_shallowly(workflows) -> None:
    name, run_id, _ = await _run(workflows, requestContext={"user": "u1", "deep": {"a": 1}})
    await workflows.update_workflow_results(
        workflow_name=name, run_id=run_id, step_id="s", result=None, request_context={"tenant": "t1", "deep": {"b": 2}}
    )
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["requestContext"] == {"user": "u1", "tenant": "t1", "deep": {"b": 2}}
    assert snap["context"]["s"] is None


async def test_update_results_on_a_missing_run_creates_a_pending_snapshot(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    ctx = await workflows.update_workflow_results(
        workflow_name=name, run_id=run_id, step_id="first", result={"ok": True}
    )
    assert ctx == {"first": {"ok": True}}
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert (snap["runId"], snap["status"], snap["context"]) == (run_id, "pending", {"first": {"ok": True}})
    assert (await workflows.get_workflow_run_by_id(run_id=run_id)).workflow_name == name


async def test_update_results_keeps_created_at_and_moves_updated_at(workflows) -> None:
    name, run_id, t0 = await _run(workflows)
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="s", result=1)
    run = await workflows.get_workflow_run_by_id(run_id=run_id, workflow_name=name)
    assert run.created_at == t0
    assert run.updated_at > t0


async def test_update_results_keeps_resource_id(workflows) -> None:
    name, run_id, resource = uid("wf-"), uid("run-"), uid("r-")
    await workflows.persist_workflow_snapshot(
        workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id), resource_id=resource
    )
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="s", result=1)
    assert (await workflows.get_workflow_run_by_id(run_id=run_id)).resource_id == resource


async def test_update_state_merges_options(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    snap = await workflows.update_workflow_state(
        workflow_name=name,
        run_id=run_id,
        opts={"status": "suspended", "suspendedPaths": {"step-2": [1]}, "waiting_paths": {"step-3": [2]}},
    )
    assert (snap["status"], snap["suspendedPaths"], snap["waitingPaths"]) == (
        "suspended",
        {"step-2": [1]},
        {"step-3": [2]},
    )
    assert snap["context"] == {"input": {"x": 1}}
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) == snap


async def test_update_state_with_record(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    snap = await workflows.update_workflow_state(
        workflow_name=name, run_id=run_id, opts=WorkflowStateUpdate(status="failed", error={"message": "boom"})
    )
    assert (snap["status"], snap["error"]) == ("failed", {"message": "boom"})
    assert "result" not in snap


async def test_update_state_result_then_status(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    await workflows.update_workflow_state(
        workflow_name=name, run_id=run_id, opts={"status": "success", "result": {"x": 1}}
    )
    snap = await workflows.update_workflow_state(workflow_name=name, run_id=run_id, opts={"status": "canceled"})
    assert (snap["status"], snap["result"]) == ("canceled", {"x": 1})


async def test_update_state_on_missing_run_is_none_and_writes_nothing(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    assert await workflows.update_workflow_state(workflow_name=name, run_id=run_id, opts={"status": "success"}) is None
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) is None


async def test_updated_state_is_visible_to_the_status_filter(workflows) -> None:
    name, run_id, t0 = await _run(workflows)
    await workflows.update_workflow_state(workflow_name=name, run_id=run_id, opts={"status": "success"})
    assert [r.run_id for r in await workflows.list_workflow_runs(workflow_name=name, status="success")] == [run_id]
    assert (await workflows.list_workflow_runs(workflow_name=name, status="running")).total == 0
    run = await workflows.get_workflow_run_by_id(run_id=run_id)
    assert run.created_at == t0 and run.updated_at >= t0 + ms(1)


async def test_results_and_state_updates_compose(workflows) -> None:
    name, run_id, _ = await _run(workflows)
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="s1", result={"out": 1})
    await workflows.update_workflow_state(
        workflow_name=name, run_id=run_id, opts={"status": "waiting", "waitingPaths": {"s2": [0]}}
    )
    await workflows.update_workflow_results(workflow_name=name, run_id=run_id, step_id="s2", result={"out": 2})
    snap = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert snap["context"] == {"input": {"x": 1}, "s1": {"out": 1}, "s2": {"out": 2}}
    assert (snap["status"], snap["waitingPaths"]) == ("waiting", {"s2": [0]})
