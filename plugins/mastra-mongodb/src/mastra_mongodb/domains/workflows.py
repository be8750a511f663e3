"""Workflow run snapshots in ``mastra_workflow_snapshot``, keyed by (workflow_name, run_id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.clock import to_ms, utc_now
from mastra_core.domains.workflows import StepResultPatch, WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import RUN
from ..filters import all_of, between, order
from ..merge import dotted, merge_one
from ..schema import SEQ, WORKFLOWS
from .shared import MongoDomain, reader


class MongoWorkflows(WorkflowsStore, MongoDomain):
    """The workflows domain on MongoDB; ``update_workflow_*`` are one ``findOneAndUpdate`` where ``$set`` paths can
    say the merge, every other update of a run an optimistic compare-and-set."""

    collections = (WORKFLOWS,)

    async def _persist(self, run: r.WorkflowRun) -> None:
        key = {"workflow_name": run.workflow_name, "run_id": run.run_id}
        await self.drop_expired(WORKFLOWS, key)
        fields = RUN.to_doc(run)
        created = fields.pop("createdAt")
        await self.col(WORKFLOWS).update_one(
            key,
            {"$set": {**fields, **self.expiry(WORKFLOWS)},
             "$setOnInsert": {"createdAt": created, SEQ: self.conn.seq()}},
            upsert=True,
        )

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        key: dict[str, Any] = {"run_id": run_id}
        if workflow_name is not None:
            key["workflow_name"] = workflow_name
        doc = await self.col(WORKFLOWS).find_one(all_of(key, self.live(WORKFLOWS)),
                                                 sort=order("createdAt", "DESC", SEQ))
        return None if doc is None else RUN.from_doc(doc)

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        flt = all_of(
            {"workflow_name": q.workflow_name} if q.workflow_name is not None else None,
            {"resourceId": q.resource_id} if q.resource_id is not None else None,
            {"snapshot.status": q.status} if q.status is not None else None,
            between("createdAt", q.from_date, q.to_date),
            self.live(WORKFLOWS),
        )
        return await self.conn.find_page(WORKFLOWS, flt, order("createdAt", "DESC", SEQ), q.page, q.per_page,
                                         RUN.from_doc)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.col(WORKFLOWS).delete_one({"workflow_name": workflow_name, "run_id": run_id})

    async def _modify_run(
        self, workflow_name: str, run_id: str, change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]
    ) -> r.WorkflowRun | None:
        def write(new: r.WorkflowRun, old: dict[str, Any] | None) -> dict[str, Any]:
            body = {**RUN.to_doc(new), **self.expiry(WORKFLOWS)}
            if old is None:
                body[SEQ] = self.conn.seq()
            return body

        return await self.conn.compare_and_set(
            WORKFLOWS, {"workflow_name": workflow_name, "run_id": run_id}, reader(RUN.from_doc), change, write,
            expiring=self.ttl_active(WORKFLOWS),
        )

    async def _update_step_result(self, patch: StepResultPatch) -> r.WorkflowRun:
        """One ``findOneAndUpdate`` upsert: ``snapshot.context.<step>`` and each ``snapshot.requestContext.<key>``
        set, ``updatedAt`` now, expiry refreshed; a missing run is inserted as the pending run with this result
        (its other snapshot fields on insert). An empty request context must leave an object there: then only a
        run that already has one matches. Anything else takes the general path (``merge.py`` says when)."""
        fresh = patch.apply(None)
        step = dotted("snapshot.context", {patch.step_id: patch.result})
        ctx = dotted("snapshot.requestContext", patch.request_context)
        if step is None or ctx is None:
            return await super()._update_step_result(patch)
        doc = RUN.to_doc(fresh)
        snapshot = doc.pop("snapshot")
        on_insert = {k: v for k, v in doc.items() if k != "updatedAt"}  # the keys too (merge.py says why)
        on_insert.update({f"snapshot.{k}": v for k, v in snapshot.items() if k not in ("context", "requestContext")},
                         **{SEQ: self.conn.seq()})
        guard: dict[str, Any] = {"workflow_name": patch.workflow_name, "run_id": patch.run_id}
        if not ctx:  # requestContext must end up an object: a stored one stays, a new run gets {}
            guard["snapshot.requestContext"] = {"$ne": None}
            on_insert["snapshot.requestContext"] = {}
        update = {"$set": {**step, **ctx, "updatedAt": doc["updatedAt"], **self.expiry(WORKFLOWS)},
                  "$setOnInsert": on_insert}
        stored = await merge_one(self.col(WORKFLOWS), {**guard, **self.live(WORKFLOWS)}, update, upsert=True)
        if stored is None:
            return await super()._update_step_result(patch)
        return RUN.from_doc(stored)

    async def _update_state(self, workflow_name: str, run_id: str, wire: dict[str, Any]) -> r.WorkflowRun | None:
        """One ``findOneAndUpdate``: each state field set at ``snapshot.<key>``, ``updatedAt`` now, expiry refreshed;
        no live run: None, nothing written. Anything else takes the general path (``merge.py`` says when)."""
        sets = dotted("snapshot", wire)
        if sets is None:
            return await super()._update_state(workflow_name, run_id, wire)
        now = to_ms(utc_now())
        guard = {"workflow_name": workflow_name, "run_id": run_id}
        doc = await merge_one(self.col(WORKFLOWS), {**guard, **self.live(WORKFLOWS, now)},
                              {"$set": {**sets, "updatedAt": now, **self.expiry(WORKFLOWS)}})
        if doc is None:  # no live run (the general path answers None) or a snapshot the paths cannot reach
            return await super()._update_state(workflow_name, run_id, wire)
        return RUN.from_doc(doc)
