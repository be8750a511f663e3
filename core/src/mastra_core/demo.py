"""``mastra demo``: the main job, on the embedded libSQL default (``file:./mastra.db``).

Creates a resource and a thread, saves a short conversation, shows last-N recall and an include
window, updates working memory, persists and reloads a workflow snapshot, saves a score and a small
trace, and prints what it did. Running it again starts the demo thread afresh.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from . import records as r
from .clock import utc_now
from .storage import Storage
from .tables import table

DEMO_RESOURCE = "demo-user"
DEMO_THREAD = "demo-thread"
CONVERSATION = [
    ("user", "Hi! I'm Ada and I'm planning a trip to Lisbon."),
    ("assistant", "Lovely! When are you going, and what do you enjoy?"),
    ("user", "Mid-May. I love seafood and old trams."),
    ("assistant", "Then ride tram 28 and try the clams at Cervejaria Ramiro."),
    ("user", "By the way, my cat is called Tom and needs a sitter."),
    ("assistant", "Noted: Tom the cat needs a sitter while you travel."),
    ("user", "What was that tram number again?"),
    ("assistant", "Tram 28, through Alfama."),
]


def _text(m: r.Message) -> str:
    return m.content.text()


async def run_demo(storage: Storage, *, out: Any = print, last_n: int = 3) -> dict[str, Any]:
    """Run the demo against ``storage``; returns what it observed (used by tests)."""
    seen: dict[str, Any] = {}
    await storage.init()
    memory = storage.memory
    out(f"storage: {storage!r}\n")

    # 1. resource and thread (re-created on every run so the output is stable)
    await memory.delete_thread(thread_id=DEMO_THREAD)
    resource = await memory.update_resource(resource_id=DEMO_RESOURCE, metadata={"plan": "free"})
    thread = await memory.save_thread(thread=r.Thread(id=DEMO_THREAD, resource_id=DEMO_RESOURCE, title="Trip to Lisbon",
                                                      metadata={"channel": "demo"}))
    out(table("1. resource and thread", ["kind", "id", "resource", "title / metadata"],
              [["resource", resource.id, "", resource.metadata], ["thread", thread.id, thread.resource_id, thread.title]]))

    # 2. a short conversation, saved in one call (equal timestamps would still keep this order)
    t0 = utc_now() - timedelta(minutes=len(CONVERSATION))
    messages = [
        r.Message.from_text(text, id=f"demo-m{i}", role=role, thread_id=DEMO_THREAD, resource_id=DEMO_RESOURCE,  # type: ignore[arg-type]
                            created_at=t0 + timedelta(minutes=i))
        for i, (role, text) in enumerate(CONVERSATION)
    ]
    await memory.save_messages(messages=messages)
    out("\n" + table(f"2. saved {len(messages)} messages", ["#", "id", "role", "text"],
                     [[i, m.id, m.role, _text(m)] for i, m in enumerate(messages)]))

    # 3. last-N recall: newest N, shown oldest first
    page = await memory.list_messages(thread_id=DEMO_THREAD, per_page=last_n, order_by={"field": "created_at", "direction": "DESC"})
    last = list(reversed(page.items))
    seen["last_n"] = [m.id for m in last]
    out("\n" + table(f"3. last {last_n} messages (of {page.total})", ["id", "role", "text"], [[m.id, m.role, _text(m)] for m in last]))

    # 4. an include window: the message about the cat, with one neighbour each side, and no page
    window = await memory.list_messages(thread_id=DEMO_THREAD, per_page=0,
                                        include=[r.MessageInclude(id="demo-m4", with_previous_messages=1, with_next_messages=1)])
    seen["window"] = [m.id for m in window.items]
    out("\n" + table("4. include window around demo-m4 (±1)", ["id", "role", "text"], [[m.id, m.role, _text(m)] for m in window.items]))

    # 5. working memory (resource scope)
    wm = "# User Information\n- **First Name**: Ada\n- **Interests**: seafood, trams\n- **Facts**: cat called Tom"
    resource = await memory.update_resource(resource_id=DEMO_RESOURCE, working_memory=wm)
    seen["working_memory"] = resource.working_memory
    out("\n" + table("5. working memory of demo-user", ["line"], [[line] for line in (resource.working_memory or "").splitlines()]))

    # 6. a workflow snapshot survives a reload
    workflows = storage.workflows
    run_id = str(uuid.uuid4())
    await workflows.persist_workflow_snapshot(workflow_name="plan-trip", run_id=run_id, resource_id=DEMO_RESOURCE, snapshot={
        "runId": run_id, "status": "suspended", "context": {"input": {"city": "Lisbon"}}, "value": {},
        "activePaths": [], "suspendedPaths": {"book-hotel": [1]}, "serializedStepGraph": [], "timestamp": 0,
    })
    await workflows.update_workflow_results(workflow_name="plan-trip", run_id=run_id, step_id="find-flights", result={"status": "success", "output": "TP1351"})
    await workflows.update_workflow_state(workflow_name="plan-trip", run_id=run_id, opts={"status": "success"})
    loaded = await workflows.load_workflow_snapshot(workflow_name="plan-trip", run_id=run_id)
    assert loaded is not None
    seen["snapshot_status"] = loaded["status"]
    out("\n" + table("6. workflow snapshot, reloaded", ["workflow", "run", "status", "context keys"],
                     [["plan-trip", run_id[:8], loaded["status"], ", ".join(sorted(loaded["context"]))]]))

    # 7. an eval score
    await storage.scores.save_score(score=r.ScorePayload(
        scorer_id="helpfulness", entity_id="travel-agent", entity_type="AGENT", run_id=run_id, score=0.92,
        scorer={"name": "helpfulness"}, entity={"id": "travel-agent"}, source="LIVE", reason="Gave a concrete tram and restaurant.",
        thread_id=DEMO_THREAD, resource_id=DEMO_RESOURCE,
    ))
    scores = await storage.scores.list_scores_by_run_id(run_id=run_id)
    seen["scores"] = scores.total
    out("\n" + table("7. scores of the run", ["scorer", "score", "reason"], [[s.scorer_id, s.score, s.reason] for s in scores]))

    # 8. a small trace: an agent run with a model call and a tool call
    obs = storage.get_store("observability")
    if obs is not None:
        trace_id = uuid.uuid4().hex
        start = utc_now()
        await obs.batch_create_spans(records=[
            r.Span(trace_id=trace_id, span_id="root", name="travel-agent run", span_type="agent_run", started_at=start,
                   entity_type="agent", entity_id="travel-agent", thread_id=DEMO_THREAD, resource_id=DEMO_RESOURCE),
            r.Span(trace_id=trace_id, span_id="llm", parent_span_id="root", name="generate", span_type="model_generation",
                   started_at=start + timedelta(milliseconds=5), ended_at=start + timedelta(milliseconds=420)),
            r.Span(trace_id=trace_id, span_id="tool", parent_span_id="root", name="lookup-tram", span_type="tool_call",
                   started_at=start + timedelta(milliseconds=430), ended_at=start + timedelta(milliseconds=470),
                   output={"line": 28}),
        ])
        await obs.update_span(trace_id=trace_id, span_id="root", updates={"ended_at": start + timedelta(milliseconds=500), "output": "done"})
        trace = await obs.get_trace(trace_id=trace_id)
        assert trace is not None
        seen["spans"] = len(trace.spans)
        out("\n" + table(f"8. trace {trace_id[:8]}", ["span", "parent", "type", "ms"],
                         [[s.span_id, s.parent_span_id or "", s.span_type,
                           int((s.ended_at - s.started_at).total_seconds() * 1000) if s.ended_at else ""] for s in trace.spans]))
    await _semantic_recall(storage, out, seen)
    out("\ndone.")
    return seen


async def _semantic_recall(storage: Storage, out: Any, seen: dict[str, Any]) -> None:
    """Semantic recall over the demo conversation, when the Memory component and an embedder are available."""
    try:
        from .memory.demo import semantic_recall_demo  # written with the Memory component
    except ImportError:
        return
    await semantic_recall_demo(storage, out, seen)
