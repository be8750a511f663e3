"""Responses-API input items <-> stored v2 messages, one message per item, losslessly.

Each item becomes one message whose parts carry what mastra understands (text, files, tool invocations,
reasoning), so Memory, the playground or any reader of the memory domain sees an ordinary conversation.
What those parts cannot hold (item ids, statuses, annotations, the exact ``arguments`` string, a
``developer`` role ...) is kept in ``content.metadata["openaiAgents"]``, and :func:`message_to_items`
rebuilds the item from both. :func:`item_to_message` checks every conversion by converting back through
the stored JSON form; an item that would not come back identical (a shape this module does not map) is
stored whole in a ``data-openai-item`` part instead, so nothing is ever lost.

Messages written by someone else (no ``openaiAgents`` metadata) are read as best as the Responses API
allows: text messages, tool calls with their results, reasoning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from mastra_core import records as r
from mastra_core.serde import content_from_json, content_to_json

#: Key of this module's bookkeeping in ``content.metadata``.
META_KEY = "openaiAgents"
#: Part type of an item stored whole.
OPAQUE_PART = "data-openai-item"

Item = dict[str, Any]

_ROLES: dict[str, r.Role] = {"user": "user", "assistant": "assistant", "system": "system", "developer": "system"}
_TEXT_TYPES = ("input_text", "output_text")
_COMPACT = (",", ":")
#: Residue key naming the field a file part's data came from (``file_url``; ``file_data`` when absent).
_KEY = "@field"


def plain_item(item: Any) -> Item:
    """The item as a JSON-shaped dict (pydantic models of the ``openai`` package are dumped like the SDK does)."""
    dump = getattr(item, "model_dump", None)
    if callable(dump):
        item = dump(exclude_unset=True, mode="json")
    if not isinstance(item, Mapping):
        raise TypeError(f"a session item must be a mapping, got {type(item).__name__}")
    plain: Item = json.loads(json.dumps(dict(item)))
    return plain


def item_to_message(
    item: Any,
    *,
    id: str,
    thread_id: str,
    resource_id: str,
    created_at: datetime,
    tool_names: Mapping[str, str] | None = None,
) -> r.Message:
    """The stored message of one input item; ``tool_names`` (call id -> function name) names tool results."""
    data = plain_item(item)
    try:
        role, content = _convert(data, tool_names or {})
        # what a reader gets back after the content went through its JSON column
        if message_to_items(_message(id, role, content_from_json(content_to_json(content)))) != [data]:
            role, content = _opaque(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        role, content = _opaque(data)
    return r.Message(
        id=id, role=role, content=content, thread_id=thread_id, resource_id=resource_id, created_at=created_at
    )


def _message(id: str, role: r.Role, content: r.MessageContent) -> r.Message:
    return r.Message(id=id, role=role, content=content)


def _meta(kind: str, rest: Item, **more: Any) -> dict[str, Any]:
    return {META_KEY: {"kind": kind, "item": rest, **more}}


def _convert(data: Item, tool_names: Mapping[str, str]) -> tuple[r.Role, r.MessageContent]:
    kind = data.get("type", "message")
    if kind == "message" and isinstance(data.get("role"), str) and "content" in data:
        return _from_message(data)
    if kind == "function_call":
        return _from_function_call(data)
    if kind == "function_call_output":
        return _from_function_output(data, tool_names)
    if kind == "reasoning":
        return _from_reasoning(data)
    return _opaque(data)


def _opaque(data: Item) -> tuple[r.Role, r.MessageContent]:
    """Any item kept whole: tool outputs of every kind are ``tool`` messages, everything else ``assistant``."""
    kind = str(data.get("type", ""))
    role: r.Role = "tool" if kind.endswith("_output") else "assistant"
    part = r.DataPart(type=OPAQUE_PART, data=data)
    return role, r.MessageContent(parts=[part], metadata={META_KEY: {"kind": "opaque"}})


def _from_message(data: Item) -> tuple[r.Role, r.MessageContent]:
    role = _ROLES[data["role"]]
    rest = {k: v for k, v in data.items() if k not in ("role", "content")}
    extra: dict[str, Any] = {} if role == data["role"] else {"role": data["role"]}
    body = data["content"]
    if isinstance(body, str):
        content = r.MessageContent(parts=[r.TextPart(text=body)], content=body)
        content.metadata = _meta("message", rest, text=True, **extra)
        return role, content
    if not isinstance(body, list):
        raise TypeError("message content must be a string or a list of parts")
    parts: list[r.Part] = []
    residues: list[Item | None] = []
    for raw in body:
        part, residue = _from_content_part(raw)
        parts.append(part)
        residues.append(residue or None)
    content = r.MessageContent(parts=parts)
    content.metadata = _meta("message", rest, parts=residues, **extra)
    return role, content


def _from_content_part(raw: Any) -> tuple[r.Part, Item]:
    """One content part and what of it the stored part does not hold."""
    if not isinstance(raw, dict):
        raise TypeError("content parts must be mappings")
    kind = raw.get("type")
    if kind in _TEXT_TYPES and isinstance(raw.get("text"), str):
        return r.TextPart(text=raw["text"]), {k: v for k, v in raw.items() if k != "text"}
    if kind == "refusal" and isinstance(raw.get("refusal"), str):
        return r.TextPart(text=raw["refusal"]), {k: v for k, v in raw.items() if k != "refusal"}
    if kind == "input_image" and isinstance(raw.get("image_url"), str):
        url = raw["image_url"]
        return r.FilePart(data=url, mime_type=_mime(url, "image/*")), {k: v for k, v in raw.items() if k != "image_url"}
    if kind == "input_file" and isinstance(raw.get("file_data"), str):
        mime = _mime(raw["file_data"], _guess(raw.get("filename")))
        return r.FilePart(data=raw["file_data"], mime_type=mime), {k: v for k, v in raw.items() if k != "file_data"}
    if kind == "input_file" and isinstance(raw.get("file_url"), str):
        mime = _guess(raw.get("filename") or raw["file_url"])
        residue = {k: v for k, v in raw.items() if k != "file_url"}
        return r.FilePart(data=raw["file_url"], mime_type=mime), {**residue, _KEY: "file_url"}
    if kind == "input_audio" and isinstance(raw.get("input_audio"), dict):
        audio = raw["input_audio"]
        if isinstance(audio.get("data"), str) and set(audio) <= {"data", "format"}:
            mime = f"audio/{audio.get('format', 'wav')}"
            return r.FilePart(data=audio["data"], mime_type=mime), {
                "type": kind, "audio": {k: v for k, v in audio.items() if k != "data"},
            }
    # a part mastra has no shape for: kept verbatim (the reader passes unknown parts through untouched)
    return r.UnknownPart(raw=dict(raw)), {"raw": True}


def _mime(url: str, default: str) -> str:
    """The media type of a ``data:`` URL, else ``default``."""
    if url.startswith("data:") and ";" in url:
        return url[5:url.index(";")] or default
    return default


def _guess(name: Any) -> str:
    import mimetypes

    if isinstance(name, str):
        guessed, _ = mimetypes.guess_type(name)
        if guessed:
            return guessed
    return "application/octet-stream"


def _arguments(text: Any) -> tuple[Any, dict[str, Any]]:
    """Parsed tool arguments, and how to write them back to the very same string."""
    if not isinstance(text, str):
        return text, {"argumentsRaw": True}
    try:
        args = json.loads(text)
    except ValueError:
        return text, {"argumentsRaw": True}
    if json.dumps(args) == text:
        return args, {}
    if json.dumps(args, separators=_COMPACT) == text:
        return args, {"argumentsCompact": True}
    return args, {"arguments": text}


def _from_function_call(data: Item) -> tuple[r.Role, r.MessageContent]:
    args, how = _arguments(data["arguments"])
    call = r.ToolInvocation(state="call", tool_call_id=data["call_id"], tool_name=data["name"], args=args)
    rest = {k: v for k, v in data.items() if k not in ("call_id", "name", "arguments")}
    return "assistant", r.MessageContent(
        parts=[r.ToolInvocationPart(tool_invocation=call)], metadata=_meta("function_call", rest, **how)
    )


def _from_function_output(data: Item, tool_names: Mapping[str, str]) -> tuple[r.Role, r.MessageContent]:
    call_id = data["call_id"]
    result = r.ToolInvocation(
        state="result", tool_call_id=call_id, tool_name=tool_names.get(call_id, ""), result=data["output"]
    )
    rest = {k: v for k, v in data.items() if k not in ("call_id", "output")}
    return "tool", r.MessageContent(
        parts=[r.ToolInvocationPart(tool_invocation=result)], metadata=_meta("function_call_output", rest)
    )


def _from_reasoning(data: Item) -> tuple[r.Role, r.MessageContent]:
    summary = data.get("summary", [])
    if not all(isinstance(s, dict) and set(s) == {"type", "text"} and s["type"] == "summary_text" for s in summary):
        raise ValueError("summary parts of an unknown shape")
    texts = [s["text"] for s in summary]
    part = r.ReasoningPart(reasoning="\n\n".join(texts), details=[{"type": "text", "text": t} for t in texts])
    rest = {k: v for k, v in data.items() if k != "summary"}
    return "assistant", r.MessageContent(
        parts=[part], reasoning=part.reasoning or None, metadata=_meta("reasoning", rest, summary="summary" in data)
    )


# ---------------------------------------------------------------------------------------------- reading


def message_to_items(message: r.Message) -> list[Item]:
    """The input items of a stored message: exactly one for a message this module wrote, one or more for others."""
    meta = (message.content.metadata or {}).get(META_KEY)
    if isinstance(meta, dict):
        item = _rebuild(message, meta)
        if item is not None:
            return [item]
    return _foreign(message)


def _rebuild(message: r.Message, meta: dict[str, Any]) -> Item | None:
    parts = message.content.parts
    kind = meta.get("kind")
    if kind == "opaque":
        data = next((p.data for p in parts if isinstance(p, r.DataPart) and p.type == OPAQUE_PART), None)
        return cast(Item, data) if isinstance(data, dict) else None
    rest: Item = dict(meta.get("item") or {})
    if kind == "message":
        role = meta.get("role", message.role)
        if meta.get("text"):
            return {"role": role, "content": message.content.text() if not parts else _text(parts[0]), **rest}
        residues = meta.get("parts") or [None] * len(parts)
        return {"role": role, "content": [_to_content_part(p, res) for p, res in zip(parts, residues, strict=True)],
                **rest}
    if kind in ("function_call", "function_call_output"):
        inv = next((p.tool_invocation for p in parts if isinstance(p, r.ToolInvocationPart)), None)
        if inv is None:
            return None
        if kind == "function_call_output":
            return {"call_id": inv.tool_call_id, "output": inv.result, **rest}
        return {"call_id": inv.tool_call_id, "name": inv.tool_name, "arguments": _arguments_text(inv.args, meta),
                **rest}
    if kind == "reasoning":
        reasoning = next((p for p in parts if isinstance(p, r.ReasoningPart)), None)
        if reasoning is None:
            return None
        if meta.get("summary", True):
            texts = [d.get("text", "") for d in reasoning.details or [] if isinstance(d, dict)]
            rest = {"summary": [{"type": "summary_text", "text": t} for t in texts], **rest}
        return rest
    return None


def _text(part: r.Part) -> str:
    return part.text if isinstance(part, r.TextPart) else ""


def _arguments_text(args: Any, meta: Mapping[str, Any]) -> Any:
    if "arguments" in meta:
        return meta["arguments"]
    if meta.get("argumentsRaw"):
        return args
    return json.dumps(args, separators=_COMPACT) if meta.get("argumentsCompact") else json.dumps(args)


def _to_content_part(part: r.Part, residue: Item | None) -> Item:
    res = dict(residue or {})
    if isinstance(part, r.UnknownPart):
        return dict(part.raw)
    kind = res.get("type")
    if isinstance(part, r.TextPart):
        key = "refusal" if kind == "refusal" else "text"
        return {key: part.text, **res} if kind else {"type": "input_text", "text": part.text}
    if isinstance(part, r.FilePart):
        if kind == "input_audio":
            audio = {"data": part.data, **res.get("audio", {})}
            return {"type": kind, "input_audio": audio}
        if kind == "input_file":
            key = res.pop(_KEY, "file_data")
            return {key: part.data, **res}
        if kind == "input_image":
            return {"image_url": part.data, **res}
        if part.mime_type.startswith("image/"):
            return {"type": "input_image", "image_url": part.data, "detail": "auto"}
        return {"type": "input_file", "file_data": part.data}
    return {"type": "input_text", "text": ""}


def _foreign(message: r.Message) -> list[Item]:
    """Items for a message written by someone else (Memory, another framework)."""
    items: list[Item] = []
    texts: list[str] = []
    for part in message.content.parts:
        if isinstance(part, r.TextPart) and part.text:
            texts.append(part.text)
        elif isinstance(part, r.ToolInvocationPart):
            inv = part.tool_invocation
            if message.role != "tool":
                items.append({"type": "function_call", "call_id": inv.tool_call_id, "name": inv.tool_name,
                              "arguments": json.dumps(inv.args if inv.args is not None else {})})
            if inv.state == "result":
                output = inv.result if isinstance(inv.result, str) else json.dumps(inv.result)
                items.append({"type": "function_call_output", "call_id": inv.tool_call_id, "output": output})
        elif isinstance(part, r.DataPart) and part.type == OPAQUE_PART and isinstance(part.data, dict):
            items.append(dict(part.data))
    if not texts and not message.content.parts and message.content.content:
        texts.append(message.content.content)
    if texts and message.role != "tool":
        items.insert(0, {"role": message.role, "content": "\n".join(texts)})
    return items
