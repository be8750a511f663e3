"""Messages in the v2 ("MastraDBMessage") format: content with ``format=2`` and typed parts.

Every content record and part keeps fields it does not know in ``extra`` so nothing written by a
newer client or by the reference implementation is lost on a round trip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

from ..clock import utc_now

Role = Literal["user", "assistant", "system", "tool"]
ToolState = Literal["partial-call", "call", "result"]


@attrs.define(kw_only=True)
class TextPart:
    """``{type: 'text', text}``."""

    text: str
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["text"] = "text"


@attrs.define(kw_only=True)
class ReasoningPart:
    """``{type: 'reasoning', reasoning, details}``."""

    reasoning: str = ""
    details: list[Any] | None = None
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["reasoning"] = "reasoning"


@attrs.define(kw_only=True)
class ToolInvocation:
    """A tool call and, once ``state == 'result'``, its result."""

    state: ToolState
    tool_call_id: str
    tool_name: str
    args: Any = None
    result: Any = None
    step: int | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class ToolInvocationPart:
    """``{type: 'tool-invocation', toolInvocation: {...}}``."""

    tool_invocation: ToolInvocation
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["tool-invocation"] = "tool-invocation"


@attrs.define(kw_only=True)
class SourcePart:
    """``{type: 'source', source: {url, ...}}``."""

    source: dict[str, Any]
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["source"] = "source"


@attrs.define(kw_only=True)
class FilePart:
    """``{type: 'file', data, mimeType}``; ``data`` is base64 or a URL."""

    data: str
    mime_type: str
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["file"] = "file"


@attrs.define(kw_only=True)
class StepStartPart:
    """``{type: 'step-start'}``: marks the start of a model step."""

    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)
    type: Literal["step-start"] = "step-start"


@attrs.define(kw_only=True)
class DataPart:
    """An AI-SDK v5 data part: ``type`` is ``data-<name>``."""

    type: str
    data: Any = None
    id: str | None = None
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)


@attrs.define(kw_only=True)
class UnknownPart:
    """A part of a type this version does not know, kept verbatim."""

    raw: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.raw.get("type", ""))


Part = TextPart | ReasoningPart | ToolInvocationPart | SourcePart | FilePart | StepStartPart | DataPart | UnknownPart


@attrs.define(kw_only=True)
class MessageContent:
    """The v2 content of a message."""

    format: int = 2
    parts: list[Part] = attrs.field(factory=list)
    content: str | None = None
    experimental_attachments: list[Any] | None = None
    tool_invocations: list[Any] | None = None
    reasoning: str | None = None
    annotations: list[Any] | None = None
    metadata: dict[str, Any] | None = None
    provider_metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = attrs.field(factory=dict)

    def text(self) -> str:
        """The plain text: ``content`` when set, otherwise the text parts joined by a space."""
        if self.content:
            return self.content
        return " ".join(p.text for p in self.parts if isinstance(p, TextPart) and p.text)


def _content(value: MessageContent | str) -> MessageContent:
    """``content="hello"`` (the reference's short form) as one text part."""
    return MessageContent(parts=[TextPart(text=value)], content=value) if isinstance(value, str) else value


# on_setattr=NO_OP: assignments are plain. With attrs' default (convert on assignment) the generated __init__ sets
# every field through a bound object.__setattr__, 2.5 us a message against 0.75 -- paid by every message built, read
# back or saved. ``msg.content = "text"`` is therefore stored as given, and a save refuses it with a clear error.
@attrs.define(kw_only=True, on_setattr=attrs.setters.NO_OP)
class Message:
    """A stored message. ``type`` is ``None`` for v2 rows (stored as ``'v2'``); ``content`` may be given as a
    string when the message is built (``Message(content="hi", ...)``, ``attrs.evolve``): one text part."""

    id: str
    role: Role
    content: MessageContent = attrs.field(converter=_content)
    thread_id: str | None = None
    resource_id: str | None = None
    created_at: datetime = attrs.field(factory=utc_now)
    type: str | None = None

    @property
    def text(self) -> str:
        """The message's plain text (``content.content``, else its text parts joined by a space)."""
        return self.content.text()

    @classmethod
    def from_text(
        cls,
        text: str,
        *,
        id: str,
        role: Role = "user",
        thread_id: str | None = None,
        resource_id: str | None = None,
        created_at: datetime | None = None,
    ) -> Message:
        """A message with one text part (``content.content`` holds the same text)."""
        return cls(
            id=id,
            role=role,
            content=MessageContent(parts=[TextPart(text=text)], content=text),
            thread_id=thread_id,
            resource_id=resource_id,
            created_at=created_at or utc_now(),
        )


@attrs.define(kw_only=True)
class MessageInclude:
    """Ask ``list_messages`` for a message and its neighbours in the message's own thread."""

    id: str
    thread_id: str | None = None
    with_previous_messages: int = 0
    with_next_messages: int = 0
