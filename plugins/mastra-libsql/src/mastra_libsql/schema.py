"""Tables, columns and indexes, and the additive migration that brings any older schema forward.

Table and column names are the reference implementation's (``mastra_threads`` with ``"resourceId"``,
``"createdAt"``...), so one database file can be shared with it. Our additions are nullable columns
(``"expiresAt"`` for TTL, ``"structuredOutput"`` on scores) and indexes only. The tie-break sequence
of every ordering is SQLite's ``rowid``, which an ``INSERT .. ON CONFLICT DO UPDATE`` keeps.
"""
# ruff: noqa: S608  -- SQL text is built only from constant, validated and quoted identifiers; values are always bound parameters

from __future__ import annotations

from collections.abc import Sequence

import attrs
from mastra_core.clock import iso, utc_now

from .db import Database, quote

#: Bumped whenever this module adds columns or indexes; recorded per domain in mastra_schema_version.
SCHEMA_VERSION = 1
EXPIRES = "expiresAt"
VERSION_TABLE = "mastra_schema_version"


@attrs.define(frozen=True)
class Column:
    name: str
    type: str = "TEXT"
    not_null: bool = False
    json: bool = False


@attrs.define(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: str | None = None  # a fixed SQL predicate written here, never user input


@attrs.define(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()

    @property
    def json_columns(self) -> frozenset[str]:
        return frozenset(c.name for c in self.columns if c.json)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def create_sql(self) -> str:
        parts = []
        for c in self.columns:
            spec = f"{quote(c.name)} {c.type}"
            if c.not_null:
                spec += " NOT NULL"
            if self.primary_key == (c.name,):
                spec += " PRIMARY KEY"
            parts.append(spec)
        if len(self.primary_key) > 1:
            parts.append(f"PRIMARY KEY ({', '.join(quote(c) for c in self.primary_key)})")
        if self.unique:
            parts.append(f"UNIQUE ({', '.join(quote(c) for c in self.unique)})")
        return f"CREATE TABLE IF NOT EXISTS {quote(self.name)} ({', '.join(parts)})"


def _c(name: str, type: str = "TEXT", *, nn: bool = False, j: bool = False) -> Column:
    return Column(name, type, nn, j)


def _expiry_index(table: str) -> Index:
    return Index(f"{table}_expiresat_idx", (EXPIRES,), where=f'{quote(EXPIRES)} IS NOT NULL')


THREADS = Table(
    "mastra_threads",
    (_c("id", nn=True), _c("resourceId", nn=True), _c("title"), _c("metadata", j=True), _c("createdAt", nn=True),
     _c("updatedAt", nn=True), _c(EXPIRES)),
    primary_key=("id",),
    indexes=(
        Index("mastra_threads_resourceid_createdat_idx", ("resourceId", "createdAt")),
        Index("mastra_threads_resourceid_updatedat_idx", ("resourceId", "updatedAt")),
        Index("mastra_threads_createdat_idx", ("createdAt",)),
        Index("mastra_threads_updatedat_idx", ("updatedAt",)),
        _expiry_index("mastra_threads"),
    ),
)
MESSAGES = Table(
    "mastra_messages",
    (_c("id", nn=True), _c("thread_id", nn=True), _c("content", nn=True), _c("role", nn=True), _c("type", nn=True),
     _c("createdAt", nn=True), _c("resourceId"), _c(EXPIRES)),
    primary_key=("id",),
    indexes=(
        # (thread_id, createdAt) plus the implicit trailing rowid: pages and include windows are index range scans
        Index("mastra_messages_thread_id_createdat_idx", ("thread_id", "createdAt")),
        # expired-but-unpruned rows of a thread, subtracted from the maintained count (empty without TTL)
        Index("mastra_messages_thread_id_expiresat_idx", ("thread_id", EXPIRES), where=f'{quote(EXPIRES)} IS NOT NULL'),
        _expiry_index("mastra_messages"),
    ),
)
RESOURCES = Table(
    "mastra_resources",
    (_c("id", nn=True), _c("workingMemory"), _c("metadata", j=True), _c("createdAt", nn=True), _c("updatedAt", nn=True),
     _c(EXPIRES)),
    primary_key=("id",),
    indexes=(_expiry_index("mastra_resources"),),
)
WORKFLOWS = Table(
    "mastra_workflow_snapshot",
    (_c("workflow_name", nn=True), _c("run_id", nn=True), _c("resourceId"), _c("snapshot", nn=True, j=True),
     _c("createdAt", nn=True), _c("updatedAt", nn=True), _c(EXPIRES)),
    unique=("workflow_name", "run_id"),
    indexes=(
        Index("mastra_workflow_snapshot_workflow_name_run_id_idx", ("workflow_name", "run_id"), unique=True),
        Index("mastra_workflow_snapshot_workflow_name_createdat_idx", ("workflow_name", "createdAt")),
        Index("mastra_workflow_snapshot_resourceid_createdat_idx", ("resourceId", "createdAt")),
        Index("mastra_workflow_snapshot_createdat_idx", ("createdAt",)),
        Index("mastra_workflow_snapshot_run_id_idx", ("run_id", "createdAt")),
        _expiry_index("mastra_workflow_snapshot"),
    ),
)
SCORES = Table(
    "mastra_scorers",
    (_c("id", nn=True), _c("scorerId", nn=True), _c("traceId"), _c("spanId"), _c("runId", nn=True),
     _c("scorer", j=True), _c("preprocessStepResult", j=True), _c("extractStepResult", j=True),
     _c("analyzeStepResult", j=True), _c("score", "REAL", nn=True), _c("reason"), _c("metadata", j=True),
     _c("preprocessPrompt"), _c("extractPrompt"), _c("generateScorePrompt"), _c("generateReasonPrompt"),
     _c("analyzePrompt"), _c("reasonPrompt"), _c("input", j=True), _c("output", j=True),
     _c("additionalContext", j=True), _c("requestContext", j=True), _c("entityType"), _c("entity", j=True),
     _c("entityId"), _c("source"), _c("resourceId"), _c("threadId"), _c("createdAt", nn=True), _c("updatedAt"),
     _c("structuredOutput", "INTEGER"), _c(EXPIRES)),
    primary_key=("id",),
    indexes=(
        Index("mastra_scores_scorerid_createdat_idx", ("scorerId", "createdAt")),
        Index("mastra_scores_runid_createdat_idx", ("runId", "createdAt")),
        Index("mastra_scores_entityid_entitytype_createdat_idx", ("entityId", "entityType", "createdAt")),
        Index("mastra_scores_trace_id_span_id_created_at_idx", ("traceId", "spanId", "createdAt")),
        _expiry_index("mastra_scorers"),
    ),
)
SPANS = Table(
    "mastra_ai_spans",
    (_c("traceId", nn=True), _c("spanId", nn=True), _c("parentSpanId"), _c("name", nn=True), _c("scope", j=True),
     _c("spanType", nn=True), _c("attributes", j=True), _c("metadata", j=True), _c("links", j=True),
     _c("input", j=True), _c("output", j=True), _c("error", j=True), _c("isEvent", "INTEGER", nn=True),
     _c("startedAt", nn=True), _c("endedAt"), _c("createdAt", nn=True), _c("updatedAt"),
     _c("entityType"), _c("entityId"), _c("entityName"), _c("userId"), _c("organizationId"), _c("resourceId"),
     _c("runId"), _c("sessionId"), _c("threadId"), _c("requestId"), _c("environment"), _c("source"),
     _c("serviceName"), _c("tags", j=True), _c(EXPIRES)),
    unique=("spanId", "traceId"),
    indexes=(
        Index("mastra_ai_spans_spanid_traceid_idx", ("spanId", "traceId"), unique=True),
        Index("mastra_ai_spans_traceid_startedat_idx", ("traceId", "startedAt")),
        Index("mastra_ai_spans_root_startedat_idx", ("startedAt",), where='"parentSpanId" IS NULL'),
        Index("mastra_ai_spans_root_endedat_idx", ("endedAt",), where='"parentSpanId" IS NULL'),
        Index("mastra_ai_spans_entitytype_entityid_idx", ("entityType", "entityId")),
        _expiry_index("mastra_ai_spans"),
    ),
)
AGENTS = Table(
    "mastra_agents",
    (_c("id", nn=True), _c("name", nn=True), _c("description"), _c("instructions", nn=True), _c("model", nn=True, j=True),
     _c("tools", j=True), _c("defaultOptions", j=True), _c("workflows", j=True), _c("agents", j=True),
     _c("inputProcessors", j=True), _c("outputProcessors", j=True), _c("memory"), _c("scorers", j=True),
     _c("metadata", j=True), _c("createdAt", nn=True), _c("updatedAt", nn=True)),
    primary_key=("id",),
    indexes=(Index("mastra_agents_createdat_idx", ("createdAt",)), Index("mastra_agents_updatedat_idx", ("updatedAt",))),
)
EVALS = Table(
    "mastra_evals",
    (_c("input", nn=True), _c("output", nn=True), _c("result", nn=True, j=True), _c("agent_name", nn=True),
     _c("metric_name", nn=True), _c("instructions", nn=True), _c("test_info", j=True), _c("global_run_id", nn=True),
     _c("run_id", nn=True), _c("created_at", nn=True), _c(EXPIRES)),
    indexes=(Index("mastra_evals_agent_name_created_at_idx", ("agent_name", "created_at")),
             Index("mastra_evals_created_at_idx", ("created_at",)), _expiry_index("mastra_evals")),
)
TRACES = Table(
    "mastra_traces",
    (_c("id", nn=True), _c("parentSpanId"), _c("name", nn=True), _c("traceId", nn=True), _c("scope", nn=True),
     _c("kind", "INTEGER", nn=True), _c("attributes", j=True), _c("status", j=True), _c("events", j=True),
     _c("links", j=True), _c("other", j=True), _c("startTime", "INTEGER", nn=True), _c("endTime", "INTEGER", nn=True),
     _c("createdAt", nn=True), _c(EXPIRES)),
    primary_key=("id",),
    indexes=(Index("mastra_traces_createdat_idx", ("createdAt",)), Index("mastra_traces_name_idx", ("name",)),
             _expiry_index("mastra_traces")),
)

#: Messages per thread, maintained by triggers on mastra_messages (so writers that do not know about it,
#: like the reference implementation on a shared file, keep it right too). It makes a page's total
#: O(1) instead of a count over the whole thread.
COUNTS = "mastra_message_counts"
_COUNT_TRIGGERS = {
    "mastra_messages_count_insert": (
        "AFTER INSERT ON mastra_messages BEGIN "
        f"INSERT INTO {COUNTS} (thread_id, n) VALUES (NEW.thread_id, 1) ON CONFLICT(thread_id) DO UPDATE SET n = n + 1; END"
    ),
    "mastra_messages_count_delete": (
        f"AFTER DELETE ON mastra_messages BEGIN UPDATE {COUNTS} SET n = n - 1 WHERE thread_id = OLD.thread_id; END"
    ),
    "mastra_messages_count_move": (
        "AFTER UPDATE OF thread_id ON mastra_messages WHEN OLD.thread_id IS NOT NEW.thread_id BEGIN "
        f"UPDATE {COUNTS} SET n = n - 1 WHERE thread_id = OLD.thread_id; "
        f"INSERT INTO {COUNTS} (thread_id, n) VALUES (NEW.thread_id, 1) ON CONFLICT(thread_id) DO UPDATE SET n = n + 1; END"
    ),
}


def _ensure_counts(db: Database) -> None:
    """Create the count table and its triggers if any piece is missing, rebuilding the counts from the rows."""
    wanted = [db.name(n) for n in (COUNTS, *_COUNT_TRIGGERS)]
    have = {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table') AND name IN (?, ?, ?, ?)",
                                 wanted)}
    if have == set(wanted):
        return
    db.execute(f"CREATE TABLE IF NOT EXISTS {COUNTS} (thread_id TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL)")
    for name in _COUNT_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
    db.execute(f"DELETE FROM {COUNTS}")
    db.execute(f"INSERT INTO {COUNTS} (thread_id, n) SELECT thread_id, count(*) FROM mastra_messages GROUP BY thread_id")
    for name, body in _COUNT_TRIGGERS.items():
        db.execute(f"CREATE TRIGGER {quote(name)} {body}")


DOMAIN_TABLES: dict[str, tuple[Table, ...]] = {
    "memory": (THREADS, MESSAGES, RESOURCES),
    "workflows": (WORKFLOWS,),
    "scores": (SCORES,),
    "observability": (SPANS,),
    "agents": (AGENTS,),
    "evals": (EVALS,),
    "traces": (TRACES,),
}


class MigrationRequired(Exception):
    """Existing rows violate a uniqueness the current schema needs (e.g. duplicate spans)."""


def ensure(db: Database, component: str, tables: Sequence[Table]) -> None:
    """Create or bring forward ``tables`` (inside the caller's write transaction); record the version.

    Additive and idempotent: missing tables are created, missing columns added as nullable, missing
    indexes created. It never drops or rewrites data. Run under BEGIN IMMEDIATE, so two processes
    initialising one file at once serialise instead of racing on ALTER TABLE.
    """
    db.execute(f"CREATE TABLE IF NOT EXISTS {quote(VERSION_TABLE)} (component TEXT NOT NULL PRIMARY KEY, "
               "version INTEGER NOT NULL, \"updatedAt\" TEXT NOT NULL)")
    row = db.one(f"SELECT version FROM {quote(VERSION_TABLE)} WHERE component = ?", (component,))
    if row is not None and int(row[0]) >= SCHEMA_VERSION and _complete(db, tables):
        return
    _migrate(db, tables)
    if MESSAGES in tables:
        _ensure_counts(db)
    db.execute(
        f"INSERT INTO {quote(VERSION_TABLE)} (component, version, \"updatedAt\") VALUES (?, ?, ?) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version, \"updatedAt\" = excluded.\"updatedAt\"",
        (component, SCHEMA_VERSION, iso(utc_now())),
    )


def _migrate(db: Database, tables: Sequence[Table]) -> None:
    for table in tables:
        db.execute(table.create_sql())
        present = {r[0] for r in db.all("SELECT name FROM pragma_table_info(?)", (db.name(table.name),))}
        for col in table.columns:
            if col.name not in present:
                db.execute(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(col.name)} {col.type}")
        existing = {r[0] for r in db.all("SELECT name FROM pragma_index_list(?)", (db.name(table.name),))}
        for idx in table.indexes:
            if db.name(idx.name) in existing:
                continue
            if idx.unique and _has_unique(db, table.name, idx.columns):
                continue  # the table constraint already enforces it
            cols = ", ".join(quote(c) for c in idx.columns)
            sql = f"CREATE {'UNIQUE ' if idx.unique else ''}INDEX IF NOT EXISTS {quote(idx.name)} ON {quote(table.name)} ({cols})"
            if idx.where:
                sql += f" WHERE {idx.where}"
            try:
                db.execute(sql)
            except Exception as exc:
                if idx.unique and "UNIQUE" in str(exc).upper():
                    raise MigrationRequired(
                        f"{table.name} holds duplicate ({', '.join(idx.columns)}) rows; remove the duplicates, then init again"
                    ) from exc
                raise


def _complete(db: Database, tables: Sequence[Table]) -> bool:
    """Whether every table, column and index is present (one query): the fast path of a repeated init."""
    names = [db.name(t.name) for t in tables]
    marks = ", ".join("?" for _ in names)
    cols = db.all(f"SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                  f"WHERE m.type = 'table' AND m.name IN ({marks})", names)
    have_cols = {(t, c) for t, c in cols}
    idx = {r[0] for r in db.all(f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})", names)}
    if MESSAGES in tables:
        objects = {r[0] for r in db.all("SELECT name FROM sqlite_master WHERE name IN (?, ?, ?, ?)",
                                        [db.name(n) for n in (COUNTS, *_COUNT_TRIGGERS)])}
        if len(objects) != 1 + len(_COUNT_TRIGGERS):
            return False
    for t in tables:
        if any((db.name(t.name), c.name) not in have_cols for c in t.columns):
            return False
        if any(db.name(i.name) not in idx and not (i.unique and _has_unique(db, t.name, i.columns)) for i in t.indexes):
            return False
    return True


def _has_unique(db: Database, table: str, columns: tuple[str, ...]) -> bool:
    for name, unique in db.all('SELECT name, "unique" FROM pragma_index_list(?)', (db.name(table),)):
        if not unique:
            continue
        cols = [r[0] for r in db.all("SELECT name FROM pragma_index_info(?)", (name,))]
        if set(cols) == set(columns) and len(cols) == len(columns):
            return True
    return False
