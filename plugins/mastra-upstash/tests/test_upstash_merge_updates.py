"""update_thread and update_workflow_* merge inside one Lua script (``lua.merged`` / ``lua.merged_ix``): what they
store must be exactly what the general path (read, ``patch.apply``, write the whole record) stores, the indexes
included, which the script derives from the stored entries without reading the record first."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from mastra_core import NotFoundError
from mastra_core.clock import utc_now
from mastra_core.records import Thread

ODD = {
    "float": 0.1 + 0.2,
    "big": 2**53 - 1,
    "empty_list": [],
    "text": 'q"uote \\ } ] , : {"x": 1} \u2028 \u00e9 \U0001f600',
    "nested": {"a": [1, {"b": None, "c": "]}"}]},
}


async def _ix(raw, key: str) -> list[list[str]]:
    return sorted(json.loads(await raw.hget(key, "ix") or "[]"))


async def test_update_thread_moves_exactly_the_patched_keys_indexes(make_store, raw) -> None:
    store = await make_store()
    mem, p = store.memory, store.prefix
    t0 = utc_now() - timedelta(hours=1)
    await mem.save_thread(thread=Thread(id="t:1", resource_id="r:1", title="a", metadata={**ODD, "k": 1, "keep": "x"},
                                        created_at=t0, updated_at=t0))
    got = await mem.update_thread(id="t:1", metadata={"k": 2, "new": {"n": [1]}, "float": 1e-7})
    assert got.metadata == {**ODD, "k": 2, "keep": "x", "new": {"n": [1]}, "float": 1e-7}
    assert list(got.metadata) == [*ODD, "k", "keep", "new"] and got.title == "a"
    assert got.created_at == t0 and got.updated_at > t0
    assert await mem.get_thread_by_id(thread_id="t:1") == got
    merged_ix = await _ix(raw, f"{p}thread:t%3A1")
    await mem.save_thread(thread=got)  # the general path's index entries for the same thread
    assert merged_ix == await _ix(raw, f"{p}thread:t%3A1")
    for scope in (None, "r:1"):
        assert [t.id for t in (await mem.list_threads(filter={"resource_id": scope, "metadata": {"k": 2}})).items] \
            == ["t:1"]
        assert (await mem.list_threads(filter={"resource_id": scope, "metadata": {"k": 1}})).total == 0
        assert (await mem.list_threads(filter={"resource_id": scope, "metadata": {"keep": "x"}})).total == 1
    stale = [k for k in await raw.keys(f"{p}*threads:meta:k:*") if await raw.zcard(k)]
    assert len(stale) == 2  # the new value's global and resource-scoped index, no leftover of the old value


async def test_update_thread_title_only_none_title_and_null_metadata(make_store) -> None:
    store = await make_store()
    mem = store.memory
    t0 = utc_now() + timedelta(hours=1)  # updated_at in the future: the update still moves it strictly after
    await mem.save_thread(thread=Thread(id="t", resource_id="r", title="a", metadata=None, created_at=t0,
                                        updated_at=t0))
    titled = await mem.update_thread(id="t", title=None)
    assert titled.title is None and titled.metadata is None and titled.updated_at == t0 + timedelta(milliseconds=1)
    meta = await mem.update_thread(id="t", metadata={"a": 1})
    assert meta.metadata == {"a": 1} and meta.title is None and meta.updated_at > titled.updated_at
    assert await mem.get_thread_by_id(thread_id="t") == meta


async def test_update_of_a_missing_thread_or_run_writes_nothing(make_store, raw) -> None:
    store = await make_store()
    with pytest.raises(NotFoundError):
        await store.memory.update_thread(id="nope", title="x")
    assert await store.workflows.update_workflow_state(workflow_name="w", run_id="nope",
                                                       opts={"status": "success"}) is None
    assert await raw.keys(f"{store.prefix}*") == []


async def test_update_workflow_state_moves_the_status_index(make_store, raw) -> None:
    store = await make_store()
    wf, p = store.workflows, store.prefix
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", resource_id="r",
                                       snapshot={"status": "running", "context": {"a": ODD}, "value": {}})
    snap = await wf.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "success", "result": ODD})
    assert snap == {"status": "success", "context": {"a": ODD}, "value": {}, "result": ODD}
    assert [r.run_id for r in (await wf.list_workflow_runs(status="success")).items] == ["1"]
    assert (await wf.list_workflow_runs(status="running")).total == 0
    assert (await wf.list_workflow_runs(resource_id="r", status="success")).total == 1
    merged_ix, st = await _ix(raw, f"{p}run:w:1"), await raw.hget(f"{p}run:w:1", "st")
    run = await wf.get_workflow_run_by_id(run_id="1", workflow_name="w")
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", resource_id="r", snapshot=run.snapshot,
                                       created_at=run.created_at, updated_at=run.updated_at)
    assert merged_ix == await _ix(raw, f"{p}run:w:1") and st == "success" == await raw.hget(f"{p}run:w:1", "st")
    await wf.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "failed", "error": {"m": "x"}})
    assert await raw.hget(f"{p}run:w:1", "st") == "failed"
    assert (await wf.list_workflow_runs(status="success")).total == 0
    assert [r.run_id for r in (await wf.list_workflow_runs(resource_id="r", status="failed")).items] == ["1"]


async def test_update_workflow_results_keeps_the_run_and_falls_back_on_a_non_object_context(make_store, raw) -> None:
    store = await make_store()
    wf, p = store.workflows, store.prefix
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", resource_id="r",
                                       snapshot={"status": "suspended", "context": {"s0": ODD}})
    before = await _ix(raw, f"{p}run:w:1")
    ctx = await wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s1", result=[],
                                           request_context={"u": "x"})
    assert ctx == {"s0": ODD, "s1": []}
    run = await wf.get_workflow_run_by_id(run_id="1")
    assert run.resource_id == "r" and run.snapshot["status"] == "suspended"
    assert run.snapshot["requestContext"] == {"u": "x"}
    assert await _ix(raw, f"{p}run:w:1") == before and await raw.hget(f"{p}run:w:1", "st") == "suspended"
    # a stored context the script cannot merge into (a list): the core's merge decides ([] counts as empty)
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="2", snapshot={"status": "running", "context": []})
    assert await wf.update_workflow_results(workflow_name="w", run_id="2", step_id="s", result=1) == {"s": 1}
