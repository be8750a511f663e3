"""The legacy traces table (``mastra_traces``) on libSQL."""


from __future__ import annotations

from mastra_core import records as r
from mastra_core.clock import iso
from mastra_core.domains.legacy import TracesStore
from mastra_core.pagination import Page
from mastra_core.records.queries import LegacyTraceQuery

from ..codec import Codec
from ..connection import quote
from ..schema import DOMAIN_TABLES, EXPIRES, TRACES
from .shared import Builder, LibSQLDomain, column_contains, fetch_page, insert_many, now_text

_E = quote(EXPIRES)


TRACE_ROW = Codec(TRACES, r.TraceRow)
_TR = quote(TRACES.name)


class LibSQLTraces(TracesStore, LibSQLDomain):
    """Legacy ``mastra_traces``."""

    tables = DOMAIN_TABLES["traces"]

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for a, c in TRACE_ROW.columns.items() if a != "id")
        conflict = f" ON CONFLICT(id) DO UPDATE SET {sets}, {_E} = excluded.{_E}"
        await self.conn.write(lambda db: insert_many(db, TRACES, TRACE_ROW, rows, self.expires_at("trace"), conflict))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        b = Builder()
        where = [f"({_E} IS NULL OR {_E} > {b.p(now_text())})"]
        if q.name is not None:
            where.append(f"substr(name, 1, length({b.p(q.name)})) = {b.p(q.name)}")
        if q.scope is not None:
            where.append(f"scope = {b.p(q.scope)}")
        where += column_contains(b, "attributes", q.attributes)
        if q.from_date is not None:
            where.append(f'"createdAt" >= {b.p(iso(q.from_date))}')
        if q.to_date is not None:
            where.append(f'"createdAt" <= {b.p(iso(q.to_date))}')
        order = '"createdAt" DESC, rowid DESC'
        return await fetch_page(self.conn, TRACE_ROW, where, b.params, order, q.page, q.per_page)
