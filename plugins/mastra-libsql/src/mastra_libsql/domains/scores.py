"""Eval scores (``mastra_scorers``) on libSQL."""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from mastra_core import records as r
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page
from mastra_core.records.queries import ScoreQuery

from ..codec import Codec
from ..connection import quote
from ..schema import DOMAIN_TABLES, SCORES
from .shared import LIVE, LibSQLDomain, fetch_page, now_text

SCORE = Codec(SCORES, r.Score)
_S = quote(SCORES.name)


class LibSQLScores(ScoresStore, LibSQLDomain):
    """``mastra_scorers``; every list is an index range scan newest first."""

    tables = DOMAIN_TABLES["scores"]

    async def _save_score(self, score: r.Score) -> None:
        sql = f"INSERT INTO {_S} ({SCORE.insert_columns}) VALUES {SCORE.placeholders}"
        # the expiry is taken inside the write transaction (as everywhere): a lock wait does not eat the TTL
        await self.conn.write(lambda db: db.execute(sql, SCORE.encode(score, self.expires_at("score"))))

    async def _get_score(self, score_id: str) -> r.Score | None:
        now = now_text()
        row = await self.conn.read(lambda db: db.one(f"SELECT {SCORE.select_list()} FROM {_S} WHERE id = ? AND {LIVE}",
                                                   (score_id, now)))
        return None if row is None else SCORE.decode(row)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        where, params = [LIVE], [now_text()]
        for attr in ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source"):
            value = getattr(q, attr)
            if value is not None:
                where.append(f"{quote(SCORE.columns[attr])} = ?")
                params.append(value)
        return await fetch_page(self.conn, SCORE, where, params, '"createdAt" DESC, rowid DESC', q.page, q.per_page)
