"""The legacy ``mastra_traces`` collection: OpenTelemetry-era trace rows, upserted by id."""

from __future__ import annotations

import re
from typing import Any

from mastra_core import records as r
from mastra_core.domains.legacy import TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page
from mastra_core.records.queries import LegacyTraceQuery

from ..codec import TRACE
from ..filters import all_of, between, order, set_and_unset
from ..schema import SEQ, TRACES
from .shared import MongoDomain


class MongoTraces(TracesStore, MongoDomain):
    """Legacy trace rows, upserted by id."""

    collections = (TRACES,)

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        from pymongo import UpdateOne

        expiry = self.expiry(TRACES)
        ops = []
        for row, seq in zip(rows, self.conn.seqs(len(rows)), strict=True):
            update: dict[str, Any] = {**set_and_unset(TRACE.to_doc(row), expiry), "$setOnInsert": {SEQ: seq}}
            ops.append(UpdateOne({"id": row.id}, update, upsert=True))
        await self.conn.transaction(lambda s: self.col(TRACES).bulk_write(ops, ordered=True, session=s))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        flt = all_of(
            {"name": {"$regex": "^" + re.escape(q.name)}} if q.name else None,
            {"scope": q.scope} if q.scope is not None else None,
            between("createdAt", q.from_date, q.to_date),
            self.live(TRACES),
        )
        keep = (lambda t: contains(t.attributes or {}, q.attributes)) if q.attributes is not None else None
        return await self.conn.find_page(TRACES, flt, order("createdAt", "DESC", SEQ), q.page, q.per_page,
                                         TRACE.from_doc, keep=keep)
