"""The legacy evals table on MariaDB: ``mastra_evals`` (snake_case columns), newest first."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.legacy import EvalsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery

from ..codec import EVAL
from ..connection import Tx
from ..schema import quote
from . import LIVE, MySQLDomain, chunks, marks, now, select_page

_EV = quote(EVAL.table.name)


class MySQLEvals(EvalsStore, MySQLDomain):
    """Legacy eval rows (no key: every save appends)."""

    tables = DOMAIN_TABLES["evals"]

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expires = self.expires_at("eval")
        values = [EVAL.to_row(row, expiresAt=expires) for row in rows]
        names = list(values[0]) if values else []

        async def go(tx: Tx) -> None:
            for part in chunks(values):
                rows = ", ".join(f"({marks(len(names))})" for _ in part)
                await tx.execute(f"INSERT INTO {_EV} ({', '.join(quote(c) for c in names)}) VALUES {rows}",  # noqa: S608
                                 [v[c] for v in part for c in names])

        await self.conn.tx(go)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        where: list[str] = [LIVE]
        params: list[Any] = [now()]
        if q.agent_name is not None:
            where.append("agent_name = %s")
            params.append(q.agent_name)
        if q.type == "test":
            where.append("test_info IS NOT NULL")
        elif q.type == "live":
            where.append("test_info IS NULL")
        return await select_page(self.conn, EVAL, where, params, "created_at DESC, seq DESC", q.page, q.per_page)
