"""The legacy traces domain on PostgreSQL: ``mastra_traces``, upserted by id."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.legacy import TracesStore
from mastra_core.pagination import Page
from mastra_core.records.queries import LegacyTraceQuery
from mastra_core.retention import Retention

from ..codec import jsonb, naive
from ..connection import PgConnection, pipelined_transaction
from .shared import LIVE, PgDomain, codec_for


class PgTraces(TracesStore, PgDomain):
    """Legacy trace rows; ``other`` is JSON in a text column, as the reference keeps it."""

    tables = ("traces",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "traces", r.TraceRow, {"other": "json_text"})

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        stmt = self.upsert("traces", self.t, "id", keep=("seq",))
        now, exp = utc_now(), self.expires_at("trace")
        params = [self.t.named(x, exp=exp, now=now) for x in rows]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                await conn.cursor().executemany(stmt, params)

        await self.conn.with_conn(go)

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        if q.name is not None:
            conds.append("starts_with(name, %(name)s)")
            params["name"] = q.name
        if q.scope is not None:
            conds.append("scope = %(scope)s")
            params["scope"] = q.scope
        if q.attributes is not None:
            conds.append("COALESCE(attributes, '{}'::jsonb) @> %(attrs)s")
            params["attrs"] = jsonb(q.attributes)
        if q.from_date is not None:
            conds.append('"createdAt" >= %(from)s')
            params["from"] = naive(q.from_date)
        if q.to_date is not None:
            conds.append('"createdAt" <= %(to)s')
            params["to"] = naive(q.to_date)
        return await self.page(self.t, "traces", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page,
                               q.per_page)
