"""The scores domain on PostgreSQL: eval scores in ``mastra_scorers``."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.scores import ScoresStore
from mastra_core.pagination import Page
from mastra_core.records.queries import ScoreQuery
from mastra_core.retention import Retention
from mastra_core.serde import wire_names

from ..codec import PgKind, ident
from ..connection import PgConnection
from .shared import LIVE, PgDomain, codec_for

#: Free-text columns (NUL-safe) and the JSON columns that store None as JSON null.
KINDS: dict[str, PgKind] = {
    **dict.fromkeys(("reason", "preprocessPrompt", "extractPrompt", "generateScorePrompt", "generateReasonPrompt",
                     "analyzePrompt", "reasonPrompt"), "text"),
    **dict.fromkeys(("scorer", "input", "output"), "json_null"),
}
_FILTERS = ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source")


#: A scores page's rows are loaded this many at a time as they come (``lean.CAN_CHUNK``, as a runs page's: see
#: ``workflows.RUNS_CHUNK``): a score carries the scored input and output, often kilobytes of messages. A page of 20
#: among 100 of one scorer, p50 of 600 calls each, interleaved: rows of ~4.4 KB whole 1,574 us, chunks of 1: 1,162,
#: 2: 1,138, 4: 1,104, 8: 1,279; ~1.7 KB whole 1,210, chunks of 4: 1,009; ~0.4 KB (all in one packet, nothing to
#: overlap) whole 641, chunks of 4: 665 (five results to load instead of one).
SCORES_CHUNK = 4


class PgScores(ScoresStore, PgDomain):
    """Scores, one row per id (first write wins)."""

    tables = ("scorers",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "scorers", r.Score, KINDS)
        wire = wire_names(r.Score)
        #: query field -> its quoted column
        self.filter_columns = {f: ident(self.t.by_key[wire[f]].name) for f in _FILTERS}

    async def _save_score(self, score: r.Score) -> None:
        cols = ", ".join([*self.t.insert_cols, '"expiresAt"'])
        await self.conn.execute(self.q("INSERT INTO {scorers} ({cols}) VALUES ({ph}, %(exp)s) "
                                       "ON CONFLICT (id) DO NOTHING", cols=cols, ph=self.t.placeholders()),
                                self.t.named(score, exp=self.expires_at("score")))

    async def _get_score(self, score_id: str) -> r.Score | None:
        row = await self.conn.fetchone(self.q("SELECT {cols} FROM {scorers} WHERE id = %(id)s AND {live}",
                                              cols=self.t.select, live=LIVE), {"id": score_id, "now": utc_now()})
        return None if row is None else self.t.decode(row)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        for attr, column in self.filter_columns.items():
            val = getattr(q, attr)
            if val is not None:
                conds.append(f"{column} = %({attr})s")
                params[attr] = val
        return await self.page(self.t, "scorers", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page,
                               q.per_page, chunk=SCORES_CHUNK)

