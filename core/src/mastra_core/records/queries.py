"""Validated, normalised query objects that the domain base classes hand to backends.

A backend never sees raw user input: by the time one of these reaches it, ids are non-blank,
pages are in range, dates are UTC datetimes and field names are attribute names.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from ..pagination import Direction, PerPage
from .messages import MessageInclude
from .spans import TraceFilter


@attrs.define(kw_only=True, frozen=True)
class ThreadQuery:
    """``list_threads``: AND of resource id and per-key deep-equal metadata; ``order_field`` is created_at or
    updated_at."""

    resource_id: str | None
    metadata: dict[str, Any] | None
    page: int
    per_page: PerPage
    order_field: str
    direction: Direction


@attrs.define(kw_only=True, frozen=True)
class MessageQuery:
    """``list_messages``.

    Semantics (DESIGN.md section 4): rows of ``thread_ids`` (and ``resource_id`` if set) within the date
    bounds, ordered by (created_at, sequence) in ``direction``; ``total`` counts them; the page is
    ``offset``/``limit`` over that order (``limit`` None = all, 0 = none). Each include adds its target
    plus up to ``with_previous_messages`` earlier and ``with_next_messages`` later messages of the
    target's own thread (in total order), whatever thread or resource that is. The result is the
    de-duplicated union sorted in ``direction``.
    """

    thread_ids: tuple[str, ...]
    resource_id: str | None
    start: datetime | None
    end: datetime | None
    start_exclusive: bool
    end_exclusive: bool
    include: tuple[MessageInclude, ...]
    page: int
    per_page: PerPage
    direction: Direction

    @property
    def offset(self) -> int:
        return 0 if self.per_page is False else self.page * self.per_page

    @property
    def limit(self) -> int | None:
        return None if self.per_page is False else self.per_page


@attrs.define(kw_only=True, frozen=True)
class WorkflowRunQuery:
    """``list_workflow_runs``: ANDed filters, created_at inclusive bounds, newest first; unpaginated when per_page
    is False."""

    workflow_name: str | None
    resource_id: str | None
    status: str | None
    from_date: datetime | None
    to_date: datetime | None
    page: int
    per_page: PerPage


@attrs.define(kw_only=True, frozen=True)
class ScoreQuery:
    """Every ``list_scores_by_*``: equality on each set field, newest first (ties: newest save first)."""

    scorer_id: str | None = None
    run_id: str | None = None
    entity_id: str | None = None
    entity_type: str | None = None
    trace_id: str | None = None
    span_id: str | None = None
    source: str | None = None
    page: int = 0
    per_page: PerPage = False


@attrs.define(kw_only=True, frozen=True)
class TraceQuery:
    """``list_traces``: root spans only, one per trace, filtered by :class:`TraceFilter`."""

    filters: TraceFilter
    page: int
    per_page: PerPage
    order_field: str  # started_at | ended_at
    direction: Direction


@attrs.define(kw_only=True, frozen=True)
class AgentQuery:
    """``list_agents``."""

    page: int
    per_page: PerPage
    order_field: str
    direction: Direction


@attrs.define(kw_only=True, frozen=True)
class EvalQuery:
    """Legacy ``list_evals``: by agent name; ``type`` 'test' (test_info set) or 'live' (unset)."""

    agent_name: str | None
    type: str | None
    page: int
    per_page: PerPage


@attrs.define(kw_only=True, frozen=True)
class LegacyTraceQuery:
    """Legacy ``list_traces``: name prefix, scope, attribute containment, created_at bounds; newest first."""

    name: str | None
    scope: str | None
    attributes: dict[str, Any] | None
    from_date: datetime | None
    to_date: datetime | None
    page: int
    per_page: PerPage


@attrs.define(kw_only=True, frozen=True)
class CloneRequest:
    """``clone_thread``, validated. ``message_limit`` keeps the most recent N."""

    source_thread_id: str
    new_thread_id: str
    resource_id: str | None
    title: str | None
    metadata: dict[str, Any] | None
    message_limit: int | None
    start_date: datetime | None
    end_date: datetime | None
    message_ids: tuple[str, ...] | None


#: A pure function applied inside an atomic read-modify-write; it receives the current record
#: (or None) and returns the new one. It may run more than once (optimistic retries): no side effects.
Change = Callable[[Any], Any]
