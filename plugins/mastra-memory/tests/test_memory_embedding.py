"""Embedding on save: ids, metadata, one dimension-named index for writes and reads, cache, update/delete."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from mastra_core import Message, MessageContent
from mastra_core.records.messages import ToolInvocation, ToolInvocationPart
from mastra_memory import HashEmbedder, Memory
from memory_helpers import at, conversation, ids, msg


class Counting:
    """A real embedder (HashEmbedder) that records what it was asked to embed and on which thread."""

    def __init__(self, dimension: int = 64, *, asynchronous: bool = False) -> None:
        self.inner = HashEmbedder(dimension)
        self.id = f"counting-{dimension}-{'async' if asynchronous else 'sync'}"
        self.calls: list[list[str]] = []
        self.threads: list[str] = []
        if asynchronous:
            self.embed = self._embed_async  # type: ignore[method-assign]

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        self.threads.append(threading.current_thread().name)
        return self.inner.embed(texts)

    async def _embed_async(self, texts: list[str]) -> list[list[float]]:
        await asyncio.sleep(0)
        self.calls.append(list(texts))
        self.threads.append(threading.current_thread().name)
        return self.inner.embed(texts)


SEM = {"last_messages": 5, "semantic_recall": {"top_k": 3, "message_range": 1}}


async def test_saved_messages_are_embedded_with_message_ids_and_metadata(make_memory: Any) -> None:
    memory: Memory = make_memory(SEM)
    await memory.create_thread(resource_id="alice", thread_id="t")
    saved = await memory.save_messages(
        conversation("m", ["the quick brown fox", "jumps over the dog"], thread="t", resource="alice")
    )
    assert ids(saved) == ["m0", "m1"]
    assert memory.vector is not None
    assert await memory.memory_indexes() == ["memory_messages_64"]
    stats = await memory.vector.describe_index(index_name="memory_messages_64")
    assert (stats.dimension, stats.count) == (64, 2)
    [hit] = await memory.vector.query(
        index_name="memory_messages_64", query_vector=HashEmbedder(64).embed_one("the quick brown fox"), top_k=1
    )
    assert hit.id == "m0"
    assert hit.score == pytest.approx(1.0, abs=1e-5)
    assert hit.metadata == {
        "message_id": "m0",
        "thread_id": "t",
        "resource_id": "alice",
        "role": "user",
        "created_at": saved[0].created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


async def test_index_name_carries_the_dimension_for_writes_and_reads(make_memory: Any) -> None:
    """Bug #13039 of the reference: writes and reads must hit the same index whatever the dimension."""
    memory: Memory = make_memory(SEM, embedder=HashEmbedder(48))
    assert memory.index_name(48) == "memory_messages_48" and memory.index_name(1536) == "memory_messages_1536"
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages([msg("a", "remember the blue door", thread="t", resource="alice")])
    assert await memory.memory_indexes() == ["memory_messages_48"]
    result = await memory.recall(thread_id="t", resource_id="alice", query="blue door", config={"last_messages": 0})
    assert ids(result.hits) == ["a"]
    # a second embedder of another dimension writes and reads its own index, never the first one
    other: Memory = make_memory(SEM, embedder=HashEmbedder(32))
    await other.save_messages([msg("b", "remember the red door", thread="t", resource="alice")])
    assert sorted(await other.memory_indexes()) == ["memory_messages_32", "memory_messages_48"]
    assert ids(
        (await other.recall(thread_id="t", resource_id="alice", query="red door", config={"last_messages": 0})).hits
    ) == ["b"]


async def test_messages_without_text_are_not_embedded(make_memory: Any) -> None:
    embedder = Counting()
    memory: Memory = make_memory(SEM, embedder=embedder)
    await memory.create_thread(resource_id="alice", thread_id="t")
    tool_only = Message(
        id="tool",
        role="assistant",
        thread_id="t",
        resource_id="alice",
        created_at=at(-1),
        content=MessageContent(
            parts=[
                ToolInvocationPart(
                    tool_invocation=ToolInvocation(state="call", tool_call_id="c1", tool_name="weather", args={})
                )
            ]
        ),
    )
    await memory.save_messages([tool_only, msg("txt", "sunny today", thread="t", resource="alice")])
    assert embedder.calls == [["sunny today"]]
    assert memory.vector is not None
    assert (await memory.vector.describe_index(index_name="memory_messages_64")).count == 1
    assert ids((await memory.recall(thread_id="t")).messages) == ["tool", "txt"]


async def test_embedding_cache_by_content_hash(make_memory: Any) -> None:
    embedder = Counting()
    memory: Memory = make_memory(SEM, embedder=embedder)
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages(
        [msg("a", "same words", thread="t", resource="alice"), msg("b", "same words", thread="t", resource="alice")]
    )
    await memory.save_messages(
        [msg("c", "same words", thread="t", resource="alice"), msg("d", "new words", thread="t", resource="alice")]
    )
    await memory.recall(thread_id="t", resource_id="alice", query="same words")
    assert embedder.calls == [["same words"], ["new words"]]
    assert memory.embedder is not None and memory.embedder.cache.hits == 2


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_sync_and_async_embedders(make_memory: Any, asynchronous: bool) -> None:
    embedder = Counting(asynchronous=asynchronous)
    memory: Memory = make_memory(SEM, embedder=embedder)
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages([msg("a", "hello world", thread="t", resource="alice")])
    result = await memory.recall(thread_id="t", resource_id="alice", query="hello", config={"last_messages": 0})
    assert ids(result.hits) == ["a"]
    main = threading.current_thread().name
    if asynchronous:
        assert embedder.threads == [main, main]
    else:  # sync embedders run in a worker thread, never on the event loop
        assert embedder.threads and all(t != main for t in embedder.threads)


async def test_plain_callables_are_embedders(make_memory: Any) -> None:
    inner = HashEmbedder(16)

    async def embed(texts: list[str]) -> list[list[float]]:
        return inner.embed(texts)

    memory: Memory = make_memory(SEM, embedder=embed)
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages([msg("a", "callable embedder", thread="t", resource="alice")])
    assert await memory.memory_indexes() == ["memory_messages_16"]


async def test_update_messages_re_embeds(make_memory: Any) -> None:
    memory: Memory = make_memory(SEM)
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.save_messages(
        [
            msg("a", "apples and pears", thread="t", resource="alice"),
            msg("b", "something else", thread="t", resource="alice"),
        ]
    )
    await memory.update_messages(
        [
            {
                "id": "a",
                "content": {
                    "parts": [{"type": "text", "text": "rockets and planets"}],
                    "content": "rockets and planets",
                },
            }
        ]
    )
    q = {"last_messages": 0, "semantic_recall": {"top_k": 1, "message_range": 0, "threshold": 0.9}}
    assert ids(
        (await memory.recall(thread_id="t", resource_id="alice", query="rockets and planets", config=q)).hits
    ) == ["a"]
    assert (await memory.recall(thread_id="t", resource_id="alice", query="apples and pears", config=q)).hits == []
    assert memory.vector is not None
    assert (await memory.vector.describe_index(index_name="memory_messages_64")).count == 2


async def test_delete_messages_deletes_vectors_in_every_memory_index(make_memory: Any) -> None:
    m64: Memory = make_memory(SEM)
    m32: Memory = make_memory(SEM, embedder=HashEmbedder(32))
    await m64.create_thread(resource_id="alice", thread_id="t")
    await m64.save_messages(
        [msg("a", "first", thread="t", resource="alice"), msg("b", "second", thread="t", resource="alice")]
    )
    await m32.save_messages(
        [msg("a", "first", thread="t", resource="alice"), msg("c", "third", thread="t", resource="alice")]
    )
    assert m64.vector is not None
    await m64.delete_messages(["a", {"id": "c"}])
    assert (await m64.vector.describe_index(index_name="memory_messages_64")).count == 1
    assert (await m64.vector.describe_index(index_name="memory_messages_32")).count == 0
    assert ids((await m64.recall(thread_id="t", per_page=False)).messages) == ["b"]
    hits = await m64.recall(thread_id="t", resource_id="alice", query="first", config={"last_messages": 0})
    assert "a" not in ids(hits.messages)


async def test_working_memory_markup_is_stripped_before_saving(make_memory: Any) -> None:
    memory: Memory = make_memory(SEM)
    await memory.create_thread(resource_id="alice", thread_id="t")
    wm_call = Message(
        id="w",
        role="assistant",
        thread_id="t",
        resource_id="alice",
        content=MessageContent(
            parts=[
                ToolInvocationPart(
                    tool_invocation=ToolInvocation(
                        state="result",
                        tool_call_id="c",
                        tool_name="updateWorkingMemory",
                        args={"memory": "x"},
                        result={},
                    )
                )
            ]
        ),
    )
    tagged = msg(
        "x",
        "Noted! <working_memory># User\n- Name: Al</working_memory>",
        thread="t",
        resource="alice",
        role="assistant",
    )
    saved = await memory.save_messages([wm_call, tagged])
    assert ids(saved) == ["x"]
    [stored] = (await memory.recall(thread_id="t")).messages
    assert stored.content.text() == "Noted!"


async def test_save_messages_accepts_mappings(make_memory: Any) -> None:
    memory: Memory = make_memory(SEM)
    await memory.create_thread(resource_id="alice", thread_id="t")
    saved = await memory.save_messages(
        [{"role": "user", "content": "plain text content", "threadId": "t", "resourceId": "alice"}]
    )
    assert len(saved) == 1 and saved[0].id and saved[0].content.text() == "plain text content"
    assert ids(
        (await memory.recall(thread_id="t", resource_id="alice", query="plain text", config={"last_messages": 0})).hits
    ) == [saved[0].id]


async def test_clone_thread_embeds_the_copies(make_memory: Any) -> None:
    memory: Memory = make_memory(SEM)
    await memory.create_thread(resource_id="alice", thread_id="src")
    await memory.save_messages(
        conversation("s", ["violet umbrella story", "tell me more"], thread="src", resource="alice")
    )
    result = await memory.clone_thread("src", new_thread_id="copy", resource_id="bob")
    assert [m.thread_id for m in result.cloned_messages] == ["copy", "copy"]
    hits = await memory.recall(
        thread_id="copy", resource_id="bob", query="violet umbrella", config={"last_messages": 0}
    )
    assert hits.hits and hits.hits[0].id == result.cloned_messages[0].id
    assert hits.hits[0].metadata["resource_id"] == "bob"
