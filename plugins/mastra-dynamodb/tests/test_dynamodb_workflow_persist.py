"""Persisting a run this store has seen live is a small UpdateItem of what changes; the result is the item the full
upsert writes (keys, order, createdAt kept; status, resource, expiry as given)."""

from __future__ import annotations

from typing import Any

from dynamodb_helpers import uid


def raw_run(store: Any, name: str, run_id: str) -> dict[str, Any]:
    key = {"pk": {"S": f"WF#{name}"}, "sk": {"S": f"RUN#{run_id}"}}
    item: dict[str, Any] = store.client.get_item(TableName=store.table_name, Key=key, ConsistentRead=True)["Item"]
    return item


async def test_a_known_run_is_updated_in_place(store: Any, counter: Any) -> None:
    wf = store.workflows
    name, run_id = uid("wf-"), uid("run-")
    await wf.persist_workflow_snapshot(workflow_name=name, run_id=run_id, resource_id="r1",
                                       snapshot={"status": "running", "step": 1})
    full = raw_run(store, name, run_id)
    counter.reset()
    await wf.persist_workflow_snapshot(workflow_name=name, run_id=run_id, resource_id="r1",
                                       snapshot={"status": "success", "step": 2})
    assert counter.ops == ["UpdateItem"]
    after = raw_run(store, name, run_id)
    assert {k: v for k, v in after.items() if k not in ("data", "status", "ver", "opToken")} == \
        {k: v for k, v in full.items() if k not in ("data", "status", "ver", "opToken")}
    assert after["status"] == {"S": "success"} and int(after["ver"]["N"]) == int(full["ver"]["N"]) + 1
    assert (await wf.load_workflow_snapshot(workflow_name=name, run_id=run_id)) == {"status": "success", "step": 2}
    assert [r.run_id for r in (await wf.list_workflow_runs(status="success")).items] == [run_id]

    # no status now, another resource: the full upsert (the condition fails, the stored item comes back)
    counter.reset()
    await wf.persist_workflow_snapshot(workflow_name=name, run_id=run_id, resource_id="r2", snapshot={"step": 3})
    assert counter.ops == ["UpdateItem", "UpdateItem"]
    moved = raw_run(store, name, run_id)
    assert "status" not in moved and moved["gsi3pk"] == {"S": "WFRES#r2"} and moved["createdMs"] == full["createdMs"]
    assert [r.run_id for r in (await wf.list_workflow_runs(resource_id="r2")).items] == [run_id]
    assert (await wf.list_workflow_runs(resource_id="r1")).total == 0


async def test_a_known_run_gets_the_rules_expiry(make_store: Any) -> None:
    store = await make_store(ttl={"workflow_snapshot": {"default_ttl_seconds": 3600}})
    await store.init()
    wf = store.workflows
    name, run_id = uid("wf-"), uid("run-")
    await wf.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot={"status": "running"})
    first = raw_run(store, name, run_id)
    await wf.persist_workflow_snapshot(workflow_name=name, run_id=run_id, snapshot={"status": "running", "n": 1})
    second = raw_run(store, name, run_id)
    assert int(second["expMs"]["N"]) >= int(first["expMs"]["N"]) and "ttl" in second
    assert "resourceId" not in second and "gsi3pk" not in second
