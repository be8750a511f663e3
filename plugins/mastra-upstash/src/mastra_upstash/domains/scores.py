"""Scores: one hash per score, indexed by scorer, run, entity and span (newest first)."""

from __future__ import annotations

from datetime import datetime

from mastra_core import records as r
from mastra_core.backend import BackendDomain, page_of
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import ScoreQuery

from ..codec import SCORE, Rec, ms
from ..connection import UpstashConnection
from ..schema import SCORE_FIELDS, esc, glob_escape

#: ScoreQuery attribute -> hash field holding it (for equality filters in the page script)
FILTER_FIELDS = {"scorer_id": "sc", "run_id": "ru", "entity_id": "ei", "entity_type": "et", "trace_id": "ti",
                 "span_id": "si", "source": "so"}


class UpstashScores(ScoresStore, BackendDomain[UpstashConnection]):
    """Scores; lists read one index and filter any further fields server-side."""

    async def _save_score(self, score: r.Score) -> None:
        k = self.conn.keys
        fields = {"j": SCORE.json(score), "c": ms(score.created_at)}
        if score.updated_at is not None:
            fields["u"] = ms(score.updated_at)
        for attr, name in FILTER_FIELDS.items():
            value = getattr(score, attr)
            if value is not None:
                fields[name] = str(value)
        ix = [(k.scores("scorer", score.scorer_id), "c"), (k.scores("run", score.run_id), "c")]
        if score.entity_type is not None:
            ix.append((k.scores("entity", score.entity_type, score.entity_id), "c"))
        if score.trace_id is not None and score.span_id is not None:
            ix.append((k.scores("span", score.trace_id, score.span_id), "c"))
        rec = Rec(key=k.score(score.id), id=esc(score.id), fields=fields, ix=ix, expires_at=self.expires_at("score"))
        await self.conn.upsert("score", [rec])

    async def _get_score(self, score_id: str) -> r.Score | None:
        values = await self.conn.get_one(self.conn.keys.score(score_id), SCORE_FIELDS)
        return None if values is None else SCORE.decode(values)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        k = self.conn.keys
        used: set[str] = set()
        if q.scorer_id is not None:
            z, used = k.scores("scorer", q.scorer_id), {"scorer_id"}
        elif q.run_id is not None:
            z, used = k.scores("run", q.run_id), {"run_id"}
        elif q.entity_id is not None and q.entity_type is not None:
            z, used = k.scores("entity", q.entity_type, q.entity_id), {"entity_id", "entity_type"}
        elif q.trace_id is not None and q.span_id is not None:
            z, used = k.scores("span", q.trace_id, q.span_id), {"trace_id", "span_id"}
        else:  # the public API always narrows by one of the above
            raise ValueError("a score query needs scorer_id, run_id, entity or span")
        filters = [(FILTER_FIELDS[a], str(getattr(q, a))) for a in FILTER_FIELDS
                   if a not in used and getattr(q, a) is not None]
        offset, limit = page_slice(0, q.page, q.per_page)
        total, rows = await self.conn.page(z=z, rk=k.score_rk, fields=SCORE_FIELDS, rev=True, filters=filters,
                                           offset=offset, limit=limit,
                                           purge=self.conn.purge_keys(self.retention, "score"))
        return page_of([SCORE.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)

    async def _list_all_scores(self, q: ScoreQuery) -> Page[r.Score]:
        """Every score in key order: a SCAN of the score hashes (whole-store reads only), then one HMGET pipeline."""
        k = self.conn.keys
        keys = sorted({key if isinstance(key, str) else key.decode()
                       async for key in self.conn.client.scan_iter(match=glob_escape(k.score_rk) + "*", count=1000)})
        offset, limit = page_slice(0, q.page, q.per_page)
        chosen = keys[offset:] if limit is None else keys[offset:offset + limit]
        values = await self.conn.get_many(chosen, SCORE_FIELDS)
        return page_of([SCORE.decode(v) for v in values if v is not None], total=len(keys), page=q.page,
                       per_page=q.per_page)

    async def _clear(self) -> None:
        await self.conn.clear_patterns("scores")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "score")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "score")
