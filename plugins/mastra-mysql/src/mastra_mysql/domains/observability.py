"""The observability domain on MariaDB: ``mastra_ai_spans`` keyed by (traceId, spanId)."""
# ruff: noqa: S608  -- see domains/__init__.py: identifiers are validated and quoted, values are bound

from __future__ import annotations

from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.matching import contains
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS
from mastra_core.serde import camel

from ..codec import SPAN, naive_utc
from ..connection import Tx
from ..schema import quote
from . import LIVE, MySQLDomain, columns, marks, now, select_page, update_row, upsert

_SP = quote(SPAN.table.name)
_KEY = ("traceId", "spanId")
_ORDER = {"started_at": "`startedAt`", "ended_at": "`endedAt`"}


def _post_filter(f: r.TraceFilter) -> Any:
    """The JSON containment filters (scope, metadata, tags), checked with core's definition, or None."""
    if f.scope is None and f.metadata is None and not f.tags:
        return None

    def keep(root: r.Span) -> bool:
        return ((f.scope is None or contains(root.scope or {}, f.scope))
                and (f.metadata is None or contains(root.metadata or {}, f.metadata))
                and all(t in (root.tags or []) for t in f.tags or ()))

    return keep


class MySQLObservability(ObservabilityStore, MySQLDomain):
    """AI spans; a batch is one transaction."""

    tables = DOMAIN_TABLES["observability"]
    tracing_strategy = {"preferred": "batch-with-updates",
                        "supported": ["realtime", "batch-with-updates", "insert-only"]}

    @staticmethod
    async def _span(tx: Tx, trace_id: str, span_id: str, lock: str = "") -> r.Span | None:
        row = await tx.one(f"SELECT {columns(SPAN)} FROM {_SP} WHERE `traceId` = %s AND `spanId` = %s AND {LIVE}{lock}",
                           (trace_id, span_id, now()))
        return None if row is None else SPAN.from_row(row)

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        expires = self.expires_at("span")
        rows = [SPAN.to_row(s, expiresAt=expires) for s in spans]
        await self.conn.tx(lambda tx: upsert(tx, SPAN, rows, _KEY))

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        expires = self.expires_at("span")

        async def go(tx: Tx) -> None:
            for u in updates:
                old = await self._span(tx, u.trace_id, u.span_id, " FOR UPDATE")
                if old is not None:
                    new = attrs.evolve(old, **u.updates)
                    await update_row(tx, SPAN, SPAN.to_row(new, expiresAt=expires), _KEY)

        await self.conn.tx(go)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        return await self.conn.read(lambda tx: self._span(tx, trace_id, span_id))

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        rows = await self.conn.fetch(f"SELECT {columns(SPAN)} FROM {_SP} WHERE `traceId` = %s AND {LIVE} "
                                     "ORDER BY `startedAt`, seq", (trace_id, now()))
        return [SPAN.from_row(row) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        at = now()
        where: list[str] = ["`parentSpanId` IS NULL", LIVE]
        params: list[Any] = [at]
        for name in TRACE_EQUALITY_FILTERS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"{quote(camel(name))} = %s")
                params.append(value)
        for column, op, value in (("startedAt", ">=", f.started_at_from), ("startedAt", "<=", f.started_at_to),
                                  ("endedAt", ">=", f.ended_at_from), ("endedAt", "<=", f.ended_at_to)):
            if value is not None:
                where.append(f"{quote(column)} {op} %s")
                params.append(naive_utc(value))
        if f.status == "error":
            where.append("`error` IS NOT NULL")
        elif f.status == "running":
            where.append("`error` IS NULL AND `endedAt` IS NULL")
        elif f.status == "success":
            where.append("`error` IS NULL AND `endedAt` IS NOT NULL")
        if f.has_child_error is not None:
            child = (f"EXISTS (SELECT 1 FROM {_SP} c WHERE c.`traceId` = {_SP}.`traceId` AND c.`error` IS NOT NULL "
                     "AND (c.`expiresAt` IS NULL OR c.`expiresAt` > %s))")
            where.append(child if f.has_child_error else f"NOT {child}")
            params.append(at)
        col = _ORDER[q.order_field]
        d = "DESC" if q.direction == "DESC" else "ASC"
        # ASC: values ascending, missing last; DESC: the exact reverse (missing first)
        order = f"({col} IS NULL) {d}, {col} {d}, seq {d}"
        return await select_page(self.conn, SPAN, where, params, order, q.page, q.per_page, _post_filter(f))

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        await self.conn.tx(lambda tx: tx.execute(f"DELETE FROM {_SP} WHERE `traceId` IN ({marks(len(trace_ids))})",
                                                 trace_ids))
