"""Persisting a run this store has not seen is one conditional PutItem when no item holds it (the full upsert
after it when one does); a run it has seen live is a small UpdateItem of what changes. Each writes the item the full
upsert writes (keys, order, createdAt kept; status, resource, expiry as given)."""

from __future__ import annotations

from datetime import UTC, datetime
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


async def test_a_new_run_is_one_put_of_the_item_the_upsert_writes(make_store: Any) -> None:
    from conftest import RequestCounter

    at = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    items = []
    for via_put in (True, False):
        store = await make_store(ttl={"workflow_snapshot": {"default_ttl_seconds": 3600}})
        await store.init()
        wf = store.workflows
        if not via_put:  # the full upsert on a new run: what a first persist sent before the put
            async def no_put(*_: Any) -> bool:
                return False

            wf._persist_new = no_put
        counter = RequestCounter()
        store.client.meta.events.register("before-send.dynamodb.*", counter)
        await wf.persist_workflow_snapshot(workflow_name="wf", run_id="r", resource_id="r1", created_at=at,
                                           updated_at=at, snapshot={"status": "running", "step": 1.5})
        store.client.meta.events.unregister("before-send.dynamodb.*", counter)
        assert counter.ops == (["PutItem"] if via_put else ["UpdateItem"])
        items.append(raw_run(store, "wf", "r"))
        assert [r.run_id for r in (await wf.list_workflow_runs(resource_id="r1")).items] == ["r"]
    put, upserted = items
    # the same attributes and values but for the write's own marks: its sequence (in the order keys too), its token,
    # its expiry (now + the rule's hour, a few milliseconds apart)
    marks = ("seq", "opToken", "gsi1sk", "gsi2sk", "gsi3sk", "gsi4sk", "expMs", "ttl")
    assert set(put) == set(upserted) and {"expMs", "gsi3pk", "ttl"} <= set(put)
    assert {k: v for k, v in put.items() if k not in marks} == {k: v for k, v in upserted.items() if k not in marks}
    assert abs(int(put["expMs"]["N"]) - int(upserted["expMs"]["N"])) < 60_000


async def test_a_run_another_store_wrote_takes_the_upsert_after_the_put(make_store: Any) -> None:
    first = await make_store()
    await first.init()
    name = uid("wf-")
    await first.workflows.persist_workflow_snapshot(workflow_name=name, run_id="r", resource_id="r1",
                                                    snapshot={"status": "running"})
    stored = raw_run(first, name, "r")
    from mastra_dynamodb import DynamoDBStore

    second = DynamoDBStore(id="second", table_name=first.table_name, client=first.client)
    await second.init()
    try:
        from conftest import RequestCounter

        counter = RequestCounter()
        second.client.meta.events.register("before-send.dynamodb.*", counter)
        try:
            await second.workflows.persist_workflow_snapshot(workflow_name=name, run_id="r", resource_id="r1",
                                                             snapshot={"status": "success"})
        finally:
            second.client.meta.events.unregister("before-send.dynamodb.*", counter)
        assert counter.ops == ["PutItem", "UpdateItem"]  # the put is refused (the run exists): the full upsert
        after = raw_run(first, name, "r")
        assert after["createdMs"] == stored["createdMs"] and after["seq"] == stored["seq"]  # its place kept
        assert int(after["ver"]["N"]) == int(stored["ver"]["N"]) + 1 and after["status"] == {"S": "success"}
        assert (await first.workflows.load_workflow_snapshot(workflow_name=name, run_id="r")) == {"status": "success"}
    finally:
        await second.close()


async def test_a_resent_first_put_is_taken_as_done(store: Any, counter: Any) -> None:
    """The put's reply lost, botocore sends it again: the resend fails its condition on our own item (its token)
    and the persist is done, one item, nothing applied twice."""
    wf = store.workflows
    name = uid("wf-")
    db = wf.db
    original = db.put_unless
    sent: list[Any] = []

    async def put_twice(values: Any, *, condition: str) -> Any:
        sent.append(await original(values, condition=condition))  # lands; its reply "lost"
        return await original(values, condition=condition)  # the resend

    db.put_unless = put_twice
    try:
        counter.reset()
        await wf.persist_workflow_snapshot(workflow_name=name, run_id="r", snapshot={"status": "running"})
    finally:
        db.put_unless = original
    assert sent == [(True, None)] and counter.ops == ["PutItem", "PutItem"]  # no upsert after the resend
    assert int(raw_run(store, name, "r")["ver"]["N"]) == 1
    assert (await wf.load_workflow_snapshot(workflow_name=name, run_id="r")) == {"status": "running"}
