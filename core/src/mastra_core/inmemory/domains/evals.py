"""In-memory evals domain: the legacy evals table."""

from __future__ import annotations

from datetime import datetime

from ... import records as r
from ...clock import utc_now
from ...domains.legacy import EvalsStore
from ...pagination import Page
from ...records.queries import EvalQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, count_expired, page_rows


class InMemoryEvals(EvalsStore, InMemoryDomain):
    """The in-memory evals domain: the legacy evals table."""

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expires = self.expires_at("eval")
        self.s.evals.extend(Row(clone(row), self.s.next_seq(), expires) for row in rows)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        now = utc_now()
        rows = [row for row in self.s.evals if row.live(now)
                and (q.agent_name is None or row.record.agent_name == q.agent_name)
                and (q.type is None or (q.type == "test") == (row.record.test_info is not None))]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return page_rows(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.evals.clear()

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.evals, now=now)

    async def _prune(self, now: datetime) -> int:
        before = len(self.s.evals)
        self.s.evals[:] = [row for row in self.s.evals if row.live(now)]
        return before - len(self.s.evals)
