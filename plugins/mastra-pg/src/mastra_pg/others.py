"""Workflows, scores, observability, agents and the legacy evals and traces on PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.agents import AgentsStore
from mastra_core.domains.legacy import EvalsStore, TracesStore
from mastra_core.domains.observability import ObservabilityStore
from mastra_core.domains.scores import ScoresStore
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page, PerPage, has_more
from mastra_core.records.queries import (
    AgentQuery,
    EvalQuery,
    LegacyTraceQuery,
    ScoreQuery,
    TraceQuery,
    WorkflowRunQuery,
)
from mastra_core.records.spans import TRACE_EQUALITY_FILTERS

from .db import PgDb, pipelined_transaction
from .sqltext import Sql
from .table import Table, ident, jsonb, naive

LIVE = '("expiresAt" IS NULL OR "expiresAt" > %(now)s)'

WORKFLOW_COLS = [("workflow_name", "workflow_name", "v"), ("run_id", "run_id", "v"), ("snapshot", "snapshot", "ja"),
                 ("resource_id", "resourceId", "v"), ("created_at", "createdAt", "ts"), ("updated_at", "updatedAt", "ts")]
SCORE_COLS = [
    ("id", "id", "v"), ("scorer_id", "scorerId", "v"), ("trace_id", "traceId", "v"), ("span_id", "spanId", "v"),
    ("run_id", "runId", "v"), ("scorer", "scorer", "ja"), ("preprocess_step_result", "preprocessStepResult", "j"),
    ("extract_step_result", "extractStepResult", "j"), ("analyze_step_result", "analyzeStepResult", "j"),
    ("score", "score", "v"), ("reason", "reason", "s"), ("metadata", "metadata", "j"),
    ("preprocess_prompt", "preprocessPrompt", "s"), ("extract_prompt", "extractPrompt", "s"),
    ("generate_score_prompt", "generateScorePrompt", "s"), ("generate_reason_prompt", "generateReasonPrompt", "s"),
    ("analyze_prompt", "analyzePrompt", "s"), ("reason_prompt", "reasonPrompt", "s"), ("input", "input", "ja"),
    ("output", "output", "ja"), ("additional_context", "additionalContext", "j"), ("request_context", "requestContext", "j"),
    ("entity_type", "entityType", "v"), ("entity", "entity", "j"), ("entity_id", "entityId", "v"), ("source", "source", "v"),
    ("resource_id", "resourceId", "v"), ("thread_id", "threadId", "v"), ("structured_output", "structuredOutput", "v"),
    ("created_at", "createdAt", "ts"), ("updated_at", "updatedAt", "tsn"),
]
SPAN_COLS = [
    ("trace_id", "traceId", "v"), ("span_id", "spanId", "v"), ("parent_span_id", "parentSpanId", "v"), ("name", "name", "s"),
    ("span_type", "spanType", "v"), ("is_event", "isEvent", "v"), ("started_at", "startedAt", "ts"),
    ("ended_at", "endedAt", "tsn"), ("entity_type", "entityType", "v"), ("entity_id", "entityId", "v"),
    ("entity_name", "entityName", "v"), ("user_id", "userId", "v"), ("organization_id", "organizationId", "v"),
    ("resource_id", "resourceId", "v"), ("run_id", "runId", "v"), ("session_id", "sessionId", "v"),
    ("thread_id", "threadId", "v"), ("request_id", "requestId", "v"), ("environment", "environment", "v"),
    ("source", "source", "v"), ("service_name", "serviceName", "v"), ("scope", "scope", "j"), ("metadata", "metadata", "j"),
    ("tags", "tags", "j"), ("attributes", "attributes", "j"), ("links", "links", "j"), ("input", "input", "j"),
    ("output", "output", "j"), ("error", "error", "j"), ("created_at", "createdAt", "tsn"), ("updated_at", "updatedAt", "tsn"),
]
AGENT_COLS = [
    ("id", "id", "v"), ("name", "name", "s"), ("description", "description", "s"), ("instructions", "instructions", "s"),
    ("model", "model", "ja"), ("tools", "tools", "j"), ("default_options", "defaultOptions", "j"),
    ("workflows", "workflows", "j"), ("agents", "agents", "j"), ("input_processors", "inputProcessors", "j"),
    ("output_processors", "outputProcessors", "j"), ("memory", "memory", "s"), ("scorers", "scorers", "j"),
    ("metadata", "metadata", "j"), ("created_at", "createdAt", "ts"), ("updated_at", "updatedAt", "ts"),
]
EVAL_COLS = [
    ("input", "input", "s"), ("output", "output", "s"), ("result", "result", "ja"), ("agent_name", "agent_name", "v"),
    ("metric_name", "metric_name", "v"), ("instructions", "instructions", "s"), ("test_info", "test_info", "j"),
    ("global_run_id", "global_run_id", "v"), ("run_id", "run_id", "v"), ("created_at", "created_at", "ts"),
]
TRACE_COLS = [
    ("id", "id", "v"), ("parent_span_id", "parentSpanId", "v"), ("name", "name", "v"), ("trace_id", "traceId", "v"),
    ("scope", "scope", "v"), ("kind", "kind", "v"), ("attributes", "attributes", "j"), ("status", "status", "j"),
    ("events", "events", "j"), ("links", "links", "j"), ("other", "other", "jt"), ("start_time", "startTime", "v"),
    ("end_time", "endTime", "v"), ("created_at", "createdAt", "ts"),
]


class _PgDomain:
    backend_token = "PG"
    tables: tuple[str, ...] = ()

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(**kw)
        self.db = db
        self.q = Sql(db.schema)

    async def _init(self) -> None:
        await self.db.ensure_ready()

    async def _clear(self) -> None:
        names = ", ".join(self._table_name(t) for t in self.tables)
        await self.db.execute(self.q("TRUNCATE {names}", names=names))

    async def _prune(self, now: datetime) -> int:
        total = 0
        for t in self.tables:
            total += await self.db.execute(self.q('DELETE FROM {tbl} WHERE "expiresAt" <= %(now)s', tbl=self._table_name(t)),
                                           {"now": now})
        return total

    def _table_name(self, key: str) -> str:
        from .schema import TABLES

        return ident(self.db.schema) + "." + ident(TABLES[key])

    def _table(self, name: str, cols: list[Any]) -> Table:
        from .schema import TABLES

        return Table(self.db.schema, TABLES[name], cols)

    async def _page(self, table: Table, key: str, where: str, order: str, params: dict[str, Any], page: int,
                    per_page: PerPage, build: Callable[[dict[str, Any]], Any]) -> Page[Any]:
        limit = "" if per_page is False else f" LIMIT {int(per_page)} OFFSET {int(page) * int(per_page)}"
        tbl = self._table_name(key)
        rows, count = await self.db.pipeline([
            (self.q("SELECT {cols} FROM {tbl} WHERE {where} ORDER BY {order}{limit}", cols=table.select, tbl=tbl, where=where,
                    order=order, limit=limit), params),
            (self.q("SELECT count(*) FROM {tbl} WHERE {where}", tbl=tbl, where=where), params),
        ])
        total = int(count[0][0])
        return Page(items=[build(table.decode(x)) for x in rows], total=total, page=page, per_page=per_page,
                    has_more=has_more(total, page, per_page))

    def _insert(self, key: str, table: Table, conflict: str, keep: tuple[str, ...] = ("createdAt", "createdAtZ", "seq"),
                returning: str = "") -> str:
        cols = ", ".join([*table.insert_cols, '"expiresAt"'])
        sets = [f"{c} = EXCLUDED.{c}" for c in [*table.insert_cols, '"expiresAt"'] if c.strip('"') not in keep]
        for k in keep:  # kept columns are replaced only when the old row had expired (it no longer exists)
            sets.append(f"{ident(k)} = CASE WHEN t.\"expiresAt\" <= %(now)s THEN EXCLUDED.{ident(k)} ELSE t.{ident(k)} END")
        ph = ", ".join(f"%(c{i})s" for i in range(len(table.insert_cols)))
        return self.q("INSERT INTO {tbl} AS t ({cols}) VALUES ({ph}, %(exp)s) ON CONFLICT ({conflict}) DO UPDATE SET {sets}{ret}",
                      tbl=self._table_name(key), cols=cols, ph=ph, conflict=conflict, sets=", ".join(sets),
                      ret=" RETURNING " + returning if returning else "")

    @staticmethod
    def _named(values: list[Any], **extra: Any) -> dict[str, Any]:
        out = {f"c{i}": v for i, v in enumerate(values)}
        out.update(extra)
        return out


# ------------------------------------------------------------------------------- workflows


def _run(d: dict[str, Any]) -> r.WorkflowRun:
    snap = d["snapshot"]
    if isinstance(snap, str):  # written as a JSON string by an old client
        snap = json.loads(snap)
    d["snapshot"] = snap
    return r.WorkflowRun(**d)


class PgWorkflows(_PgDomain, WorkflowsStore):
    tables = ("workflows",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("workflows", WORKFLOW_COLS)

    async def _persist(self, run: r.WorkflowRun) -> None:
        await self.db.execute(self._insert("workflows", self.t, "workflow_name, run_id"),
                              self._named(self.t.values(run), exp=self.expires_at("workflow_snapshot"), now=utc_now()))

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        where = "run_id = %(rid)s AND " + LIVE + (" AND workflow_name = %(wf)s" if workflow_name is not None else "")
        row = await self.db.fetchone(self.q('SELECT {cols} FROM {workflows} WHERE {where} ORDER BY "createdAt" DESC, seq DESC LIMIT 1',
                                            cols=self.t.select, where=where),
                                     {"rid": run_id, "wf": workflow_name, "now": utc_now()})
        return None if row is None else _run(self.t.decode(row))

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        for attr, col, val in (("wf", "workflow_name", q.workflow_name), ("rid", '"resourceId"', q.resource_id),
                               ("st", "snapshot ->> 'status'", q.status)):
            if val is not None:
                conds.append(f"{col} = %({attr})s")
                params[attr] = val
        if q.from_date is not None:
            conds.append('"createdAt" >= %(from)s')
            params["from"] = naive(q.from_date)
        if q.to_date is not None:
            conds.append('"createdAt" <= %(to)s')
            params["to"] = naive(q.to_date)
        return await self._page(self.t, "workflows", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page,
                                q.per_page, _run)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.db.execute(self.q("DELETE FROM {workflows} WHERE workflow_name = %s AND run_id = %s"), (workflow_name, run_id))

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        missing = object()

        async def go(conn: Any) -> Any:
            now = utc_now()
            async with pipelined_transaction(conn):
                cur = await conn.execute(self.q("SELECT {cols}, {live} FROM {workflows} WHERE workflow_name = %(wf)s "
                                                "AND run_id = %(rid)s FOR UPDATE", cols=self.t.select, live=LIVE),
                                         {"wf": workflow_name, "rid": run_id, "now": now})
                row = await cur.fetchone()
                live = row is not None and row[len(self.t.cols)]
                new = change(_run(self.t.decode(row)) if live else None)
                if new is None:
                    return None
                new = attrs.evolve(new, workflow_name=workflow_name, run_id=run_id)
                params = self._named(self.t.values(new), exp=self.expires_at("workflow_snapshot"), now=now)
                if row is not None:
                    sets = ", ".join(f"{c} = %(c{i})s" for i, c in enumerate(self.t.insert_cols))
                    reseq = "" if live else ", seq = nextval(" + self.q("{seqname}") + "::regclass)"
                    await conn.execute(self.q('UPDATE {workflows} SET {sets}, "expiresAt" = %(exp)s{reseq} '
                                              "WHERE workflow_name = %(wf)s AND run_id = %(rid)s", sets=sets, reseq=reseq),
                                       {**params, "wf": workflow_name, "rid": run_id})
                    return new
                cols = ", ".join([*self.t.insert_cols, '"expiresAt"'])
                ph = ", ".join(f"%(c{i})s" for i in range(len(self.t.insert_cols)))
                cur = await conn.execute(self.q("INSERT INTO {workflows} ({cols}) VALUES ({ph}, %(exp)s) "
                                                "ON CONFLICT (workflow_name, run_id) DO NOTHING RETURNING 1", cols=cols, ph=ph), params)
                return new if await cur.fetchone() is not None else missing

        for _ in range(10):
            result = await self.db.with_conn(go)
            if result is not missing:
                return result  # type: ignore[no-any-return]
        raise RuntimeError(f"could not update workflow run {workflow_name}/{run_id} under contention")


# ------------------------------------------------------------------------------- scores


class PgScores(_PgDomain, ScoresStore):
    tables = ("scorers",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("scorers", SCORE_COLS)

    async def _save_score(self, score: r.Score) -> None:
        cols = ", ".join([*self.t.insert_cols, '"expiresAt"'])
        ph = ", ".join(["%s"] * (len(self.t.insert_cols) + 1))
        await self.db.execute(self.q("INSERT INTO {scorers} ({cols}) VALUES ({ph}) ON CONFLICT (id) DO NOTHING", cols=cols, ph=ph),
                              [*self.t.values(score), self.expires_at("score")])

    async def _get_score(self, score_id: str) -> r.Score | None:
        row = await self.db.fetchone(self.q("SELECT {cols} FROM {scorers} WHERE id = %(id)s AND {live}", cols=self.t.select, live=LIVE),
                                     {"id": score_id, "now": utc_now()})
        return None if row is None else r.Score(**self.t.decode(row))

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        cols = {c[0]: c[1] for c in SCORE_COLS}
        for attr in ("scorer_id", "run_id", "entity_id", "entity_type", "trace_id", "span_id", "source"):
            val = getattr(q, attr)
            if val is not None:
                conds.append(f"{ident(cols[attr])} = %({attr})s")
                params[attr] = val
        return await self._page(self.t, "scorers", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page,
                                q.per_page, lambda d: r.Score(**d))


# ------------------------------------------------------------------------------- observability


class PgObservability(_PgDomain, ObservabilityStore):
    tables = ("spans",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("spans", SPAN_COLS)
        self.colmap = {c[0]: c for c in SPAN_COLS}

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        stmt = self._insert("spans", self.t, '"traceId", "spanId"')
        now, exp = utc_now(), self.expires_at("span")
        params = [self._named(self.t.values(s), exp=exp, now=now) for s in spans]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                cur = conn.cursor()
                await cur.executemany(stmt, params)

        await self.db.with_conn(go)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        exp = self.expires_at("span")
        stmts: list[tuple[str, dict[str, Any]]] = []
        for u in updates:
            sets: list[str] = []
            params: dict[str, Any] = {"tid": u.trace_id, "sid": u.span_id, "exp": exp}
            for i, (attr, value) in enumerate(u.updates.items()):
                _, col, kind = self.colmap[attr]
                if kind in ("ts", "tsn"):
                    sets.append(f"{ident(col)} = %(v{i})s, {ident(col + 'Z')} = %(z{i})s")
                    params[f"v{i}"], params[f"z{i}"] = naive(value), value
                else:
                    sets.append(f"{ident(col)} = %(v{i})s")
                    params[f"v{i}"] = jsonb(value) if kind in ("j", "ja") else value
            stmts.append((self.q('UPDATE {spans} SET {sets}, "expiresAt" = %(exp)s WHERE "traceId" = %(tid)s AND "spanId" = %(sid)s',
                                 sets=", ".join(sets)), params))

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                for text, params in stmts:
                    await conn.execute(text, params)

        await self.db.with_conn(go)

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        row = await self.db.fetchone(self.q('SELECT {cols} FROM {spans} WHERE "traceId" = %(t)s AND "spanId" = %(s)s AND {live}',
                                            cols=self.t.select, live=LIVE), {"t": trace_id, "s": span_id, "now": utc_now()})
        return None if row is None else r.Span(**self.t.decode(row))

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        rows = await self.db.fetch(self.q('SELECT {cols} FROM {spans} WHERE "traceId" = %(t)s AND {live} ORDER BY "startedAt", seq',
                                          cols=self.t.select, live=LIVE), {"t": trace_id, "now": utc_now()})
        return [r.Span(**self.t.decode(x)) for x in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        f = q.filters
        conds = ['"parentSpanId" IS NULL', LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        for name in TRACE_EQUALITY_FILTERS:
            val = getattr(f, name)
            if val is not None:
                conds.append(f"{ident(self.colmap[name][1])} = %({name})s")
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
            exists = (f'EXISTS (SELECT 1 FROM {self.t.qname} c WHERE c."traceId" = s."traceId" AND c.error IS NOT NULL '  # noqa: S608
                      'AND (c."expiresAt" IS NULL OR c."expiresAt" > %(now)s))')
            conds.append(exists if f.has_child_error else f"NOT {exists}")
        col = ident("startedAt" if q.order_field == "started_at" else "endedAt")
        d = "DESC" if q.direction == "DESC" else "ASC"
        order = f"({col} IS NULL) {d}, {col} {d}, seq {d}"
        where = " AND ".join(conds)
        limit = "" if q.per_page is False else f" LIMIT {int(q.per_page)} OFFSET {int(q.page) * int(q.per_page)}"
        rows, count = await self.db.pipeline([
            (self.q("SELECT {cols} FROM {spans} s WHERE {where} ORDER BY {order}{limit}", cols=self.t.select, where=where,
                    order=order, limit=limit), params),
            (self.q("SELECT count(*) FROM {spans} s WHERE {where}", where=where), params),
        ])
        total = int(count[0][0])
        return Page(items=[r.Span(**self.t.decode(x)) for x in rows], total=total, page=q.page, per_page=q.per_page,
                    has_more=has_more(total, q.page, q.per_page))

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        await self.db.execute(self.q('DELETE FROM {spans} WHERE "traceId" = ANY(%s::text[])'), (list(trace_ids),))


# ------------------------------------------------------------------------------- agents


class PgAgents(_PgDomain, AgentsStore):
    tables = ("agents",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("agents", AGENT_COLS)

    async def _insert_agent(self, agent: r.Agent) -> bool:
        cols = ", ".join(self.t.insert_cols)
        row = await self.db.fetchone(self.q("INSERT INTO {agents} ({cols}) VALUES ({ph}) ON CONFLICT (id) DO NOTHING RETURNING 1",
                                            cols=cols, ph=self.t.placeholders()), self.t.values(agent), idempotent=False)
        return row is not None

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        row = await self.db.fetchone(self.q("SELECT {cols} FROM {agents} WHERE id = %s", cols=self.t.select), (agent_id,))
        return None if row is None else r.Agent(**self.t.decode(row))

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        async def go(conn: Any) -> r.Agent | None:
            cur = await conn.execute(self.q("SELECT {cols} FROM {agents} WHERE id = %s FOR UPDATE", cols=self.t.select), (agent_id,))
            row = await cur.fetchone()
            if row is None:
                return None
            new = attrs.evolve(change(r.Agent(**self.t.decode(row))), id=agent_id)
            sets = ", ".join(f"{c} = %s" for c in self.t.insert_cols)
            await conn.execute(self.q("UPDATE {agents} SET {sets} WHERE id = %s", sets=sets), [*self.t.values(new), agent_id])
            return new

        return await self.db.tx(go)

    async def _delete_agent(self, agent_id: str) -> None:
        await self.db.execute(self.q("DELETE FROM {agents} WHERE id = %s"), (agent_id,))

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        col = '"createdAt"' if q.order_field == "created_at" else '"updatedAt"'
        d = "DESC" if q.direction == "DESC" else "ASC"
        return await self._page(self.t, "agents", "TRUE", f"{col} {d}, seq {d}", {}, q.page, q.per_page, lambda x: r.Agent(**x))

    async def _prune(self, now: datetime) -> int:
        return 0


# ------------------------------------------------------------------------------- legacy


class PgEvals(_PgDomain, EvalsStore):
    tables = ("evals",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("evals", EVAL_COLS)

    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        cols = ", ".join([*self.t.insert_cols, '"createdAt"', '"expiresAt"'])
        ph = ", ".join(["%s"] * (len(self.t.insert_cols) + 2))
        stmt = self.q("INSERT INTO {evals} ({cols}) VALUES ({ph})", cols=cols, ph=ph)
        exp = self.expires_at("eval")
        params = [[*self.t.values(x), naive(x.created_at), exp] for x in rows]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                await conn.cursor().executemany(stmt, params)

        await self.db.with_conn(go, idempotent=False)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        if q.agent_name is not None:
            conds.append("agent_name = %(an)s")
            params["an"] = q.agent_name
        if q.type == "test":
            conds.append("test_info IS NOT NULL")
        elif q.type == "live":
            conds.append("test_info IS NULL")
        return await self._page(self.t, "evals", " AND ".join(conds), "created_at DESC, seq DESC", params, q.page, q.per_page,
                                lambda x: r.EvalRow(**x))


class PgTraces(_PgDomain, TracesStore):
    tables = ("traces",)

    def __init__(self, db: PgDb, **kw: Any) -> None:
        super().__init__(db, **kw)
        self.t = self._table("traces", TRACE_COLS)

    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        stmt = self._insert("traces", self.t, "id", keep=("seq",))
        now, exp = utc_now(), self.expires_at("trace")
        params = [self._named(self.t.values(x), exp=exp, now=now) for x in rows]

        async def go(conn: Any) -> None:
            async with pipelined_transaction(conn):
                await conn.cursor().executemany(stmt, params)

        await self.db.with_conn(go)

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        conds = [LIVE]
        params: dict[str, Any] = {"now": utc_now()}
        if q.name is not None:
            conds.append("starts_with(name, %(name)s)")
            params["name"] = q.name
        if q.scope is not None:
            conds.append("scope = %(scope)s")
            params["scope"] = q.scope
        if q.attributes is not None:
            conds.append("COALESCE(attributes, '{}'::jsonb) @> %(attrs)s")
            params["attrs"] = jsonb(q.attributes)
        if q.from_date is not None:
            conds.append('"createdAt" >= %(from)s')
            params["from"] = naive(q.from_date)
        if q.to_date is not None:
            conds.append('"createdAt" <= %(to)s')
            params["to"] = naive(q.to_date)
        return await self._page(self.t, "traces", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page, q.per_page,
                                lambda x: r.TraceRow(**x))
