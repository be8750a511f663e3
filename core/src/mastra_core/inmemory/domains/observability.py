"""In-memory observability domain: AI spans and traces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from ... import records as r
from ...clock import utc_now
from ...domains.matching import trace_matches
from ...domains.observability import ObservabilityStore
from ...pagination import Page
from ...records.queries import TraceQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, count_expired, page_rows, prune_table


class InMemoryObservability(ObservabilityStore, InMemoryDomain):
    """The in-memory observability domain: AI spans and traces."""

    tracing_strategy = {"preferred": "realtime", "supported": ["realtime", "batch-with-updates", "insert-only"]}

    def _live(self) -> list[Row[r.Span]]:
        now = utc_now()
        return [row for row in self.s.spans.values() if row.live(now)]

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        expires = self.expires_at("span")
        for span in spans:
            key = (span.trace_id, span.span_id)
            old = self.s.spans.get(key)
            stored = (
                attrs.evolve(span, created_at=old.record.created_at)
                if old is not None and old.live(utc_now())
                else span
            )
            self.s.spans[key] = Row(clone(stored), old.seq if old else self.s.next_seq(), expires)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        for u in updates:
            row = self.s.spans[(u.trace_id, u.span_id)]
            row.record = attrs.evolve(row.record, **clone(u.updates))
            row.expires_at = self.expires_at("span")

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        row = self.s.spans.get((trace_id, span_id))
        return clone(row.record) if row is not None and row.live(utc_now()) else None

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        rows = [row for row in self._live() if row.record.trace_id == trace_id]
        rows.sort(key=lambda row: (row.record.started_at, row.seq))
        return [clone(row.record) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        live = self._live()
        errors = {row.record.trace_id for row in live if row.record.error is not None}
        roots = [
            row
            for row in live
            if row.record.parent_span_id is None and trace_matches(row.record, q.filters, row.record.trace_id in errors)
        ]

        def key(row: Row[r.Span]) -> tuple[Any, ...]:
            value = getattr(row.record, q.order_field)
            return (value is None, value or datetime.min.replace(tzinfo=row.record.started_at.tzinfo), row.seq)

        # ASC: values ascending, missing last; DESC: the exact reverse (missing first)
        roots.sort(key=key, reverse=q.direction == "DESC")
        return page_rows(roots, q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        wanted = set(trace_ids)
        for key in [k for k in self.s.spans if k[0] in wanted]:
            del self.s.spans[key]

    async def _clear(self) -> None:
        self.s.spans.clear()

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.spans, now=now)

    async def _prune(self, now: datetime) -> int:
        return prune_table(self.s.spans, now)
