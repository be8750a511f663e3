"""Message builders for the memory tests (explicit, increasing timestamps so order is unambiguous)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from mastra_core import Message

BASE = datetime(2026, 1, 1, tzinfo=UTC)
_clock = itertools.count()


def at(seconds: int) -> datetime:
    return BASE + timedelta(seconds=seconds)


def msg(id: str, text: str, *, thread: str, resource: str, role: Any = "user", t: int | None = None) -> Message:
    """A text message; ``t`` seconds after BASE (default: a global increasing counter)."""
    return Message.from_text(
        text, id=id, role=role, thread_id=thread, resource_id=resource, created_at=at(next(_clock) if t is None else t)
    )


def conversation(prefix: str, texts: list[str], *, thread: str, resource: str, start: int = 0) -> list[Message]:
    """Alternating user/assistant messages ``{prefix}0..`` one second apart from ``start``."""
    return [
        msg(
            f"{prefix}{i}",
            text,
            thread=thread,
            resource=resource,
            role="user" if i % 2 == 0 else "assistant",
            t=start + i,
        )
        for i, text in enumerate(texts)
    ]


def ids(messages: list[Any]) -> list[str]:
    return [m.id for m in messages]
