"""Record factories for the DynamoDB-only tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def thread(**kw: Any) -> Thread:
    now = utc_now()
    base: dict[str, Any] = {"id": uid("thread-"), "resource_id": uid("resource-"), "title": "t", "metadata": {},
                            "created_at": now, "updated_at": now}
    base.update(kw)
    return Thread(**base)


def message(thread_id: str, text: str, *, created_at: datetime | None = None, **kw: Any) -> Message:
    base: dict[str, Any] = {"id": uid("msg-"), "thread_id": thread_id, "resource_id": "res", "role": "user",
                            "created_at": created_at or utc_now(),
                            "content": MessageContent(parts=[TextPart(text=text)], content=text)}
    base.update(kw)
    return Message(**base)


def text_of(m: Message) -> str:
    part = m.content.parts[0]
    assert isinstance(part, TextPart)
    return part.text


def in_order(thread_id: str, n: int, *, pad: int = 0, start: datetime | None = None) -> list[Message]:
    t0 = start or utc_now() - timedelta(hours=1)
    return [message(thread_id, f"m{i:05d}" + "x" * pad, created_at=t0 + timedelta(milliseconds=i)) for i in range(n)]
