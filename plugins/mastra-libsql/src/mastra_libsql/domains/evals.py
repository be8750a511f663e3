"""The legacy evals table (``mastra_evals``, snake_case columns) on libSQL."""


from __future__ import annotations

from mastra_core import records as r
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery

from ..codec import Codec
from ..connection import quote
from ..schema import DOMAIN_TABLES, EVALS
from .shared import LIVE, LibSQLDomain, fetch_page, insert_many, now_text

EVAL = Codec(EVALS, r.EvalRow)
_EV = quote(EVALS.name)


class LibSQLEvals(EvalsStore, LibSQLDomain):
    """Legacy ``mastra_evals`` (snake_case columns)."""

    tables = DOMAIN_TABLES["evals"]

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        await self.conn.write(lambda db: insert_many(db, EVALS, EVAL, rows, self.expires_at("eval")))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        where, params = [LIVE], [now_text()]
        if q.agent_name is not None:
            where.append("agent_name = ?")
            params.append(q.agent_name)
        if q.type == "test":
            where.append("test_info IS NOT NULL")
        elif q.type == "live":
            where.append("test_info IS NULL")
        return await fetch_page(self.conn, EVAL, where, params, "created_at DESC, rowid DESC", q.page, q.per_page)
