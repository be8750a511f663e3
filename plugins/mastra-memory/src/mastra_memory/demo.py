"""``mastra demo``: the main job, on the embedded libSQL default (``file:./mastra.db``).

Creates a resource and a thread, saves a short conversation, shows last-N recall and an include
window, updates working memory, persists and reloads a workflow snapshot, saves a score and a small
trace, then recalls a fact of the first thread from a second one through :class:`~mastra_memory.Memory`,
and prints what it did. Running it again starts the demo threads afresh.

The vector store and the embedder come from the registry, never from a plugin imported by name: the
vector store registered under the storage's backend id when its factory can share the storage's
connection (``factory.from_storage(storage)``, libSQL's can), else ``inmemory``; the embedder ``local``
(mastra-embed-local, all-MiniLM-L6-v2) when it is installed with its model, else ``hash``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.errors import StorageError, ValidationError
from mastra_core.plugins import registry
from mastra_core.records.messages import Role
from mastra_core.storage import Storage
from mastra_core.tables import table
from mastra_core.vector import VectorStore

from .embedding import HashEmbedder
from .memory import Memory

DEMO_RESOURCE = "demo-user"
DEMO_THREAD = "demo-thread"
SECOND_THREAD = "demo-thread-2"
QUESTION = "Can you remind me what my cat is called?"
CONVERSATION: list[tuple[Role, str]] = [
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
    thread = await memory.save_thread(
        thread=r.Thread(id=DEMO_THREAD, resource_id=DEMO_RESOURCE, title="Trip to Lisbon", metadata={"channel": "demo"})
    )
    out(
        table(
            "1. resource and thread",
            ["kind", "id", "resource", "title / metadata"],
            [["resource", resource.id, "", resource.metadata], ["thread", thread.id, thread.resource_id, thread.title]],
        )
    )

    # 2. a short conversation, saved in one call (equal timestamps would still keep this order)
    t0 = utc_now() - timedelta(minutes=len(CONVERSATION))
    messages = [
        r.Message.from_text(
            text,
            id=f"demo-m{i}",
            role=role,
            thread_id=DEMO_THREAD,
            resource_id=DEMO_RESOURCE,
            created_at=t0 + timedelta(minutes=i),
        )
        for i, (role, text) in enumerate(CONVERSATION)
    ]
    await memory.save_messages(messages=messages)
    out(
        "\n"
        + table(
            f"2. saved {len(messages)} messages",
            ["#", "id", "role", "text"],
            [[i, m.id, m.role, _text(m)] for i, m in enumerate(messages)],
        )
    )

    # 3. last-N recall: newest N, shown oldest first
    page = await memory.list_messages(
        thread_id=DEMO_THREAD, per_page=last_n, order_by={"field": "created_at", "direction": "DESC"}
    )
    last = list(reversed(page.items))
    seen["last_n"] = [m.id for m in last]
    out(
        "\n"
        + table(
            f"3. last {last_n} messages (of {page.total})",
            ["id", "role", "text"],
            [[m.id, m.role, _text(m)] for m in last],
        )
    )

    # 4. an include window: the message about the cat, with one neighbour each side, and no page
    window = await memory.list_messages(
        thread_id=DEMO_THREAD,
        per_page=0,
        include=[r.MessageInclude(id="demo-m4", with_previous_messages=1, with_next_messages=1)],
    )
    seen["window"] = [m.id for m in window.items]
    out(
        "\n"
        + table(
            "4. include window around demo-m4 (±1)",
            ["id", "role", "text"],
            [[m.id, m.role, _text(m)] for m in window.items],
        )
    )

    # 5. working memory (resource scope)
    wm = "# User Information\n- **First Name**: Ada\n- **Interests**: seafood, trams\n- **Facts**: cat called Tom"
    resource = await memory.update_resource(resource_id=DEMO_RESOURCE, working_memory=wm)
    seen["working_memory"] = resource.working_memory
    out(
        "\n"
        + table(
            "5. working memory of demo-user",
            ["line"],
            [[line] for line in (resource.working_memory or "").splitlines()],
        )
    )

    # 6. a workflow snapshot survives a reload
    workflows = storage.workflows
    run_id = str(uuid.uuid4())
    await workflows.persist_workflow_snapshot(
        workflow_name="plan-trip",
        run_id=run_id,
        resource_id=DEMO_RESOURCE,
        snapshot={
            "runId": run_id,
            "status": "suspended",
            "context": {"input": {"city": "Lisbon"}},
            "value": {},
            "activePaths": [],
            "suspendedPaths": {"book-hotel": [1]},
            "serializedStepGraph": [],
            "timestamp": 0,
        },
    )
    await workflows.update_workflow_results(
        workflow_name="plan-trip",
        run_id=run_id,
        step_id="find-flights",
        result={"status": "success", "output": "TP1351"},
    )
    await workflows.update_workflow_state(workflow_name="plan-trip", run_id=run_id, opts={"status": "success"})
    loaded = await workflows.load_workflow_snapshot(workflow_name="plan-trip", run_id=run_id)
    assert loaded is not None
    seen["snapshot_status"] = loaded["status"]
    out(
        "\n"
        + table(
            "6. workflow snapshot, reloaded",
            ["workflow", "run", "status", "context keys"],
            [["plan-trip", run_id[:8], loaded["status"], ", ".join(sorted(loaded["context"]))]],
        )
    )

    # 7. an eval score
    await storage.scores.save_score(
        score=r.ScorePayload(
            scorer_id="helpfulness",
            entity_id="travel-agent",
            entity_type="AGENT",
            run_id=run_id,
            score=0.92,
            scorer={"name": "helpfulness"},
            entity={"id": "travel-agent"},
            source="LIVE",
            reason="Gave a concrete tram and restaurant.",
            thread_id=DEMO_THREAD,
            resource_id=DEMO_RESOURCE,
        )
    )
    scores = await storage.scores.list_scores_by_run_id(run_id=run_id)
    seen["scores"] = scores.total
    out(
        "\n"
        + table(
            "7. scores of the run", ["scorer", "score", "reason"], [[s.scorer_id, s.score, s.reason] for s in scores]
        )
    )

    # 8. a small trace: an agent run with a model call and a tool call
    obs = storage.get_store("observability")
    if obs is not None:
        trace_id = uuid.uuid4().hex
        start = utc_now()
        await obs.batch_create_spans(
            records=[
                r.Span(
                    trace_id=trace_id,
                    span_id="root",
                    name="travel-agent run",
                    span_type="agent_run",
                    started_at=start,
                    entity_type="agent",
                    entity_id="travel-agent",
                    thread_id=DEMO_THREAD,
                    resource_id=DEMO_RESOURCE,
                ),
                r.Span(
                    trace_id=trace_id,
                    span_id="llm",
                    parent_span_id="root",
                    name="generate",
                    span_type="model_generation",
                    started_at=start + timedelta(milliseconds=5),
                    ended_at=start + timedelta(milliseconds=420),
                ),
                r.Span(
                    trace_id=trace_id,
                    span_id="tool",
                    parent_span_id="root",
                    name="lookup-tram",
                    span_type="tool_call",
                    started_at=start + timedelta(milliseconds=430),
                    ended_at=start + timedelta(milliseconds=470),
                    output={"line": 28},
                ),
            ]
        )
        await obs.update_span(
            trace_id=trace_id,
            span_id="root",
            updates={"ended_at": start + timedelta(milliseconds=500), "output": "done"},
        )
        trace = await obs.get_trace(trace_id=trace_id)
        assert trace is not None
        seen["spans"] = len(trace.spans)
        out(
            "\n"
            + table(
                f"8. trace {trace_id[:8]}",
                ["span", "parent", "type", "ms"],
                [
                    [
                        s.span_id,
                        s.parent_span_id or "",
                        s.span_type,
                        int((s.ended_at - s.started_at).total_seconds() * 1000) if s.ended_at else "",
                    ]
                    for s in trace.spans
                ],
            )
        )
    await _semantic_recall(storage, out, seen)
    out("\ndone.")
    return seen


def vector_store_for(storage: Storage) -> VectorStore:
    """The registered vector store of the storage's backend when it can share the storage's connection, else
    the in-memory one."""
    stores = registry().vector_stores
    entry = stores.get(str(getattr(storage, "backend_id", "")))
    from_storage = getattr(entry[0], "from_storage", None) if entry is not None else None
    store = from_storage(storage) if from_storage is not None else stores["inmemory"][0]()
    if not isinstance(store, VectorStore):
        raise ValidationError(
            f"the registered vector store factory returned {type(store).__name__}, not a VectorStore",
            id="MASTRA_MEMORY_DEMO_INVALID_VECTOR_STORE",
        )
    return store


async def embedder_for_demo() -> Any:
    """The registered ``local`` embedder when its model is installed (the first embed loads it), else ``hash``."""
    embedders = registry().embedders
    if "local" in embedders:
        local = embedders["local"][0]()
        try:
            await asyncio.to_thread(local.embed, [QUESTION])
            return local
        except StorageError:  # mastra-embed-local without its model package: fall back to the offline embedder
            pass
    entry = embedders.get("hash")
    return entry[0](dimension=256) if entry is not None else HashEmbedder(256)


async def _semantic_recall(storage: Storage, out: Any, seen: dict[str, Any]) -> None:
    """Index the demo thread, start a second thread of the same user, and recall the cat's name from the first."""
    embedder = await embedder_for_demo()
    vector = vector_store_for(storage)
    try:
        memory = Memory(
            storage=storage,
            vector=vector,
            embedder=embedder,
            options={"last_messages": 2, "semantic_recall": {"top_k": 2, "message_range": 1}},
        )
        first = await memory.recall(thread_id=DEMO_THREAD, per_page=False)
        await memory.index_messages(first.messages)  # the demo saved them through the storage API, not through Memory
        await memory.delete_thread(SECOND_THREAD)  # messages and vectors of an earlier run
        await memory.create_thread(resource_id=DEMO_RESOURCE, thread_id=SECOND_THREAD, title="Back from Lisbon")
        await memory.add_message(
            "Hello again, I'm back from the trip!", thread_id=SECOND_THREAD, resource_id=DEMO_RESOURCE, id="demo-t2-m0"
        )
        await memory.add_message(
            "Welcome back! How was Lisbon?",
            thread_id=SECOND_THREAD,
            resource_id=DEMO_RESOURCE,
            role="assistant",
            id="demo-t2-m1",
        )
        result = await memory.recall(thread_id=SECOND_THREAD, resource_id=DEMO_RESOURCE, query=QUESTION)
        scores = {h.id: h.score for h in result.hits}
        index = memory.index_name(len((await memory.embedder.embed([QUESTION]))[0])) if memory.embedder else "-"
        out(
            "\n"
            + table(
                f"9. semantic recall in a new thread: {QUESTION!r} (embedder {embedder.id}, index {index})",
                ["thread", "id", "role", "text", "hit score"],
                [
                    [m.thread_id, m.id, m.role, m.content.text(), f"{scores[m.id]:.3f}" if m.id in scores else ""]
                    for m in result.messages
                ],
            )
        )
        seen["semantic"] = [m.id for m in result.messages]
        seen["semantic_hits"] = [h.id for h in result.hits]
        seen["embedder"] = embedder.id
    finally:
        await vector.close()
