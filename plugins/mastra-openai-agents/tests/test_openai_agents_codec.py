"""The item <-> message mapping: every item kind comes back identical, and is stored as readable v2 parts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from mastra_core import records as r
from mastra_core.serde import content_from_json, content_to_json
from mastra_openai_agents import item_to_message, message_to_items
from mastra_openai_agents.codec import OPAQUE_PART
from openai_agents_items import ITEMS

AT = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def _store(item: Any, **kw: Any) -> r.Message:
    msg = item_to_message(item, id="m1", thread_id="t", resource_id="u", created_at=AT, **kw)
    # what a backend hands back: the content through its JSON column
    msg.content = content_from_json(content_to_json(msg.content))
    return msg


@pytest.mark.parametrize("name", sorted(ITEMS))
def test_every_item_kind_round_trips(name: str) -> None:
    item = ITEMS[name]
    assert message_to_items(_store(item)) == [item]


def _parts(name: str) -> list[r.Part]:
    return _store(ITEMS[name]).content.parts


def test_text_messages_are_text_parts_with_their_role() -> None:
    msg = _store(ITEMS["user text"])
    assert (msg.role, msg.text) == ("user", "What is the weather in Paris?")
    assert _store(ITEMS["developer text"]).role == "system"
    assert [type(p) for p in _parts("assistant output")] == [r.TextPart]


def test_images_and_files_are_file_parts() -> None:
    parts = _parts("user parts")
    files = [p for p in parts if isinstance(p, r.FilePart)]
    assert [(f.mime_type, f.data[:22]) for f in files] == [
        ("image/png", "data:image/png;base64,"),
        ("application/pdf", "data:application/pdf;b"),
        ("application/pdf", "https://example.com/re"),
        ("audio/wav", "UklGRg=="),
    ]
    assert isinstance(parts[2], r.UnknownPart)  # an image by file id has no v2 shape: kept verbatim


def test_function_calls_and_outputs_are_tool_invocations() -> None:
    (call,) = _parts("function call compact")
    assert isinstance(call, r.ToolInvocationPart)
    inv = call.tool_invocation
    assert (inv.state, inv.tool_call_id, inv.tool_name, inv.args) == (
        "call",
        "call_1",
        "get_weather",
        {"city": "Paris"},
    )
    msg = _store(ITEMS["function output"], tool_names={"call_1": "get_weather"})
    assert msg.role == "tool"
    (out,) = msg.content.parts
    assert isinstance(out, r.ToolInvocationPart)
    assert (out.tool_invocation.state, out.tool_invocation.tool_name, out.tool_invocation.result) == (
        "result",
        "get_weather",
        "21C and sunny",
    )


def test_reasoning_is_a_reasoning_part() -> None:
    msg = _store(ITEMS["reasoning"])
    (part,) = msg.content.parts
    assert isinstance(part, r.ReasoningPart)
    assert part.reasoning == "The user wants weather.\n\nCall the tool."
    assert msg.content.reasoning == part.reasoning


def test_items_without_a_v2_shape_are_kept_whole() -> None:
    for name, role in (
        ("web search call", "assistant"),
        ("computer call output", "tool"),
        ("unknown role", "assistant"),
    ):
        msg = _store(ITEMS[name])
        (part,) = msg.content.parts
        assert isinstance(part, r.DataPart) and part.type == OPAQUE_PART and part.data == ITEMS[name]
        assert msg.role == role


def test_pydantic_items_are_stored_as_the_sdk_dumps_them() -> None:
    from openai.types.responses import ResponseFunctionToolCall

    call = ResponseFunctionToolCall(type="function_call", call_id="c", name="f", arguments='{"x": 1}', id="fc")
    assert message_to_items(_store(call)) == [call.model_dump(exclude_unset=True, mode="json")]


def test_messages_written_by_others_are_read_as_items() -> None:
    text = r.Message.from_text("hello", id="a", role="assistant", thread_id="t", resource_id="u")
    assert message_to_items(text) == [{"role": "assistant", "content": "hello"}]
    inv = r.ToolInvocation(state="result", tool_call_id="c9", tool_name="add", args={"a": 1}, result={"sum": 2})
    tool = r.Message(
        id="b",
        role="assistant",
        content=r.MessageContent(parts=[r.TextPart(text="adding"), r.ToolInvocationPart(tool_invocation=inv)]),
    )
    assert message_to_items(tool) == [
        {"role": "assistant", "content": "adding"},
        {"type": "function_call", "call_id": "c9", "name": "add", "arguments": '{"a": 1}'},
        {"type": "function_call_output", "call_id": "c9", "output": '{"sum": 2}'},
    ]
