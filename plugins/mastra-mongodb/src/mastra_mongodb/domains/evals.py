"""The legacy ``mastra_evals`` collection (snake_case fields, as the reference wrote them)."""

from __future__ import annotations

from mastra_core import records as r
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery

from ..codec import EVAL
from ..filters import all_of, order
from ..schema import EVALS, SEQ
from .shared import MongoDomain


class MongoEvals(EvalsStore, MongoDomain):
    """Legacy eval rows, appended in order."""

    collections = (EVALS,)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expiry = self.expiry(EVALS)
        docs = [{**EVAL.to_doc(row, nulls=False), SEQ: seq, **expiry}
                for row, seq in zip(rows, self.conn.seqs(len(rows)), strict=True)]
        await self.conn.transaction(lambda s: self.col(EVALS).insert_many(docs, ordered=True, session=s))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        flt = all_of(
            {"agent_name": q.agent_name} if q.agent_name is not None else None,
            {"test_info": {"$ne": None}} if q.type == "test" else ({"test_info": None} if q.type == "live" else None),
            self.live(EVALS),
        )
        return await self.conn.find_page(EVALS, flt, order("created_at", "DESC", SEQ), q.page, q.per_page,
                                         EVAL.from_doc)
