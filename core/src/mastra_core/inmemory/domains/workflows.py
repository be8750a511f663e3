"""In-memory workflows domain: workflow snapshots and runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs

from ... import records as r
from ...clock import utc_now
from ...domains.workflows import WorkflowsStore
from ...pagination import Page
from ...records.queries import WorkflowRunQuery
from ..connection import Row, clone
from .shared import InMemoryDomain, count_expired, page_rows, prune_table


class InMemoryWorkflows(WorkflowsStore, InMemoryDomain):
    """The in-memory workflows domain: workflow snapshots and runs."""

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
        return page_rows(rows, q.page, q.per_page)

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

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.runs, now=now)

    async def _prune(self, now: datetime) -> int:
        return prune_table(self.s.runs, now)
