"""update_thread, update_resource and update_workflow_* merge in SQL (``merge.py``): the result must be exactly what
the general path (read, ``patch.apply``, write) gives, and anything SQL cannot say the same way takes that path."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mastra_core.clock import utc_now
from mastra_core.records import Resource, Thread

ODD = {"float": 0.1 + 0.2, "big": 2**53 - 1, "empty_list": [], "empty_obj": {}, "nested": {"a": [1, {"b": None}]},
       "text": 'q"uote \\ back } ] \u00e9 \U0001f600', "unit": 2.5}


async def test_thread_merges_keep_every_value_and_bump_strictly(make_store: Any) -> None:
    store = await make_store()
    mem = store.memory
    future = utc_now() + timedelta(hours=1)
    await mem.save_thread(thread=Thread(id="t", resource_id="r", title="a", metadata=ODD, created_at=future,
                                        updated_at=future))
    got = await mem.update_thread(id="t", metadata={"float": 1e-7, "new-key_1": {"x": [2.5]}, "unit": None})
    assert got.metadata == {**ODD, "float": 1e-7, "new-key_1": {"x": [2.5]}, "unit": None}
    assert got.title == "a" and got.updated_at == future + timedelta(milliseconds=1)
    assert await mem.get_thread_by_id(thread_id="t") == got
    titled = await mem.update_thread(id="t", title=None)
    assert titled.title is None and titled.metadata == got.metadata
    # keys that are not plain (a dot, a quote, non-ASCII) take the general path, same result
    odd_keys = {"a.b": 1, 'q"': 2, "\u00e9": 3}
    assert (await mem.update_thread(id="t", metadata=odd_keys)).metadata == {**got.metadata, **odd_keys}


async def test_null_metadata_and_a_missing_thread(make_store: Any) -> None:
    store = await make_store()
    mem = store.memory
    await mem.save_thread(thread=Thread(id="t", resource_id="r", metadata=None))
    assert (await mem.update_thread(id="t", metadata={})).metadata == {}
    await mem.save_thread(thread=Thread(id="u", resource_id="r", metadata=None))
    assert (await mem.update_thread(id="u", metadata={"k": 1})).metadata == {"k": 1}
    from mastra_core import NotFoundError

    try:
        await mem.update_thread(id="nope", title="x")
    except NotFoundError:
        pass
    else:
        raise AssertionError("update_thread of a missing thread must raise NotFoundError")


async def test_resource_merge_and_creation(make_store: Any) -> None:
    store = await make_store()
    mem = store.memory
    created = await mem.update_resource(resource_id="r", working_memory="wm", metadata={"k": 1})
    assert created.metadata == {"k": 1} and created.working_memory == "wm"
    await mem.save_resource(resource=Resource(id="s", working_memory="old", metadata=ODD))
    got = await mem.update_resource(resource_id="s", metadata={"unit": 3})
    assert got.metadata == {**ODD, "unit": 3} and got.working_memory == "old"
    assert await mem.get_resource_by_id(resource_id="s") == got


async def test_workflow_merges_and_their_general_path(make_store: Any) -> None:
    store = await make_store()
    wf = store.workflows
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="1", resource_id="res",
                                       snapshot={"status": "running", "context": {"s0": ODD}, "value": {"v": 2.50}})
    ctx = await wf.update_workflow_results(workflow_name="w", run_id="1", step_id="s1", result=[],
                                           request_context={"user-id": "u"})
    assert ctx == {"s0": ODD, "s1": []}
    snap = await wf.update_workflow_state(workflow_name="w", run_id="1", opts={"status": "success", "result": ODD})
    assert snap == {"status": "success", "context": {"s0": ODD, "s1": []}, "value": {"v": 2.5},
                    "requestContext": {"user-id": "u"}, "result": ODD}
    assert [r.run_id for r in (await wf.list_workflow_runs(status="success")).items] == ["1"]
    run = await wf.get_workflow_run_by_id(run_id="1")
    assert run.resource_id == "res" and run.snapshot == snap
    # a context that is not an object ([] counts as empty for the core) and a missing run: the general path
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="2", snapshot={"status": "running", "context": []})
    assert await wf.update_workflow_results(workflow_name="w", run_id="2", step_id="s", result=1) == {"s": 1}
    assert await wf.update_workflow_results(workflow_name="w", run_id="3", step_id="odd.key", result=1) == {
        "odd.key": 1}
    assert await wf.update_workflow_state(workflow_name="w", run_id="none", opts={"status": "success"}) is None
