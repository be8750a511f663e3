"""Eval scores.

Item ``SCORE#{id}`` / ``SCORE``; gsi1 ``SCORER#{scorerId}``, gsi2 ``SCORERUN#{runId}``,
gsi3 ``SCOREENT#{entityType}#{entityId}``, gsi4 ``SCORESPAN#{traceId}#{spanId}``, all by (createdAt, sequence),
read newest first. Narrowing filters (entity, source) are FilterExpressions on the same Query.
"""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.backend import page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import ScoreQuery

from ..codec import body, is_live, record
from ..schema import SCORE, composite, ms_order, next_seq
from .shared import DynamoDomain, Partition, live_filter, read_ordered

#: Query fields -> the item attributes they filter on.
_ATTRS = {"scorer_id": "scorerId", "run_id": "runId", "entity_id": "entityId", "entity_type": "entityType",
          "trace_id": "traceId", "span_id": "spanId", "source": "source"}


class DynamoDBScores(ScoresStore, DynamoDomain):
    """Scores, one Query per listing on the GSI of its main filter."""

    entities = (SCORE,)

    async def _save_score(self, score: r.Score) -> None:
        pk, sk = SCORE.key(id=score.id)
        created_ms = epoch_ms(score.created_at)
        o = ms_order(created_ms, next_seq())
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "entity": SCORE.name, "id": score.id, **body(score), "createdMs": created_ms,
            **{attr: getattr(score, name) for name, attr in _ATTRS.items()},
            "score": score.score,
            "gsi1pk": SCORE.partition("gsi1", scorerId=score.scorer_id), "gsi1sk": o,
            "gsi2pk": SCORE.partition("gsi2", runId=score.run_id), "gsi2sk": o,
            **self.expiry("score"),
        }
        if score.entity_type is not None:
            item["gsi3pk"] = SCORE.partition("gsi3", entity=composite(score.entity_type, score.entity_id))
            item["gsi3sk"] = o
        if score.trace_id is not None and score.span_id is not None:
            item["gsi4pk"], item["gsi4sk"] = SCORE.partition("gsi4", span=composite(score.trace_id, score.span_id)), o
        await self.db.put(item)

    async def _get_score(self, score_id: str) -> r.Score | None:
        item = await self.db.get(*SCORE.key(id=score_id))
        return record(item, r.Score) if item is not None and is_live(item) else None

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        part: Partition
        if q.scorer_id is not None:
            part, used = ("gsi1", SCORE.partition("gsi1", scorerId=q.scorer_id)), {"scorer_id"}
        elif q.run_id is not None:
            part, used = ("gsi2", SCORE.partition("gsi2", runId=q.run_id)), {"run_id"}
        elif q.entity_id is not None and q.entity_type is not None:
            part = ("gsi3", SCORE.partition("gsi3", entity=composite(q.entity_type, q.entity_id)))
            used = {"entity_id", "entity_type"}
        elif q.trace_id is not None and q.span_id is not None:
            part = ("gsi4", SCORE.partition("gsi4", span=composite(q.trace_id, q.span_id)))
            used = {"trace_id", "span_id"}
        else:
            raise ValueError("a score listing needs scorer_id, run_id, entity or span")
        extra: list[str] = []
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        for i, (name, attr) in enumerate(_ATTRS.items()):
            wanted = getattr(q, name)
            if wanted is None or name in used:
                continue
            extra.append(f"#f{i} = :f{i}")
            names[f"#f{i}"] = attr
            values[f":f{i}"] = wanted
        rows, total = await read_ordered(self.db, [part], forward=False, page=q.page, per_page=q.per_page,
                                         filter=live_filter(extra, names, values))
        return page_of([record(it, r.Score) for it in rows], total=total, page=q.page, per_page=q.per_page)

    async def _list_all_scores(self, q: ScoreQuery) -> Page[r.Score]:
        """Every score, newest first: a Scan of the score items' keys, then BatchGetItem of the page."""
        keys = await self.db.scan_keys("#e = :e", {"#e": "entity", "#c": "createdMs"}, {":e": SCORE.name},
                                       "pk, sk, #c")
        keys.sort(key=lambda it: (-int(it.get("createdMs", 0)), it["pk"]))
        offset, limit = page_slice(0, q.page, q.per_page)
        chosen = keys[offset:] if limit is None else keys[offset:offset + limit]
        items = {it["pk"]: it for it in await self.db.batch_get([(it["pk"], it["sk"]) for it in chosen])}
        rows = [items[it["pk"]] for it in chosen if it["pk"] in items and is_live(items[it["pk"]])]
        return page_of([record(it, r.Score) for it in rows], total=len(keys), page=q.page, per_page=q.per_page)
