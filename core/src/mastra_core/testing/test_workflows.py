"""Workflow snapshots: persist/load, upserts keeping created_at, get by id, list with filters and pages, delete."""

from __future__ import annotations

from datetime import datetime

import pytest

from mastra_core.records import WorkflowRunState

from .factories import base_time, ms, sample_snapshot, uid


async def _persist(workflows, name: str, run_id: str | None = None, **kw):
    run_id = run_id or uid("run-")
    status = kw.pop("status", "running")
    await workflows.persist_workflow_snapshot(
        workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id, status), **kw
    )
    return run_id


def _run_ids(page) -> list[str]:
    return [r.run_id for r in page]


async def test_empty_store_lists_nothing(workflows) -> None:
    page = await workflows.list_workflow_runs()
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_persist_and_load_round_trip(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    snap = sample_snapshot(run_id, "suspended", suspendedPaths={"step-1": [0, 1]}, value={"a": "b"})
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=snap)
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) == snap


async def test_complex_nested_snapshot_round_trips(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    snap = sample_snapshot(
        run_id,
        "success",
        context={
            "input": {"nested": {"deep": [1, {"x": None, "y": [True, False, 1.5]}]}},
            "step-1": {"status": "success", "output": {"text": "héllo 🌍", "n": 10**12}, "startedAt": 1, "endedAt": 2},
            "step-2": {"status": "failed", "error": {"message": "boom", "stack": "line1\nline2"}},
        },
        serializedStepGraph=[{"type": "step", "step": {"id": "step-1"}}, {"type": "parallel", "steps": []}],
        activePaths=[0, 2],
        activeStepsPath={"step-1": [0]},
        resumeLabels={"label": {"stepId": "step-1", "foreachIndex": 3}},
        result={"answer": 42},
        requestContext={"user": "u1"},
    )
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=snap)
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) == snap


async def test_typed_snapshot_is_stored_in_wire_form(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    state = WorkflowRunState(run_id=run_id, status="waiting", waiting_paths={"s": [1]}, timestamp=123)
    await workflows.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot=state)
    loaded = await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id)
    assert (loaded["runId"], loaded["status"], loaded["waitingPaths"], loaded["timestamp"]) == (
        run_id,
        "waiting",
        {"s": [1]},
        123,
    )


async def test_load_missing_run_is_none(workflows) -> None:
    assert await workflows.load_workflow_snapshot(workflow_name=uid("wf-"), run_id=uid("run-")) is None


async def test_load_needs_both_keys(workflows) -> None:
    name = uid("wf-")
    run_id = await _persist(workflows, name)
    assert await workflows.load_workflow_snapshot(workflow_name=uid("other-"), run_id=run_id) is None


async def test_persisting_again_overwrites_the_snapshot_and_keeps_created_at(workflows) -> None:
    name, run_id = uid("wf-"), uid("run-")
    t0 = base_time()
    await workflows.persist_workflow_snapshot(
        workflow_name=name, run_id=run_id, snapshot=sample_snapshot(run_id, "running"), created_at=t0, updated_at=t0
    )
    second = sample_snapshot(run_id, "success", result={"done": True})
    await workflows.persist_workflow_snapshot(
        workflow_name=name, run_id=run_id, snapshot=second, created_at=t0 + ms(5000), updated_at=t0 + ms(6000)
    )
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id) == second
    run = await workflows.get_workflow_run_by_id(run_id=run_id, workflow_name=name)
    assert (run.created_at, run.updated_at) == (t0, t0 + ms(6000))
    assert (await workflows.list_workflow_runs(workflow_name=name)).total == 1


async def test_resource_id_is_persisted_and_returned(workflows) -> None:
    name, resource = uid("wf-"), uid("resource-")
    run_id = await _persist(workflows, name, resource_id=resource)
    run = await workflows.get_workflow_run_by_id(run_id=run_id)
    assert run.resource_id == resource
    assert _run_ids(await workflows.list_workflow_runs(resource_id=resource)) == [run_id]


async def test_get_run_by_id_found_and_missing(workflows) -> None:
    name = uid("wf-")
    run_id = await _persist(workflows, name)
    run = await workflows.get_workflow_run_by_id(run_id=run_id, workflow_name=name)
    assert (run.workflow_name, run.run_id, run.snapshot["runId"]) == (name, run_id, run_id)
    assert isinstance(run.created_at, datetime) and isinstance(run.updated_at, datetime)
    assert await workflows.get_workflow_run_by_id(run_id=uid("missing-")) is None
    assert await workflows.get_workflow_run_by_id(run_id=run_id, workflow_name=uid("other-")) is None


async def test_get_run_by_id_without_name_returns_the_newest(workflows) -> None:
    run_id = uid("run-")
    t0 = base_time()
    old, new = uid("wf-old-"), uid("wf-new-")
    await _persist(workflows, new, run_id, created_at=t0 + ms(10))
    await _persist(workflows, old, run_id, created_at=t0)
    assert (await workflows.get_workflow_run_by_id(run_id=run_id)).workflow_name == new
    assert (await workflows.get_workflow_run_by_id(run_id=run_id, workflow_name=old)).workflow_name == old


async def test_dates_are_timezone_aware_datetimes_on_get_and_list(workflows) -> None:
    name = uid("wf-")
    t0 = base_time()
    run_id = await _persist(workflows, name, created_at=t0, updated_at=t0 + ms(1))
    run = await workflows.get_workflow_run_by_id(run_id=run_id)
    [listed] = (await workflows.list_workflow_runs(workflow_name=name)).items
    assert (run.created_at, run.updated_at) == (listed.created_at, listed.updated_at) == (t0, t0 + ms(1))
    assert run.created_at.tzinfo is not None
    assert listed == run


async def test_list_all_newest_first(workflows) -> None:
    t0 = base_time()
    made = [await _persist(workflows, uid("wf-"), created_at=t0 + ms(i)) for i in range(4)]
    page = await workflows.list_workflow_runs()
    assert _run_ids(page) == made[::-1]
    assert (page.total, page.has_more, page.per_page) == (4, False, False)


async def test_filter_by_workflow_name(workflows) -> None:
    name = uid("wf-")
    t0 = base_time()
    mine = [await _persist(workflows, name, created_at=t0 + ms(i)) for i in range(2)]
    await _persist(workflows, uid("other-"))
    page = await workflows.list_workflow_runs(workflow_name=name)
    assert _run_ids(page) == mine[::-1]
    assert page.total == 2


async def test_filter_by_unknown_resource_is_empty(workflows) -> None:
    await _persist(workflows, uid("wf-"), resource_id=uid("r-"))
    page = await workflows.list_workflow_runs(resource_id=uid("nobody-"))
    assert (page.items, page.total) == ([], 0)


@pytest.mark.parametrize(
    "status", ["running", "success", "failed", "suspended", "waiting", "pending", "canceled", "paused"]
)
async def test_filter_by_status(workflows, status: str) -> None:
    name = uid("wf-")
    hit = await _persist(workflows, name, status=status)
    await _persist(workflows, name, status="bailed")
    page = await workflows.list_workflow_runs(workflow_name=name, status=status)
    assert _run_ids(page) == [hit]
    assert page.total == 1


async def test_from_and_to_dates_are_inclusive(workflows) -> None:
    name = uid("wf-")
    t0 = base_time()
    runs = [await _persist(workflows, name, created_at=t0 + ms(1000 * i)) for i in range(5)]
    page = await workflows.list_workflow_runs(workflow_name=name, from_date=t0 + ms(1000), to_date=t0 + ms(3000))
    assert _run_ids(page) == [runs[3], runs[2], runs[1]]
    assert _run_ids(await workflows.list_workflow_runs(workflow_name=name, from_date=t0 + ms(4000))) == [runs[4]]
    assert _run_ids(await workflows.list_workflow_runs(workflow_name=name, to_date=t0)) == [runs[0]]


async def test_filters_are_anded(workflows) -> None:
    name, resource = uid("wf-"), uid("r-")
    t0 = base_time()
    hit = await _persist(workflows, name, resource_id=resource, status="success", created_at=t0 + ms(5))
    await _persist(workflows, name, resource_id=resource, status="failed", created_at=t0 + ms(5))
    await _persist(workflows, name, resource_id=uid("r-"), status="success", created_at=t0 + ms(5))
    await _persist(workflows, uid("wf-"), resource_id=resource, status="success", created_at=t0 + ms(5))
    await _persist(workflows, name, resource_id=resource, status="success", created_at=t0 - ms(5))
    page = await workflows.list_workflow_runs(workflow_name=name, resource_id=resource, status="success", from_date=t0)
    assert _run_ids(page) == [hit]


@pytest.mark.parametrize(("page", "want", "has_more"), [(0, [2, 1], True), (1, [0], False), (2, [], False)])
async def test_pagination_two_plus_one(workflows, page: int, want: list[int], has_more: bool) -> None:
    name = uid("wf-")
    t0 = base_time()
    runs = [await _persist(workflows, name, created_at=t0 + ms(i)) for i in range(3)]
    result = await workflows.list_workflow_runs(workflow_name=name, page=page, per_page=2)
    assert _run_ids(result) == [runs[i] for i in want]
    assert (result.total, result.page, result.per_page, result.has_more) == (3, page, 2, has_more)


async def test_a_listing_with_no_match_is_empty_with_total_zero(workflows, memory) -> None:
    # a backend reading the page and its total in one statement must tell "no rows" from "a row of NULLs"
    runs = await workflows.list_workflow_runs(workflow_name=uid("wf-none-"), page=0, per_page=5)
    assert (runs.items, runs.total, runs.has_more) == ([], 0, False)
    threads = await memory.list_threads(filter={"resource_id": uid("nobody-")}, page=0, per_page=5)
    assert (threads.items, threads.total, threads.has_more) == ([], 0, False)


async def test_equal_created_at_pages_never_skip_or_repeat(workflows) -> None:
    name = uid("wf-")
    t0 = base_time()
    runs = {await _persist(workflows, name, created_at=t0) for _ in range(7)}
    seen: list[str] = []
    for page in range(3):
        seen += _run_ids(await workflows.list_workflow_runs(workflow_name=name, page=page, per_page=3))
    assert sorted(seen) == sorted(runs) and len(seen) == 7


async def test_same_run_id_in_two_workflows_are_distinct_runs(workflows) -> None:
    run_id = uid("run-")
    a, b = uid("wf-a-"), uid("wf-b-")
    await workflows.persist_workflow_snapshot(
        workflow_name=a, run_id=run_id, snapshot=sample_snapshot(run_id, "success")
    )
    await workflows.persist_workflow_snapshot(
        workflow_name=b, run_id=run_id, snapshot=sample_snapshot(run_id, "failed")
    )
    assert (await workflows.load_workflow_snapshot(workflow_name=a, run_id=run_id))["status"] == "success"
    assert (await workflows.load_workflow_snapshot(workflow_name=b, run_id=run_id))["status"] == "failed"


async def test_delete_run(workflows) -> None:
    name = uid("wf-")
    gone, kept = await _persist(workflows, name), await _persist(workflows, name)
    await workflows.delete_workflow_run_by_id(run_id=gone, workflow_name=name)
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=gone) is None
    assert await workflows.get_workflow_run_by_id(run_id=gone) is None
    assert _run_ids(await workflows.list_workflow_runs(workflow_name=name)) == [kept]


async def test_delete_missing_run_is_fine(workflows) -> None:
    await workflows.delete_workflow_run_by_id(run_id=uid(), workflow_name=uid())
    assert (await workflows.list_workflow_runs()).total == 0


async def test_workflow_names_and_run_ids_are_case_sensitive(workflows) -> None:
    name = uid("Wf-")
    run_id = await _persist(workflows, name)
    assert await workflows.load_workflow_snapshot(workflow_name=name.lower(), run_id=run_id) is None
    assert await workflows.load_workflow_snapshot(workflow_name=name, run_id=run_id.upper()) is None
