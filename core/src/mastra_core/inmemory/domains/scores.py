"""In-memory scores domain: eval scores."""

from __future__ import annotations

from datetime import datetime

import attrs

from ... import records as r
from ...clock import utc_now
from ...domains.scores import ScoresStore
from ...pagination import Page
from ...records.queries import ScoreQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, count_expired, page_rows, prune_table


class InMemoryScores(ScoresStore, InMemoryDomain):
    """The in-memory scores domain: eval scores."""

    async def _save_score(self, score: r.Score) -> None:
        self.s.scores[score.id] = Row(clone(score), self.s.next_seq(), self.expires_at("score"))

    async def _get_score(self, score_id: str) -> r.Score | None:
        row = self.s.scores.get(score_id)
        return clone(row.record) if row is not None and row.live(utc_now()) else None

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        now = utc_now()
        wanted = {k: v for k, v in attrs.asdict(q).items() if k not in ("page", "per_page") and v is not None}
        rows = [row for row in self.s.scores.values()
                if row.live(now) and all(getattr(row.record, k) == v for k, v in wanted.items())]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return page_rows(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.scores.clear()

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.scores, now=now)

    async def _prune(self, now: datetime) -> int:
        return prune_table(self.s.scores, now)
