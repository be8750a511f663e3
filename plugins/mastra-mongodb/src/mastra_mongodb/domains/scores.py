"""Scores in ``mastra_scorers`` (the reference's camelCase fields)."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page
from mastra_core.records.queries import ScoreQuery
from mastra_core.serde import wire_names

from ..codec import SCORE
from ..filters import all_of, order
from ..schema import SCORES, SEQ
from .shared import MongoDomain

#: The query's equality filters (attribute names; stored under their wire names).
_FILTERS = ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source")


class MongoScores(ScoresStore, MongoDomain):
    """The scores domain on MongoDB."""

    collections = (SCORES,)

    async def _save_score(self, score: r.Score) -> None:
        doc = SCORE.to_doc(score, nulls=False)
        # an upsert on the fresh id, so a retry after a lost reply cannot insert twice
        await self.col(SCORES).update_one(
            {"id": score.id}, {"$setOnInsert": {**doc, SEQ: self.conn.seq(), **self.expiry(SCORES)}}, upsert=True
        )

    async def _get_score(self, score_id: str) -> r.Score | None:
        doc = await self.col(SCORES).find_one(all_of({"id": score_id}, self.live(SCORES)))
        return None if doc is None else SCORE.from_doc(doc)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        names = wire_names(r.Score)
        wanted: dict[str, Any] = {names[f]: getattr(q, f) for f in _FILTERS if getattr(q, f) is not None}
        return await self.conn.find_page(SCORES, all_of(wanted, self.live(SCORES)), order("createdAt", "DESC", SEQ),
                                         q.page, q.per_page, SCORE.from_doc)
