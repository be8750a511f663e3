"""The legacy evals and traces tables."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from mastra_core import records as r
from mastra_core.clock import iso
from mastra_core.domains.legacy import EvalsStore, TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page, paginate
from mastra_core.records.queries import EvalQuery, LegacyTraceQuery
from mastra_core.serde import from_wire

from .base import Rec, RedisDomain, from_ms, limit_of, ms, offset_of, page_of
from .keys import esc

FIELDS = ("j", "c")


class UpstashEvals(RedisDomain, EvalsStore):
    """Eval rows under generated ids, indexed overall and per agent name; ``type`` is a server-side filter."""

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        k = self.keys
        recs = []
        for row in rows:
            rid = str(uuid.uuid4())
            ix = [(k.evals(), "c"), (k.evals(row.agent_name), "c")]
            recs.append(Rec(key=k.eval(rid), id=esc(rid), ix=ix, expires_at=self.expires_at("eval"),
                            fields={"j": self.encode(row, drop=("created_at",)), "c": ms(row.created_at),
                                    "tt": "1" if row.test_info is not None else "0"}))
        await self.upsert("eval", recs)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        z = self.keys.evals(q.agent_name)
        filters = [] if q.type is None else [("tt", "1" if q.type == "test" else "0")]
        total, rows = await self.page(z=z, rk=self.keys.eval_rk, fields=FIELDS, rev=True, filters=filters,
                                      offset=offset_of(q.page, q.per_page), limit=limit_of(q.per_page),
                                      purge=self.purge_keys("eval"))
        return page_of([self.decode_eval(row.values) for row in rows], total, q.page, q.per_page)

    def decode_eval(self, values: dict[str, str | None]) -> r.EvalRow:
        """Eval rows keep snake_case wire names (``created_at``)."""
        data = json.loads(values["j"] or "{}")
        data["created_at"] = iso(from_ms(values["c"] or 0))
        return from_wire(data, r.EvalRow)

    async def _clear(self) -> None:
        await self.clear_patterns("evals")

    async def _prune(self, now: datetime) -> int:
        return 0


class UpstashTraces(RedisDomain, TracesStore):
    """Legacy trace rows by id, indexed by created_at; name/scope/attribute filters read the date range's rows."""

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        k = self.keys
        await self.upsert("trace", [
            Rec(key=k.ltrace(row.id), id=esc(row.id), ix=[(k.ltraces(), "c")], expires_at=self.expires_at("trace"),
                fields={"j": self.encode(row), "c": ms(row.created_at)})
            for row in rows
        ], purge=self.purge_keys("trace"))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        lo = "-inf" if q.from_date is None else ms(q.from_date)
        hi = "+inf" if q.to_date is None else ms(q.to_date)
        if q.name is None and q.scope is None and q.attributes is None:
            total, rows = await self.page(z=self.keys.ltraces(), rk=self.keys.ltrace_rk, fields=FIELDS, rev=True, lo=lo, hi=hi,
                                          offset=offset_of(q.page, q.per_page), limit=limit_of(q.per_page),
                                          purge=self.purge_keys("trace"))
            return page_of([self.decode(r.TraceRow, row.values) for row in rows], total, q.page, q.per_page)
        _, rows = await self.page(z=self.keys.ltraces(), rk=self.keys.ltrace_rk, fields=FIELDS, rev=True, lo=lo, hi=hi,
                                  purge=self.purge_keys("trace"))
        items = [t for t in (self.decode(r.TraceRow, row.values) for row in rows)
                 if (q.name is None or t.name.startswith(q.name)) and (q.scope is None or t.scope == q.scope)
                 and (q.attributes is None or contains(t.attributes or {}, q.attributes))]
        p = paginate(items, q.page, q.per_page)
        return page_of(p.items, p.total, q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_patterns("traces")

    async def _prune(self, now: datetime) -> int:
        return 0
