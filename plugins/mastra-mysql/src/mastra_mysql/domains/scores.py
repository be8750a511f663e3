"""The scores domain on MariaDB: ``mastra_scorers``, every list newest first."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page
from mastra_core.records.queries import ScoreQuery
from mastra_core.serde import camel

from ..codec import SCORE
from ..schema import quote
from . import LIVE, MySQLDomain, columns, now, select_page, upsert

_S = quote(SCORE.table.name)
_FILTERS = ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source")


class MySQLScores(ScoresStore, MySQLDomain):
    """Eval scores keyed by id."""

    tables = DOMAIN_TABLES["scores"]

    async def _save_score(self, score: r.Score) -> None:
        row = SCORE.to_row(score, expiresAt=self.expires_at("score"))
        await self.conn.tx(lambda tx: upsert(tx, SCORE, [row], ("id",), keep=()))

    async def _get_score(self, score_id: str) -> r.Score | None:
        row = await self.conn.one(f"SELECT {columns(SCORE)} FROM {_S} WHERE id = %s AND {LIVE}",  # noqa: S608
                                  (score_id, now()))
        return None if row is None else SCORE.from_row(row)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        where: list[str] = [LIVE]
        params: list[Any] = [now()]
        for name in _FILTERS:
            value = getattr(q, name)
            if value is not None:
                where.append(f"{quote(camel(name))} = %s")
                params.append(value)
        return await select_page(self.conn, SCORE, where, params, "`createdAt` DESC, seq DESC", q.page, q.per_page)
