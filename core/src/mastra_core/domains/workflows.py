"""The workflows domain: run snapshots keyed by (workflow_name, run_id)."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from .. import records as r
from ..clock import utc_now
from ..pagination import Page, PerPage
from ..records.queries import WorkflowRunQuery
from .base import DomainStore

SNAPSHOT_STATUSES = (
    "running",
    "success",
    "failed",
    "tripwire",
    "suspended",
    "waiting",
    "pending",
    "canceled",
    "bailed",
    "paused",
)


class WorkflowsStore(DomainStore, abc.ABC):
    """Workflow run snapshots; every update of one run is atomic."""

    domain = "workflows"

    async def persist_workflow_snapshot(
        self,
        *,
        workflow_name: str,
        run_id: str,
        snapshot: Mapping[str, Any],
        resource_id: str | None = None,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
    ) -> None:
        """Insert or replace the snapshot of a run; an existing run keeps its ``created_at``."""
        c = self.checks("PERSIST_WORKFLOW_SNAPSHOT")
        now = utc_now()
        run = r.WorkflowRun(
            workflow_name=c.id(workflow_name, "WORKFLOW_NAME"),
            run_id=c.id(run_id, "RUN_ID"),
            snapshot=_snapshot(c.value(snapshot, "SNAPSHOT"), c),  # checked first: a too-deep value is never copied
            resource_id=c.optional_id(resource_id, "RESOURCE_ID"),
            created_at=c.date(created_at, "CREATED_AT") or now,
            updated_at=c.date(updated_at, "UPDATED_AT") or now,
        )
        await self._run("PERSIST_WORKFLOW_SNAPSHOT", lambda: self._persist(run))

    async def load_workflow_snapshot(self, *, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        """The snapshot document, or None."""
        c = self.checks("LOAD_WORKFLOW_SNAPSHOT")
        wf, rid = c.id(workflow_name, "WORKFLOW_NAME"), c.id(run_id, "RUN_ID")

        async def go() -> dict[str, Any] | None:
            run = await self._get_run(wf, rid)
            return None if run is None else run.snapshot

        return await self._run("LOAD_WORKFLOW_SNAPSHOT", go)

    async def get_workflow_run_by_id(self, *, run_id: str, workflow_name: str | None = None) -> r.WorkflowRun | None:
        """The run; without ``workflow_name``, the newest run with that id."""
        c = self.checks("GET_WORKFLOW_RUN_BY_ID")
        rid, wf = c.id(run_id, "RUN_ID"), c.optional_id(workflow_name, "WORKFLOW_NAME")
        return await self._run("GET_WORKFLOW_RUN_BY_ID", lambda: self._get_run(wf, rid))

    async def list_workflow_runs(
        self,
        *,
        workflow_name: str | None = None,
        resource_id: str | None = None,
        status: str | None = None,
        from_date: datetime | None = None,
        to_date: datetime | None = None,
        page: int | None = None,
        per_page: PerPage | None = None,
    ) -> Page[r.WorkflowRun]:
        """Runs newest first, filters ANDed, dates inclusive on ``created_at``; all runs unless ``per_page`` is
        given."""
        c = self.checks("LIST_WORKFLOW_RUNS")
        pg = c.page(page or 0)
        pp: PerPage = False if per_page is None else c.per_page(per_page, pg)
        if pp is False and pg:
            raise c.fail("INVALID_PAGE", "page needs per_page")
        q = WorkflowRunQuery(
            workflow_name=c.optional_id(workflow_name, "WORKFLOW_NAME"),
            resource_id=c.optional_id(resource_id, "RESOURCE_ID"),
            status=None if status is None else c.one_of(status, "STATUS", SNAPSHOT_STATUSES),
            from_date=c.date(from_date, "FROM_DATE"),
            to_date=c.date(to_date, "TO_DATE"),
            page=pg,
            per_page=pp,
        )
        return await self._run("LIST_WORKFLOW_RUNS", lambda: self._list_runs(q))

    async def delete_workflow_run_by_id(self, *, run_id: str, workflow_name: str) -> None:
        """Delete one run; missing is fine."""
        c = self.checks("DELETE_WORKFLOW_RUN_BY_ID")
        rid, wf = c.id(run_id, "RUN_ID"), c.id(workflow_name, "WORKFLOW_NAME")
        await self._run("DELETE_WORKFLOW_RUN_BY_ID", lambda: self._delete_run(wf, rid))

    async def update_workflow_results(
        self,
        *,
        workflow_name: str,
        run_id: str,
        step_id: str,
        result: Any,
        request_context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Atomically set ``context[step_id] = result`` and merge ``request_context``; a missing run starts as pending.

        Returns the new ``context``. Concurrent calls for different steps all land.
        """
        c = self.checks("UPDATE_WORKFLOW_RESULTS")
        wf, rid = c.id(workflow_name, "WORKFLOW_NAME"), c.id(run_id, "RUN_ID")
        if not isinstance(step_id, str) or not step_id.strip():
            raise c.fail("INVALID_STEP_ID", f"STEP_ID must be a non-empty string, got {step_id!r}", field="STEP_ID")
        sid = c.value(step_id, "STEP_ID")  # a key inside the snapshot, not a database key: any valid text
        ctx = c.mapping(request_context, "REQUEST_CONTEXT") or {}
        c.value(result, "RESULT")

        patch = StepResultPatch(workflow_name=wf, run_id=rid, step_id=sid, result=result, request_context=ctx)

        async def go() -> dict[str, Any]:
            run = await self._update_step_result(patch)
            assert run is not None
            return dict(run.snapshot.get("context") or {})

        return await self._run("UPDATE_WORKFLOW_RESULTS", go)

    async def update_workflow_state(
        self, *, workflow_name: str, run_id: str, opts: r.WorkflowStateUpdate | Mapping[str, Any]
    ) -> dict[str, Any] | None:
        """Atomically merge ``opts`` (status, result, error, suspended_paths, waiting_paths) into the snapshot.

        Returns the new snapshot, or None when the run does not exist.
        """
        c = self.checks("UPDATE_WORKFLOW_STATE")
        wf, rid = c.id(workflow_name, "WORKFLOW_NAME"), c.id(run_id, "RUN_ID")
        if isinstance(opts, r.WorkflowStateUpdate):
            patch = {k: v for k, v in attrs.asdict(opts).items() if v is not None}
        elif isinstance(opts, Mapping):
            aliases = {"suspendedPaths": "suspended_paths", "waitingPaths": "waiting_paths"}
            patch = {aliases.get(k, k): v for k, v in opts.items()}
        else:
            raise c.fail("INVALID_OPTS", "opts must be a WorkflowStateUpdate or a mapping")
        unknown = set(patch) - {"status", "result", "error", "suspended_paths", "waiting_paths"}
        if unknown:
            raise c.fail("INVALID_OPTS", f"unknown workflow state option(s) {sorted(unknown)}")
        c.one_of(patch.get("status"), "STATUS", SNAPSHOT_STATUSES)
        c.value(patch, "OPTS")
        wire = {
            {"suspended_paths": "suspendedPaths", "waiting_paths": "waitingPaths"}.get(k, k): v
            for k, v in patch.items()
        }

        async def go() -> dict[str, Any] | None:
            run = await self._update_state(wf, rid, wire)
            return None if run is None else run.snapshot

        return await self._run("UPDATE_WORKFLOW_STATE", go)

    # ---------------------------------------------------------------- backend hooks

    @abc.abstractmethod
    async def _persist(self, run: r.WorkflowRun) -> None:
        """Upsert on (workflow_name, run_id) keeping an existing ``created_at``; set expiry."""

    @abc.abstractmethod
    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        """By both keys, or by run id alone (newest ``created_at`` wins)."""

    @abc.abstractmethod
    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]: ...

    @abc.abstractmethod
    async def _delete_run(self, workflow_name: str, run_id: str) -> None: ...

    @abc.abstractmethod
    async def _modify_run(
        self, workflow_name: str, run_id: str, change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]
    ) -> r.WorkflowRun | None:
        """Atomically apply ``change`` (None in: missing; None out: write nothing) and return what was stored."""

    async def _update_step_result(self, patch: StepResultPatch) -> r.WorkflowRun:
        """Apply ``patch`` atomically (a missing run starts as pending). Default: :meth:`_modify_run` with
        ``patch.apply``; a backend that can merge in one statement or script overrides this."""
        run = await self._modify_run(patch.workflow_name, patch.run_id, patch.apply)
        assert run is not None  # patch.apply never answers None
        return run

    async def _update_state(self, workflow_name: str, run_id: str, wire: dict[str, Any]) -> r.WorkflowRun | None:
        """Merge ``wire`` (wire-form top-level snapshot fields) into the live run's snapshot, ``updated_at`` now;
        None (nothing written) when the run does not exist. Default: :meth:`_modify_run`."""

        def change(run: r.WorkflowRun | None) -> r.WorkflowRun | None:
            if run is None:
                return None
            return attrs.evolve(run, snapshot={**run.snapshot, **wire}, updated_at=utc_now())

        return await self._modify_run(workflow_name, run_id, change)


@attrs.define(frozen=True, kw_only=True)
class StepResultPatch:
    """What ``update_workflow_results`` changes: ``context[step_id] = result``, ``request_context`` merged into
    ``requestContext``; :meth:`apply` is the semantics a backend's one-statement path must match."""

    workflow_name: str
    run_id: str
    step_id: str
    result: Any
    request_context: Mapping[str, Any]

    def fresh(self, now: datetime) -> r.WorkflowRun:
        """The pending run a missing one starts as."""
        snap: dict[str, Any] = {
            "runId": self.run_id,
            "status": "pending",
            "value": {},
            "context": {},
            "activePaths": [],
            "serializedStepGraph": [],
            "suspendedPaths": {},
            "waitingPaths": {},
            "resumeLabels": {},
            "activeStepsPath": {},
            "timestamp": int(now.timestamp() * 1000),
        }
        return r.WorkflowRun(
            workflow_name=self.workflow_name, run_id=self.run_id, snapshot=snap, created_at=now, updated_at=now
        )

    def apply(self, run: r.WorkflowRun | None) -> r.WorkflowRun:
        """The run after this patch (``run`` None: it does not exist yet)."""
        now = utc_now()
        if run is None:
            run = self.fresh(now)
        # new top-level and context dicts, the rest shared: ``run`` is never mutated (apply may run again) and
        # every backend serialises or copies what it stores, so a deep copy here would only cost time
        snap = dict(run.snapshot)
        snap["context"] = {**(snap.get("context") or {}), self.step_id: self.result}
        snap["requestContext"] = {**(snap.get("requestContext") or {}), **self.request_context}
        return attrs.evolve(run, snapshot=snap, updated_at=now)


def _snapshot(value: Any, c: Any) -> dict[str, Any]:
    if isinstance(value, r.WorkflowRunState):
        from ..serde import to_wire

        return to_wire(value)
    if not isinstance(value, Mapping):
        raise c.fail("INVALID_SNAPSHOT", f"snapshot must be a mapping, got {type(value).__name__}")
    # a shallow copy: every backend serialises the snapshot (or, in memory, deep-copies it) before the call returns,
    # so a deep copy here only cost time (~1 ms for a few KB)
    return dict(value)
