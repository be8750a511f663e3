"""Keys keep their case (the reference lowercases them) and every item names its entity type."""

from __future__ import annotations

from typing import Any

from dynamodb_helpers import message, text_of, thread, uid


async def test_case_distinct_ids_never_collide(store: Any) -> None:
    mem = store.memory
    base = uid()
    upper = await mem.save_thread(thread=thread(id=f"Thread-{base}", resource_id=f"Res-{base}", title="upper"))
    lower = await mem.save_thread(thread=thread(id=f"thread-{base}", resource_id=f"res-{base}", title="lower"))
    await mem.save_messages(messages=[message(upper.id, "U", id=f"M-{base}"), message(lower.id, "l", id=f"m-{base}")])
    assert (await mem.get_thread_by_id(thread_id=upper.id)).title == "upper"
    assert (await mem.get_thread_by_id(thread_id=lower.id)).title == "lower"
    assert [text_of(m) for m in await mem.list_messages(thread_id=upper.id)] == ["U"]
    assert [text_of(m) for m in await mem.list_messages(thread_id=lower.id)] == ["l"]
    assert [t.id for t in await mem.list_threads(filter={"resource_id": f"Res-{base}"})] == [upper.id]
    assert [m.id for m in await mem.list_messages_by_id(message_ids=[f"M-{base}"])] == [f"M-{base}"]
    wf = store.workflows
    await wf.persist_workflow_snapshot(workflow_name="Flow", run_id="Run-1", snapshot={"status": "running", "v": 1})
    await wf.persist_workflow_snapshot(workflow_name="flow", run_id="run-1", snapshot={"status": "success", "v": 2})
    assert (await wf.load_workflow_snapshot(workflow_name="Flow", run_id="Run-1"))["v"] == 1
    assert (await wf.load_workflow_snapshot(workflow_name="flow", run_id="run-1"))["v"] == 2
    assert await wf.load_workflow_snapshot(workflow_name="flow", run_id="Run-1") is None
    # the raw keys are exactly the ids
    key = {"pk": {"S": f"THREAD#Thread-{base}"}, "sk": {"S": "THREAD"}}
    raw = store.client.get_item(TableName=store.table_name, Key=key)
    assert raw["Item"]["id"]["S"] == f"Thread-{base}" and raw["Item"]["entity"]["S"] == "thread"


async def test_ids_with_separators_stay_distinct(store: Any) -> None:
    scores = store.scores
    payload = {"scorer_id": "s", "run_id": "r", "score": 1.5, "scorer": {}, "entity": {}, "source": "LIVE"}
    a = await scores.save_score(
        score={**payload, "entity_id": "a#b", "entity_type": "c", "trace_id": "t#1", "span_id": "x"})
    b = await scores.save_score(
        score={**payload, "entity_id": "b", "entity_type": "c#a", "trace_id": "t", "span_id": "1#x"})
    assert [s.id for s in await scores.list_scores_by_entity_id(entity_id="a#b", entity_type="c")] == [a.id]
    assert [s.id for s in await scores.list_scores_by_entity_id(entity_id="b", entity_type="c#a")] == [b.id]
    assert [s.id for s in await scores.list_scores_by_span(trace_id="t#1", span_id="x")] == [a.id]
    assert [s.id for s in await scores.list_scores_by_span(trace_id="t", span_id="1#x")] == [b.id]
    assert (await scores.get_score_by_id(id=a.id)).score == 1.5


async def test_every_item_carries_its_entity_type(store: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    await mem.save_messages(messages=[message(t.id, "x")])
    await mem.update_resource(resource_id="r1", working_memory="wm")
    await store.workflows.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={"status": "running"})
    await store.scores.save_score(score={"scorer_id": "s", "run_id": "r", "entity_id": "e", "score": 0.25, "scorer": {},
                                         "entity": {}, "source": "TEST"})
    items = store.client.scan(TableName=store.table_name)["Items"]
    entities = {it["entity"]["S"] for it in items}
    assert all("entity" in it for it in items)
    assert {"thread", "msgcount", "message", "resource", "workflow_snapshot", "score"} <= entities
