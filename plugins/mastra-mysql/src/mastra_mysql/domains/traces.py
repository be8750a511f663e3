"""The legacy traces table on MariaDB: ``mastra_traces`` keyed by id, newest first."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.legacy import TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page
from mastra_core.records.queries import LegacyTraceQuery

from ..codec import TRACE, esc_str, naive_utc
from . import LIVE, MySQLDomain, now, select_page, upsert


class MySQLTraces(TracesStore, MySQLDomain):
    """Legacy trace rows; a save replaces rows with the same id."""

    tables = DOMAIN_TABLES["traces"]

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        expires = self.expires_at("trace")
        values = [TRACE.to_row(row, expiresAt=expires) for row in rows]
        await self.conn.tx(lambda tx: upsert(tx, TRACE, values, ("id",), keep=()))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        where: list[str] = [LIVE]
        params: list[Any] = [now()]
        if q.name is not None:
            where.append("LEFT(name, CHAR_LENGTH(%s)) = %s")
            params += [esc_str(q.name)] * 2
        if q.scope is not None:
            where.append("scope = %s")
            params.append(esc_str(q.scope))
        for op, value in ((">=", q.from_date), ("<=", q.to_date)):
            if value is not None:
                where.append(f"`createdAt` {op} %s")
                params.append(naive_utc(value))
        wanted = q.attributes
        keep: Any = None if wanted is None else (lambda t: contains(t.attributes or {}, wanted))
        order = "`createdAt` DESC, seq DESC"
        return await select_page(self.conn, TRACE, where, params, order, q.page, q.per_page, keep)
