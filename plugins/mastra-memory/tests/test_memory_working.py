"""Working memory: scopes, Markdown replace, JSON deep merge, atomic concurrent updates, instruction and tool."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from mastra_core.errors import ValidationError
from mastra_memory import DEFAULT_TEMPLATE, Memory, deep_merge

MD = {"working_memory": {"enabled": True}}
THREAD_MD = {"working_memory": {"enabled": True, "scope": "thread"}}
SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "pets": {"type": "array", "items": {"type": "string"}},
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "zip": {"type": "string"}},
            "required": ["city"],
        },
    },
    "required": ["name"],
}
JSON_WM = {"working_memory": {"enabled": True, "schema": SCHEMA}}


def test_deep_merge_rules() -> None:
    old = {"a": 1, "nested": {"x": 1, "y": 2}, "list": [1, 2], "gone": "soon"}
    patch = {"nested": {"y": None, "z": 3}, "list": [3], "gone": None, "new": {"k": "v"}}
    assert deep_merge(old, patch) == {"a": 1, "nested": {"x": 1, "z": 3}, "list": [3], "new": {"k": "v"}}
    assert old["nested"] == {"x": 1, "y": 2}  # inputs untouched


async def test_disabled_by_default(memory: Memory) -> None:
    assert await memory.get_working_memory(resource_id="alice") is None
    assert await memory.get_system_message(resource_id="alice") is None
    assert memory.list_tools() == {}
    with pytest.raises(ValidationError):
        await memory.update_working_memory(resource_id="alice", memory="x")


async def test_default_template_and_markdown_replace_in_resource_scope(make_memory: Any) -> None:
    memory: Memory = make_memory(MD)
    template = memory.working_memory_template()
    assert template.format == "markdown" and template.content == DEFAULT_TEMPLATE.strip()
    for field in (
        "First Name",
        "Last Name",
        "Location",
        "Occupation",
        "Interests",
        "Goals",
        "Events",
        "Facts",
        "Projects",
    ):
        assert f"**{field}**" in template.content
    await memory.create_thread(resource_id="alice", thread_id="t1")
    await memory.create_thread(resource_id="alice", thread_id="t2")
    assert await memory.get_working_memory(thread_id="t1", resource_id="alice") is None
    await memory.update_working_memory(thread_id="t1", resource_id="alice", memory="# User\n- **First Name**: Alice")
    text = await memory.update_working_memory(
        thread_id="t1", resource_id="alice", memory="# User\n- **First Name**: Alicia"
    )
    assert text == "# User\n- **First Name**: Alicia"
    # resource scope: every thread of the resource sees it; the thread id alone finds the resource
    assert await memory.get_working_memory(thread_id="t2", resource_id="alice") == text
    assert await memory.get_working_memory(thread_id="t2") == text
    resource = await memory.store.get_resource_by_id(resource_id="alice")
    assert resource is not None and resource.working_memory == text
    with pytest.raises(ValidationError):
        await memory.update_working_memory(resource_id="alice", memory={"not": "markdown"})


async def test_thread_scope_lives_in_thread_metadata(make_memory: Any) -> None:
    memory: Memory = make_memory(THREAD_MD)
    await memory.create_thread(resource_id="alice", thread_id="t1", metadata={"keep": 1})
    await memory.create_thread(resource_id="alice", thread_id="t2")
    before = await memory.get_thread("t1")
    await memory.update_working_memory(thread_id="t1", resource_id="alice", memory="notes for t1")
    assert await memory.get_working_memory(thread_id="t1") == "notes for t1"
    assert await memory.get_working_memory(thread_id="t2") is None
    after = await memory.get_thread("t1")
    assert after is not None and before is not None
    assert after.metadata == {"keep": 1, "workingMemory": "notes for t1"}
    assert after.created_at == before.created_at and after.title == before.title
    # a missing thread is created for its resource
    await memory.update_working_memory(thread_id="t3", resource_id="alice", memory="fresh")
    t3 = await memory.get_thread("t3")
    assert t3 is not None and t3.resource_id == "alice" and (t3.metadata or {})["workingMemory"] == "fresh"
    with pytest.raises(ValidationError, match="is for resource with id alice"):
        await memory.update_working_memory(thread_id="t1", resource_id="mallory", memory="hijack")
    assert await memory.get_working_memory(thread_id="t1") == "notes for t1"


async def test_json_schema_updates_deep_merge(make_memory: Any) -> None:
    memory: Memory = make_memory(JSON_WM)
    template = memory.working_memory_template()
    assert template.format == "json" and json.loads(template.content) == SCHEMA
    await memory.update_working_memory(
        resource_id="alice", memory={"name": "Alice", "pets": ["Tom"], "address": {"city": "Lyon", "zip": "69001"}}
    )
    await memory.update_working_memory(
        resource_id="alice", memory='{"pets": ["Tom", "Felix"], "address": {"zip": null}}'
    )
    stored = json.loads(await memory.get_working_memory(resource_id="alice") or "")
    assert stored == {"name": "Alice", "pets": ["Tom", "Felix"], "address": {"city": "Lyon"}}
    with pytest.raises(ValidationError):
        await memory.update_working_memory(resource_id="alice", memory="not json")


@pytest.mark.parametrize("scope", ["resource", "thread"])
async def test_twenty_concurrent_writers_lose_nothing(make_memory: Any, scope: str) -> None:
    memory: Memory = make_memory({"working_memory": {"enabled": True, "schema": {"type": "object"}, "scope": scope}})
    await memory.create_thread(resource_id="alice", thread_id="t")
    await memory.update_working_memory(thread_id="t", resource_id="alice", memory={"seed": True})
    await asyncio.gather(
        *(
            memory.update_working_memory(
                thread_id="t", resource_id="alice", memory={f"k{i}": i, "nested": {f"n{i}": i}}
            )
            for i in range(20)
        )
    )
    stored = json.loads(await memory.get_working_memory(thread_id="t", resource_id="alice") or "")
    assert stored == {"seed": True, **{f"k{i}": i for i in range(20)}, "nested": {f"n{i}": i for i in range(20)}}


async def test_concurrent_writers_from_separate_memory_objects(make_memory: Any) -> None:
    """Two Memory instances (no shared in-process lock) still never lose an update: atomicity is the backend's."""
    a: Memory = make_memory({"working_memory": {"enabled": True, "schema": {"type": "object"}}})
    b: Memory = make_memory({"working_memory": {"enabled": True, "schema": {"type": "object"}}})
    await asyncio.gather(
        *((a if i % 2 else b).update_working_memory(resource_id="alice", memory={f"k{i}": i}) for i in range(20))
    )
    stored = json.loads(await a.get_working_memory(resource_id="alice") or "")
    assert stored == {f"k{i}": i for i in range(20)}


async def test_system_instruction_and_tool(make_memory: Any) -> None:
    memory: Memory = make_memory(MD)
    await memory.create_thread(resource_id="alice", thread_id="t")
    empty = await memory.get_system_message(thread_id="t", resource_id="alice")
    assert empty is not None and "updateWorkingMemory" in empty and "**First Name**" in empty and "(empty)" in empty
    tools = memory.list_tools()
    tool = tools["updateWorkingMemory"]
    assert (tool.name, tool.id) == ("updateWorkingMemory", "update-working-memory")
    assert tool.input_schema == {
        "type": "object",
        "required": ["memory"],
        "additionalProperties": False,
        "properties": {
            "memory": {"type": "string", "description": tool.input_schema["properties"]["memory"]["description"]}
        },
    }
    assert tool.to_openai()["function"]["parameters"] == tool.input_schema
    assert tool.to_anthropic()["input_schema"] == tool.input_schema
    result = await tool.execute({"memory": "- **First Name**: Alice"}, thread_id="t", resource_id="alice")
    assert result == {"success": True, "working_memory": "- **First Name**: Alice"}
    filled = await memory.get_system_message(thread_id="t", resource_id="alice")
    assert filled is not None and "- **First Name**: Alice" in filled and "(empty)" not in filled


async def test_json_tool_schema_allows_partial_updates(make_memory: Any) -> None:
    memory: Memory = make_memory(JSON_WM)
    tool = memory.working_memory_tool()
    schema = tool.input_schema["properties"]["memory"]
    assert schema["type"] == "object" and set(schema["properties"]) == {"name", "pets", "address"}
    assert "required" not in schema and "required" not in schema["properties"]["address"]
    await tool.execute({"memory": {"address": {"city": "Paris"}}}, resource_id="alice")
    assert json.loads(await memory.get_working_memory(resource_id="alice") or "") == {"address": {"city": "Paris"}}


async def test_create_thread_with_working_memory_metadata_updates_the_resource(make_memory: Any) -> None:
    memory: Memory = make_memory(MD)
    await memory.create_thread(resource_id="alice", thread_id="t", metadata={"workingMemory": "from metadata"})
    assert await memory.get_working_memory(resource_id="alice") == "from metadata"
