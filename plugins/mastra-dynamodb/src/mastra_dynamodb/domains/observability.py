"""AI tracing spans.

Item ``TRACE#{traceId}`` / ``SPAN#{spanId}`` (a trace is one partition: ``get_trace`` is one Query);
root spans (no parent) also carry gsi1 ``ROOTS#{shard}`` by (startedAt, sequence) for ``list_traces``.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.matching import trace_matches
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page
from mastra_core.records.queries import TraceQuery

from ..codec import body, decode_body, from_ms, is_live, record
from ..connection import TRANSACTION_LIMIT, Cancelled, backoff
from ..schema import SCALE, SHARDS, SPAN, ms_order, next_seq, shard
from .shared import DynamoDomain, live_filter

MAX_ATTEMPTS = 25
Item = dict[str, Any]


def span_key(trace_id: str, span_id: str) -> tuple[str, str]:
    """The primary key of a span."""
    return SPAN.key(traceId=trace_id, spanId=span_id)


def trace_partition(trace_id: str) -> str:
    """The partition holding every span of a trace."""
    return SPAN.pk.format(traceId=trace_id)


class DynamoDBObservability(ObservabilityStore, DynamoDomain):
    """Spans, one partition per trace."""

    entities = (SPAN,)
    tracing_strategy = {"preferred": "batch-with-updates", "supported": ["batch-with-updates", "insert-only"]}

    def _from(self, item: Item) -> r.Span:
        span = record(item, r.Span)
        return attrs.evolve(span, created_at=from_ms(item["createdMs"]))

    def _item(self, span: r.Span, *, created_ms: int, seq: int, ver: int) -> Item:
        pk, sk = span_key(span.trace_id, span.span_id)
        item: Item = {
            "pk": pk, "sk": sk, "entity": SPAN.name, "traceId": span.trace_id, "spanId": span.span_id,
            **body(attrs.evolve(span, created_at=from_ms(created_ms))), "createdMs": created_ms,
            "startedMs": epoch_ms(span.started_at), "seq": seq, "ver": ver, **self.expiry("span"),
        }
        if span.parent_span_id is None:
            item["gsi1pk"] = SPAN.partition("gsi1", shard=shard(span.trace_id))
            item["gsi1sk"] = ms_order(epoch_ms(span.started_at), seq)
        return item

    async def _write(self, news: list[tuple[r.Span, Item | None]], keep_created: bool) -> bool:
        """Conditional Puts (absent, or the version read) in transactions of 100; False when a condition failed."""
        for i in range(0, len(news), TRANSACTION_LIMIT):
            actions = []
            for span, old in news[i:i + TRANSACTION_LIMIT]:
                live = old is not None and is_live(old)
                if live and keep_created and old:
                    created_ms = int(old["createdMs"])
                else:
                    created_ms = epoch_ms(span.created_at or span.started_at)
                seq = int(old["seq"]) if live and old else next_seq()
                ver = int(old.get("ver", 0)) if old else 0
                item = self._item(span, created_ms=created_ms, seq=seq, ver=ver + 1)
                if old is None:
                    actions.append({"Put": self.db.put_request(item, condition="attribute_not_exists(pk)")})
                else:
                    actions.append({"Put": self.db.put_request(item, condition="#v = :v", names={"#v": "ver"},
                                                               values_={":v": ver})})
            try:
                await self.db.transact(actions, token=str(uuid.uuid4()))
            except Cancelled as exc:
                if exc.condition_failures or exc.retryable:
                    return False
                raise
        return True

    async def _stored(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        return {(it["traceId"], it["spanId"]): it for it in await self.db.batch_get([span_key(*k) for k in keys])}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            olds = await self._stored([(s.trace_id, s.span_id) for s in spans])
            if await self._write([(s, olds.get((s.trace_id, s.span_id))) for s in spans], keep_created=True):
                return
            await backoff(attempt)
        raise RuntimeError("spans kept changing under concurrent writers")

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            olds = await self._stored([(u.trace_id, u.span_id) for u in updates])
            news: list[tuple[r.Span, Item | None]] = []
            for u in updates:
                old = olds.get((u.trace_id, u.span_id))
                if old is None:
                    raise KeyError(f"span {u.trace_id}/{u.span_id} disappeared")
                news.append((attrs.evolve(self._from(old), **u.updates), old))
            if await self._write(news, keep_created=True):
                return
            await backoff(attempt)
        raise RuntimeError("spans kept changing under concurrent writers")

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        item = await self.db.get(*span_key(trace_id, span_id))
        return self._from(item) if item is not None and is_live(item) else None

    async def _trace_items(self, trace_id: str) -> list[Item]:
        expr, names, values = live_filter()
        return [it async for it in self.db.query(index=None, pk=trace_partition(trace_id), prefix="SPAN#", filter=expr,
                                                 names=names, values=values, consistent=True)]

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        items = await self._trace_items(trace_id)
        items.sort(key=lambda it: (int(it["startedMs"]), int(it["seq"])))
        return [self._from(it) for it in items]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        lo = epoch_ms(f.started_at_from) * SCALE if f.started_at_from is not None else None
        hi = (epoch_ms(f.started_at_to) + 1) * SCALE - 1 if f.started_at_to is not None else None
        expr, names, values = live_filter()

        async def part(s: int) -> list[Item]:
            return [it async for it in self.db.query(index="gsi1", pk=SPAN.partition("gsi1", shard=s), lo=lo, hi=hi,
                                                     filter=expr, names=names, values=values)]

        items = [it for chunk in await asyncio.gather(*(part(s) for s in range(SHARDS))) for it in chunk]
        roots = [(self._from(it), it) for it in items]
        errors: set[str] = set()
        if f.has_child_error is not None:
            without = attrs.evolve(f, has_child_error=None)
            candidates = [span for span, _ in roots if trace_matches(span, without, False)]
            sem = asyncio.Semaphore(16)

            async def has_error(tid: str) -> None:
                async with sem:
                    if any(decode_body(it).get("error") is not None for it in await self._trace_items(tid)):
                        errors.add(tid)

            await asyncio.gather(*(has_error(s.trace_id) for s in candidates))
        matched = [(span, it) for span, it in roots if trace_matches(span, f, span.trace_id in errors)]

        def key(pair: tuple[r.Span, Item]) -> tuple[Any, ...]:
            span, it = pair
            value: datetime | None = getattr(span, q.order_field)
            return (value is None, value or datetime.min.replace(tzinfo=span.started_at.tzinfo), int(it["seq"]))

        matched.sort(key=key, reverse=q.direction == "DESC")
        offset = 0 if q.per_page is False else q.page * q.per_page
        chunk = matched[offset:] if q.per_page is False else matched[offset:offset + q.per_page]
        return page_of([span for span, _ in chunk], total=len(matched), page=q.page, per_page=q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        async def keys(tid: str) -> list[tuple[str, str]]:
            return [(it["pk"], it["sk"])
                    async for it in self.db.query(index=None, pk=trace_partition(tid), prefix="SPAN#", consistent=True)]

        all_keys = [k for ks in await asyncio.gather(*(keys(t) for t in trace_ids)) for k in ks]
        await self.db.batch_write(deletes=all_keys)
