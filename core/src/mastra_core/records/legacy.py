"""The legacy ``mastra_evals`` and ``mastra_traces`` rows, kept so every table the seed lists exists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ..clock import utc_now


@attrs.define(kw_only=True)
class EvalRow:
    """A legacy eval result. ``test_info`` set means a test run, absent means live."""

    run_id: str
    agent_name: str
    metric_name: str
    input: str
    output: str
    result: dict[str, Any]
    instructions: str = ""
    test_info: dict[str, Any] | None = None
    global_run_id: str = ""
    created_at: datetime = attrs.field(factory=utc_now)


@attrs.define(kw_only=True)
class TraceRow:
    """A legacy OpenTelemetry-era span row. ``start_time``/``end_time`` are epoch nanoseconds."""

    id: str
    trace_id: str
    name: str
    scope: str
    kind: int
    start_time: int
    end_time: int
    parent_span_id: str | None = None
    attributes: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    events: list[Any] | None = None
    links: list[Any] | None = None
    other: dict[str, Any] | None = None
    created_at: datetime = attrs.field(factory=utc_now)
