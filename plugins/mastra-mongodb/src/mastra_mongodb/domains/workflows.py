"""Workflow run snapshots in ``mastra_workflow_snapshot``, keyed by (workflow_name, run_id)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import RUN
from ..filters import all_of, between, order
from ..schema import SEQ, WORKFLOWS
from .shared import MongoDomain, reader


class MongoWorkflows(WorkflowsStore, MongoDomain):
    """The workflows domain on MongoDB; every update of a run is an optimistic compare-and-set."""

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
