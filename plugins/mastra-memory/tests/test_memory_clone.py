"""clone_thread through Memory and the clone helpers (metadata, source, clones, history chain)."""

from __future__ import annotations

from typing import Any

from mastra_memory import Memory
from memory_helpers import conversation, ids


async def test_clone_helpers(memory: Memory) -> None:
    await memory.create_thread(resource_id="alice", thread_id="root", title="Root", metadata={"private": 1})
    await memory.save_messages(conversation("r", ["one", "two", "three", "four"], thread="root", resource="alice"))
    first = await memory.clone_thread("root", new_thread_id="c1", options={"message_limit": 2})
    assert first.thread.title == "Clone of Root"
    assert "private" not in (first.thread.metadata or {})
    assert [m.content.text() for m in first.cloned_messages] == ["three", "four"]
    meta = memory.get_clone_metadata(first.thread)
    assert meta is not None and meta["sourceThreadId"] == "root" and meta["lastMessageId"] == "r3"  # the source message
    assert memory.is_clone(first.thread) and not memory.is_clone(await memory.get_thread("root"))
    second = await memory.clone_thread("c1", new_thread_id="c2", title="Second")
    await memory.clone_thread("root", new_thread_id="c3")
    await memory.clone_thread("root", new_thread_id="elsewhere", resource_id="bob")
    source = await memory.get_source_thread("c2")
    assert source is not None and source.id == "c1"
    assert await memory.get_source_thread("root") is None
    assert sorted(t.id for t in await memory.list_clones("root")) == ["c1", "c3"]
    assert [t.id for t in await memory.list_clones("root", resource_id="bob")] == ["elsewhere"]
    assert [t.id for t in await memory.get_clone_history("c2")] == ["root", "c1", "c2"]
    assert [t.id for t in await memory.get_clone_history("root")] == ["root"]
    assert ids((await memory.recall(thread_id="c2", per_page=False)).messages) == [m.id for m in second.cloned_messages]


async def test_config_overrides_per_call(make_memory: Any) -> None:
    from mastra_memory import MemoryConfig, SemanticRecall

    memory: Memory = make_memory(MemoryConfig(last_messages=4, semantic_recall=SemanticRecall(top_k=2)))
    merged = memory.config({"semanticRecall": {"messageRange": {"before": 3}}, "lastMessages": False})
    assert merged.last_messages is False
    assert merged.semantic_recall is not None and merged.semantic_recall.top_k == 2
    assert (merged.semantic_recall.message_range.before, merged.semantic_recall.message_range.after) == (3, 1)
    assert memory.config({"semantic_recall": False}).semantic_recall is None
    assert memory.options.last_messages == 4
