"""In-memory traces domain: the legacy traces table."""

from __future__ import annotations

from datetime import datetime

from ... import records as r
from ...clock import utc_now
from ...domains.legacy import TracesStore
from ...domains.matching import contains
from ...pagination import Page
from ...records.queries import LegacyTraceQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, count_expired, page_rows, prune_table


class InMemoryTraces(TracesStore, InMemoryDomain):
    """The in-memory traces domain: the legacy traces table."""

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        expires = self.expires_at("trace")
        for row in rows:
            old = self.s.traces.get(row.id)
            self.s.traces[row.id] = Row(clone(row), old.seq if old else self.s.next_seq(), expires)

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        now = utc_now()
        rows = [row for row in self.s.traces.values() if row.live(now)
                and (q.name is None or row.record.name.startswith(q.name))
                and (q.scope is None or row.record.scope == q.scope)
                and (q.attributes is None or contains(row.record.attributes or {}, q.attributes))
                and (q.from_date is None or row.record.created_at >= q.from_date)
                and (q.to_date is None or row.record.created_at <= q.to_date)]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return page_rows(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.traces.clear()

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.traces, now=now)

    async def _prune(self, now: datetime) -> int:
        return prune_table(self.s.traces, now)
