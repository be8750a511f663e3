"""The observability domain on PostgreSQL: AI spans in ``mastra_ai_spans``, one row per (traceId, spanId)."""

from __future__ import annotations

from typing import Any

from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import TraceQuery
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS
from mastra_core.retention import Retention
from mastra_core.serde import wire_names

from .. import lean
from ..arrays import TextArray
from ..codec import PgColumn, ident, jsonb, jsonb_column, naive, twin
from ..connection import PgConnection, pipelined_transaction
from .shared import LIVE, PgDomain, codec_for, page_rows, page_sql


class PgObservability(ObservabilityStore, PgDomain):
    """Spans, upserted by (traceId, spanId); a trace is its spans, listed by their root span."""

    tables = ("spans",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "spans", r.Span, {"name": "text"})
        wire = wire_names(r.Span)
        #: record field -> its column
        self.colmap: dict[str, PgColumn] = {f: self.t.by_key[k] for f, k in wire.items() if k in self.t.by_key}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        stmt = self.upsert("spans", self.t, '"traceId", "spanId"')
        now, exp = utc_now(), self.expires_at("span")
        params = [self.t.named(s, exp=exp, now=now) for s in spans]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                cur = conn.cursor()
                await cur.executemany(stmt, params)

        await self.conn.with_conn(go)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        exp = self.expires_at("span")
        stmts: list[tuple[str, dict[str, Any]]] = []
        for u in updates:
            sets: list[str] = []
            params: dict[str, Any] = {"tid": u.trace_id, "sid": u.span_id, "exp": exp}
            for i, (attr, value) in enumerate(u.updates.items()):
                column = self.colmap[attr]
                if column.kind == "time":
                    sets.append(f"{ident(column.name)} = %(v{i})s, {ident(twin(column.name))} = %(z{i})s")
                    params[f"v{i}"], params[f"z{i}"] = naive(value), value
                else:
                    sets.append(f"{ident(column.name)} = %(v{i})s")
                    params[f"v{i}"] = jsonb_column(value) if column.kind == "json" else value
            stmts.append((self.q('UPDATE {spans} SET {sets}, "expiresAt" = %(exp)s '
                                 'WHERE "traceId" = %(tid)s AND "spanId" = %(sid)s', sets=", ".join(sets)), params))

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                for text, params in stmts:
                    await conn.execute(text, params)

        await self.conn.with_conn(go)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        row = await self.conn.fetchone(
            self.q('SELECT {cols} FROM {spans} WHERE "traceId" = %(t)s AND "spanId" = %(s)s AND {live}',
                   cols=self.t.select, live=LIVE), {"t": trace_id, "s": span_id, "now": utc_now()})
        return None if row is None else self.t.decode(row)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        rows = await self.conn.fetch(
            self.q('SELECT {cols} FROM {spans} WHERE "traceId" = %(t)s AND {live} ORDER BY "startedAt", seq',
                   cols=self.t.select, live=LIVE), {"t": trace_id, "now": utc_now()})
        return self.t.decode_all(rows)

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        conds = ['"parentSpanId" IS NULL', LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        for name in TRACE_EQUALITY_FILTERS:
            val = getattr(f, name)
            if val is not None:
                conds.append(f"{ident(self.colmap[name].name)} = %({name})s")
                params[name] = val
        for key, col, op in (("started_at_from", "startedAt", ">="), ("started_at_to", "startedAt", "<="),
                             ("ended_at_from", "endedAt", ">="), ("ended_at_to", "endedAt", "<=")):
            val = getattr(f, key)
            if val is not None:
                conds.append(f"{ident(col)} {op} %({key})s")
                params[key] = naive(val)
        for key in ("scope", "metadata"):
            val = getattr(f, key)
            if val is not None:
                conds.append(f"COALESCE({key}, '{{}}'::jsonb) @> %({key})s")
                params[key] = jsonb(val)
        if f.tags:
            conds.append("COALESCE(tags, '[]'::jsonb) @> %(tags)s")
            params["tags"] = jsonb(list(f.tags))
        if f.status == "error":
            conds.append("error IS NOT NULL")
        elif f.status == "running":
            conds.append('error IS NULL AND "endedAt" IS NULL')
        elif f.status == "success":
            conds.append('error IS NULL AND "endedAt" IS NOT NULL')
        if f.has_child_error is not None:
            exists = (f'EXISTS (SELECT 1 FROM {self.t.qname} c WHERE c."traceId" = s."traceId" '  # noqa: S608
                      'AND c.error IS NOT NULL AND (c."expiresAt" IS NULL OR c."expiresAt" > %(now)s))')
            conds.append(exists if f.has_child_error else f"NOT {exists}")
        col = ident("startedAt" if q.order_field == "started_at" else "endedAt")
        d = "DESC" if q.direction == "DESC" else "ASC"
        order = f"({col} IS NULL) {d}, {col} {d}, seq {d}"
        where = " AND ".join(conds)
        limit = "" if q.per_page is False else f" LIMIT {int(q.per_page)} OFFSET {int(q.page) * int(q.per_page)}"
        rows = await self.conn.fetch(page_sql(self.q, f"{self.table_name('spans')} s", self.t.select, where, order,
                                              limit), params)
        total, items = page_rows(rows, self.t)
        return Page(items=items, total=total, page=q.page, per_page=q.per_page,
                    has_more=has_more(total, q.page, q.per_page))

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        # (an array: never a generic plan, see memory.PgMemory._save_sql)
        await self.conn.execute(self.q('DELETE FROM {spans} WHERE "traceId" = ANY(%s::text[])'),
                                (TextArray(trace_ids),), prepare=lean.CUSTOM)
