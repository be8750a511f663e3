"""AI tracing spans in ``mastra_ai_spans``, keyed by (traceId, spanId)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mastra_core import records as r
from mastra_core.domains.matching import contains
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page, paginate
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS
from mastra_core.serde import wire_names

from ..codec import SPAN, span_fields
from ..filters import Filter, all_of, between, order, set_and_unset
from ..schema import SEQ, SPANS
from .shared import MongoDomain

if TYPE_CHECKING:
    from pymongo.asynchronous.client_session import AsyncClientSession

Sort = list[tuple[str, int]]


class MongoObservability(ObservabilityStore, MongoDomain):
    """The observability domain on MongoDB."""

    collections = (SPANS,)
    tracing_strategy = {"preferred": "batch-with-updates",
                        "supported": ["realtime", "batch-with-updates", "insert-only"]}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        from pymongo import UpdateOne

        expiry = self.expiry(SPANS)
        ops = []
        for span, seq in zip(spans, self.conn.seqs(len(spans)), strict=True):
            doc = SPAN.to_doc(span)
            created = doc.pop("createdAt")  # the first save's creation time stays
            update: dict[str, Any] = {**set_and_unset(doc, expiry), "$setOnInsert": {"createdAt": created, SEQ: seq}}
            ops.append(UpdateOne({"traceId": span.trace_id, "spanId": span.span_id}, update, upsert=True))

        async def go(session: AsyncClientSession | None) -> None:
            if self.ttl_active(SPANS):
                for span in spans:
                    await self.drop_expired(SPANS, {"traceId": span.trace_id, "spanId": span.span_id}, session)
            await self.col(SPANS).bulk_write(ops, ordered=True, session=session)

        await self.conn.transaction(go)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        from pymongo import UpdateOne

        expiry = self.expiry(SPANS)
        ops = [UpdateOne({"traceId": u.trace_id, "spanId": u.span_id}, {"$set": {**span_fields(u.updates), **expiry}})
               for u in updates]
        await self.conn.transaction(lambda s: self.col(SPANS).bulk_write(ops, ordered=True, session=s))

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        await self.col(SPANS).delete_many({"traceId": {"$in": list(trace_ids)}})

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        doc = await self.col(SPANS).find_one(all_of({"traceId": trace_id, "spanId": span_id}, self.live(SPANS)))
        return None if doc is None else SPAN.from_doc(doc)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        docs = await self.col(SPANS).find(all_of({"traceId": trace_id}, self.live(SPANS)),
                                          sort=order("startedAt", "ASC", SEQ)).to_list(None)
        return [SPAN.from_doc(d) for d in docs]

    def _root_filter(self, f: r.TraceFilter) -> Filter:
        names = wire_names(r.Span)
        parts: list[Filter] = [{"parentSpanId": None}]
        for name in TRACE_EQUALITY_FILTERS:
            value = getattr(f, name)
            if value is not None:
                parts.append({names[name]: value})
        for field, lo, hi in (("startedAt", f.started_at_from, f.started_at_to),
                              ("endedAt", f.ended_at_from, f.ended_at_to)):
            bounds = between(field, lo, hi)
            if bounds:
                parts.append(bounds)
        if f.tags:
            parts.append({"tags": {"$all": list(f.tags)}})
        if f.status == "error":
            parts.append({"error": {"$ne": None}})
        elif f.status == "running":
            parts.append({"error": None, "endedAt": None})
        elif f.status == "success":
            parts.append({"error": None, "endedAt": {"$ne": None}})
        parts.append(self.live(SPANS))
        return all_of(*parts)

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        flt = self._root_filter(f)
        field = {"started_at": "startedAt", "ended_at": "endedAt"}[q.order_field]
        python = f.scope is not None or f.metadata is not None or f.has_child_error is not None
        if python:
            return await self._list_traces_python(q, flt, field)
        if field == "startedAt":  # always set: one ordered index read
            return await self.conn.find_page(SPANS, flt, order(field, q.direction, SEQ), q.page, q.per_page,
                                             SPAN.from_doc)
        # endedAt: running traces (no end) sort last ascending and first descending, which MongoDB's
        # null ordering does not give: read the two segments in our order.
        ended = all_of(flt, {field: {"$ne": None}})
        running = all_of(flt, {field: None})
        segments = [(ended, order(field, q.direction, SEQ)), (running, order(SEQ, q.direction))]
        if q.direction == "DESC":
            segments.reverse()
        return await self._segmented_page(segments, q.page, q.per_page)

    async def _segmented_page(self, segments: list[tuple[Filter, Sort]], page: int,
                              per_page: int | bool) -> Page[r.Span]:
        """One page over consecutive segments (each read in its own order): counted first, then read in turn."""
        col = self.col(SPANS)
        counts = await asyncio.gather(*(col.count_documents(flt) for flt, _ in segments))
        total = sum(counts)
        if per_page is False:
            offset, limit = 0, None
        else:
            offset, limit = page * per_page, per_page
        items: list[r.Span] = []
        for (flt, sort), count in zip(segments, counts, strict=True):
            if limit is not None and limit <= 0:
                break
            if offset >= count:
                offset -= count
                continue
            take = count - offset if limit is None else min(limit, count - offset)
            docs = await col.find(flt, sort=sort, skip=offset, limit=take).to_list(None)
            items += [SPAN.from_doc(d) for d in docs]
            offset = 0
            if limit is not None:
                limit -= len(docs)
        has_more = per_page is not False and (page + 1) * per_page < total
        return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more)

    async def _list_traces_python(self, q: TraceQuery, flt: Filter, field: str) -> Page[r.Span]:
        """Containment filters (scope, metadata) and has_child_error: narrowed on the server, finished here."""
        f = q.filters
        col = self.col(SPANS)
        roots = [SPAN.from_doc(d) for d in await col.find(flt, sort=[(SEQ, 1)]).to_list(None)]
        roots = [s for s in roots if (f.scope is None or contains(s.scope or {}, f.scope))
                 and (f.metadata is None or contains(s.metadata or {}, f.metadata))]
        if f.has_child_error is not None and roots:
            ids = [s.trace_id for s in roots]
            with_error = set(await col.distinct("traceId", all_of({"traceId": {"$in": ids}, "error": {"$ne": None}},
                                                                  self.live(SPANS))))
            roots = [s for s in roots if (s.trace_id in with_error) == f.has_child_error]
        attr = {"startedAt": "started_at", "endedAt": "ended_at"}[field]
        indexed = list(enumerate(roots))  # found in seq order: the index is the tie-break

        def key(item: tuple[int, r.Span]) -> tuple[Any, ...]:
            value = getattr(item[1], attr)
            return (value is None, value or datetime.min.replace(tzinfo=item[1].started_at.tzinfo), item[0])

        indexed.sort(key=key, reverse=q.direction == "DESC")
        return paginate([s for _, s in indexed], q.page, q.per_page)
