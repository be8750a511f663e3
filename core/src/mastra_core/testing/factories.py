"""Sample records and assertion helpers for the conformance suite (the reference suite's fixtures, in Python).

Every id a factory makes is a fresh uuid, so tests never collide even on a shared service.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest

from mastra_core import ErrorCategory, NotFoundError, ValidationError
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, Resource, ScorePayload, Span, TextPart, Thread

ERROR_ID = re.compile(r"^MASTRA_STORAGE_[A-Z0-9]+(?:_[A-Z0-9]+)*$")


def uid(prefix: str = "") -> str:
    """A fresh uuid string, optionally prefixed."""
    return f"{prefix}{uuid.uuid4()}"


def ms(n: int) -> timedelta:
    """``n`` milliseconds."""
    return timedelta(milliseconds=n)


def base_time() -> datetime:
    """A fixed point a little in the past, ms precision, so explicit timestamps never collide with now."""
    return utc_now() - timedelta(minutes=5)


def sample_thread(**kw: Any) -> Thread:
    """A thread with fresh ids and the reference fixture's fields; ``kw`` overrides any of them."""
    now = utc_now()
    base: dict[str, Any] = {
        "id": uid("thread-"),
        "resource_id": uid("resource-"),
        "title": "Test Thread",
        "metadata": {"key": "value"},
        "created_at": now,
        "updated_at": now,
    }
    base.update(kw)
    return Thread(**base)


def sample_message(thread_id: str, text: str = "Hello", **kw: Any) -> Message:
    """A user text message in ``thread_id`` created now; ``kw`` overrides any field."""
    base: dict[str, Any] = {
        "id": uid(),
        "thread_id": thread_id,
        "resource_id": "test-resource",
        "role": "user",
        "created_at": utc_now(),
        "content": MessageContent(parts=[TextPart(text=text)], content=f"Sample content {text}"),
    }
    base.update(kw)
    return Message(**base)


def messages_in_order(
    thread_id: str, n: int, *, start: datetime | None = None, step_ms: int = 1, **kw: Any
) -> list[Message]:
    """n messages ``step_ms`` apart (default 1 ms), texts m0..m{n-1}."""
    t0 = start or utc_now() - timedelta(seconds=10)
    return [
        sample_message(thread_id, f"m{i}", created_at=t0 + timedelta(milliseconds=i * step_ms), **kw) for i in range(n)
    ]


def sample_resource(**kw: Any) -> Resource:
    """A resource with working memory and metadata; ``kw`` overrides any field."""
    now = utc_now()
    base: dict[str, Any] = {
        "id": uid("resource-"),
        "working_memory": "Sample working memory content",
        "metadata": {"key": "value", "test": True},
        "created_at": now,
        "updated_at": now,
    }
    base.update(kw)
    return Resource(**base)


def sample_score(**kw: Any) -> ScorePayload:
    """A score payload with fresh scorer, entity and run ids; ``kw`` overrides any field."""
    base: dict[str, Any] = {
        "scorer_id": uid("scorer-"),
        "entity_id": uid("entity-"),
        "run_id": uid("run-"),
        "score": 0.5,
        "scorer": {"id": "scorer", "name": "Test scorer"},
        "entity": {"id": "agent-1", "name": "Agent"},
        "source": "LIVE",
        "output": {"text": "out"},
        "input": [{"role": "user", "content": "hi"}],
        "entity_type": "AGENT",
        "reason": "because",
        "metadata": {"k": "v"},
    }
    base.update(kw)
    return ScorePayload(**base)


def sample_span(trace_id: str | None = None, **kw: Any) -> Span:
    """A root span (of a fresh trace unless ``trace_id``) started 30 s ago; ``kw`` overrides any field."""
    base: dict[str, Any] = {
        "trace_id": trace_id or uid("trace-"),
        "span_id": uid("span-"),
        "name": "root span",
        "span_type": "agent_run",
        "started_at": utc_now() - timedelta(seconds=30),
        "is_event": False,
    }
    base.update(kw)
    return Span(**base)


def sample_snapshot(run_id: str, status: str = "running", **kw: Any) -> dict[str, Any]:
    """A workflow snapshot in the reference's shape; ``kw`` overrides any key."""
    snap: dict[str, Any] = {
        "runId": run_id,
        "status": status,
        "value": {},
        "context": {"input": {"x": 1}},
        "serializedStepGraph": [],
        "activePaths": [],
        "activeStepsPath": {},
        "suspendedPaths": {},
        "resumeLabels": {},
        "waitingPaths": {},
        "timestamp": 1700000000000,
    }
    snap.update(kw)
    return snap


def ids(items: Sequence[Any]) -> list[str]:
    """The ``id`` of every item, in order."""
    return [m.id for m in items]


def texts(items: Sequence[Message]) -> list[str]:
    """The text of each message's first part (``?`` when it is not a text part)."""
    out = []
    for m in items:
        part = m.content.parts[0]
        out.append(part.text if isinstance(part, TextPart) else "?")
    return out


def expected_id(store: Any, op: str, status: str) -> str:
    """The error id ``MASTRA_STORAGE_<BACKEND>_<OP>_<STATUS>`` for ``store``."""
    return f"MASTRA_STORAGE_{store.backend_token}_{op}_{status}"


@contextmanager
def raises_validation(store: Any, op: str, status: str | None = None) -> Iterator[Any]:
    """Expect a USER ValidationError whose id is ``MASTRA_STORAGE_<BACKEND>_<OP>_<STATUS>`` (any status if None)."""
    with pytest.raises(ValidationError) as info:
        yield info
    err = info.value
    assert err.category == ErrorCategory.USER
    assert ERROR_ID.fullmatch(err.id), err.id
    prefix = f"MASTRA_STORAGE_{store.backend_token}_{op}_"
    assert err.id.startswith(prefix), (err.id, prefix)
    if status is not None:
        assert err.id == expected_id(store, op, status)


@contextmanager
def raises_not_found(store: Any, op: str) -> Iterator[Any]:
    """Expect a USER NotFoundError whose id is ``MASTRA_STORAGE_<BACKEND>_<OP>_NOT_FOUND``."""
    with pytest.raises(NotFoundError) as info:
        yield info
    assert info.value.category == ErrorCategory.USER
    assert info.value.id == expected_id(store, op, "NOT_FOUND")
