"""Sample records for the conformance suite (the reference suite's fixtures, in Python)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, Resource, TextPart, Thread


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4()}"


def sample_thread(**kw: Any) -> Thread:
    now = utc_now()
    base: dict[str, Any] = {"id": uid("thread-"), "resource_id": uid("resource-"), "title": "Test Thread",
                            "metadata": {"key": "value"}, "created_at": now, "updated_at": now}
    base.update(kw)
    return Thread(**base)


def sample_message(thread_id: str, text: str = "Hello", **kw: Any) -> Message:
    base: dict[str, Any] = {
        "id": uid(), "thread_id": thread_id, "resource_id": "test-resource", "role": "user",
        "created_at": utc_now(), "content": MessageContent(parts=[TextPart(text=text)], content=f"Sample content {text}"),
    }
    base.update(kw)
    return Message(**base)


def messages_in_order(thread_id: str, n: int, *, start: datetime | None = None, step_ms: int = 1, **kw: Any) -> list[Message]:
    """n messages 1 ms apart (or ``step_ms``), texts m0..m{n-1}."""
    t0 = start or utc_now() - timedelta(seconds=10)
    return [sample_message(thread_id, f"m{i}", created_at=t0 + timedelta(milliseconds=i * step_ms), **kw) for i in range(n)]


def sample_resource(**kw: Any) -> Resource:
    now = utc_now()
    base: dict[str, Any] = {"id": uid("resource-"), "working_memory": "Sample working memory content",
                            "metadata": {"key": "value", "test": True}, "created_at": now, "updated_at": now}
    base.update(kw)
    return Resource(**base)
