"""to_stored / from_stored: every LangChain message kind round-trips exactly; foreign v2 messages read by role."""

from __future__ import annotations

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from lc_messages import every_kind
from mastra_core import Message
from mastra_core import records as r
from mastra_core.serde import from_wire, to_wire
from mastra_langchain import from_stored, to_stored


def test_every_kind_round_trips_through_the_wire_form() -> None:
    for i, message in enumerate(every_kind()):
        stored = to_stored(message, id=f"m{i}", thread_id="t", resource_id="u")
        again = from_wire(to_wire(stored), r.Message)  # what a backend writes and reads
        assert from_stored(again) == [message], message
        assert type(from_stored(again)[0]) is type(message)


def test_the_stored_form_is_real_v2() -> None:
    human, ai, tool = to_stored(HumanMessage("hello"), id="a"), None, None
    assert human.role == "user" and human.content.text() == "hello"
    assert isinstance(human.content.parts[0], r.TextPart)
    msgs = every_kind()
    ai = to_stored(msgs[3], id="b")
    calls = [p.tool_invocation for p in ai.content.parts if isinstance(p, r.ToolInvocationPart)]
    assert ai.role == "assistant" and [(c.tool_name, c.state, c.args) for c in calls] == [
        ("weather", "call", {"city": "Lyon", "days": [1, 2]}),
        ("clock", "call", {}),
    ]
    tool = to_stored(msgs[4], id="c")
    inv = tool.content.parts[0]
    assert tool.role == "tool" and isinstance(inv, r.ToolInvocationPart)
    assert inv.tool_invocation.state == "result" and inv.tool_invocation.result == '{"sky": "sunny"}'
    picture = to_stored(msgs[2], id="d")
    assert [p.type for p in picture.content.parts] == ["text", "file", "file", "text"]
    assert to_stored(msgs[7], id="e").role == "user" and to_stored(msgs[8], id="f").role == "assistant"


def test_foreign_messages_are_read_by_role() -> None:
    user = Message.from_text("hi", id="u1", role="user")
    system = Message.from_text("be nice", id="s1", role="system")
    inv = r.ToolInvocation(
        state="result", tool_call_id="c1", tool_name="weather", args={"city": "Oslo"}, result={"sky": "grey"}
    )
    assistant = Message(
        id="a1",
        role="assistant",
        content=r.MessageContent(parts=[r.TextPart(text="Let me check."), r.ToolInvocationPart(tool_invocation=inv)]),
    )
    assert from_stored(user) == [HumanMessage("hi", id="u1")]
    assert from_stored(system) == [SystemMessage("be nice", id="s1")]
    ai, result = from_stored(assistant)
    assert isinstance(ai, AIMessage) and ai.content == "Let me check." and ai.id == "a1"
    assert ai.tool_calls == [{"name": "weather", "args": {"city": "Oslo"}, "id": "c1", "type": "tool_call"}]
    assert result == ToolMessage('{"sky": "grey"}', tool_call_id="c1", name="weather")
