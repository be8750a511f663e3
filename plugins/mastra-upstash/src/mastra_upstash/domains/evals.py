"""The legacy evals table: eval rows under generated ids, indexed overall and per agent name."""

from __future__ import annotations

import uuid
from datetime import datetime

from mastra_core import records as r
from mastra_core.backend import BackendDomain, page_of
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import EvalQuery

from ..codec import EVAL, Rec, ms
from ..connection import UpstashConnection
from ..schema import ROW_FIELDS, esc


class UpstashEvals(EvalsStore, BackendDomain[UpstashConnection]):
    """Eval rows; ``type`` (test or live) is a server-side filter on the ``tt`` field."""

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        k = self.conn.keys
        recs = []
        for row in rows:
            rid = str(uuid.uuid4())
            fields = {"j": EVAL.json(row), "c": ms(row.created_at), "tt": "1" if row.test_info is not None else "0"}
            recs.append(Rec(key=k.eval(rid), id=esc(rid), ix=[(k.evals(), "c"), (k.evals(row.agent_name), "c")],
                            fields=fields, expires_at=self.expires_at("eval")))
        await self.conn.upsert("eval", recs)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        filters = [] if q.type is None else [("tt", "1" if q.type == "test" else "0")]
        offset, limit = page_slice(0, q.page, q.per_page)
        total, rows = await self.conn.page(z=self.conn.keys.evals(q.agent_name), rk=self.conn.keys.eval_rk,
                                           fields=ROW_FIELDS, rev=True, filters=filters, offset=offset, limit=limit,
                                           purge=self.conn.purge_keys(self.retention, "eval"))
        return page_of([EVAL.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)

    async def _clear(self) -> None:
        await self.conn.clear_patterns("evals")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "eval")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "eval")
