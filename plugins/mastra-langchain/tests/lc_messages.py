"""Every LangChain message kind, with the fields a lossless store must keep."""

from __future__ import annotations

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages.tool import invalid_tool_call, tool_call


def every_kind() -> list[BaseMessage]:
    image = "data:image/png;base64,iVBORw0KGgo="
    return [
        SystemMessage("You are terse.", id="s1", additional_kwargs={"cache": {"type": "ephemeral"}}),
        HumanMessage("hi, I'm Ada", name="ada"),
        HumanMessage(
            content=[
                {"type": "text", "text": "what is in this picture?"},
                {"type": "image_url", "image_url": {"url": image, "detail": "low"}},
                {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"},
                "and a bare string block",
            ],
            id="h2",
        ),
        AIMessage(
            "",
            id="run-1",
            tool_calls=[
                tool_call(name="weather", args={"city": "Lyon", "days": [1, 2]}, id="call_1"),
                tool_call(name="clock", args={}, id=None),
            ],
            invalid_tool_calls=[invalid_tool_call(name="bad", args="{not json", id="call_x", error="parse")],
            additional_kwargs={"refusal": None},
            response_metadata={"model_name": "gpt-x", "finish_reason": "tool_calls"},
            usage_metadata={
                "input_tokens": 10,
                "output_tokens": 5,
                "total_tokens": 15,
                "input_token_details": {"cache_read": 2},
            },
        ),
        ToolMessage('{"sky": "sunny"}', tool_call_id="call_1", name="weather", artifact={"raw": [1, 2, 3]}, id="t1"),
        ToolMessage(content=[{"type": "text", "text": "error: no clock"}], tool_call_id="", status="error"),
        AIMessage(
            content=[
                {"type": "reasoning", "reasoning": "they asked about weather", "id": "rs_1"},
                {"type": "text", "text": "It is sunny in Lyon.", "annotations": [{"type": "citation", "url": "u"}]},
            ],
            name="bot",
            response_metadata={"model_provider": "openai"},
        ),
        ChatMessage(content="a custom role", role="critic"),
        ChatMessage(content="an assistant by role", role="assistant", id="c2"),
        FunctionMessage(content="42", name="answer"),
        AIMessageChunk(
            content="partial",
            id="chunk-1",
            tool_call_chunks=[{"name": "x", "args": '{"a": 1}', "id": "c9", "index": 0, "type": "tool_call_chunk"}],
        ),
        HumanMessage(""),
    ]
