"""Threads API of Memory: create (reference defaults), get, list, update, delete (with vectors)."""

from __future__ import annotations

import re
import uuid

import pytest
from mastra_core.errors import NotFoundError, ValidationError
from mastra_memory import Memory
from memory_helpers import conversation


async def test_create_thread_defaults(memory: Memory) -> None:
    thread = await memory.create_thread(resource_id="user-1")
    uuid.UUID(thread.id)
    assert thread.resource_id == "user-1"
    assert re.fullmatch(r"New Thread \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", thread.title or "")
    stored = await memory.get_thread(thread.id)
    assert stored is not None and (stored.id, stored.title, stored.resource_id) == (thread.id, thread.title, "user-1")
    named = await memory.create_thread(resource_id="user-1", thread_id="t-named", title="Hello", metadata={"a": 1})
    assert (named.id, named.title, named.metadata) == ("t-named", "Hello", {"a": 1})
    unsaved = await memory.create_thread(resource_id="user-1", save=False)
    assert await memory.get_thread(unsaved.id) is None


async def test_get_thread_checks_the_resource(memory: Memory) -> None:
    await memory.create_thread(resource_id="alice", thread_id="t1")
    assert (await memory.get_thread("t1", resource_id="alice")) is not None
    with pytest.raises(ValidationError) as err:
        await memory.get_thread("t1", resource_id="bob")
    assert "is for resource with id alice but resource bob was queried" in str(err.value)
    assert await memory.get_thread("missing") is None


async def test_list_update_delete_threads(memory: Memory) -> None:
    for i in range(3):
        await memory.create_thread(resource_id="alice", thread_id=f"a{i}", metadata={"kind": "x" if i else "y"})
    await memory.create_thread(resource_id="bob", thread_id="b0")
    page = await memory.list_threads("alice")
    assert sorted(t.id for t in page.items) == ["a0", "a1", "a2"] and page.total == 3
    assert [t.id for t in (await memory.list_threads("alice", metadata={"kind": "y"})).items] == ["a0"]
    before = await memory.get_thread("a1")
    assert before is not None
    updated = await memory.update_thread("a1", title="Renamed", metadata={"extra": True})
    assert updated.title == "Renamed" and updated.metadata == {"kind": "x", "extra": True}
    assert updated.created_at == before.created_at and updated.updated_at > before.updated_at
    await memory.delete_thread("a1")
    assert await memory.get_thread("a1") is None
    assert sorted(t.id for t in (await memory.list_threads("alice")).items) == ["a0", "a2"]
    with pytest.raises(NotFoundError):
        await memory.update_thread("a1", title="x")


async def test_delete_thread_deletes_messages_and_vectors(semantic: Memory) -> None:
    await semantic.create_thread(resource_id="alice", thread_id="t1")
    await semantic.create_thread(resource_id="alice", thread_id="t2")
    await semantic.save_messages(
        conversation("x", ["alpha one", "beta two", "gamma three"], thread="t1", resource="alice")
    )
    await semantic.save_messages(conversation("y", ["alpha again"], thread="t2", resource="alice", start=10))
    assert semantic.vector is not None
    name = semantic.index_name(64)
    assert (await semantic.vector.describe_index(index_name=name)).count == 4
    await semantic.delete_thread("t1")
    assert (await semantic.recall(thread_id="t1", per_page=False)).messages == []
    assert (await semantic.vector.describe_index(index_name=name)).count == 1
    hits = await semantic.vector.query(index_name=name, query_vector=[1.0] * 64, top_k=10)
    assert [h.id for h in hits] == ["y0"]


async def test_add_message_creates_a_missing_thread_and_refuses_another_resources(semantic: Memory) -> None:
    await semantic.add_message("hello", thread_id="fresh", resource_id="bob")
    thread = await semantic.get_thread("fresh")
    assert thread is not None and thread.resource_id == "bob"
    with pytest.raises(ValidationError, match="is for resource with id bob"):
        await semantic.add_message("intruder", thread_id="fresh", resource_id="mallory")
    assert [
        m.content.text() for m in (await semantic.recall(thread_id="fresh", resource_id="bob", per_page=False)).messages
    ] == ["hello"]


async def test_add_message_shortcut(semantic: Memory) -> None:
    await semantic.create_thread(resource_id="alice", thread_id="t")
    first = await semantic.add_message("my cat is called Tom", thread_id="t", resource_id="alice")
    reply = await semantic.add_message("Nice name!", thread_id="t", resource_id="alice", role="assistant", id="r1")
    uuid.UUID(first.id)
    assert reply.id == "r1" and reply.role == "assistant"
    result = await semantic.recall(thread_id="t", resource_id="alice", query="cat Tom")
    assert [m.id for m in result.messages] == [first.id, "r1"] and result.hits[0].id == first.id
