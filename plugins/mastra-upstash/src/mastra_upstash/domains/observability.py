"""AI tracing spans: one hash per (trace, span); per-trace span index, a root-span index, error-span sets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import BackendDomain
from mastra_core.domains.matching import trace_matches
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page, paginate
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS

from ..codec import SPAN, Rec, Row, ms
from ..connection import UpstashConnection
from ..schema import VERSIONED_FIELDS, esc


class UpstashObservability(ObservabilityStore, BackendDomain[UpstashConnection]):
    """Spans. ``list_traces`` reads the roots matching its equality filters (or all roots) and applies the rest
    in Python."""

    tracing_strategy = {"preferred": "batch-with-updates",
                        "supported": ["realtime", "batch-with-updates", "insert-only"]}

    def _rec(self, span: r.Span, expect: str | None = None) -> Rec:
        k = self.conn.keys
        fields = {"j": SPAN.json(span), "st": ms(span.started_at), "tr": span.trace_id}
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
        return Rec(key=k.span(span.trace_id, span.span_id), id=f"{esc(span.trace_id)}:{esc(span.span_id)}",
                   fields=fields, ix=ix, expires_at=self.expires_at("span"), expect=expect, optional=("c", "u"))

    def _purge(self) -> list[str]:
        return self.conn.purge_keys(self.retention, "span")

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        await self.conn.upsert("span", [self._rec(s) for s in spans], purge=self._purge())

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        keys = [self.conn.keys.span(u.trace_id, u.span_id) for u in updates]

        async def attempt() -> tuple[bool, None]:
            found = await self.conn.get_many(keys, VERSIONED_FIELDS)
            current: dict[str, tuple[r.Span, str]] = {}
            for key, values in zip(keys, found, strict=True):
                if values is None:
                    raise LookupError(f"span vanished during update: {key}")
                current[key] = (SPAN.decode(values), values["v"] or "0")
            recs: dict[str, Rec] = {}
            for key, u in zip(keys, updates, strict=True):
                span, version = current[key]
                span = attrs.evolve(span, **u.updates)
                current[key] = (span, version)
                recs[key] = self._rec(span, expect=version)
            out = await self.conn.upsert("span", list(recs.values()), purge=self._purge())
            return out[0] == "OK", None

        await self.conn.optimistic(attempt)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        values = await self.conn.get_one(self.conn.keys.span(trace_id, span_id), VERSIONED_FIELDS)
        return None if values is None else SPAN.decode(values)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        k = self.conn.keys
        _, rows = await self.conn.page(z=k.trace_spans(trace_id), rk=k.span_rk, fields=VERSIONED_FIELDS,
                                       purge=self._purge())
        return [SPAN.decode(row.values) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        k = self.conn.keys
        eq = [(name, getattr(q.filters, name)) for name in TRACE_EQUALITY_FILTERS
              if getattr(q.filters, name) is not None]
        rows: list[Row]
        if eq:  # only the roots matching every equality filter are read (the rarest index first)
            spec: dict[str, Any] = {"purge": self._purge(), "order": k.roots(), "rk": k.span_rk, "rev": 0, "off": 0,
                                    "lim": -1, "mz": [k.roots_by(name, str(value)) for name, value in eq]}
            _, rows = await self.conn.fetch("intersect", spec, VERSIONED_FIELDS)
        else:
            _, rows = await self.conn.page(z=k.roots(), rk=k.span_rk, fields=VERSIONED_FIELDS, purge=self._purge())
        roots = [(SPAN.decode(row.values), row.seq) for row in rows]
        errors: set[str] = set()
        if roots:
            flags = await self.conn.exists_many(k.trace_error_spans(span.trace_id) for span, _ in roots)
            errors = {span.trace_id for (span, _), flag in zip(roots, flags, strict=True) if flag}
        chosen = [(s, seq) for s, seq in roots if trace_matches(s, q.filters, s.trace_id in errors)]

        def key(item: tuple[r.Span, int]) -> tuple[Any, ...]:
            value = getattr(item[0], q.order_field)
            return (value is None, value or datetime.min.replace(tzinfo=item[0].started_at.tzinfo), item[1])

        chosen.sort(key=key, reverse=q.direction == "DESC")
        return paginate([s for s, _ in chosen], q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        k = self.conn.keys
        await self.conn.delete(cascade=[(k.trace_spans(t), k.span_rk) for t in trace_ids], purge=self._purge())

    async def _clear(self) -> None:
        await self.conn.clear_patterns("observability")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "span")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "span")
