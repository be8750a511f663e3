"""Eval scores (``mastra_scorers``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import attrs

ScoreSource = Literal["LIVE", "TEST"]


@attrs.define(kw_only=True)
class ScorePayload:
    """What a caller saves; the store adds ``id``, ``created_at`` and ``updated_at``."""

    scorer_id: str
    entity_id: str
    run_id: str
    score: float
    scorer: dict[str, Any]
    entity: dict[str, Any]
    source: ScoreSource
    output: Any = None
    input: Any = None
    entity_type: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    resource_id: str | None = None
    thread_id: str | None = None
    reason: str | None = None
    metadata: dict[str, Any] | None = None
    additional_context: dict[str, Any] | None = None
    request_context: dict[str, Any] | None = None
    structured_output: bool | None = None
    preprocess_step_result: dict[str, Any] | None = None
    extract_step_result: dict[str, Any] | None = None
    analyze_step_result: dict[str, Any] | None = None
    preprocess_prompt: str | None = None
    extract_prompt: str | None = None
    analyze_prompt: str | None = None
    generate_score_prompt: str | None = None
    generate_reason_prompt: str | None = None
    reason_prompt: str | None = None


@attrs.define(kw_only=True)
class Score(ScorePayload):
    """A stored score."""

    id: str
    created_at: datetime
    updated_at: datetime | None = None
