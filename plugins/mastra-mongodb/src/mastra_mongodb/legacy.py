"""The legacy ``mastra_evals`` and ``mastra_traces`` collections."""

from __future__ import annotations

import re
from typing import Any

from mastra_core import records as r
from mastra_core.domains.legacy import EvalsStore, TracesStore
from mastra_core.domains.matching import contains
from mastra_core.pagination import Page
from mastra_core.records.queries import EvalQuery, LegacyTraceQuery
from mastra_core.serde import wire_names

from .base import MongoDomain
from .docs import wire_doc, wire_from
from .queries import all_of, order
from .schema import EVALS, SEQ, TRACES


class MongoEvals(MongoDomain, EvalsStore):
    """Legacy eval rows (snake_case fields, as the reference wrote them)."""

    collections = (EVALS,)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expiry = self.expiry(EVALS)
        docs = [{**wire_doc(row), SEQ: seq, **expiry} for row, seq in zip(rows, self.conn.seqs(len(rows)), strict=True)]
        await self.conn.transaction(lambda s: self.col(EVALS).insert_many(docs, ordered=True, session=s))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        flt = all_of(
            {"agent_name": q.agent_name} if q.agent_name is not None else None,
            {"test_info": {"$ne": None}} if q.type == "test" else ({"test_info": None} if q.type == "live" else None),
            self.live(EVALS),
        )
        return await self.find_page(EVALS, flt, order("created_at", "DESC", SEQ), q.page, q.per_page,
                                    lambda d: wire_from(d, r.EvalRow))


class MongoTraces(MongoDomain, TracesStore):
    """Legacy OpenTelemetry-era trace rows, upserted by id."""

    collections = (TRACES,)

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        from pymongo import UpdateOne

        expiry = self.expiry(TRACES)
        keys = list(wire_names(r.TraceRow).values())
        ops = []
        for row, seq in zip(rows, self.conn.seqs(len(rows)), strict=True):
            doc = wire_doc(row)
            update: dict[str, Any] = {"$set": {**doc, **expiry}, "$setOnInsert": {SEQ: seq}}
            absent = {k: "" for k in keys if k not in doc}
            if absent:
                update["$unset"] = absent
            ops.append(UpdateOne({"id": row.id}, update, upsert=True))
        await self.conn.transaction(lambda s: self.col(TRACES).bulk_write(ops, ordered=True, session=s))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        created: dict[str, Any] = {}
        if q.from_date is not None:
            created["$gte"] = q.from_date
        if q.to_date is not None:
            created["$lte"] = q.to_date
        flt = all_of(
            {"name": {"$regex": "^" + re.escape(q.name)}} if q.name else None,
            {"scope": q.scope} if q.scope is not None else None,
            {"createdAt": created} if created else None,
            self.live(TRACES),
        )
        keep = (lambda t: contains(t.attributes or {}, q.attributes)) if q.attributes is not None else None
        return await self.find_page(TRACES, flt, order("createdAt", "DESC", SEQ), q.page, q.per_page,
                                    lambda d: wire_from(d, r.TraceRow), keep=keep)
