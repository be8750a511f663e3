"""AI tracing spans: one hash per (trace, span); per-trace span index, a root-span index, error-span sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.domains.matching import trace_matches
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page, paginate
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS

from .base import Rec, RedisDomain, ms, page_of
from .keys import esc

FIELDS = ("j", "c", "u", "v")


class UpstashObservability(RedisDomain, ObservabilityStore):
    """Spans. ``list_traces`` reads the roots matching its equality filters (or all roots) and applies the rest in Python."""

    tracing_strategy = {"preferred": "batch-with-updates", "supported": ["realtime", "batch-with-updates", "insert-only"]}

    def _rec(self, span: r.Span, expect: str | None = None) -> Rec:
        k = self.keys
        fields = {"j": self.encode(span), "st": ms(span.started_at), "tr": span.trace_id}
        if span.created_at is not None:
            fields["c"] = ms(span.created_at)
        if span.updated_at is not None:
            fields["u"] = ms(span.updated_at)
        ix = [(k.trace_spans(span.trace_id), "st")]
        if span.parent_span_id is None:
            ix.append((k.roots(), "st"))
            for name in TRACE_EQUALITY_FILTERS:  # equality filters of list_traces are served by these
                value = getattr(span, name)
                if isinstance(value, str):
                    ix.append((k.roots_by(name, value), "st"))
        if span.error is not None:
            ix.append((k.trace_error_spans(span.trace_id), "st"))
        return Rec(key=k.span(span.trace_id, span.span_id), id=f"{esc(span.trace_id)}:{esc(span.span_id)}", fields=fields,
                   ix=ix, expires_at=self.expires_at("span"), expect=expect, optional=("c", "u"))

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        await self.upsert("span", [self._rec(s) for s in spans], purge=self.purge_keys("span"))

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        keys = [self.keys.span(u.trace_id, u.span_id) for u in updates]

        async def attempt() -> tuple[bool, None]:
            found = await self.get_many(keys, FIELDS)
            current: dict[str, tuple[r.Span, str]] = {}
            for key, values in zip(keys, found, strict=True):
                if values is None:
                    raise LookupError(f"span vanished during update: {key}")
                current[key] = (self.decode(r.Span, values), values["v"] or "0")
            recs: dict[str, Rec] = {}
            for key, u in zip(keys, updates, strict=True):
                span, version = current[key]
                span = attrs.evolve(span, **u.updates)
                current[key] = (span, version)
                recs[key] = self._rec(span, expect=version)
            out = await self.upsert("span", list(recs.values()), purge=self.purge_keys("span"))
            return out[0] == "OK", None

        await self.optimistic(attempt)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        values = await self.get_one(self.keys.span(trace_id, span_id), FIELDS)
        return None if values is None else self.decode(r.Span, values)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        _, rows = await self.page(z=self.keys.trace_spans(trace_id), rk=self.keys.span_rk, fields=FIELDS,
                                  purge=self.purge_keys("span"))
        return [self.decode(r.Span, row.values) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        eq = [(name, getattr(q.filters, name)) for name in TRACE_EQUALITY_FILTERS if getattr(q.filters, name) is not None]
        purge = self.purge_keys("span")
        if eq:  # only the roots matching every equality filter are read (the rarest index first)
            spec = {"purge": purge, "order": self.keys.roots(), "rk": self.keys.span_rk, "rev": 0, "off": 0, "lim": -1,
                    "hf": [*FIELDS, "x"], "mz": [self.keys.roots_by(name, str(value)) for name, value in eq]}
            out = await self.conn.run("intersect", spec)
            rows = self._rows(out[1:], [*FIELDS, "x"])
        else:
            _, rows = await self.page(z=self.keys.roots(), rk=self.keys.span_rk, fields=FIELDS, purge=purge)
        roots = [(self.decode(r.Span, row.values), row.seq) for row in rows]
        errors: set[str] = set()
        if roots:
            pipe = self.r.pipeline(transaction=False)
            for span, _ in roots:
                pipe.exists(self.keys.trace_error_spans(span.trace_id))
            for (span, _), flag in zip(roots, await pipe.execute(), strict=True):
                if int(flag):
                    errors.add(span.trace_id)
        chosen = [(s, seq) for s, seq in roots if trace_matches(s, q.filters, s.trace_id in errors)]

        def key(item: tuple[r.Span, int]) -> tuple[Any, ...]:
            value = getattr(item[0], q.order_field)
            return (value is None, value or datetime.min.replace(tzinfo=item[0].started_at.tzinfo), item[1])

        chosen.sort(key=key, reverse=q.direction == "DESC")
        p = paginate([s for s, _ in chosen], q.page, q.per_page)
        return page_of(p.items, p.total, q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        await self.delete(cascade=[(self.keys.trace_spans(t), self.keys.span_rk) for t in trace_ids], purge=self.purge_keys("span"))

    async def _clear(self) -> None:
        await self.clear_patterns("observability")

    async def _prune(self, now: datetime) -> int:
        return 0
