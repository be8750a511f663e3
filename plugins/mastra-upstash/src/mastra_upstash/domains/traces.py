"""The legacy traces table: rows by id, indexed by created_at."""

from __future__ import annotations

from datetime import datetime

from mastra_core import records as r
from mastra_core.backend import BackendDomain, page_of
from mastra_core.domains.legacy import TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page, page_slice, paginate
from mastra_core.records.queries import LegacyTraceQuery

from ..codec import TRACE, Rec, ms
from ..connection import UpstashConnection
from ..schema import ROW_FIELDS, esc


class UpstashTraces(TracesStore, BackendDomain[UpstashConnection]):
    """Legacy trace rows; name/scope/attribute filters read the date range's rows and filter here."""

    def _purge(self) -> list[str]:
        return self.conn.purge_keys(self.retention, "trace")

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        k = self.conn.keys
        await self.conn.upsert("trace", [
            Rec(key=k.ltrace(row.id), id=esc(row.id), ix=[(k.ltraces(), "c")], expires_at=self.expires_at("trace"),
                fields={"j": TRACE.json(row), "c": ms(row.created_at)})
            for row in rows
        ], purge=self._purge())

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        k = self.conn.keys
        lo = "-inf" if q.from_date is None else ms(q.from_date)
        hi = "+inf" if q.to_date is None else ms(q.to_date)
        if q.name is None and q.scope is None and q.attributes is None:
            offset, limit = page_slice(0, q.page, q.per_page)
            total, rows = await self.conn.page(z=k.ltraces(), rk=k.ltrace_rk, fields=ROW_FIELDS, rev=True, lo=lo, hi=hi,
                                               offset=offset, limit=limit, purge=self._purge())
            return page_of([TRACE.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)
        _, rows = await self.conn.page(z=k.ltraces(), rk=k.ltrace_rk, fields=ROW_FIELDS, rev=True, lo=lo, hi=hi,
                                       purge=self._purge())
        items = [t for t in (TRACE.decode(row.values) for row in rows)
                 if (q.name is None or t.name.startswith(q.name)) and (q.scope is None or t.scope == q.scope)
                 and (q.attributes is None or contains(t.attributes or {}, q.attributes))]
        return paginate(items, q.page, q.per_page)

    async def _clear(self) -> None:
        await self.conn.clear_patterns("traces")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "trace")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "trace")
