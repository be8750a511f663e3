"""Requests per operation, counted on the wire: every access pattern is a GetItem, a Query or a batch, never a Scan."""

from __future__ import annotations

from typing import Any

from dynamodb_helpers import in_order, message, thread
from mastra_core.records import MessageInclude

DESC = {"field": "created_at", "direction": "DESC"}


async def test_memory_budgets(store: Any, counter: Any, steps: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    await mem.save_messages(messages=in_order(t.id, 200))

    counter.reset()
    await mem.save_messages(messages=[message(t.id, f"n{i}") for i in range(10)])
    assert counter.ops == ["TransactWriteItems"]  # 10 messages + counter + thread bump, one transaction

    counter.reset()
    await mem.get_thread_by_id(thread_id=t.id)
    assert counter.ops == ["GetItem"]

    counter.reset()
    last = await mem.list_messages(thread_id=t.id, per_page=10, order_by=DESC)
    assert counter.ops == ["Query"] and len(last) == 10 and last.total == 210

    counter.reset()
    first = await mem.list_messages(thread_id=t.id, per_page=10)
    assert sorted(counter.ops) == ["BatchGetItem", "Query"] and first.total == 210

    target = first.items[5].id
    for order in (DESC, {"field": "created_at", "direction": "ASC"}):
        counter.reset()
        steps.reset()
        page = await mem.list_messages(
            thread_id=t.id, per_page=10, order_by=order,
            include=[MessageInclude(id=target, with_previous_messages=2, with_next_messages=2)])
        assert target in [m.id for m in page.items] and page.total == 210
        # the page (and its counter) with the targets' BatchGetItem, then the two neighbour Queries
        assert sorted(counter.ops) == sorted(["BatchGetItem", "Query", "Query", "Query"]
                                             + (["BatchGetItem"] if order is not DESC else []))
        assert steps.steps == 2  # DESIGN section 5: an include window costs at most 2 sequential request steps

    counter.reset()
    steps.reset()
    await mem.list_threads(filter={"resource_id": t.resource_id}, per_page=10)
    assert counter.ops == ["Query"] and steps.steps == 1  # page and total (here: the whole partition) in one Query

    counter.reset()
    await mem.update_thread(id=t.id, title="new")
    assert counter.ops == ["GetItem", "PutItem"]


async def test_no_operation_scans(store: Any, counter: Any) -> None:
    mem = store.memory
    t = await mem.save_thread(thread=thread())
    m = message(t.id, "x")
    await mem.save_messages(messages=[m])
    await mem.update_messages(messages=[{"id": m.id, "content": {"content": "y"}}])
    await mem.list_messages(thread_id=[t.id, "other"], per_page=5)
    await mem.list_threads(per_page=5)
    await mem.list_threads(per_page=5, order_by={"field": "updated_at", "direction": "DESC"})
    await mem.clone_thread(source_thread_id=t.id)
    await mem.delete_messages(message_ids=[m.id])
    await mem.update_resource(resource_id="r", working_memory="w")
    wf = store.workflows
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={"status": "running"})
    await wf.update_workflow_results(workflow_name="w", run_id="r", step_id="s", result=1)
    await wf.get_workflow_run_by_id(run_id="r")
    await wf.list_workflow_runs(status="running")
    sc = await store.scores.save_score(score={"scorer_id": "s", "run_id": "r", "entity_id": "e", "score": 1,
                                              "scorer": {}, "entity": {}, "source": "LIVE", "entity_type": "AGENT"})
    await store.scores.list_scores_by_scorer_id(scorer_id=sc.scorer_id, source="LIVE")
    await store.scores.list_scores_by_entity_id(entity_id="e", entity_type="AGENT")
    obs = store.observability
    await obs.create_span(span={"traceId": "t", "spanId": "s", "name": "n", "spanType": "agent_run",
                                "startedAt": "2026-01-01T00:00:00.000Z"})
    await obs.update_span(trace_id="t", span_id="s", updates={"endedAt": "2026-01-01T00:00:01.000Z"})
    await obs.get_trace(trace_id="t")
    await obs.list_traces()
    await obs.batch_delete_traces(trace_ids=["t"])
    await mem.delete_thread(thread_id=t.id)
    assert "Scan" not in counter.ops
    assert set(counter.ops) <= {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "BatchGetItem",
                                "BatchWriteItem", "TransactWriteItems"}
