"""The workflows domain on PostgreSQL: run snapshots in ``mastra_workflow_snapshot``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.workflows import StepResultPatch, WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery
from mastra_core.retention import Retention

from ..codec import jsonb, naive
from ..connection import PgConnection
from .shared import DEAD, LIVE, PgDomain, codec_for


def _run(run: r.WorkflowRun) -> r.WorkflowRun:
    if isinstance(run.snapshot, str):  # written as a JSON string by an old client
        return attrs.evolve(run, snapshot=json.loads(run.snapshot))
    return run


#: A runs page's rows are loaded (their snapshots parsed) this many at a time as they come (``lean.CAN_CHUNK``), so
#: that parsing overlaps the server's writing of the rest. The op on pages of twenty 2.6 KB snapshots, p50 of 800
#: calls each, interleaved, two runs: whole 1,903 / 1,873 us, chunks of 1: 1,634 / 1,621, 2: 1,597 / 1,581, 4:
#: 1,588 / 1,648 (the best means), 8: 1,631 / 1,631. A chunk costs a wakeup of the waiting task; the bigger it is,
#: the more parsing is left after the server's last row. (With each chunk's records built as it comes, 2, 3 and 4
#: measured alike.)
RUNS_CHUNK = 4

#: The live row ``t`` of this run (a one-statement write's target).
_THIS_RUN = ('t.workflow_name = %(wf)s AND t.run_id = %(rid)s AND (t."expiresAt" IS NULL OR t."expiresAt" > %(now)s)')


def _object_or_none(path: str) -> str:
    """``t.snapshot -> path`` is an object or absent/null (what the core's ``or {}`` merges over)."""
    return f"COALESCE(jsonb_typeof(t.snapshot -> '{path}'), 'null') IN ('object', 'null')"


def _merged(path: str, param: str) -> str:
    """``t.snapshot -> path`` (an object, else empty) with the object ``param`` merged over it."""
    return (f"(CASE WHEN jsonb_typeof(t.snapshot -> '{path}') = 'object' THEN t.snapshot -> '{path}' "
            f"ELSE '{{}}'::jsonb END) || %({param})s")


class _Missing:
    """A concurrent writer created the row first: read-modify-write again."""


class PgWorkflows(WorkflowsStore, PgDomain):
    """Workflow runs, one row per (workflow_name, run_id)."""

    tables = ("workflows",)

    def __init__(self, conn: PgConnection, *, backend_token: str, retention: Retention | None = None) -> None:
        super().__init__(conn, backend_token=backend_token, retention=retention)
        self.t = codec_for(conn, "workflows", r.WorkflowRun, {"snapshot": "json_null"})
        self.persist_sql = self.upsert("workflows", self.t, "workflow_name, run_id")
        #: the latest live run by id, with (True) or without (False) its workflow name
        self.get_run_sql = {
            named: self.q('SELECT {cols} FROM {workflows} WHERE {where} ORDER BY "createdAt" DESC, seq DESC LIMIT 1',
                          cols=self.t.select,
                          where="run_id = %(rid)s AND " + LIVE + (" AND workflow_name = %(wf)s" if named else ""))
            for named in (True, False)
        }

    async def _persist(self, run: r.WorkflowRun) -> None:
        await self.conn.execute(self.persist_sql,
                                self.t.named(run, exp=self.expires_at("workflow_snapshot"), now=utc_now()))

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        row = await self.conn.fetchone(self.get_run_sql[workflow_name is not None],
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
        return await self.page(self.t, "workflows", " AND ".join(conds), '"createdAt" DESC, seq DESC', params, q.page,
                               q.per_page, _run, chunk=RUNS_CHUNK)

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        await self.conn.execute(self.q("DELETE FROM {workflows} WHERE workflow_name = %s AND run_id = %s"),
                                (workflow_name, run_id))

    async def _update_state(self, workflow_name: str, run_id: str, wire: dict[str, Any]) -> r.WorkflowRun | None:
        """One statement: ``snapshot || patch`` in SQL, ``updated_at`` now, expiry refreshed, token recorded. A
        missing run or a snapshot that is not an object (an old client's JSON string) takes the general path."""
        now = utc_now()
        head = self.q('WITH up AS (UPDATE {workflows} AS t SET snapshot = t.snapshot || %(patch)s, "updatedAt" = '
                      '%(nown)s, "updatedAtZ" = %(now)s, "expiresAt" = %(exp)s WHERE {this} '
                      "AND jsonb_typeof(t.snapshot) = 'object' RETURNING {cols})", this=_THIS_RUN, cols=self.t.select)
        params = {"wf": workflow_name, "rid": run_id, "now": now, "nown": naive(now), "patch": jsonb(wire),
                  "exp": self.expires_at("workflow_snapshot")}
        row = await self.conn.once_row(head, params,
                                       lambda conn: self._stored_row(conn, workflow_name, run_id))
        if row is None:
            return await super()._update_state(workflow_name, run_id, wire)
        return _run(self.t.decode(row))

    async def _update_step_result(self, patch: StepResultPatch) -> r.WorkflowRun:
        """One statement (``INSERT ... ON CONFLICT DO UPDATE``): a missing or expired run is inserted as the pending
        run with this result, else ``context`` and ``requestContext`` are merged in SQL; token recorded. A snapshot
        the SQL merge cannot read as the core does takes the general path."""
        fresh = patch.apply(None)
        now = fresh.updated_at
        merged = ("t.snapshot || jsonb_build_object('context', " + _merged("context", "step") + ", 'requestContext', "
                  + _merged("requestContext", "ctx") + ")")
        sets = []
        for c in self.t.insert_cols:
            name = c.strip('"')
            if name in ("workflow_name", "run_id"):
                continue
            kept = merged if name == "snapshot" else f"EXCLUDED.{c}" if name.startswith("updatedAt") else f"t.{c}"
            sets.append(f"{c} = CASE WHEN {DEAD} THEN EXCLUDED.{c} ELSE {kept} END")
        sets.append(f"seq = CASE WHEN {DEAD} THEN nextval({self.q('{seqname}')}::regclass) ELSE t.seq END")
        guard = (f"{DEAD} OR (jsonb_typeof(t.snapshot) = 'object' AND {_object_or_none('context')} "
                 f"AND {_object_or_none('requestContext')})")
        head = self.q('WITH up AS (INSERT INTO {workflows} AS t ({cols}, "expiresAt") VALUES ({ph}, %(exp)s) '
                      'ON CONFLICT (workflow_name, run_id) DO UPDATE SET {sets}, "expiresAt" = EXCLUDED."expiresAt" '
                      "WHERE {guard} RETURNING {ret})", cols=", ".join(self.t.insert_cols), ph=self.t.placeholders(),
                      sets=", ".join(sets), guard=guard, ret=self.t.select)
        params = self.t.named(fresh, exp=self.expires_at("workflow_snapshot"), now=now,
                              step=jsonb({patch.step_id: patch.result}), ctx=jsonb(dict(patch.request_context)))
        row = await self.conn.once_row(head, params,
                                       lambda conn: self._stored_row(conn, patch.workflow_name, patch.run_id))
        if row is None:
            return await super()._update_step_result(patch)
        return _run(self.t.decode(row))

    async def _stored_row(self, conn: Any, workflow_name: str, run_id: str) -> Any:
        """The stored row of this run (what a retried one-statement write answers)."""
        cur = await conn.execute(self.q("SELECT {cols} FROM {workflows} WHERE workflow_name = %(wf)s "
                                        "AND run_id = %(rid)s", cols=self.t.select),
                                 {"wf": workflow_name, "rid": run_id})
        return await cur.fetchone()

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        async def go(conn: Any) -> r.WorkflowRun | _Missing | None:
            now = utc_now()
            cur = await conn.execute(self.q("SELECT {cols}, {live} FROM {workflows} WHERE workflow_name = %(wf)s "
                                            "AND run_id = %(rid)s FOR UPDATE", cols=self.t.select, live=LIVE),
                                     {"wf": workflow_name, "rid": run_id, "now": now})
            row = await cur.fetchone()
            live = row is not None and row[len(self.t.columns)]
            new = change(_run(self.t.decode(row)) if live else None)
            if new is None:
                return None
            new = attrs.evolve(new, workflow_name=workflow_name, run_id=run_id)
            params = self.t.named(new, exp=self.expires_at("workflow_snapshot"), now=now)
            if row is not None:
                sets = self.t.assignments()
                reseq = "" if live else ", seq = nextval(" + self.q("{seqname}") + "::regclass)"
                await conn.execute(self.q('UPDATE {workflows} SET {sets}, "expiresAt" = %(exp)s{reseq} '
                                          "WHERE workflow_name = %(wf)s AND run_id = %(rid)s", sets=sets,
                                          reseq=reseq),
                                   {**params, "wf": workflow_name, "rid": run_id})
                return new
            cols = ", ".join([*self.t.insert_cols, '"expiresAt"'])
            cur = await conn.execute(self.q("INSERT INTO {workflows} ({cols}) VALUES ({ph}, %(exp)s) "
                                            "ON CONFLICT (workflow_name, run_id) DO NOTHING RETURNING 1", cols=cols,
                                            ph=self.t.placeholders()), params)
            return new if await cur.fetchone() is not None else _Missing()

        async def applied(conn: Any) -> r.WorkflowRun | _Missing | None:
            cur = await conn.execute(self.q("SELECT {cols} FROM {workflows} WHERE workflow_name = %(wf)s "
                                            "AND run_id = %(rid)s", cols=self.t.select),
                                     {"wf": workflow_name, "rid": run_id})
            row = await cur.fetchone()
            return None if row is None else _run(self.t.decode(row))

        for _ in range(10):
            result = await self.conn.once(go, applied)
            if not isinstance(result, _Missing):
                return result
        raise RuntimeError(f"could not update workflow run {workflow_name}/{run_id} under contention")
