"""The legacy evals domain on PostgreSQL: ``mastra_evals`` (append-only)."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery
from mastra_core.retention import Retention

from ..codec import PgKind, naive
from ..connection import PgConnection, pipelined_transaction
from .shared import LIVE, PgDomain, codec_for

#: Free-text columns (NUL-safe) and the result, which stores None as JSON null.
KINDS: dict[str, PgKind] = {**dict.fromkeys(("input", "output", "instructions"), "text"), "result": "json_null"}


class PgEvals(EvalsStore, PgDomain):
    """Eval rows; ``"createdAt"`` (ours) mirrors the reference's ``created_at``."""

    tables = ("evals",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "evals", r.EvalRow, KINDS)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        cols = ", ".join([*self.t.insert_cols, '"createdAt"', '"expiresAt"'])
        stmt = self.q('INSERT INTO {evals} ({cols}) VALUES ({ph}, %(created)s, %(exp)s)', cols=cols,
                      ph=self.t.placeholders())
        exp = self.expires_at("eval")
        params = [self.t.named(x, created=naive(x.created_at), exp=exp) for x in rows]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                await conn.cursor().executemany(stmt, params)

        await self.conn.with_conn(go, idempotent=False)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        if q.agent_name is not None:
            conds.append("agent_name = %(an)s")
            params["an"] = q.agent_name
        if q.type == "test":
            conds.append("test_info IS NOT NULL")
        elif q.type == "live":
            conds.append("test_info IS NULL")
        return await self.page(self.t, "evals", " AND ".join(conds), "created_at DESC, seq DESC", params, q.page,
                               q.per_page)
