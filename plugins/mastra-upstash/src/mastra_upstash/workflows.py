"""Workflow run snapshots: one hash per (workflow, run), indexed by name, resource and run id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import attrs
from mastra_core import records as r
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from .base import Rec, RedisDomain, limit_of, ms, offset_of, page_of
from .keys import esc

FIELDS = ("j", "c", "u", "v")


class UpstashWorkflows(RedisDomain, WorkflowsStore):
    """Snapshots; updates are optimistic read-modify-writes (versioned Lua compare-and-set)."""

    def _rec(self, run: r.WorkflowRun, expect: str | None = None) -> Rec:
        k = self.keys
        fields = {"j": self.encode(run), "c": ms(run.created_at), "u": ms(run.updated_at), "w": run.workflow_name}
        ix = [(k.runs(), "c"), (k.runs("name", run.workflow_name), "c"), (k.runs("id", run.run_id), "c")]
        if run.resource_id is not None:
            fields["r"] = run.resource_id
            ix.append((k.runs("resource", run.resource_id), "c"))
        status = run.snapshot.get("status") if isinstance(run.snapshot, dict) else None
        if isinstance(status, str):
            fields["st"] = status
            ix.append((k.runs("status", status), "c"))
        return Rec(key=k.run(run.workflow_name, run.run_id), id=f"{esc(run.workflow_name)}:{esc(run.run_id)}", fields=fields,
                   ix=ix, expires_at=self.expires_at("workflow_snapshot"), expect=expect, optional=("r", "st"))

    async def _persist(self, run: r.WorkflowRun) -> None:
        await self.upsert("workflow_snapshot", [self._rec(run)], purge=self.purge_keys("workflow_snapshot"))

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        if workflow_name is not None:
            values = await self.get_one(self.keys.run(workflow_name, run_id), FIELDS)
            return None if values is None else self.decode(r.WorkflowRun, values)
        _, rows = await self.page(z=self.keys.runs("id", run_id), rk=self.keys.run_rk, fields=FIELDS, rev=True, limit=1,
                                  purge=self.purge_keys("workflow_snapshot"))
        return self.decode(r.WorkflowRun, rows[0].values) if rows else None

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        k = self.keys
        # the most selective index available serves the page; any other filter is checked inside the script
        wanted = [("name", "w", q.workflow_name), ("resource", "r", q.resource_id), ("status", "st", q.status)]
        present = [(kind, field, value) for kind, field, value in wanted if value is not None]
        z = k.runs(present[0][0], present[0][2]) if present else k.runs()
        filters = [(field, value) for _, field, value in present[1:]]
        lo = "-inf" if q.from_date is None else ms(q.from_date)
        hi = "+inf" if q.to_date is None else ms(q.to_date)
        total, rows = await self.page(z=z, rk=k.run_rk, fields=FIELDS, rev=True, lo=lo, hi=hi, filters=filters,
                                      offset=offset_of(q.page, q.per_page), limit=limit_of(q.per_page),
                                      purge=self.purge_keys("workflow_snapshot"))
        return page_of([self.decode(r.WorkflowRun, row.values) for row in rows], total, q.page, q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.delete(keys=[self.keys.run(workflow_name, run_id)], purge=self.purge_keys("workflow_snapshot"))

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        key = self.keys.run(workflow_name, run_id)

        async def attempt() -> tuple[bool, r.WorkflowRun | None]:
            values = await self.get_one(key, FIELDS)
            old = None if values is None else self.decode(r.WorkflowRun, values)
            new = change(old)
            if new is None:
                return True, None
            version = "0" if values is None else (values["v"] or "0")
            out = await self.upsert("workflow_snapshot", [self._rec(new, expect=version)],
                                    purge=self.purge_keys("workflow_snapshot"))
            if out[0] != "OK":
                return False, None
            return True, attrs.evolve(new, created_at=old.created_at if old else new.created_at)

        return await self.optimistic(attempt)

    async def _clear(self) -> None:
        await self.clear_patterns("workflows")

    async def _prune(self, now: datetime) -> int:
        return 0
