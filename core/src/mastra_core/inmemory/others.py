"""In-memory workflows, scores, observability, agents and the legacy evals and traces."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from .. import records as r
from ..clock import utc_now
from ..domains.agents import AgentsStore
from ..domains.legacy import EvalsStore, TracesStore
from ..domains.matching import contains, trace_matches
from ..domains.observability import ObservabilityStore
from ..domains.scores import ScoresStore
from ..domains.workflows import WorkflowsStore
from ..pagination import Page, paginate
from ..records.queries import (
    AgentQuery,
    EvalQuery,
    LegacyTraceQuery,
    ScoreQuery,
    TraceQuery,
    WorkflowRunQuery,
)
from .state import Row, State, clone


def _page(rows: list[Row[Any]], page: int, per_page: Any) -> Page[Any]:
    p = paginate(rows, page, per_page)
    return Page(items=[clone(row.record) for row in p.items], total=p.total, page=page, per_page=per_page, has_more=p.has_more)


def _prune_table(table: dict[Any, Row[Any]], now: datetime) -> int:
    dead = [k for k, row in table.items() if not row.live(now)]
    for k in dead:
        del table[k]
    return len(dead)


class _Base:
    backend_token = "INMEMORY"

    def __init__(self, state: State, **kw: Any) -> None:
        super().__init__(**kw)
        self.s = state


class InMemoryWorkflows(_Base, WorkflowsStore):
    def _row(self, wf: str, run_id: str) -> Row[r.WorkflowRun] | None:
        row = self.s.runs.get((wf, run_id))
        return row if row is not None and row.live(utc_now()) else None

    async def _persist(self, run: r.WorkflowRun) -> None:
        old = self._row(run.workflow_name, run.run_id)
        stored = attrs.evolve(run, created_at=old.record.created_at) if old else run
        self.s.runs[(run.workflow_name, run.run_id)] = Row(clone(stored), old.seq if old else self.s.next_seq(),
                                                           self.expires_at("workflow_snapshot"))

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        now = utc_now()
        rows = [row for (wf, rid), row in self.s.runs.items()
                if rid == run_id and (workflow_name is None or wf == workflow_name) and row.live(now)]
        if not rows:
            return None
        newest: r.WorkflowRun = max(rows, key=lambda row: (row.record.created_at, row.seq)).record
        return clone(newest)

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        now = utc_now()
        rows = [
            row for row in self.s.runs.values()
            if row.live(now)
            and (q.workflow_name is None or row.record.workflow_name == q.workflow_name)
            and (q.resource_id is None or row.record.resource_id == q.resource_id)
            and (q.status is None or row.record.snapshot.get("status") == q.status)
            and (q.from_date is None or row.record.created_at >= q.from_date)
            and (q.to_date is None or row.record.created_at <= q.to_date)
        ]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return _page(rows, q.page, q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        self.s.runs.pop((workflow_name, run_id), None)

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        row = self._row(workflow_name, run_id)
        new = change(clone(row.record) if row else None)
        if new is None:
            return None
        self.s.runs[(workflow_name, run_id)] = Row(clone(new), row.seq if row else self.s.next_seq(),
                                                   self.expires_at("workflow_snapshot"))
        return clone(new)

    async def _clear(self) -> None:
        self.s.runs.clear()

    async def _prune(self, now: datetime) -> int:
        return _prune_table(self.s.runs, now)


class InMemoryScores(_Base, ScoresStore):
    async def _save_score(self, score: r.Score) -> None:
        self.s.scores[score.id] = Row(clone(score), self.s.next_seq(), self.expires_at("score"))

    async def _get_score(self, score_id: str) -> r.Score | None:
        row = self.s.scores.get(score_id)
        return clone(row.record) if row is not None and row.live(utc_now()) else None

    async def _list_scores(self, q: ScoreQuery) -> Page[r.Score]:
        now = utc_now()
        wanted = {k: v for k, v in attrs.asdict(q).items() if k not in ("page", "per_page") and v is not None}
        rows = [row for row in self.s.scores.values()
                if row.live(now) and all(getattr(row.record, k) == v for k, v in wanted.items())]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return _page(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.scores.clear()

    async def _prune(self, now: datetime) -> int:
        return _prune_table(self.s.scores, now)


class InMemoryObservability(_Base, ObservabilityStore):
    tracing_strategy = {"preferred": "realtime", "supported": ["realtime", "batch-with-updates", "insert-only"]}

    def _live(self) -> list[Row[r.Span]]:
        now = utc_now()
        return [row for row in self.s.spans.values() if row.live(now)]

    async def _upsert_spans(self, spans: list[r.Span]) -> None:
        expires = self.expires_at("span")
        for span in spans:
            key = (span.trace_id, span.span_id)
            old = self.s.spans.get(key)
            stored = attrs.evolve(span, created_at=old.record.created_at) if old is not None and old.live(utc_now()) else span
            self.s.spans[key] = Row(clone(stored), old.seq if old else self.s.next_seq(), expires)

    async def _update_spans(self, updates: list[r.SpanUpdate]) -> None:
        for u in updates:
            row = self.s.spans[(u.trace_id, u.span_id)]
            row.record = attrs.evolve(row.record, **clone(u.updates))
            row.expires_at = self.expires_at("span")

    async def _get_span(self, trace_id: str, span_id: str) -> r.Span | None:
        row = self.s.spans.get((trace_id, span_id))
        return clone(row.record) if row is not None and row.live(utc_now()) else None

    async def _get_trace_spans(self, trace_id: str) -> list[r.Span]:
        rows = [row for row in self._live() if row.record.trace_id == trace_id]
        rows.sort(key=lambda row: (row.record.started_at, row.seq))
        return [clone(row.record) for row in rows]

    async def _list_traces(self, q: TraceQuery) -> Page[r.Span]:
        live = self._live()
        errors = {row.record.trace_id for row in live if row.record.error is not None}
        roots = [row for row in live if row.record.parent_span_id is None
                 and trace_matches(row.record, q.filters, row.record.trace_id in errors)]

        def key(row: Row[r.Span]) -> tuple[Any, ...]:
            value = getattr(row.record, q.order_field)
            return (value is None, value or datetime.min.replace(tzinfo=row.record.started_at.tzinfo), row.seq)

        # ASC: values ascending, missing last; DESC: the exact reverse (missing first)
        roots.sort(key=key, reverse=q.direction == "DESC")
        return _page(roots, q.page, q.per_page)

    async def _delete_traces(self, trace_ids: tuple[str, ...]) -> None:
        wanted = set(trace_ids)
        for key in [k for k in self.s.spans if k[0] in wanted]:
            del self.s.spans[key]

    async def _clear(self) -> None:
        self.s.spans.clear()

    async def _prune(self, now: datetime) -> int:
        return _prune_table(self.s.spans, now)


class InMemoryAgents(_Base, AgentsStore):
    async def _insert_agent(self, agent: r.Agent) -> bool:
        if agent.id in self.s.agents:
            return False
        self.s.agents[agent.id] = Row(clone(agent), self.s.next_seq())
        return True

    async def _get_agent(self, agent_id: str) -> r.Agent | None:
        row = self.s.agents.get(agent_id)
        return clone(row.record) if row else None

    async def _modify_agent(self, agent_id: str, change: Callable[[r.Agent], r.Agent]) -> r.Agent | None:
        row = self.s.agents.get(agent_id)
        if row is None:
            return None
        updated: r.Agent = clone(change(clone(row.record)))
        row.record = updated
        return clone(updated)

    async def _delete_agent(self, agent_id: str) -> None:
        self.s.agents.pop(agent_id, None)

    async def _list_agents(self, q: AgentQuery) -> Page[r.Agent]:
        rows = sorted(self.s.agents.values(), key=lambda row: (getattr(row.record, q.order_field), row.seq),
                      reverse=q.direction == "DESC")
        return _page(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.agents.clear()


class InMemoryEvals(_Base, EvalsStore):
    async def _save_evals(self, rows: list[r.EvalRow]) -> None:
        expires = self.expires_at("eval")
        self.s.evals.extend(Row(clone(row), self.s.next_seq(), expires) for row in rows)

    async def _list_evals(self, q: EvalQuery) -> Page[r.EvalRow]:
        now = utc_now()
        rows = [row for row in self.s.evals if row.live(now)
                and (q.agent_name is None or row.record.agent_name == q.agent_name)
                and (q.type is None or (q.type == "test") == (row.record.test_info is not None))]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return _page(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.evals.clear()

    async def _prune(self, now: datetime) -> int:
        before = len(self.s.evals)
        self.s.evals[:] = [row for row in self.s.evals if row.live(now)]
        return before - len(self.s.evals)


class InMemoryTraces(_Base, TracesStore):
    async def _save_traces(self, rows: list[r.TraceRow]) -> None:
        expires = self.expires_at("trace")
        for row in rows:
            old = self.s.traces.get(row.id)
            self.s.traces[row.id] = Row(clone(row), old.seq if old else self.s.next_seq(), expires)

    async def _list_traces(self, q: LegacyTraceQuery) -> Page[r.TraceRow]:
        now = utc_now()
        rows = [row for row in self.s.traces.values() if row.live(now)
                and (q.name is None or row.record.name.startswith(q.name))
                and (q.scope is None or row.record.scope == q.scope)
                and (q.attributes is None or contains(row.record.attributes or {}, q.attributes))
                and (q.from_date is None or row.record.created_at >= q.from_date)
                and (q.to_date is None or row.record.created_at <= q.to_date)]
        rows.sort(key=lambda row: (row.record.created_at, row.seq), reverse=True)
        return _page(rows, q.page, q.per_page)

    async def _clear(self) -> None:
        self.s.traces.clear()

    async def _prune(self, now: datetime) -> int:
        return _prune_table(self.s.traces, now)
