"""Context building: the messages of one model call, and the model's formats for them.

This is the job of the reference's memory processors (``WorkingMemory``, ``SemanticRecall``,
``MessageHistory``), done without an agent framework: :meth:`Memory.build_context
<mastra_memory.Memory.build_context>` returns a :class:`ModelContext`, in this order:

1. the working-memory system message (template or JSON schema, with the current data);
2. semantic-recall hits from OTHER threads, as one system message framed as the reference frames
   them ("remembered from a different conversation", dated, one line per message);
3. the thread's history: the last N messages with same-thread hits (and their neighbours) in place,
   oldest first;
4. the new message(s), de-duplicated against everything above.

:meth:`ModelContext.to_openai` and :meth:`ModelContext.to_anthropic` turn it into the request bodies of
those APIs (tools included); :func:`to_openai_messages` / :func:`to_anthropic_messages` convert stored
messages alone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.vector import QueryResult

from .working_memory import WorkingMemoryTool

#: ids of the system messages a context build adds (never stored).
WORKING_MEMORY_MESSAGE_ID = "memory:working-memory"
REMEMBERED_MESSAGE_ID = "memory:semantic-recall"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@attrs.define(kw_only=True)
class RecalledRange:
    """One semantic hit and the window around it that was recalled (ids oldest first).

    ``same_thread``: the window sits in the history in place; otherwise it is in the
    "remembered from a different conversation" system message.
    """

    hit_id: str
    thread_id: str | None
    score: float
    message_ids: list[str]
    same_thread: bool


@attrs.define(kw_only=True)
class ModelContext:
    """What :meth:`Memory.build_context <mastra_memory.Memory.build_context>` returns.

    ``messages``: everything to send, in order (system messages first, then history, then the new
    messages); ``tools``: the update tool when working memory is on and the memory is writable;
    ``ranges``: the recalled windows; ``hits``: the vector hits; ``working_memory``: the stored data.
    """

    messages: list[r.Message]
    new_messages: list[r.Message] = attrs.field(factory=list)
    tools: list[WorkingMemoryTool] = attrs.field(factory=list)
    ranges: list[RecalledRange] = attrs.field(factory=list)
    hits: list[QueryResult] = attrs.field(factory=list)
    working_memory: str | None = None

    @property
    def system(self) -> list[str]:
        """The texts of the system messages (working memory, remembered conversations), in order."""
        return [m.content.text() for m in self.messages if m.role == "system"]

    def to_openai(self) -> dict[str, Any]:
        """``{"messages": [...], "tools": [...]}`` for the Chat Completions API (``tools`` only when there are any)."""
        body: dict[str, Any] = {"messages": to_openai_messages(self.messages)}
        if self.tools:
            body["tools"] = [t.to_openai() for t in self.tools]
        return body

    def to_anthropic(self) -> dict[str, Any]:
        """``{"system": str, "messages": [...], "tools": [...]}`` for the Anthropic Messages API."""
        system, messages = to_anthropic_messages(self.messages)
        body: dict[str, Any] = {"messages": messages}
        if system:
            body["system"] = system
        if self.tools:
            body["tools"] = [t.to_anthropic() for t in self.tools]
        return body


def system_message(id: str, text: str, *, thread_id: str | None, resource_id: str | None) -> r.Message:
    """A system message of a context build (not stored)."""
    return r.Message(
        id=id,
        role="system",
        content=r.MessageContent(parts=[r.TextPart(text=text)], content=text),
        thread_id=thread_id,
        resource_id=resource_id,
    )


def _time_of_day(at: datetime) -> str:
    hour12 = at.hour % 12 or 12
    return f"{hour12}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def remembered_text(messages: Sequence[r.Message], current_thread_id: str) -> str:
    """Messages of other threads framed as the reference frames them: dated blocks, one line per message."""
    lines: list[str] = []
    last_day: str | None = None
    for m in messages:
        at = m.created_at
        day = f"{at.year}, {_MONTHS[at.month - 1]}, {at.day}"
        if day != last_day:
            lines.append(f"\nthe following messages are from {day}")
            last_day = day
        where = "from previous conversation " if m.thread_id and m.thread_id != current_thread_id else ""
        lines.append(f"Message {where}at {_time_of_day(at)}: {m.role.capitalize()}: {_plain_text(m)}")
    body = "\n".join(lines)
    return (
        "The following messages were remembered from a different conversation:\n"
        f"<remembered_from_other_conversation>\n{body}\n<end_remembered_from_other_conversation>"
    )


def _plain_text(m: r.Message) -> str:
    texts = [p.text for p in m.content.parts if isinstance(p, r.TextPart) and p.text]
    return " ".join(texts) if texts else (m.content.content or "")


def recalled_ranges(
    fetched: Sequence[r.Message], hits: Sequence[QueryResult], before: int, after: int, current_thread_id: str
) -> list[RecalledRange]:
    """The window of each hit within ``fetched`` (oldest first, every hit's window complete in it).

    ``fetched`` holds, per thread, a union of complete windows (plus the thread's newest messages),
    so a hit's neighbours in ``fetched`` are its neighbours in the thread.
    """
    by_thread: dict[str | None, list[r.Message]] = {}
    for m in fetched:
        by_thread.setdefault(m.thread_id, []).append(m)
    out: list[RecalledRange] = []
    for h in hits:
        hit_id = str(h.metadata.get("message_id") or h.id)
        thread_id = h.metadata.get("thread_id")
        thread_id = str(thread_id) if thread_id is not None else None
        rows = by_thread.get(thread_id, [])
        ids = [m.id for m in rows]
        if hit_id not in ids:
            continue  # deleted since it was embedded
        i = ids.index(hit_id)
        out.append(
            RecalledRange(
                hit_id=hit_id,
                thread_id=thread_id,
                score=h.score,
                message_ids=ids[max(0, i - before) : i + after + 1],
                same_thread=thread_id == current_thread_id,
            )
        )
    return out


# ---------------------------------------------------------------------- model formats


def _file_block_openai(part: r.FilePart) -> dict[str, Any]:
    url = (
        part.data
        if part.data.startswith(("http://", "https://", "data:"))
        else f"data:{part.mime_type};base64,{part.data}"
    )
    if part.mime_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": url}}
    return {"type": "file", "file": {"file_data": url}}


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def to_openai_messages(messages: Sequence[r.Message]) -> list[dict[str, Any]]:
    """Stored messages as Chat Completions messages.

    Text and files become content; an assistant's tool invocations become ``tool_calls`` followed
    by one ``tool`` message per result; reasoning, step markers and data parts are not sent.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        texts = [p.text for p in m.content.parts if isinstance(p, r.TextPart)]
        files = [p for p in m.content.parts if isinstance(p, r.FilePart)]
        calls = [p.tool_invocation for p in m.content.parts if isinstance(p, r.ToolInvocationPart)]
        text = "".join(texts) if texts else (m.content.content or "")
        if m.role == "system":
            out.append({"role": "system", "content": text})
        elif m.role == "user":
            if files:
                blocks: list[dict[str, Any]] = [{"type": "text", "text": t} for t in texts if t]
                blocks += [_file_block_openai(f) for f in files]
                out.append({"role": "user", "content": blocks})
            else:
                out.append({"role": "user", "content": text})
        else:  # assistant (and the v1 "tool" role, which carries tool results)
            if m.role == "assistant" and (text or not calls):
                msg: dict[str, Any] = {"role": "assistant", "content": text or None}
            else:
                msg = {"role": "assistant", "content": None}
            if calls:
                msg["tool_calls"] = [
                    {
                        "id": c.tool_call_id,
                        "type": "function",
                        "function": {"name": c.tool_name, "arguments": _json(c.args if c.args is not None else {})},
                    }
                    for c in calls
                ]
            if msg["content"] is not None or calls:
                out.append(msg)
            out += [
                {"role": "tool", "tool_call_id": c.tool_call_id, "content": _json(c.result)}
                for c in calls
                if c.state == "result"
            ]
    return out


def _file_block_anthropic(part: r.FilePart) -> dict[str, Any]:
    kind = "image" if part.mime_type.startswith("image/") else "document"
    if part.data.startswith(("http://", "https://")):
        return {"type": kind, "source": {"type": "url", "url": part.data}}
    return {"type": kind, "source": {"type": "base64", "media_type": part.mime_type, "data": part.data}}


def to_anthropic_messages(messages: Sequence[r.Message]) -> tuple[str, list[dict[str, Any]]]:
    """Stored messages as an Anthropic ``(system, messages)`` pair.

    System messages join the system prompt; tool invocations become ``tool_use`` blocks and their
    results ``tool_result`` blocks in the next user turn; consecutive turns of one role are merged
    (the API wants them alternating).
    """
    system: list[str] = []
    out: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        if not blocks:
            return
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})

    for m in messages:
        if m.role == "system":
            system.append(m.content.text())
            continue
        blocks: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        for p in m.content.parts:
            if isinstance(p, r.TextPart) and p.text:
                blocks.append({"type": "text", "text": p.text})
            elif isinstance(p, r.FilePart):
                blocks.append(_file_block_anthropic(p))
            elif isinstance(p, r.ToolInvocationPart):
                c = p.tool_invocation
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": c.tool_call_id,
                        "name": c.tool_name,
                        "input": c.args if isinstance(c.args, dict) else {},
                    }
                )
                if c.state == "result":
                    results.append({"type": "tool_result", "tool_use_id": c.tool_call_id, "content": _json(c.result)})
        if not blocks and not results and m.content.content:
            blocks.append({"type": "text", "text": m.content.content})
        add("user" if m.role == "user" else "assistant", blocks)
        add("user", results)
    return "\n\n".join(system), out


def _args(raw: Any) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return raw


def messages_from_openai(
    messages: Sequence[dict[str, Any]],
    *,
    thread_id: str | None = None,
    resource_id: str | None = None,
    id_factory: Any = None,
) -> list[r.Message]:
    """Chat Completions messages (user, assistant with ``tool_calls``, ``tool``) as stored v2 messages.

    A ``tool`` message's result is folded into the assistant's matching tool invocation (state
    ``result``), as the reference stores tool calls. String ``arguments`` are parsed as JSON. Ids come
    from ``id_factory()`` (default: uuid4) unless a message carries an ``id``.
    """
    import uuid

    make_id = id_factory or (lambda: str(uuid.uuid4()))
    out: list[r.Message] = []
    calls: dict[str, r.ToolInvocation] = {}
    for raw in messages:
        role = raw.get("role")
        content = raw.get("content")
        if role == "tool":
            call = calls.get(str(raw.get("tool_call_id")))
            if call is not None:
                call.state = "result"
                call.result = _args(content)
            continue
        parts: list[r.Part] = []
        if isinstance(content, str) and content:
            parts.append(r.TextPart(text=content))
        elif isinstance(content, list):
            parts += [
                r.TextPart(text=str(b.get("text", "")))
                for b in content
                if isinstance(b, dict) and b.get("type") == "text"
            ]
        for tc in raw.get("tool_calls") or []:
            fn = tc.get("function") or {}
            inv = r.ToolInvocation(
                state="call",
                tool_call_id=str(tc.get("id")),
                tool_name=str(fn.get("name")),
                args=_args(fn.get("arguments")),
            )
            calls[inv.tool_call_id] = inv
            parts.append(r.ToolInvocationPart(tool_invocation=inv))
        text = "".join(p.text for p in parts if isinstance(p, r.TextPart)) or None
        out.append(
            r.Message(
                id=str(raw.get("id") or make_id()),
                role="assistant" if role == "assistant" else "system" if role == "system" else "user",
                content=r.MessageContent(parts=parts, content=text),
                thread_id=thread_id,
                resource_id=resource_id,
            )
        )
    return out
