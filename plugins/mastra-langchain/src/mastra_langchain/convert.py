"""LangChain messages <-> stored v2 messages, lossless both ways.

A LangChain message becomes a real v2 message that mastra (and the reference) can read:

- role: human -> ``user``, ai -> ``assistant``, system -> ``system``, tool/function -> ``tool``, a
  ``ChatMessage`` by its role (``user`` for a role mastra does not know);
- content: a string is one text part (and ``content.content``); a list of content blocks gives a text
  part per text block and a file part per image/file block with a URL or base64 data;
- an AI message's ``tool_calls`` are ``tool-invocation`` parts (state ``call``); a tool message is a
  ``tool-invocation`` part (state ``result``) whose result is the message content.

Everything else LangChain knows (type, id, name, additional_kwargs, response_metadata, usage_metadata,
invalid_tool_calls, artifact, status, the blocks of list content...) is kept under
``content.metadata["langchain"]`` so :func:`from_stored` rebuilds an equal message. Whatever the parts
cannot rebuild exactly is kept there verbatim, so the round trip is exact by construction.

Messages that this module did not write (saved by ``Memory``, by the reference, by another client) are
read by role: user -> ``HumanMessage``, system -> ``SystemMessage``, assistant -> ``AIMessage`` (tool
invocations as ``tool_calls``) followed by one ``ToolMessage`` per result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    messages_from_dict,
)
from langchain_core.messages.tool import ToolCall
from mastra_core import records as r
from mastra_core.clock import utc_now

#: The key of ``content.metadata`` under which the LangChain fields live.
METADATA_KEY = "langchain"
_ROLES: dict[str, r.Role] = {"user": "user", "human": "user", "assistant": "assistant", "ai": "assistant",
                             "system": "system", "tool": "tool"}


def _role(message: BaseMessage) -> r.Role:
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, ToolMessage | FunctionMessage):
        return "tool"
    if isinstance(message, ChatMessage):
        return _ROLES.get(message.role, "user")
    return "user"


def _file_part(block: dict[str, Any]) -> r.FilePart | None:
    """A file part for an image/file block that carries a URL or base64 data (else None: metadata keeps it)."""
    kind = block.get("type")
    if kind == "image_url":
        raw = block.get("image_url")
        url = raw.get("url") if isinstance(raw, dict) else raw
        if isinstance(url, str):
            mime = url[5:].split(";", 1)[0] if url.startswith("data:") else "image/*"
            return r.FilePart(data=url, mime_type=mime or "image/*")
        return None
    if kind in ("image", "file", "audio", "video"):
        mime = block.get("mime_type") or f"{kind}/*"
        if isinstance(block.get("url"), str):
            return r.FilePart(data=block["url"], mime_type=str(mime))
        data = block.get("base64") or (block.get("data") if block.get("source_type") == "base64" else None)
        if isinstance(data, str):
            return r.FilePart(data=data, mime_type=str(mime))
    return None


def _content_parts(content: str | list[Any]) -> list[r.Part]:
    if isinstance(content, str):
        return [r.TextPart(text=content)] if content else []
    parts: list[r.Part] = []
    for block in content:
        if isinstance(block, str):
            parts.append(r.TextPart(text=block))
        elif isinstance(block, dict) and block.get("type") == "text" and isinstance(block.get("text"), str):
            parts.append(r.TextPart(text=block["text"]))
        elif isinstance(block, dict):
            file = _file_part(block)
            if file is not None:
                parts.append(file)
    return parts


def _tool_calls_from_parts(parts: Sequence[r.Part]) -> list[ToolCall]:
    calls: list[ToolCall] = []
    for p in parts:
        if isinstance(p, r.ToolInvocationPart):
            inv = p.tool_invocation
            calls.append(ToolCall(name=inv.tool_name, args=inv.args if isinstance(inv.args, dict) else {},
                                  id=inv.tool_call_id or None, type="tool_call"))
    return calls


def _text(parts: Sequence[r.Part]) -> str:
    return "".join(p.text for p in parts if isinstance(p, r.TextPart))


def to_stored(
    message: BaseMessage,
    *,
    id: str,
    thread_id: str | None = None,
    resource_id: str | None = None,
    created_at: datetime | None = None,
) -> r.Message:
    """The stored v2 form of a LangChain message (stored under ``id``; the LangChain id is kept in metadata)."""
    data = message.model_dump(exclude_defaults=True)
    data.pop("type", None)
    role = _role(message)
    content = message.content
    parts: list[r.Part]
    if isinstance(message, ToolMessage | FunctionMessage):
        call_id = message.tool_call_id if isinstance(message, ToolMessage) else ""
        parts = [r.ToolInvocationPart(tool_invocation=r.ToolInvocation(
            state="result", tool_call_id=call_id, tool_name=message.name or "", result=content))]
        text = None
    else:
        parts = _content_parts(content)
        text = content if isinstance(content, str) else (_text(parts) or None)
    if isinstance(message, AIMessage):
        for tc in message.tool_calls:
            parts.append(r.ToolInvocationPart(tool_invocation=r.ToolInvocation(
                state="call", tool_call_id=tc.get("id") or "", tool_name=tc["name"], args=tc["args"])))
    kept: dict[str, Any] = {"type": message.type, "data": data}
    # what the parts rebuild exactly is not kept twice; anything else stays verbatim
    if _rebuilt_content(role, parts) == content:
        data.pop("content", None)
    else:
        data["content"] = content
    if isinstance(message, AIMessage) and _tool_calls_from_parts(parts) == message.tool_calls:
        data.pop("tool_calls", None)
    return r.Message(
        id=id, role=role, thread_id=thread_id, resource_id=resource_id, created_at=created_at or utc_now(),
        content=r.MessageContent(parts=parts, content=text or None, metadata={METADATA_KEY: kept}),
    )


def _rebuilt_content(role: str, parts: Sequence[r.Part]) -> Any:
    if role == "tool":
        results = [p.tool_invocation.result for p in parts if isinstance(p, r.ToolInvocationPart)]
        return results[0] if len(results) == 1 else None
    if any(not isinstance(p, r.TextPart | r.ToolInvocationPart) for p in parts):
        return None  # list content: kept verbatim
    texts = [p for p in parts if isinstance(p, r.TextPart)]
    return texts[0].text if len(texts) == 1 else "" if not texts else None


def from_stored(message: r.Message) -> list[BaseMessage]:
    """The LangChain message(s) of a stored message: exactly the one written by :func:`to_stored`, or the
    messages a foreign v2 message stands for (an assistant message with tool results gives the AI
    message then one ``ToolMessage`` per result)."""
    kept = (message.content.metadata or {}).get(METADATA_KEY)
    if isinstance(kept, dict) and isinstance(kept.get("type"), str):
        data = dict(kept.get("data") or {})
        if "content" not in data:
            data["content"] = _rebuilt_content(message.role, message.content.parts)
        if kept["type"] in ("ai", "AIMessageChunk") and "tool_calls" not in data:
            data["tool_calls"] = _tool_calls_from_parts(message.content.parts)
        return messages_from_dict([{"type": kept["type"], "data": data}])
    return _foreign(message)


def _result_text(result: Any) -> str | list[Any]:
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        return result
    return json.dumps(result, ensure_ascii=False, default=str)


def _foreign(message: r.Message) -> list[BaseMessage]:
    text = _text(message.content.parts) or (message.content.content or "")
    if message.role == "user":
        return [HumanMessage(content=text, id=message.id)]
    if message.role == "system":
        return [SystemMessage(content=text, id=message.id)]
    invocations = [p.tool_invocation for p in message.content.parts if isinstance(p, r.ToolInvocationPart)]
    out: list[BaseMessage] = []
    if message.role == "assistant":
        out.append(AIMessage(content=text, id=message.id, tool_calls=_tool_calls_from_parts(message.content.parts)))
    out += [ToolMessage(content=_result_text(inv.result), tool_call_id=inv.tool_call_id, name=inv.tool_name or None)
            for inv in invocations if inv.state == "result"]
    return out
