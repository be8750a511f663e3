"""End to end with the real all-MiniLM-L6-v2 embedder (mastra-embed-local, offline).

A fact said in one thread is recalled, by meaning rather than shared words, from another thread of the
same resource, and never from another resource's thread. Needs mastra-embed-local and its model
(the nox session ``memory`` installs them); deselect with ``-m "not local_embedder"`` elsewhere.
"""

from __future__ import annotations

from typing import Any

import pytest
from mastra_memory import Memory
from memory_helpers import conversation

pytestmark = pytest.mark.local_embedder


@pytest.fixture(scope="module")
def local_embedder() -> Any:
    from mastra_embed_local import LocalEmbedder

    return LocalEmbedder()


async def test_fact_recalled_across_threads_of_the_same_resource_only(make_memory: Any, local_embedder: Any) -> None:
    memory: Memory = make_memory({"last_messages": 2, "semantic_recall": {"top_k": 2, "message_range": 1}},
                                 embedder=local_embedder)
    await memory.create_thread(resource_id="alice", thread_id="alice-1")
    await memory.save_messages(conversation("a", [
        "Hi! I just moved to a new flat in Lyon.",
        "Congratulations on the move! How is it going?",
        "Great. By the way, my cat is called Tom.",
        "Tom is a lovely name. How old is he?",
        "He is three. Can you recommend a good pasta recipe?",
        "Sure: spaghetti aglio e olio is quick and tasty.",
    ], thread="alice-1", resource="alice", start=0))
    await memory.create_thread(resource_id="bob", thread_id="bob-1")
    await memory.save_messages(conversation("b", [
        "My dog is named Rex and he loves the park.",
        "Rex sounds energetic!",
        "What should I cook tonight?",
        "How about a vegetable curry?",
    ], thread="bob-1", resource="bob", start=100))
    assert await memory.memory_indexes() == ["memory_messages_384"]

    await memory.create_thread(resource_id="alice", thread_id="alice-2")
    await memory.save_messages(conversation("n", ["Hello again!", "Welcome back, what can I do for you?"],
                                            thread="alice-2", resource="alice", start=200))
    question = "What is the name of my pet?"
    result = await memory.recall(thread_id="alice-2", resource_id="alice", query=question)
    texts = [m.content.text() for m in result.messages]
    assert result.hits[0].id == "a2", [(h.id, round(h.score, 3)) for h in result.hits]
    assert "Great. By the way, my cat is called Tom." in texts
    assert texts[-2:] == ["Hello again!", "Welcome back, what can I do for you?"]  # the thread's own history last
    assert all(m.resource_id == "alice" for m in result.messages)
    assert not any("Rex" in t for t in texts)

    bob = await memory.recall(thread_id="bob-1", resource_id="bob", query=question)
    bob_texts = [m.content.text() for m in bob.messages]
    assert not any("Tom" in t for t in bob_texts)
    assert all(m.resource_id == "bob" for m in bob.messages)
    assert bob.hits[0].id == "b0"  # bob's own pet
