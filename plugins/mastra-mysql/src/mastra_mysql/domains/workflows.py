"""The workflows domain on MariaDB: ``mastra_workflow_snapshot``, unique on (workflow_name, run_id)."""
# ruff: noqa: S608  -- see domains/__init__.py: identifiers are validated and quoted, values are bound

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.workflows import StepResultPatch, WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import RUN, esc_str, naive_utc
from ..connection import Tx
from ..merge import json_set, merged_object, object_or_null, plain_keys, update_returning
from ..schema import quote
from . import LIVE, MySQLDomain, columns, now, select_page, upsert

_W = quote(RUN.table.name)
_KEY = ("workflow_name", "run_id")
_SELECT = f"SELECT {columns(RUN)} FROM {_W} WHERE workflow_name = %s AND run_id = %s"


class MySQLWorkflows(WorkflowsStore, MySQLDomain):
    """Workflow snapshots; every read-modify-write of a run is one transaction holding the row lock (the
    ``update_workflow_*`` ones one round trip, merged in SQL)."""

    tables = DOMAIN_TABLES["workflows"]

    @staticmethod
    async def _row(tx: Tx, workflow_name: str | None, run_id: str, lock: str = "") -> r.WorkflowRun | None:
        if workflow_name is None:
            row = await tx.one(f"SELECT {columns(RUN)} FROM {_W} WHERE run_id = %s AND {LIVE} "
                               "ORDER BY `createdAt` DESC, seq DESC LIMIT 1", (run_id, now()))
        else:
            row = await tx.one(f"SELECT {columns(RUN)} FROM {_W} WHERE workflow_name = %s AND run_id = %s "
                               f"AND {LIVE}{lock}", (workflow_name, run_id, now()))
        return None if row is None else RUN.from_row(row)

    async def _persist(self, run: r.WorkflowRun) -> None:
        row = RUN.to_row(run, expiresAt=self.expires_at("workflow_snapshot"))
        await self.conn.tx(lambda tx: upsert(tx, RUN, [row], _KEY))

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        return await self.conn.read(lambda tx: self._row(tx, workflow_name, run_id))

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        where: list[str] = [LIVE]
        params: list[Any] = [now()]
        for column, value in (("workflow_name", q.workflow_name), ("resourceId", q.resource_id)):
            if value is not None:
                where.append(f"{quote(column)} = %s")
                params.append(value)
        if q.status is not None:
            where.append("JSON_VALUE(snapshot, '$.status') = %s")
            params.append(esc_str(q.status))
        for op, when in ((">=", q.from_date), ("<=", q.to_date)):
            if when is not None:
                where.append(f"`createdAt` {op} %s")
                params.append(naive_utc(when))
        return await select_page(self.conn, RUN, where, params, "`createdAt` DESC, seq DESC", q.page, q.per_page)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.conn.tx(lambda tx: tx.execute(f"DELETE FROM {_W} WHERE workflow_name = %s AND run_id = %s",
                                                 (workflow_name, run_id)))

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        async def go(tx: Tx) -> r.WorkflowRun | None:
            # FOR UPDATE locks the run, or the gap where it would go: concurrent updates of one run serialise
            new = change(await self._row(tx, workflow_name, run_id, " FOR UPDATE"))
            if new is None:
                return None
            row: dict[str, Any] = RUN.to_row(new, expiresAt=self.expires_at("workflow_snapshot"))
            await upsert(tx, RUN, [row], _KEY, keep=())
            return new

        return await self.conn.tx(go)

    async def _update_step_result(self, patch: StepResultPatch) -> r.WorkflowRun:
        """One round trip: ``context[step_id]`` set and ``requestContext`` merged inside the stored snapshot in SQL
        (``merge.py``), ``updatedAt`` now, expiry refreshed. A missing run, a key that is not plain or a member
        that is not an object takes the general path."""
        if not (plain_keys({patch.step_id: None}) and plain_keys(patch.request_context)):
            return await super()._update_step_result(patch)
        ctx, rc = "JSON_EXTRACT(snapshot, '$.context')", "JSON_EXTRACT(snapshot, '$.requestContext')"
        ctx_sql, ctx_params = merged_object(ctx, {patch.step_id: patch.result})
        rc_sql, rc_params = merged_object(rc, patch.request_context)
        at = now()
        update = (f"UPDATE {_W} SET snapshot = JSON_SET(snapshot, '$.\"context\"', {ctx_sql}, '$.\"requestContext\"', "
                  f"{rc_sql}), `updatedAt` = %s, `expiresAt` = %s WHERE workflow_name = %s AND run_id = %s AND {LIVE} "
                  f"AND JSON_TYPE(snapshot) = 'OBJECT' AND {object_or_null(ctx)} AND {object_or_null(rc)}")
        params = [*ctx_params, *rc_params, at, self.expires_at("workflow_snapshot"), patch.workflow_name,
                  patch.run_id, at]
        row = await update_returning(self.conn, update, params, _SELECT, (patch.workflow_name, patch.run_id))
        if row is None:
            return await super()._update_step_result(patch)
        return RUN.from_row(row)

    async def _update_state(self, workflow_name: str, run_id: str, wire: dict[str, Any]) -> r.WorkflowRun | None:
        """One round trip: ``wire`` set into the stored snapshot in SQL, ``updatedAt`` now, expiry refreshed. No
        live run (then None), a key that is not plain or a snapshot that is not an object: the general path."""
        if not plain_keys(wire):
            return await super()._update_state(workflow_name, run_id, wire)
        snapshot, params = json_set("snapshot", wire)
        at = now()
        update = (f"UPDATE {_W} SET snapshot = {snapshot}, `updatedAt` = %s, `expiresAt` = %s "
                  f"WHERE workflow_name = %s AND run_id = %s AND {LIVE} AND JSON_TYPE(snapshot) = 'OBJECT'")
        row = await update_returning(self.conn, update, [*params, at, self.expires_at("workflow_snapshot"),
                                                         workflow_name, run_id, at], _SELECT, (workflow_name, run_id))
        if row is None:
            return await super()._update_state(workflow_name, run_id, wire)
        return RUN.from_row(row)
