"""build_context / record_turn: order, framing, ranges, de-duplication, tools, read_only, titles, round trips."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest
from mastra_core import Message
from mastra_core import records as r
from mastra_core.errors import ValidationError
from mastra_memory import Memory, messages_from_openai, model_title_generator, register_title_generator
from mastra_memory.context import REMEMBERED_MESSAGE_ID, WORKING_MEMORY_MESSAGE_ID
from memory_helpers import conversation, ids, msg

OLD = [
    "good morning, how are you today",
    "i am fine thanks, how can i help",
    "my cat is called Tom and he is orange",
    "what a lovely name for a cat",
    "let us plan a trip to the mountains",
    "sure, which mountains do you like",
]
NEW = [
    "hello again",
    "hi, welcome back",
    "my dog is called Rex",
    "nice dog",
    "shall we talk about pets",
    "yes, happy to",
    "tell me a joke",
    "why did the chicken cross the road",
]
OPTIONS = {"last_messages": 4, "semantic_recall": {"top_k": 2, "message_range": 1}, "working_memory": {"enabled": True}}


async def _seed(memory: Memory) -> None:
    await memory.create_thread(resource_id="alice", thread_id="old")
    await memory.create_thread(resource_id="alice", thread_id="new")
    await memory.save_messages(conversation("o", OLD, thread="old", resource="alice", start=0))
    await memory.save_messages(conversation("n", NEW, thread="new", resource="alice", start=100))
    await memory.update_working_memory(memory="# User\n- **Name**: Alice", resource_id="alice")


async def test_context_order_framing_ranges_and_dedup(make_memory: Any) -> None:
    memory: Memory = make_memory(OPTIONS)
    await _seed(memory)
    ctx = await memory.build_context(thread_id="new", resource_id="alice", messages=["what are my cat and dog called"])
    roles = [m.role for m in ctx.messages]
    assert ctx.messages[0].id == WORKING_MEMORY_MESSAGE_ID and "Alice" in ctx.messages[0].content.text()
    assert ctx.messages[1].id == REMEMBERED_MESSAGE_ID
    remembered = ctx.messages[1].content.text()
    assert remembered.startswith("The following messages were remembered from a different conversation:")
    assert (
        "<remembered_from_other_conversation>" in remembered
        and "<end_remembered_from_other_conversation>" in remembered
    )
    assert "the following messages are from 2026, Jan, 1" in remembered
    assert "Message from previous conversation at 12:00 AM: User: my cat is called Tom and he is orange" in remembered
    assert roles[:2] == ["system", "system"] and "system" not in roles[2:]
    history = ctx.messages[2:-1]
    # the same-thread hit n2 (dog) and its neighbours sit in place, before the last 4, oldest first
    assert ids(history) == ["n1", "n2", "n3", "n4", "n5", "n6", "n7"]
    assert (
        ctx.messages[-1] is ctx.new_messages[0] and ctx.messages[-1].content.text() == "what are my cat and dog called"
    )
    by_hit = {rg.hit_id: rg for rg in ctx.ranges}
    assert by_hit["o2"].message_ids == ["o1", "o2", "o3"] and not by_hit["o2"].same_thread
    assert (
        by_hit["n2"].message_ids == ["n1", "n2", "n3"] and by_hit["n2"].same_thread and by_hit["n2"].thread_id == "new"
    )
    assert len({m.id for m in ctx.messages}) == len(ctx.messages)
    assert [t.name for t in ctx.tools] == ["updateWorkingMemory"] and ctx.working_memory == "# User\n- **Name**: Alice"
    # a new message that was already stored appears once, at the end
    stored = msg("n8", "what are my cat and dog called", thread="new", resource="alice", t=200)
    await memory.save_messages([stored])
    again = await memory.build_context(thread_id="new", resource_id="alice", messages=[stored])
    assert ids(again.messages).count("n8") == 1 and again.messages[-1].id == "n8"


async def test_context_in_model_formats(make_memory: Any) -> None:
    memory: Memory = make_memory(OPTIONS)
    await _seed(memory)
    ctx = await memory.build_context(thread_id="new", resource_id="alice", messages=["what is my cat called"])
    openai = ctx.to_openai()
    assert [m["role"] for m in openai["messages"][:2]] == ["system", "system"]
    assert openai["messages"][-1] == {"role": "user", "content": "what is my cat called"}
    assert openai["tools"][0]["function"]["name"] == "updateWorkingMemory"
    anthropic = ctx.to_anthropic()
    assert "remembered from a different conversation" in anthropic["system"]
    assert anthropic["tools"][0]["input_schema"]["required"] == ["memory"]
    roles = [m["role"] for m in anthropic["messages"]]
    assert roles[-1] == "user" and all(a != b for a, b in zip(roles, roles[1:], strict=False))  # alternating


async def test_record_turn_applies_working_memory_and_tool_calls(make_memory: Any) -> None:
    memory: Memory = make_memory(
        {"last_messages": 10, "working_memory": {"enabled": True, "scope": "thread"}, "generate_title": True}
    )
    user = Message.from_text("I live in Lyon; what's the weather?", id="u1", thread_id="t", resource_id="bob")
    reply = messages_from_openai(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {
                            "name": "updateWorkingMemory",
                            "arguments": json.dumps({"memory": "- **Location**: Lyon"}),
                        },
                    },
                    {"id": "c2", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Lyon"}'}},
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"success": true}'},
            {"role": "tool", "tool_call_id": "c2", "content": '{"sky": "sunny"}'},
            {"role": "assistant", "content": "It is sunny in Lyon."},
        ]
    )
    turn = await memory.record_turn(thread_id="t", resource_id="bob", messages=[user, *reply])
    assert turn.working_memory == "- **Location**: Lyon" and turn.title == "I live in Lyon; whats the weather?"
    stored = (await memory.recall(thread_id="t", resource_id="bob")).messages
    assert ids(stored)[0] == "u1" and len(stored) == 3
    calls = [p.tool_invocation for m in stored for p in m.content.parts if isinstance(p, r.ToolInvocationPart)]
    assert [(c.tool_name, c.state, c.args, c.result) for c in calls] == [
        ("weather", "result", {"city": "Lyon"}, {"sky": "sunny"})
    ]
    ctx = await memory.build_context(thread_id="t", resource_id="bob", messages=["and tomorrow?"])
    assert "Lyon" in ctx.messages[0].content.text()
    body = ctx.to_openai()["messages"]
    assert body[2]["tool_calls"][0]["function"] == {"name": "weather", "arguments": '{"city": "Lyon"}'}
    assert body[3] == {"role": "tool", "tool_call_id": "c2", "content": '{"sky": "sunny"}'}
    anthropic = ctx.to_anthropic()["messages"]
    assert anthropic[1]["content"][0] == {"type": "tool_use", "id": "c2", "name": "weather", "input": {"city": "Lyon"}}
    assert anthropic[2]["content"][0]["type"] == "tool_result"


async def test_read_only_writes_nothing_and_offers_no_tool(make_memory: Any) -> None:
    memory: Memory = make_memory({**OPTIONS, "generate_title": True})
    await _seed(memory)
    ro = {"read_only": True}
    ctx = await memory.build_context(thread_id="new", resource_id="alice", messages=["my cat?"], config=ro)
    assert (
        ctx.tools == [] and "read-only" in ctx.messages[0].content.text() and "Alice" in ctx.messages[0].content.text()
    )
    assert "tools" not in ctx.to_openai()
    turn = await memory.record_turn(thread_id="fresh", resource_id="alice", messages=["hello"], config=ro)
    assert turn.messages == [] and await memory.get_thread("fresh") is None
    assert await memory.save_messages([msg("x", "hi", thread="new", resource="alice")], config=ro) == []
    assert "x" not in ids((await memory.recall(thread_id="new", per_page=False)).messages)
    with pytest.raises(ValidationError) as err:
        await memory.update_working_memory(memory="gone", resource_id="alice", config=ro)
    assert err.value.id == "MASTRA_MEMORY_UPDATE_WORKING_MEMORY_READ_ONLY"
    with pytest.raises(ValidationError):
        make_memory({"read_only": "yes"})


async def test_title_generators_registered_and_model(make_memory: Any) -> None:
    with pytest.raises(ValidationError) as err:
        make_memory({"generate_title": {"model": "gpt-4o-mini", "instructions": "short"}})
    assert err.value.id == "MASTRA_MEMORY_CONFIG_TITLE_MODEL_WITHOUT_GENERATOR"
    with pytest.raises(ValidationError):
        make_memory({"generate_title": "no-such-generator"})

    asked: list[tuple[str, str, Any]] = []

    async def complete(instructions: str, text: str, model: Any) -> str:
        asked.append((instructions, text, model))
        return f"Title by {model}"

    register_title_generator("test-model", model_title_generator(complete, default_model="default-model"))
    memory: Memory = make_memory(
        {"generate_title": {"generator": "test-model", "model": "m1", "instructions": "Be brief"}}
    )
    await memory.record_turn(thread_id="t1", resource_id="alice", messages=["tell me about cats"])
    assert (await memory.get_thread("t1")).title == "Title by m1"  # type: ignore[union-attr]
    assert asked == [("Be brief", "tell me about cats", "m1")]
    by_name: Memory = make_memory({"generate_title": True}, title_generator="test-model")
    await by_name.record_turn(thread_id="t2", resource_id="alice", messages=["dogs"])
    assert (await by_name.get_thread("t2")).title == "Title by default-model"  # type: ignore[union-attr]
    # a Memory-level generator that takes the model serves a {model} config
    ok: Memory = make_memory({"generate_title": {"model": "m2"}}, title_generator=model_title_generator(complete))
    await ok.record_turn(thread_id="t3", resource_id="alice", messages=["birds"])
    assert (await ok.get_thread("t3")).title == "Title by m2"  # type: ignore[union-attr]

    def plain(text: str) -> str:
        return text

    with pytest.raises(ValidationError) as err:
        make_memory({"generate_title": {"generator": plain, "model": "m"}})
    assert err.value.id == "MASTRA_MEMORY_CONFIG_TITLE_GENERATOR_SIGNATURE"
    rule: Memory = make_memory({"generate_title": "rule-based"})
    await rule.record_turn(thread_id="t4", resource_id="alice", messages=["first line\nsecond line"])
    assert (await rule.get_thread("t4")).title == "first line"  # type: ignore[union-attr]


class _Counting:
    """Counts the awaited calls made on a store (storage round trips)."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.calls: list[str] = []

    def get_store(self, domain: str) -> Any:
        return _Counting(self.target.get_store(domain)) if domain != "memory" else self

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.target, name)
        if not inspect.iscoroutinefunction(value):
            return value

        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return await value(*args, **kwargs)

        return call


async def test_round_trips_per_context_build(make_memory: Any, backend: Any) -> None:
    memory: Memory = make_memory(OPTIONS)
    await _seed(memory)
    storage = _Counting(backend.storage.get_store("memory"))
    vector = _Counting(backend.vector)
    counted = Memory(
        storage=storage,
        vector=backend.vector,
        embedder=memory.embedder,
        options={**OPTIONS, "working_memory": {"enabled": True, "scope": "thread"}},
    )
    counted.vector = vector  # type: ignore[assignment]
    ctx = await counted.build_context(thread_id="new", resource_id="alice", messages=["what is my cat called"])
    assert ctx.ranges
    assert sorted(storage.calls) == ["get_thread_by_id", "list_messages"]  # history + recall: 2 storage calls
    assert vector.calls == ["query"]  # and 1 vector query
