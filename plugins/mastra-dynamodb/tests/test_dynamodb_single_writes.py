"""Writes that are ONE request on the wire (a persist; read-modify-writes as one conditional UpdateItem), and
what they must keep doing: exactly once on a resend, created_at kept, expiry replaced, items of the earlier (JSON
body) resource layout still read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from mastra_core.records import Resource

SNAPSHOT = {"status": "running", "value": {}, "context": {"step": {"output": 1.5}}, "runId": "r"}


async def test_persist_and_load_are_one_request_each(store: Any, counter: Any) -> None:
    wf = store.workflows
    counter.reset()
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot=SNAPSHOT, resource_id="res")
    assert counter.ops == ["PutItem"]  # a new run (test_dynamodb_workflow_persist.py)
    first = await wf.get_workflow_run_by_id(workflow_name="w", run_id="r")
    counter.reset()
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={**SNAPSHOT, "status": "success"},
                                       created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # a known run moving to another resource: the small update's condition fails, the full upsert follows (the
    # same resource is one UpdateItem: test_dynamodb_workflow_persist.py)
    assert counter.ops == ["UpdateItem", "UpdateItem"]
    counter.reset()
    assert (await wf.load_workflow_snapshot(workflow_name="w", run_id="r"))["status"] == "success"
    assert counter.ops == ["GetItem"]
    run = await wf.get_workflow_run_by_id(workflow_name="w", run_id="r")
    assert run.created_at == first.created_at and run.resource_id is None  # kept; replaced
    assert (await wf.list_workflow_runs(resource_id="res")).total == 0  # the gsi3 key went with the resource id
    runs = await wf.list_workflow_runs(workflow_name="w")
    assert [x.run_id for x in runs.items] == ["r"]


async def test_resent_persist_is_taken_as_done_not_reapplied(store: Any) -> None:
    """A resend of an update that landed (its reply lost) fails the opToken condition: done, nothing re-applied."""
    wf, db = store.workflows, store.workflows.db
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot=SNAPSHOT)
    stored = await db.get("WF#w", "RUN#r")
    done, again = await db.update_unless("WF#w", "RUN#r", "SET ver = ver + :one", values={":one": 1, ":tok": "x",
                                         ":t": stored["opToken"]}, condition="opToken <> :t AND :tok = :tok")
    assert not done and again is not None and again["opToken"] == stored["opToken"] and again["ver"] == stored["ver"]


async def test_update_resource_is_one_update_item(store: Any, counter: Any) -> None:
    mem = store.memory
    counter.reset()
    created = await mem.update_resource(resource_id="u", working_memory="w" * 1024)
    assert counter.ops == ["UpdateItem"] and created.metadata == {}
    counter.reset()
    got = await mem.update_resource(resource_id="u", metadata={"a": 1, "b": {"c": [1.25, None, "x"]}})
    assert counter.ops == ["UpdateItem"]
    counter.reset()
    got = await mem.update_resource(resource_id="u", working_memory="new", metadata={"a": 2, "": "empty key"})
    assert counter.ops == ["UpdateItem"]  # an empty key too ("=" + key in the meta map)
    assert got.working_memory == "new" and got.metadata == {"a": 2, "b": {"c": [1.25, None, "x"]}, "": "empty key"}
    assert got.created_at == created.created_at and got.updated_at > created.updated_at
    counter.reset()
    assert await mem.get_resource_by_id(resource_id="u") == got
    counter.reset()
    saved = await mem.save_resource(resource=Resource(id="u", working_memory=None, metadata=None))
    assert counter.ops == ["UpdateItem"]
    assert saved.created_at == created.created_at and saved.metadata is None and saved.working_memory is None
    big = "x" * 100_000  # stored compressed (wmz) in the update, as in the save
    assert (await mem.update_resource(resource_id="u", working_memory=big)).working_memory == big
    assert (await mem.get_resource_by_id(resource_id="u")).working_memory == big


async def test_resource_in_the_body_layout_is_read_and_rewritten(store: Any, counter: Any) -> None:
    """Items written before the attribute layout (one JSON body) are read, and the next update rewrites them."""
    db = store.memory.db
    created = datetime(2024, 5, 1, tzinfo=UTC)
    wire = {"id": "old", "workingMemory": "wm", "metadata": {"k": "v"}, "createdAt": "2024-05-01T00:00:00.000Z",
            "updatedAt": "2024-05-02T00:00:00.000Z"}
    await db.put({"pk": "RESOURCE#old", "sk": "RESOURCE", "entity": "resource", "id": "old",
                  "data": json.dumps(wire), "createdMs": int(created.timestamp() * 1000), "ver": 3})
    old = await store.memory.get_resource_by_id(resource_id="old")
    assert old.working_memory == "wm" and old.metadata == {"k": "v"} and old.created_at == created
    counter.reset()
    new = await store.memory.update_resource(resource_id="old", metadata={"n": 1})
    assert counter.ops == ["UpdateItem", "GetItem", "PutItem"]  # the failed fast path, then the rewrite
    assert new.metadata == {"k": "v", "n": 1} and new.working_memory == "wm" and new.created_at == created
    assert "data" not in await db.get("RESOURCE#old", "RESOURCE")
    counter.reset()
    await store.memory.update_resource(resource_id="old", metadata={"n": 2})
    assert counter.ops == ["UpdateItem"]


async def test_expired_resource_and_run_are_replaced_as_new(make_store: Any) -> None:
    store = await make_store(ttl={"resource": {"default_ttl_seconds": 3600},
                                  "workflow_snapshot": {"default_ttl_seconds": 3600}})
    await store.init()
    db = store.memory.db
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000)
    await store.memory.update_resource(resource_id="e", working_memory="old", metadata={"a": 1})
    await db.update("RESOURCE#e", "RESOURCE", "SET expMs = :p", values={":p": past})
    fresh = await store.memory.update_resource(resource_id="e", working_memory="new")
    assert fresh.working_memory == "new" and fresh.metadata == {}
    saved = await store.memory.save_resource(resource=Resource(id="e", working_memory="s"))
    assert saved.working_memory == "s"
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="x", snapshot=SNAPSHOT)
    await db.update("WF#w", "RUN#x", "SET expMs = :p", values={":p": past})
    assert await store.workflows.load_workflow_snapshot(workflow_name="w", run_id="x") is None
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="x", snapshot=SNAPSHOT)
    assert await store.workflows.load_workflow_snapshot(workflow_name="w", run_id="x") == SNAPSHOT
    item = await db.get("WF#w", "RUN#x")
    assert item["expMs"] > past and item["ttl"] >= item["expMs"] // 1000
