"""Workflow run snapshots: one hash per (workflow, run), indexed by name, resource, status and run id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import BackendDomain, page_of
from mastra_core.clock import utc_now
from mastra_core.domains.workflows import StepResultPatch, WorkflowsStore
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import RUN, Rec, dumps, json_pairs, ms
from ..connection import UpstashConnection
from ..schema import VERSIONED_FIELDS, esc

ENTITY = "workflow_snapshot"


class UpstashWorkflows(WorkflowsStore, BackendDomain[UpstashConnection]):
    """Snapshots; ``update_workflow_*`` merge inside one script, other updates are optimistic read-modify-writes
    (versioned Lua compare-and-set)."""

    def _rec(self, run: r.WorkflowRun, expect: str | None = None) -> Rec:
        k = self.conn.keys
        fields = {"j": RUN.json(run), "c": ms(run.created_at), "u": ms(run.updated_at), "w": run.workflow_name}
        ix = [(k.runs(), "c"), (k.runs("name", run.workflow_name), "c"), (k.runs("id", run.run_id), "c")]
        if run.resource_id is not None:
            fields["r"] = run.resource_id
            ix.append((k.runs("resource", run.resource_id), "c"))
        status = run.snapshot.get("status") if isinstance(run.snapshot, dict) else None
        if isinstance(status, str):
            fields["st"] = status
            ix.append((k.runs("status", status), "c"))
        return Rec(key=k.run(run.workflow_name, run.run_id), id=f"{esc(run.workflow_name)}:{esc(run.run_id)}",
                   fields=fields, ix=ix, expires_at=self.expires_at(ENTITY), expect=expect, optional=("r", "st"))

    def _purge(self) -> list[str]:
        return self.conn.purge_keys(self.retention, ENTITY)

    async def _persist(self, run: r.WorkflowRun) -> None:
        await self.conn.upsert(ENTITY, [self._rec(run)], purge=self._purge())

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        k = self.conn.keys
        if workflow_name is not None:
            values = await self.conn.get_one(k.run(workflow_name, run_id), VERSIONED_FIELDS)
            return None if values is None else RUN.decode(values)
        _, rows = await self.conn.page(z=k.runs("id", run_id), rk=k.run_rk, fields=VERSIONED_FIELDS, rev=True,
                                       limit=1, purge=self._purge())
        return RUN.decode(rows[0].values) if rows else None

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        k = self.conn.keys
        # the most selective index available serves the page; any other filter is checked inside the script
        wanted = [("name", "w", q.workflow_name), ("resource", "r", q.resource_id), ("status", "st", q.status)]
        present = [(kind, field, value) for kind, field, value in wanted if value is not None]
        z = k.runs(present[0][0], present[0][2]) if present else k.runs()
        filters = [(field, value) for _, field, value in present[1:]]
        lo = "-inf" if q.from_date is None else ms(q.from_date)
        hi = "+inf" if q.to_date is None else ms(q.to_date)
        offset, limit = page_slice(0, q.page, q.per_page)
        total, rows = await self.conn.page(z=z, rk=k.run_rk, fields=VERSIONED_FIELDS, rev=True, lo=lo, hi=hi,
                                           filters=filters, offset=offset, limit=limit, purge=self._purge())
        return page_of([RUN.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.conn.delete(keys=[self.conn.keys.run(workflow_name, run_id)], purge=self._purge())

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        key = self.conn.keys.run(workflow_name, run_id)

        async def attempt() -> tuple[bool, r.WorkflowRun | None]:
            values = await self.conn.get_one(key, VERSIONED_FIELDS)
            old = None if values is None else RUN.decode(values)
            new = change(old)
            if new is None:
                return True, None
            version = "0" if values is None else (values["v"] or "0")
            out = await self.conn.upsert(ENTITY, [self._rec(new, expect=version)], purge=self._purge())
            if out[0] != "OK":
                return False, None
            return True, attrs.evolve(new, created_at=old.created_at if old else new.created_at)

        return await self.conn.optimistic(attempt)

    async def _update_step_result(self, patch: StepResultPatch) -> r.WorkflowRun:
        """One script: ``context[step_id]`` set and ``requestContext`` merged inside the stored snapshot's JSON
        (spliced, never re-encoded), updated_at now, expiry refreshed, write token recorded; a missing run is
        written as the pending run with this result. A stored member the splice cannot merge (not an object) takes
        the general path."""
        fresh = patch.apply(None)
        rec = self._rec(fresh)
        snapshot = {"sub": [[dumps("context"), {"set": [[dumps(patch.step_id), dumps(patch.result)]]}],
                            [dumps("requestContext"), {"set": json_pairs(patch.request_context)}]]}
        rec.merge = {"un": 1, "sub": [[dumps("snapshot"), snapshot]]}
        out = await self.conn.upsert(ENTITY, [rec], purge=self._purge())
        if out[0] == "SHAPE":
            return await super()._update_step_result(patch)
        return RUN.decode({"j": out[4], "c": out[1], "u": out[5]})

    async def _update_state(self, workflow_name: str, run_id: str, wire: dict[str, Any]) -> r.WorkflowRun | None:
        """One script: ``wire`` merged into the stored snapshot's JSON inside Redis, the status field and index moved
        when the status changes, updated_at now, expiry refreshed, write token recorded; no live run: nothing
        written. A stored snapshot that is not an object takes the general path."""
        k = self.conn.keys
        merge: dict[str, Any] = {"un": 1, "sub": [[dumps("snapshot"), {"set": json_pairs(wire)}]]}
        status = wire.get("status")
        if isinstance(status, str):  # (the core requires one) the status field and index move with it
            merge.update(dz=[k.runs("status", "")], az=[[k.runs("status", status), "c"]], f={"st": status})
        rec = Rec(key=k.run(workflow_name, run_id), id=f"{esc(workflow_name)}:{esc(run_id)}",
                  fields={"u": ms(utc_now())}, ix=[], expires_at=self.expires_at(ENTITY), update_only=True,
                  merge=merge)
        out = await self.conn.upsert(ENTITY, [rec], purge=self._purge())
        if out[0] == "MISSING":
            return None
        if out[0] == "SHAPE":
            return await super()._update_state(workflow_name, run_id, wire)
        return RUN.decode({"j": out[4], "c": out[1], "u": out[5]})

    async def _clear(self) -> None:
        await self.conn.clear_patterns("workflows")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "workflow_snapshot")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "workflow_snapshot")
