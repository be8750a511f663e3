"""Workflow runs (``mastra_workflow_snapshot``) on libSQL."""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mastra_core import records as r
from mastra_core.backend import SeenKeys
from mastra_core.domains.workflows import WorkflowsStore
from mastra_core.pagination import Page
from mastra_core.records.queries import WorkflowRunQuery

from ..codec import Codec
from ..connection import LibSQLConnection, quote
from ..isotext import iso
from ..schema import DOMAIN_TABLES, EXPIRES, WORKFLOWS
from .shared import LIVE, LibSQLDomain, fetch_page, keep_created_sql, now_text

_E = quote(EXPIRES)


RUN = Codec(WORKFLOWS, r.WorkflowRun, {"workflowName": "workflow_name", "runId": "run_id"})
_W = quote(WORKFLOWS.name)
assert RUN.insert_columns.split(", ")[2:] == ['"snapshot"', '"resourceId"', '"createdAt"', '"updatedAt"', f"{_E}"], \
    "_UPDATE_LIVE_RUN's and _modify_run's parameters follow RUN's column order"
#: A run persisted over a live row of the same resource, in RUN's column order (?1 name, ?2 run id, ?3 snapshot,
#: ?4 resourceId, ?5 updatedAt, ?6 expiry), ?7 now; changes 0 (then the upsert) for any other row. The resource is
#: matched, not set: naming an indexed column in SET makes SQLite rewrite its index entry even when the value is the
#: same, and the (resourceId, createdAt) entry of a run with a resource measured 46-50 us of a 19-20 us UPDATE.
_UPDATE_LIVE_RUN = (f'UPDATE {_W} SET snapshot = ?3, "updatedAt" = ?5, {_E} = ?6 WHERE workflow_name = ?1 '
                    f'AND run_id = ?2 AND "resourceId" IS ?4 AND ({_E} IS NULL OR {_E} > ?7)')
#: A live run changed in place, its resource and createdAt kept (see _UPDATE_LIVE_RUN): ?1 snapshot, ?2 updatedAt,
#: ?3 expiry, ?4 name, ?5 run id.
_REWRITE_RUN = f'UPDATE {_W} SET snapshot = ?1, "updatedAt" = ?2, {_E} = ?3 WHERE workflow_name = ?4 AND run_id = ?5'
#: A run where none exists (changes 0: one exists, live or expired, and the upsert follows).
_INSERT_NEW_RUN = f"INSERT INTO {_W} ({RUN.insert_columns}) VALUES {RUN.placeholders} ON CONFLICT DO NOTHING"

#: The distinct workflow names, walked through an index led by workflow_name (one seek each to the next name):
#: runs are indexed by (workflow_name, createdAt) but neither by run_id nor by createdAt alone (an index entry and
#: a WAL page per new run each), so a lookup or listing without a name visits each name's index range instead. Its
#: cost grows with the number of workflow names (the workflows in code), not with the runs outside the range.
_NAMES = (f"WITH RECURSIVE names(n) AS (SELECT (SELECT min(workflow_name) FROM {_W}) "
          f"UNION ALL SELECT (SELECT min(workflow_name) FROM {_W} WHERE workflow_name > n) "
          "FROM names WHERE n IS NOT NULL) ")
#: What a lookup or listing without a name selects from; CROSS JOIN keeps the names the outer loop (SQLite could
#: otherwise scan every run and look its name up).
_BY_NAME = f"names CROSS JOIN {_W} ON workflow_name = n"
#: The latest live run with id ?1 under any workflow name (?2 now): one probe of the unique (workflow_name, run_id)
#: per name.
_BY_RUN_ID = (f"{_NAMES}SELECT {RUN.select_list()} FROM {_BY_NAME} AND run_id = ?1 "
              f"WHERE ({_E} IS NULL OR {_E} > ?2) ORDER BY \"createdAt\" DESC, {_W}.rowid DESC LIMIT 1")

class LibSQLWorkflows(WorkflowsStore, LibSQLDomain):
    """``mastra_workflow_snapshot``; UNIQUE(workflow_name, run_id); every update of a run is one transaction."""

    tables = DOMAIN_TABLES["workflows"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As every domain store; plus the runs this store saw live (which statement a persist tries first)."""
        super().__init__(*args, **kwargs)
        self._seen: SeenKeys[tuple[str, str], None] = SeenKeys()

    def _upsert(self, db: LibSQLConnection, run: r.WorkflowRun, now: str, keep_created: bool,
                values: list[Any] | None = None) -> None:
        created = keep_created_sql(_W) if keep_created else 'excluded."createdAt"'
        if values is None:
            values = RUN.encode(run, self.expires_at("workflow_snapshot"))
        db.execute(
            f"INSERT INTO {_W} ({RUN.insert_columns}) VALUES {RUN.placeholders} "
            "ON CONFLICT(workflow_name, run_id) DO UPDATE SET "
            '"resourceId" = excluded."resourceId", snapshot = excluded.snapshot, '
            f'"createdAt" = {created}, "updatedAt" = excluded."updatedAt", {_E} = excluded.{_E}',
            (*values, *((now,) if keep_created else ())),
        )

    async def _persist(self, run: r.WorkflowRun) -> None:
        # on a file without BEGIN/COMMIT (each statement is atomic) and without a thread hop
        if self.conn.target.remote:  # one request: the upsert with the operation token
            await self.conn.write(lambda db: self._upsert(db, run, now_text(), True), inline=True, batch=True)
            return
        key = (run.workflow_name, run.run_id)
        seen = key in self._seen
        await self.conn.write(lambda db: self._persist_file(db, run, seen), inline=True, single=True)
        self._seen.put(key)

    def _persist_file(self, db: LibSQLConnection, run: r.WorkflowRun, seen: bool) -> None:
        """A run this store saw live is updated in place (keeping createdAt and rowid); a run not seen, probably a new
        one, is inserted plainly; if that statement finds no row to change, the upsert, which is right for any row.
        Why not always the upsert: SQLite prepares every statement afresh, and the upsert's conflict code costs
        twice the UPDATE and half again the plain INSERT (a new run's INSERT ~106k instructions, the upsert ~159k;
        ``bench/libsql_callgrind.py``); a run this store did not see but another wrote takes two statements."""
        now = now_text()
        values = RUN.encode(run, self.expires_at("workflow_snapshot"))
        if seen:
            if db.changes(_UPDATE_LIVE_RUN, (*values[:4], *values[5:], now)) == 1:
                return
        elif db.changes(_INSERT_NEW_RUN, values) == 1:
            return
        self._upsert(db, run, now, True, values)

    @staticmethod
    def _row(db: LibSQLConnection, workflow_name: str | None, run_id: str, now: str) -> r.WorkflowRun | None:
        if workflow_name is None:
            row = db.one(_BY_RUN_ID, (run_id, now))
        else:
            row = db.one(f"SELECT {RUN.select_list()} FROM {_W} WHERE workflow_name = ? AND run_id = ? AND {LIVE}",
                         (workflow_name, run_id, now))
        return None if row is None else RUN.decode(row)

    async def _get_run(self, workflow_name: str | None, run_id: str) -> r.WorkflowRun | None:
        now = now_text()
        run = await self.conn.read(lambda db: self._row(db, workflow_name, run_id, now), inline=True)
        if run is not None:
            self._seen.put((run.workflow_name, run.run_id))
        return run

    async def _list_runs(self, q: WorkflowRunQuery) -> Page[r.WorkflowRun]:
        where, params = [LIVE], [now_text()]
        for col, value in (("workflow_name", q.workflow_name), ('"resourceId"', q.resource_id)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        if q.status is not None:
            where.append("json_extract(snapshot, '$.status') = ?")
            params.append(q.status)
        if q.from_date is not None:
            where.append('"createdAt" >= ?')
            params.append(iso(q.from_date))
        if q.to_date is not None:
            where.append('"createdAt" <= ?')
            params.append(iso(q.to_date))
        if q.workflow_name is not None or q.resource_id is not None:  # an index led by the filter, in page order
            return await fetch_page(self.conn, RUN, where, params, '"createdAt" DESC, rowid DESC', q.page,
                                    q.per_page)
        # each name's range of (workflow_name, createdAt), the matches sorted: the page's rows and the total read
        # the same matching rows (the total already read each for its expiry)
        return await fetch_page(self.conn, RUN, where, params, f'"createdAt" DESC, {_W}.rowid DESC', q.page,
                                q.per_page, (_NAMES, _BY_NAME))

    async def _delete_run(self, workflow_name: str, run_id: str) -> None:
        self._seen.drop((workflow_name, run_id))
        await self.conn.write(lambda db: db.execute(f"DELETE FROM {_W} WHERE workflow_name = ? AND run_id = ?",
                                                  (workflow_name, run_id)), inline=True, single=True,
                              batch=True)

    async def _modify_run(self, workflow_name: str, run_id: str,
                          change: Callable[[r.WorkflowRun | None], r.WorkflowRun | None]) -> r.WorkflowRun | None:
        def go(db: LibSQLConnection) -> r.WorkflowRun | None:
            now = now_text()
            old = self._row(db, workflow_name, run_id, now)
            new = change(old)
            if new is None:
                return None
            if old is not None and (new.workflow_name, new.run_id, new.resource_id, new.created_at) == (
                    old.workflow_name, old.run_id, old.resource_id, old.created_at):
                values = RUN.encode(new, self.expires_at("workflow_snapshot"))
                db.execute(_REWRITE_RUN, (values[2], values[5], values[6], workflow_name, run_id))
            else:
                self._upsert(db, new, now, False)
            return new

        return await self.conn.write(go, inline=True)
