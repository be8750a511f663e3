"""Eval scores.

Item ``SCORE#{id}`` / ``SCORE``; gsi1 ``SCORER#{scorerId}``, gsi2 ``SCORERUN#{runId}``,
gsi3 ``SCOREENT#{entityType}#{entityId}``, gsi4 ``SCORESPAN#{traceId}#{spanId}``, all by (createdAt, sequence),
read newest first. Narrowing filters (entity, source) are FilterExpressions on the same Query.
"""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import epoch_ms
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page
from mastra_core.records.queries import ScoreQuery
from mastra_core.serde import from_wire, to_wire

from .base import DynamoDomain, live_filter, read_ordered
from .codec import composite, decode_body, encode_body, from_ms, is_live, ms_order, next_seq


def score_key(score_id: str) -> tuple[str, str]:
    return f"SCORE#{score_id}", "SCORE"


_ATTRS = {"scorer_id": "scorerId", "run_id": "runId", "entity_id": "entityId", "entity_type": "entityType",
          "trace_id": "traceId", "span_id": "spanId", "source": "source"}


class DynamoDBScores(DynamoDomain, ScoresStore):
    """Scores, one Query per listing on the GSI of its main filter."""

    entities = ("score",)

    def _from(self, item: dict[str, Any]) -> r.Score:
        return from_wire(decode_body(item), r.Score)

    async def _save_score(self, score: r.Score) -> None:
        pk, sk = score_key(score.id)
        created_ms = epoch_ms(score.created_at)
        o = ms_order(created_ms, next_seq())
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "entity": "score", "id": score.id, **encode_body(to_wire(score)), "createdMs": created_ms,
            **{attr: getattr(score, name) for name, attr in _ATTRS.items()},
            "score": score.score,
            "gsi1pk": f"SCORER#{score.scorer_id}", "gsi1sk": o, "gsi2pk": f"SCORERUN#{score.run_id}", "gsi2sk": o,
            **self.expiry("score"),
        }
        if score.entity_type is not None:
            item["gsi3pk"], item["gsi3sk"] = f"SCOREENT#{composite(score.entity_type, score.entity_id)}", o
        if score.trace_id is not None and score.span_id is not None:
            item["gsi4pk"], item["gsi4sk"] = f"SCORESPAN#{composite(score.trace_id, score.span_id)}", o
        await self.db.put(item)

    async def _get_score(self, score_id: str) -> r.Score | None:
        item = await self.db.get(*score_key(score_id))
        return self._from(item) if item is not None and is_live(item) else None

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        if q.scorer_id is not None:
            part, used = ("gsi1", f"SCORER#{q.scorer_id}"), {"scorer_id"}
        elif q.run_id is not None:
            part, used = ("gsi2", f"SCORERUN#{q.run_id}"), {"run_id"}
        elif q.entity_id is not None and q.entity_type is not None:
            part, used = ("gsi3", f"SCOREENT#{composite(q.entity_type, q.entity_id)}"), {"entity_id", "entity_type"}
        elif q.trace_id is not None and q.span_id is not None:
            part, used = ("gsi4", f"SCORESPAN#{composite(q.trace_id, q.span_id)}"), {"trace_id", "span_id"}
        else:
            raise ValueError("a score listing needs scorer_id, run_id, entity or span")
        extra, names, values = [], {}, {}
        for i, (name, attr) in enumerate(_ATTRS.items()):
            wanted = getattr(q, name)
            if wanted is None or name in used:
                continue
            extra.append(f"#f{i} = :f{i}")
            names[f"#f{i}"] = attr
            values[f":f{i}"] = wanted
        rows, total = await read_ordered(self.db, [part], forward=False, page=q.page, per_page=q.per_page,
                                         filter=live_filter(extra, names, values))
        more = q.per_page is not False and (q.page + 1) * q.per_page < total
        return Page(items=[self._from(it) for it in rows], total=total, page=q.page, per_page=q.per_page, has_more=more)


__all__ = ["DynamoDBScores", "from_ms"]
