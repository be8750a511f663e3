"""Workflows, scores, observability, agents and the legacy evals and traces tables on libSQL."""
# ruff: noqa: S608  -- SQL text is built only from constant, validated and quoted identifiers; values are always bound parameters

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mastra_core import records as r
from mastra_core.clock import iso, utc_now
from mastra_core.domains.agents import AgentsStore
from mastra_core.domains.legacy import EvalsStore, TracesStore
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.domains.scores import ScoresStore
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import (
    AgentQuery,
    EvalQuery,
    LegacyTraceQuery,
    ScoreQuery,
    TraceQuery,
    WorkflowRunQuery,
)
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS

from .codec import Codec, ts
from .db import Database, chunks, quote
from .filters import Builder, column_contains, text_equals
from .schema import AGENTS, DOMAIN_TABLES, EVALS, EXPIRES, SCORES, SPANS, TRACES, WORKFLOWS, Table
from .store_base import LibSQLDomain

_E = quote(EXPIRES)
_LIVE = f"({_E} IS NULL OR {_E} > ?)"


def _now() -> str:
    return iso(utc_now())


async def _page(db: Database, codec: Codec, where: list[str], params: list[Any], order: str, page: int,
                per_page: Any) -> Page[Any]:
    """One statement: a page of ``codec``'s table plus the total as a trailing UNION ALL row."""
    table = quote(codec.table.name)
    cond = " AND ".join(where) or "1"
    page_sql = f"SELECT {codec.select_list()}, NULL FROM {table} WHERE {cond} ORDER BY {order}"
    page_params = list(params)
    if per_page is not False:
        page_sql += " LIMIT CAST(? AS INTEGER) OFFSET CAST(? AS INTEGER)"
        page_params += [per_page, page * per_page]
    nulls = ", ".join("NULL" for _ in codec.columns)
    sql = f"SELECT * FROM ({page_sql}) UNION ALL SELECT {nulls}, count(*) FROM {table} WHERE {cond}"
    rows = await db.read(lambda d: d.all(sql, page_params + params))
    total = int(rows[-1][-1])
    items = [codec.decode(row[:-1]) for row in rows[:-1]]
    return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))


# ---------------------------------------------------------------------------- workflows

RUN = Codec(WORKFLOWS, r.WorkflowRun,
            {"workflow_name": "workflow_name", "run_id": "run_id", "resource_id": "resourceId", "snapshot": "snapshot",
             "created_at": "createdAt", "updated_at": "updatedAt"},
            dates=("created_at", "updated_at"))
_W = quote(WORKFLOWS.name)


class LibSQLWorkflows(LibSQLDomain, WorkflowsStore):
    """``mastra_workflow_snapshot``; UNIQUE(workflow_name, run_id); every update of a run is one transaction."""

    tables = DOMAIN_TABLES["workflows"]

    def _upsert(self, db: Database, run: r.WorkflowRun, now: str, keep_created: bool) -> None:
        created = (f'CASE WHEN {_W}.{_E} IS NOT NULL AND {_W}.{_E} <= ? THEN excluded."createdAt" ELSE {_W}."createdAt" END'
                   if keep_created else 'excluded."createdAt"')
        db.execute(
            f"INSERT INTO {_W} ({RUN.insert_columns}) VALUES {RUN.placeholders} ON CONFLICT(workflow_name, run_id) DO UPDATE SET "
            '"resourceId" = excluded."resourceId", snapshot = excluded.snapshot, '
            f'"createdAt" = {created}, "updatedAt" = excluded."updatedAt", {_E} = excluded.{_E}',
            (*RUN.encode(run, self.expires_at("workflow_snapshot")), *((now,) if keep_created else ())),
        )

    async def _persist(self, run: r.WorkflowRun) -> None:
        await self.db.write(lambda db: self._upsert(db, run, _now(), True))

    @staticmethod
    def _row(db: Database, workflow_name: str | None, run_id: str, now: str) -> r.WorkflowRun | None:
        if workflow_name is None:
            row = db.one(f"SELECT {RUN.select_list()} FROM {_W} WHERE run_id = ? AND {_LIVE} "
                         'ORDER BY "createdAt" DESC, rowid DESC LIMIT 1', (run_id, now))
        else:
            row = db.one(f"SELECT {RUN.select_list()} FROM {_W} WHERE workflow_name = ? AND run_id = ? AND {_LIVE}",
                         (workflow_name, run_id, now))
        return None if row is None else RUN.decode(row)

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        now = _now()
        return await self.db.read(lambda db: self._row(db, workflow_name, run_id, now))

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        where, params = [_LIVE], [_now()]
        for col, value in (("workflow_name", q.workflow_name), ('"resourceId"', q.resource_id)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        if q.status is not None:
            where.append("json_extract(snapshot, '$.status') = ?")
            params.append(q.status)
        if q.from_date is not None:
            where.append('"createdAt" >= ?')
            params.append(iso(q.from_date))
        if q.to_date is not None:
            where.append('"createdAt" <= ?')
            params.append(iso(q.to_date))
        return await _page(self.db, RUN, where, params, '"createdAt" DESC, rowid DESC', q.page, q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.db.write(lambda db: db.execute(f"DELETE FROM {_W} WHERE workflow_name = ? AND run_id = ?",
                                                  (workflow_name, run_id)))

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        def go(db: Database) -> r.WorkflowRun | None:
            now = _now()
            new = change(self._row(db, workflow_name, run_id, now))
            if new is None:
                return None
            self._upsert(db, new, now, False)
            return new

        return await self.db.write(go)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables(self.tables, now)


# ---------------------------------------------------------------------------- scores

SCORE = Codec(SCORES, r.Score, dates=("created_at", "updated_at"), bools=("structured_output",))
_S = quote(SCORES.name)


class LibSQLScores(LibSQLDomain, ScoresStore):
    """``mastra_scorers``; every list is an index range scan newest first."""

    tables = DOMAIN_TABLES["scores"]

    async def _save_score(self, score: r.Score) -> None:
        values = SCORE.encode(score, self.expires_at("score"))
        await self.db.write(lambda db: db.execute(f"INSERT INTO {_S} ({SCORE.insert_columns}) VALUES {SCORE.placeholders}", values))

    async def _get_score(self, score_id: str) -> r.Score | None:
        now = _now()
        row = await self.db.read(lambda db: db.one(f"SELECT {SCORE.select_list()} FROM {_S} WHERE id = ? AND {_LIVE}",
                                                   (score_id, now)))
        return None if row is None else SCORE.decode(row)

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        where, params = [_LIVE], [_now()]
        for attr in ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source"):
            value = getattr(q, attr)
            if value is not None:
                where.append(f"{quote(SCORE.columns[attr])} = ?")
                params.append(value)
        return await _page(self.db, SCORE, where, params, '"createdAt" DESC, rowid DESC', q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables(self.tables, now)


# ---------------------------------------------------------------------------- observability

SPAN = Codec(SPANS, r.Span, dates=("started_at", "ended_at", "created_at", "updated_at"), bools=("is_event",))
_SP = quote(SPANS.name)
_SPAN_UPDATE_KEEP = ("created_at",)


class LibSQLObservability(LibSQLDomain, ObservabilityStore):
    """``mastra_ai_spans`` keyed by (traceId, spanId); batches are one transaction."""

    tables = DOMAIN_TABLES["observability"]
    tracing_strategy = {"preferred": "batch-with-updates", "supported": ["realtime", "batch-with-updates", "insert-only"]}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        expires = self.expires_at("span")
        cols = [c for a, c in SPAN.columns.items() if a not in _SPAN_UPDATE_KEEP] + [EXPIRES]
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in cols if c not in ("traceId", "spanId"))
        width = SPAN.width
        per = max(1, 30000 // width)

        def go(db: Database) -> None:
            now = _now()
            for part in chunks(spans, per):
                values = ", ".join(SPAN.placeholders for _ in part)
                params: list[Any] = []
                for s in part:
                    params += SPAN.encode(s, expires)
                params.append(now)
                db.execute(
                    f"INSERT INTO {_SP} ({SPAN.insert_columns}) VALUES {values} ON CONFLICT(\"spanId\", \"traceId\") DO UPDATE SET "
                    f'{sets}, "createdAt" = CASE WHEN {_SP}.{_E} IS NOT NULL AND {_SP}.{_E} <= ? '
                    f'THEN excluded."createdAt" ELSE {_SP}."createdAt" END',
                    params,
                )

        await self.db.write(go)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        expires = ts(self.expires_at("span"))

        def go(db: Database) -> None:
            for u in updates:
                sets, params = [], []
                for attr, value in u.updates.items():
                    sets.append(f"{quote(SPAN.columns[attr])} = ?")
                    params.append(SPAN.encode_value(attr, value))
                sets.append(f"{_E} = ?")
                params.append(expires)
                db.execute(f'UPDATE {_SP} SET {", ".join(sets)} WHERE "traceId" = ? AND "spanId" = ?',
                           (*params, u.trace_id, u.span_id))

        await self.db.write(go)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        now = _now()
        row = await self.db.read(lambda db: db.one(
            f'SELECT {SPAN.select_list()} FROM {_SP} WHERE "traceId" = ? AND "spanId" = ? AND {_LIVE}', (trace_id, span_id, now)))
        return None if row is None else SPAN.decode(row)

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        now = _now()
        rows = await self.db.read(lambda db: db.all(
            f'SELECT {SPAN.select_list()} FROM {_SP} WHERE "traceId" = ? AND {_LIVE} ORDER BY "startedAt" ASC, rowid ASC',
            (trace_id, now)))
        return [SPAN.decode(row) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        b = Builder()
        now = _now()
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
            where.append(f"EXISTS (SELECT 1 FROM json_each(\"tags\") {k} WHERE {k}.type = 'text' AND {text_equals(b, f'{k}.atom', tag)})")
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
        return await _page(self.db, SPAN, where, b.params, order, q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        def go(db: Database) -> None:
            for part in chunks(list(trace_ids), 900):
                db.execute(f'DELETE FROM {_SP} WHERE "traceId" IN ({", ".join("?" for _ in part)})', part)

        await self.db.write(go)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables(self.tables, now)


# ---------------------------------------------------------------------------- agents

AGENT = Codec(AGENTS, r.Agent, dates=("created_at", "updated_at"))
_A = quote(AGENTS.name)


class LibSQLAgents(LibSQLDomain, AgentsStore):
    """``mastra_agents``."""

    tables = DOMAIN_TABLES["agents"]

    async def _insert_agent(self, agent: r.Agent) -> bool:
        values = AGENT.encode(agent)
        n = await self.db.write(lambda db: db.changes(
            f"INSERT INTO {_A} ({AGENT.insert_columns}) VALUES {AGENT.placeholders} ON CONFLICT(id) DO NOTHING", values))
        return n == 1

    @staticmethod
    def _row(db: Database, agent_id: str) -> r.Agent | None:
        row = db.one(f"SELECT {AGENT.select_list()} FROM {_A} WHERE id = ?", (agent_id,))
        return None if row is None else AGENT.decode(row)

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        return await self.db.read(lambda db: self._row(db, agent_id))

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        def go(db: Database) -> r.Agent | None:
            old = self._row(db, agent_id)
            if old is None:
                return None
            new = change(old)
            sets = ", ".join(f"{quote(c)} = ?" for a, c in AGENT.columns.items() if a != "id")
            params = [AGENT.encode_value(a, getattr(new, a)) for a in AGENT.columns if a != "id"]
            db.execute(f"UPDATE {_A} SET {sets} WHERE id = ?", (*params, agent_id))
            return new

        return await self.db.write(go)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.db.write(lambda db: db.execute(f"DELETE FROM {_A} WHERE id = ?", (agent_id,)))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        col = {"created_at": '"createdAt"', "updated_at": '"updatedAt"'}[q.order_field]
        d = "DESC" if q.direction == "DESC" else "ASC"
        return await _page(self.db, AGENT, [], [], f"{col} {d}, rowid {d}", q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)


# ---------------------------------------------------------------------------- legacy evals and traces

EVAL = Codec(EVALS, r.EvalRow, dates=("created_at",))
_EV = quote(EVALS.name)
TRACE_ROW = Codec(TRACES, r.TraceRow, dates=("created_at",))
_TR = quote(TRACES.name)


def _insert_many(db: Database, table: Table, codec: Codec, rows: list[Any], expires: datetime | None,
                 conflict: str = "") -> None:
    per = max(1, 30000 // codec.width)
    for part in chunks(rows, per):
        params: list[Any] = []
        for row in part:
            params += codec.encode(row, expires)
        db.execute(f"INSERT INTO {quote(table.name)} ({codec.insert_columns}) VALUES "
                   f"{', '.join(codec.placeholders for _ in part)}{conflict}", params)


class LibSQLEvals(LibSQLDomain, EvalsStore):
    """Legacy ``mastra_evals`` (snake_case columns)."""

    tables = DOMAIN_TABLES["evals"]

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expires = self.expires_at("eval")
        await self.db.write(lambda db: _insert_many(db, EVALS, EVAL, rows, expires))

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        where, params = [_LIVE], [_now()]
        if q.agent_name is not None:
            where.append("agent_name = ?")
            params.append(q.agent_name)
        if q.type == "test":
            where.append("test_info IS NOT NULL")
        elif q.type == "live":
            where.append("test_info IS NULL")
        return await _page(self.db, EVAL, where, params, "created_at DESC, rowid DESC", q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables(self.tables, now)


class LibSQLTraces(LibSQLDomain, TracesStore):
    """Legacy ``mastra_traces``."""

    tables = DOMAIN_TABLES["traces"]

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        expires = self.expires_at("trace")
        sets = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for a, c in TRACE_ROW.columns.items() if a != "id")
        conflict = f" ON CONFLICT(id) DO UPDATE SET {sets}, {_E} = excluded.{_E}"
        await self.db.write(lambda db: _insert_many(db, TRACES, TRACE_ROW, rows, expires, conflict))

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        b = Builder()
        where = [f"({_E} IS NULL OR {_E} > {b.p(_now())})"]
        if q.name is not None:
            where.append(f"substr(name, 1, length({b.p(q.name)})) = {b.p(q.name)}")
        if q.scope is not None:
            where.append(f"scope = {b.p(q.scope)}")
        where += column_contains(b, "attributes", q.attributes)
        if q.from_date is not None:
            where.append(f'"createdAt" >= {b.p(iso(q.from_date))}')
        if q.to_date is not None:
            where.append(f'"createdAt" <= {b.p(iso(q.to_date))}')
        return await _page(self.db, TRACE_ROW, where, b.params, '"createdAt" DESC, rowid DESC', q.page, q.per_page)

    async def _clear(self) -> None:
        await self.clear_tables(self.tables)

    async def _prune(self, now: datetime) -> int:
        return await self.prune_tables(self.tables, now)


__all__ = ["LibSQLAgents", "LibSQLEvals", "LibSQLObservability", "LibSQLScores", "LibSQLTraces", "LibSQLWorkflows"]
