"""AI spans and traces (``mastra_ai_spans``) on libSQL."""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import iso
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS

from ..codec import Codec, ts
from ..connection import LibSQLConnection, chunks, quote
from ..schema import DOMAIN_TABLES, EXPIRES, SPANS
from .shared import LIVE, Builder, LibSQLDomain, column_contains, fetch_page, now_text, text_equals

_E = quote(EXPIRES)


SPAN = Codec(SPANS, r.Span)
_SP = quote(SPANS.name)
_SPAN_UPDATE_KEEP = ("created_at",)


class LibSQLObservability(ObservabilityStore, LibSQLDomain):
    """``mastra_ai_spans`` keyed by (traceId, spanId); batches are one transaction."""

    tables = DOMAIN_TABLES["observability"]
    tracing_strategy = {"preferred": "batch-with-updates",
                        "supported": ["realtime", "batch-with-updates", "insert-only"]}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        cols = [c for a, c in SPAN.columns.items() if a not in _SPAN_UPDATE_KEEP] + [EXPIRES]
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in cols if c not in ("traceId", "spanId"))
        width = SPAN.width
        per = max(1, 30000 // width)

        def go(db: LibSQLConnection) -> None:
            now, expires = now_text(), self.expires_at("span")
            for part in chunks(spans, per):
                values = ", ".join(SPAN.placeholders for _ in part)
                params: list[Any] = []
                for s in part:
                    params += SPAN.encode(s, expires)
                params.append(now)
                db.execute(
                    f"INSERT INTO {_SP} ({SPAN.insert_columns}) VALUES {values} "
                    'ON CONFLICT("spanId", "traceId") DO UPDATE SET '
                    f'{sets}, "createdAt" = CASE WHEN {_SP}.{_E} IS NOT NULL AND {_SP}.{_E} <= ? '
                    f'THEN excluded."createdAt" ELSE {_SP}."createdAt" END',
                    params,
                )

        await self.conn.write(go)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        def go(db: LibSQLConnection) -> None:
            expires = ts(self.expires_at("span"))
            for u in updates:
                sets, params = [], []
                for attr, value in u.updates.items():
                    sets.append(f"{quote(SPAN.columns[attr])} = ?")
                    params.append(SPAN.encode_value(attr, value))
                sets.append(f"{_E} = ?")
                params.append(expires)
                db.execute(f'UPDATE {_SP} SET {", ".join(sets)} WHERE "traceId" = ? AND "spanId" = ?',
                           (*params, u.trace_id, u.span_id))

        await self.conn.write(go)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        now = now_text()
        row = await self.conn.read(lambda db: db.one(
            f'SELECT {SPAN.select_list()} FROM {_SP} WHERE "traceId" = ? AND "spanId" = ? AND {LIVE}',
            (trace_id, span_id, now)))
        return None if row is None else SPAN.decode(row)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        now = now_text()
        rows = await self.conn.read(lambda db: db.all(
            f'SELECT {SPAN.select_list()} FROM {_SP} WHERE "traceId" = ? AND {LIVE} '
            'ORDER BY "startedAt" ASC, rowid ASC',
            (trace_id, now)))
        return [SPAN.decode(row) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        b = Builder()
        now = now_text()
        where = ['"parentSpanId" IS NULL', f"{_E} IS NULL OR {_E} > {b.p(now)}"]
        where[-1] = f"({where[-1]})"
        for name in TRACE_EQUALITY_FILTERS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"{quote(SPAN.columns[name])} = {b.p(value)}")
        for attr, op in (("started_at_from", ">="), ("started_at_to", "<=")):
            value = getattr(f, attr)
            if value is not None:
                where.append(f'"startedAt" {op} {b.p(iso(value))}')
        for attr, op in (("ended_at_from", ">="), ("ended_at_to", "<=")):
            value = getattr(f, attr)
            if value is not None:
                where.append(f'("endedAt" IS NOT NULL AND "endedAt" {op} {b.p(iso(value))})')
        where += column_contains(b, '"scope"', f.scope)
        where += column_contains(b, '"metadata"', f.metadata)
        for tag in f.tags or ():
            k = b.alias()
            match = text_equals(b, f"{k}.atom", tag)
            where.append(f"EXISTS (SELECT 1 FROM json_each(\"tags\") {k} WHERE {k}.type = 'text' AND {match})")
        if f.status == "error":
            where.append('"error" IS NOT NULL')
        elif f.status == "running":
            where.append('"error" IS NULL AND "endedAt" IS NULL')
        elif f.status == "success":
            where.append('"error" IS NULL AND "endedAt" IS NOT NULL')
        if f.has_child_error is not None:
            child = (f'EXISTS (SELECT 1 FROM {_SP} c WHERE c."traceId" = {_SP}."traceId" AND c."error" IS NOT NULL '
                     f"AND (c.{_E} IS NULL OR c.{_E} > {b.p(now)}))")
            where.append(child if f.has_child_error else f"NOT {child}")
        col = {"started_at": '"startedAt"', "ended_at": '"endedAt"'}[q.order_field]
        d = "DESC" if q.direction == "DESC" else "ASC"
        order = f"({col} IS NULL) {d}, {col} {d}, rowid {d}"
        return await fetch_page(self.conn, SPAN, where, b.params, order, q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        def go(db: LibSQLConnection) -> None:
            for part in chunks(list(trace_ids), 900):
                db.execute(f'DELETE FROM {_SP} WHERE "traceId" IN ({", ".join("?" for _ in part)})', part)

        await self.conn.write(go)
