"""AI tracing spans (``mastra_ai_spans``) and the trace view over them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

SpanType = Literal[
    "agent_run", "generic", "model_generation", "model_step", "model_chunk", "mcp_tool_call", "processor_run",
    "tool_call", "workflow_run", "workflow_step", "workflow_conditional", "workflow_conditional_eval",
    "workflow_parallel", "workflow_loop", "workflow_sleep", "workflow_wait_event",
]
TraceStatus = Literal["success", "error", "running"]


@attrs.define(kw_only=True)
class Span:
    """One span. ``parent_span_id is None`` marks the trace's root. The store sets the timestamps."""

    trace_id: str
    span_id: str
    name: str
    span_type: str
    started_at: datetime
    is_event: bool = False
    parent_span_id: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    user_id: str | None = None
    organization_id: str | None = None
    resource_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    thread_id: str | None = None
    request_id: str | None = None
    environment: str | None = None
    source: str | None = None
    service_name: str | None = None
    scope: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    attributes: dict[str, Any] | None = None
    links: list[Any] | None = None
    input: Any = None
    output: Any = None
    error: Any = None
    ended_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


#: Span fields ``update_span`` may change (everything but the ids and the store's timestamps).
SPAN_UPDATABLE_FIELDS = frozenset(
    f.name for f in attrs.fields(Span) if f.name not in {"trace_id", "span_id", "created_at", "updated_at"}
)


@attrs.define(kw_only=True)
class SpanUpdate:
    """One entry of ``batch_update_spans``."""

    trace_id: str
    span_id: str
    updates: dict[str, Any]


@attrs.define(kw_only=True)
class Trace:
    """All spans of one trace, ordered by ``started_at``."""

    trace_id: str
    spans: list[Span]


@attrs.define(kw_only=True)
class TraceFilter:
    """Filters of ``list_traces``; every one is matched against the root span."""

    started_at_from: datetime | None = None
    started_at_to: datetime | None = None
    ended_at_from: datetime | None = None
    ended_at_to: datetime | None = None
    span_type: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    user_id: str | None = None
    organization_id: str | None = None
    resource_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    thread_id: str | None = None
    request_id: str | None = None
    environment: str | None = None
    source: str | None = None
    service_name: str | None = None
    scope: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    status: TraceStatus | None = None
    has_child_error: bool | None = None


#: Root-span columns matched by plain equality in ``list_traces``.
TRACE_EQUALITY_FILTERS = (
    "span_type", "entity_type", "entity_id", "entity_name", "user_id", "organization_id", "resource_id", "run_id",
    "session_id", "thread_id", "request_id", "environment", "source", "service_name",
)
