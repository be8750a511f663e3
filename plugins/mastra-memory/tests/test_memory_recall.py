"""recall(): newest-N history in chronological order, semantic hits with their windows, scopes, ownership."""

from __future__ import annotations

from typing import Any

import pytest
from mastra_core.errors import NotFoundError, ValidationError
from mastra_memory import Memory
from memory_helpers import conversation, ids

FILLER = [
    "good morning, how are you today",
    "i am fine thanks, how can i help",
    "my cat is called Tom and he is orange",
    "what a lovely name for a cat",
    "let us plan a trip to the mountains",
    "sure, which mountains do you like",
    "the alps in summer would be great",
    "i will look up some hiking routes",
]


async def _two_threads(memory: Memory, resource: str = "alice") -> None:
    await memory.create_thread(resource_id=resource, thread_id="old")
    await memory.create_thread(resource_id=resource, thread_id="new")
    await memory.save_messages(conversation("o", FILLER, thread="old", resource=resource, start=0))
    await memory.save_messages(
        conversation(
            "n",
            ["hello again", "hi, welcome back", "shall we talk about pets", "yes, happy to"],
            thread="new",
            resource=resource,
            start=100,
        )
    )


async def test_last_messages_are_the_newest_in_chronological_order(make_memory: Any) -> None:
    memory = make_memory({"last_messages": 3})
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages(conversation("m", [f"message {i}" for i in range(5)], thread="t", resource="alice"))
    assert ids((await memory.recall(thread_id="t", resource_id="alice")).messages) == ["m2", "m3", "m4"]
    assert ids((await memory.recall(thread_id="t", per_page=False)).messages) == ["m0", "m1", "m2", "m3", "m4"]
    assert ids((await memory.recall(thread_id="t", config={"last_messages": 2})).messages) == ["m3", "m4"]
    assert ids((await memory.recall(thread_id="t", config={"last_messages": 2}, page=1)).messages) == ["m1", "m2"]
    assert (await memory.recall(thread_id="t", config={"last_messages": 0})).messages == []
    asc = await memory.recall(thread_id="t", order_by={"field": "created_at", "direction": "ASC"}, per_page=2)
    assert ids(asc.messages) == ["m0", "m1"]  # an explicit order is used as given


async def test_semantic_recall_across_threads_of_the_resource(semantic: Memory) -> None:
    await _two_threads(semantic)
    result = await semantic.recall(thread_id="new", resource_id="alice", query="what is my cat called")
    assert result.hits and result.hits[0].id == "o2"
    assert result.hits[0].metadata["thread_id"] == "old" and result.hits[0].metadata["resource_id"] == "alice"
    got = ids(result.messages)
    # the hit o2 with two neighbours on each side, in its own thread, before the 4 newest of "new"... all oldest first
    assert got[:5] == ["o0", "o1", "o2", "o3", "o4"]
    assert got[-4:] == ["n0", "n1", "n2", "n3"]
    assert len(got) == len(set(got))
    assert [m.created_at for m in result.messages] == sorted(m.created_at for m in result.messages)
    assert len(result.hits) <= 3


async def test_semantic_recall_message_range_and_top_k(make_memory: Any) -> None:
    memory = make_memory(
        {"last_messages": 0, "semantic_recall": {"top_k": 1, "message_range": {"before": 0, "after": 2}}}
    )
    await _two_threads(memory)
    result = await memory.recall(thread_id="new", resource_id="alice", query="my cat is called Tom")
    assert ids(result.hits) == ["o2"]
    assert ids(result.messages) == ["o2", "o3", "o4"]
    wider = await memory.recall(
        thread_id="new",
        resource_id="alice",
        query="my cat is called Tom",
        config={"semantic_recall": {"message_range": 1}},
    )
    assert ids(wider.messages) == ["o1", "o2", "o3"]


async def test_thread_scope_only_searches_the_current_thread(make_memory: Any) -> None:
    memory = make_memory({"last_messages": 2, "semantic_recall": {"top_k": 2, "message_range": 0, "scope": "thread"}})
    await _two_threads(memory)
    result = await memory.recall(thread_id="new", resource_id="alice", query="my cat is called Tom")
    assert all(h.metadata["thread_id"] == "new" for h in result.hits)
    assert all(m.thread_id == "new" for m in result.messages)


async def test_other_resources_are_never_recalled(semantic: Memory) -> None:
    await _two_threads(semantic, resource="alice")
    await semantic.create_thread(resource_id="bob", thread_id="bobs")
    await semantic.save_messages(conversation("b", ["tell me about my cat"], thread="bobs", resource="bob", start=500))
    result = await semantic.recall(thread_id="bobs", resource_id="bob", query="my cat is called Tom")
    assert ids(result.messages) == ["b0"]
    assert all(h.metadata["resource_id"] == "bob" for h in result.hits)


async def test_threshold_drops_weak_hits(make_memory: Any) -> None:
    memory = make_memory({"last_messages": 0, "semantic_recall": {"top_k": 5, "message_range": 0, "threshold": 0.99}})
    await _two_threads(memory)
    exact = await memory.recall(thread_id="new", resource_id="alice", query="my cat is called Tom and he is orange")
    assert ids(exact.hits) == ["o2"] and ids(exact.messages) == ["o2"]
    none = await memory.recall(thread_id="new", resource_id="alice", query="completely unrelated words zebra")
    assert none.hits == [] and none.messages == []


async def test_recall_refuses_a_thread_of_another_resource(semantic: Memory) -> None:
    await _two_threads(semantic)
    with pytest.raises(ValidationError) as err:
        await semantic.recall(thread_id="new", resource_id="mallory", query="cat")
    assert "Thread with id new is for resource with id alice but resource mallory was queried." in str(err.value)
    assert err.value.id == "MASTRA_MEMORY_RECALL_RESOURCE_MISMATCH"


async def test_missing_thread(memory: Memory, semantic: Memory) -> None:
    with pytest.raises(NotFoundError):
        await memory.recall(thread_id="nope", resource_id="alice")
    await _two_threads(semantic)
    # resource-scoped semantic recall works for a thread that does not exist yet (a new conversation)
    result = await semantic.recall(thread_id="brand-new", resource_id="alice", query="my cat is called Tom")
    assert "o2" in ids(result.messages)


async def test_resource_scope_needs_a_resource_id(semantic: Memory) -> None:
    with pytest.raises(ValidationError):
        await semantic.recall(thread_id="t", query="cat")
    # without a query there is no semantic leg and no resource is needed
    assert (await semantic.recall(thread_id="t")).messages == []


async def test_recall_does_one_list_messages_call(semantic: Memory) -> None:
    await _two_threads(semantic)
    store = semantic.store
    calls: list[dict[str, Any]] = []
    original = store.list_messages

    async def counting(**kw: Any) -> Any:
        calls.append(kw)
        return await original(**kw)

    store.list_messages = counting  # type: ignore[method-assign]
    try:
        result = await semantic.recall(thread_id="new", resource_id="alice", query="my cat is called Tom")
    finally:
        del store.list_messages
    assert len(calls) == 1
    assert calls[0]["per_page"] == 5 and calls[0]["order_by"] == {"field": "created_at", "direction": "DESC"}
    assert len(calls[0]["include"]) == len(result.hits) > 0


async def test_semantic_recall_before_anything_was_embedded(semantic: Memory) -> None:
    await semantic.create_thread(resource_id="alice", thread_id="t")
    result = await semantic.recall(thread_id="t", resource_id="alice", query="anything")
    assert result.messages == [] and result.hits == []


async def test_semantic_recall_needs_vector_and_embedder(backend: Any) -> None:
    from mastra_memory import HashEmbedder

    with pytest.raises(ValidationError, match="requires a vector store"):
        Memory(storage=backend.storage, embedder=HashEmbedder(), options={"semantic_recall": True})
    with pytest.raises(ValidationError, match="requires an embedder"):
        Memory(storage=backend.storage, vector=backend.vector, options={"semantic_recall": True})
    plain = Memory(storage=backend.storage)
    with pytest.raises(ValidationError, match="requires a vector store"):
        await plain.recall(thread_id="t", config={"semantic_recall": True}, query="x")
