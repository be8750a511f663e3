"""Deterministic sample data in every domain, for the copy/export tests and the copy benchmark.

Messages come in runs of equal ``created_at`` (``same_ts`` per run) so a copy that loses the order of equal
timestamps shows up as a different checksum.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from mastra_core import Storage
from mastra_core import records as r

from .stream import internal

BASE = datetime(2025, 1, 1, tzinfo=UTC)


def message(i: int, thread_id: str, resource_id: str, same_ts: int) -> r.Message:
    """The ``i``-th message of a thread: text and a second part; ``same_ts`` consecutive messages share a time."""
    msg = r.Message.from_text(f"message {i} of {thread_id}: " + "lorem ipsum " * (i % 5), id=f"{thread_id}-m{i:06d}",
                              role="user" if i % 2 == 0 else "assistant", thread_id=thread_id,
                              resource_id=resource_id, created_at=BASE + timedelta(seconds=i // same_ts))
    return msg


async def seed(
    storage: Storage, *, threads: int = 3, messages: int = 20, same_ts: int = 3, resources: int = 2,
    others: bool = True, batch: int = 1000,
) -> dict[str, int]:
    """Write ``threads`` threads of ``messages`` messages each (spread over ``resources``), and, when ``others``,
    a few records of every other domain; returns the count per kind written."""
    await storage.init()
    mem = storage.memory
    for k in range(resources):
        await mem.save_resource(resource=r.Resource(id=f"res-{k}", working_memory=f"# User {k}\n- likes: tea",
                                                    metadata={"k": k}, created_at=BASE, updated_at=BASE))
    for t in range(threads):
        rid = f"res-{t % resources}"
        tid = f"thread-{t:04d}"
        await mem.save_thread(thread=r.Thread(id=tid, resource_id=rid, title=f"Thread {t}", metadata={"t": t},
                                              created_at=BASE + timedelta(minutes=t), updated_at=BASE))
        for start in range(0, messages, batch):
            await mem.save_messages(messages=[message(i, tid, rid, same_ts)
                                              for i in range(start, min(messages, start + batch))])
        await mem.save_thread(thread=r.Thread(id=tid, resource_id=rid, title=f"Thread {t}", metadata={"t": t},
                                              created_at=BASE + timedelta(minutes=t),
                                              updated_at=BASE + timedelta(days=1, minutes=t)))
    counts = {"resource": resources, "thread": threads, "message": threads * messages}
    if not others:
        return counts
    wf = storage.get_store("workflows")
    if wf is not None:
        for i in range(3):
            await wf.persist_workflow_snapshot(
                workflow_name="wf", run_id=f"run-{i}", resource_id="res-0",
                snapshot={"runId": f"run-{i}", "status": "success", "value": {}, "context": {"step": {"n": i}}},
                created_at=BASE + timedelta(hours=i), updated_at=BASE + timedelta(hours=i, minutes=1))
        counts["workflow_run"] = 3
    scores = storage.get_store("scores")
    if scores is not None:
        for i in range(3):
            score = r.Score(id=f"score-{i}", scorer_id="sc", entity_id="agent-1", run_id=f"run-{i}", score=0.5 + i,
                            scorer={"name": "sc"}, entity={"id": "agent-1"}, source="LIVE",
                            created_at=BASE + timedelta(hours=i), updated_at=BASE + timedelta(hours=i))
            await internal(scores, "SAVE_SCORE", partial(scores._save_score, score))
        counts["score"] = 3
    obs = storage.get_store("observability")
    if obs is not None:
        spans: list[Any] = []
        for t in range(2):
            root = r.Span(trace_id=f"trace-{t}", span_id="root", name="agent run", span_type="agent_run",
                          started_at=BASE + timedelta(minutes=t), ended_at=BASE + timedelta(minutes=t, seconds=5),
                          created_at=BASE, updated_at=BASE)
            child = r.Span(trace_id=f"trace-{t}", span_id="llm", parent_span_id="root", name="llm call",
                           span_type="model_generation", started_at=BASE + timedelta(minutes=t, seconds=1),
                           ended_at=BASE + timedelta(minutes=t, seconds=4), attributes={"model": "m"},
                           created_at=BASE, updated_at=BASE)
            spans += [root, child]
        await internal(obs, "BATCH_CREATE_SPANS", lambda: obs._upsert_spans(spans))
        counts["span"] = 4
    agents = storage.get_store("agents")
    if agents is not None:
        for i in range(2):
            agent = r.Agent(id=f"agent-{i}", name=f"Agent {i}", instructions="be helpful", model={"id": "m"},
                            created_at=BASE + timedelta(hours=i), updated_at=BASE + timedelta(hours=i))
            await internal(agents, "CREATE_AGENT", partial(agents._insert_agent, agent))
        counts["agent"] = 2
    evals = storage.get_store("evals")
    if evals is not None:
        await evals.save_evals(evals=[r.EvalRow(run_id=f"run-{i}", agent_name="a", metric_name="m", input="i",
                                                output="o", result={"score": i}, created_at=BASE + timedelta(hours=i))
                                      for i in range(2)])
        counts["eval"] = 2
    traces = storage.get_store("traces")
    if traces is not None:
        await traces.save_traces(traces=[r.TraceRow(id=f"span-{i}", trace_id="t", name="n", scope="s", kind=1,
                                                    start_time=1000 + i, end_time=2000 + i,
                                                    created_at=BASE + timedelta(hours=i)) for i in range(2)])
        counts["trace"] = 2
    return counts
