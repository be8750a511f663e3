"""Tables, columns and indexes, and the additive migration that brings any older schema forward.

The tables are core's reference schema (:mod:`mastra_core.backend.reference_schema`: ``mastra_threads``
with ``"resourceId"``, ``"createdAt"``...), so one database file can be shared with the reference. What
is libSQL's own is data here: three extra indexes, the per-thread message count table and its triggers.
Our additions are nullable columns (``"expiresAt"`` for TTL, ``"structuredOutput"`` on scores) and indexes
only. The tie-break sequence of every ordering is SQLite's ``rowid``, which an ``INSERT .. ON CONFLICT DO UPDATE``
keeps.
"""
# ruff: noqa: S608  -- SQL text holds only constant, validated, quoted identifiers; values are bound parameters

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from mastra_core.backend import reference_schema as ref
from mastra_core.backend.reference_schema import Column, Index, Table
from mastra_core.clock import iso, utc_now

from .connection import LibSQLConnection, quote

#: Bumped whenever this module adds columns or indexes (or retires one); recorded per domain in mastra_schema_version.
SCHEMA_VERSION = 4
#: The TTL column of every table that expires (our addition to the reference's tables).
EXPIRES = ref.EXPIRES_AT
VERSION_TABLE = ref.SCHEMA_VERSION_TABLE


#: The SQL type of each logical column kind (timestamps are ISO-8601 text, JSON is text, booleans 0/1).
SQL_TYPES: dict[str, str] = {"text": "TEXT", "json": "TEXT", "timestamp": "TEXT", "float": "REAL", "integer": "INTEGER",
                             "boolean": "INTEGER"}


def sql_type(column: Column) -> str:
    """The SQLite type a column is declared with."""
    return SQL_TYPES[column.kind]


def create_sql(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for ``table`` (logical names: the connection adds the table prefix)."""
    parts = []
    for c in table.columns:
        spec = f"{quote(c.name)} {sql_type(c)}"
        if c.not_null:
            spec += " NOT NULL"
        if table.primary_key == (c.name,):
            spec += " PRIMARY KEY"
        parts.append(spec)
    if len(table.primary_key) > 1:
        parts.append(f"PRIMARY KEY ({', '.join(quote(c) for c in table.primary_key)})")
    if table.unique:
        parts.append(f"UNIQUE ({', '.join(quote(c) for c in table.unique)})")
    return f"CREATE TABLE IF NOT EXISTS {quote(table.name)} ({', '.join(parts)})"


def index_sql(table: Table, index: Index) -> str:
    """``CREATE [UNIQUE] INDEX IF NOT EXISTS`` for one index of ``table`` (a partial one with its fixed predicate)."""
    cols = ", ".join(quote(c) for c in index.columns)
    unique = "UNIQUE " if index.unique else ""
    sql = f"CREATE {unique}INDEX IF NOT EXISTS {quote(index.name)} ON {quote(table.name)} ({cols})"
    if index.where is not None:
        column, predicate = index.where
        sql += f" WHERE {quote(column)} {predicate}"
    return sql


def _with_index(table: Table, after: str, extra: Index) -> Table:
    """``table`` with ``extra`` placed right after its index ``after``."""
    indexes: list[Index] = []
    for idx in table.indexes:
        indexes.append(idx)
        if idx.name == after:
            indexes.append(extra)
    assert extra in indexes, f"{table.name} has no index {after}"
    return attrs.evolve(table, indexes=tuple(indexes))


#: Indexes earlier versions made and a later one drops, by table: each is a B-tree insert (and a WAL page) for every
#: new row. Version 3, threads by updatedAt: every re-save also rewrote two entries in them (an UPDATE without them
#: costs ~40 us on a file instead of ~70, a new thread's INSERT ~50 instead of ~80); a listing by updatedAt finds a
#: resource's threads by (resourceId, createdAt) and sorts them, as pg does with the reference's one thread index.
#: Version 4: threads by createdAt alone (only a listing of every thread used it, and its total already reads the
#: whole table for the expiry; it now sorts the page there too); runs by resourceId for every row (replaced by a
#: partial index: a run without a resource, the usual case, writes no entry), runs by run_id and by createdAt alone
#: (a lookup or listing without a workflow name walks the names and reads each one's (workflow_name, createdAt)
#: range or probes its (workflow_name, run_id); a listing of all runs sorts its matches, which its total read).
RETIRED_INDEXES: dict[str, tuple[str, ...]] = {
    ref.THREADS.name: ("mastra_threads_resourceid_updatedat_idx", "mastra_threads_updatedat_idx",
                       "mastra_threads_createdat_idx"),
    ref.WORKFLOW_SNAPSHOTS.name: ("mastra_workflow_snapshot_resourceid_createdat_idx",
                                  "mastra_workflow_snapshot_run_id_idx", "mastra_workflow_snapshot_createdat_idx"),
}


def _retired(table: Table) -> Table:
    """``table`` without the indexes :data:`RETIRED_INDEXES` lists for it."""
    gone = RETIRED_INDEXES.get(table.name, ())
    return attrs.evolve(table, indexes=tuple(i for i in table.indexes if i.name not in gone))


#: libSQL-only indexes, beside the reference's (the reference tables stay as they are); less the retired ones.
THREADS = _retired(ref.THREADS)
RESOURCES, SCORES, AGENTS, EVALS, TRACES = ref.RESOURCES, ref.SCORES, ref.AGENTS, ref.EVALS, ref.TRACES
MESSAGES = _with_index(
    ref.MESSAGES, "mastra_messages_thread_id_createdat_idx",
    # expired-but-unpruned rows of a thread, subtracted from the maintained count (empty without TTL)
    Index("mastra_messages_thread_id_expiresat_idx", ("thread_id", EXPIRES), where=(EXPIRES, "IS NOT NULL")),
)
#: Runs of a resource: only rows with one are indexed (a query's ``"resourceId" = ?`` implies the predicate).
WORKFLOWS = _with_index(_retired(ref.WORKFLOW_SNAPSHOTS), "mastra_workflow_snapshot_workflow_name_createdat_idx",
                        Index("mastra_workflow_snapshot_resourceid_createdat_partial_idx", ("resourceId", "createdAt"),
                              where=("resourceId", "IS NOT NULL")))
SPANS = _with_index(ref.SPANS, "mastra_ai_spans_root_startedat_idx",
                    Index("mastra_ai_spans_root_endedat_idx", ("endedAt",), where=("parentSpanId", "IS NULL")))

#: Messages per thread, maintained by triggers on mastra_messages (so writers that do not know about it,
#: like the reference implementation on a shared file, keep it right too). It makes a page's total
#: O(1) instead of a count over the whole thread.
COUNTS = "mastra_message_counts"
_COUNT_UP = (f"INSERT INTO {COUNTS} (thread_id, n) VALUES (NEW.thread_id, 1) "
             "ON CONFLICT(thread_id) DO UPDATE SET n = n + 1;")
_COUNT_TRIGGERS = {
    "mastra_messages_count_insert": (
        "AFTER INSERT ON mastra_messages BEGIN "
        f"{_COUNT_UP} END"
    ),
    "mastra_messages_count_delete": (
        f"AFTER DELETE ON mastra_messages BEGIN UPDATE {COUNTS} SET n = n - 1 WHERE thread_id = OLD.thread_id; END"
    ),
    "mastra_messages_count_move": (
        "AFTER UPDATE OF thread_id ON mastra_messages WHEN OLD.thread_id IS NOT NEW.thread_id BEGIN "
        f"UPDATE {COUNTS} SET n = n - 1 WHERE thread_id = OLD.thread_id; "
        f"{_COUNT_UP} END"
    ),
}


def _ensure_counts(db: LibSQLConnection) -> None:
    """Create the count table and its triggers if any piece is missing, rebuilding the counts from the rows."""
    wanted = [db.name(n) for n in (COUNTS, *_COUNT_TRIGGERS)]
    have = {r[0] for r in db.all(
        "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'table') AND name IN (?, ?, ?, ?)", wanted)}
    if have == set(wanted):
        return
    db.execute(f"CREATE TABLE IF NOT EXISTS {COUNTS} (thread_id TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL)")
    for name in _COUNT_TRIGGERS:
        db.execute(f"DROP TRIGGER IF EXISTS {quote(name)}")
    db.execute(f"DELETE FROM {COUNTS}")
    db.execute(f"INSERT INTO {COUNTS} (thread_id, n) "
               "SELECT thread_id, count(*) FROM mastra_messages GROUP BY thread_id")
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


def ensure(db: LibSQLConnection, component: str, tables: Sequence[Table]) -> None:
    """Create or bring forward ``tables`` (inside the caller's write transaction); record the version.

    Additive and idempotent: missing tables are created, missing columns added as nullable, missing
    indexes created, retired indexes (:data:`RETIRED_INDEXES`) dropped. It never drops or rewrites data.
    Run under BEGIN IMMEDIATE, so two processes initialising one file at once serialise instead of racing on
    ALTER TABLE.
    """
    db.execute(f"CREATE TABLE IF NOT EXISTS {quote(VERSION_TABLE)} (component TEXT NOT NULL PRIMARY KEY, "
               "version INTEGER NOT NULL, \"updatedAt\" TEXT NOT NULL)")
    row = db.one(f"SELECT version FROM {quote(VERSION_TABLE)} WHERE component = ?", (component,))
    if row is not None and int(row[0]) >= SCHEMA_VERSION and _complete(db, tables):
        return
    _migrate(db, tables)
    for table in tables:
        for name in RETIRED_INDEXES.get(table.name, ()):
            db.execute(f"DROP INDEX IF EXISTS {quote(name)}")
    if MESSAGES in tables:
        _ensure_counts(db)
    if AGENTS in tables:
        _agents_memory_json(db)
    db.execute(
        f"INSERT INTO {quote(VERSION_TABLE)} (component, version, \"updatedAt\") VALUES (?, ?, ?) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version, \"updatedAt\" = excluded.\"updatedAt\"",
        (component, SCHEMA_VERSION, iso(utc_now())),
    )


def _agents_memory_json(db: LibSQLConnection) -> None:
    """Version 2: ``mastra_agents.memory`` is a JSON column, as in the reference; versions before stored the bare
    text, which the reference's ``json(memory)`` refuses. Such values become their JSON text (a JSON string);
    JSONB blobs and JSON strings already there are left alone."""
    db.execute(f"UPDATE {quote(AGENTS.name)} SET memory = json_quote(memory) WHERE typeof(memory) = 'text' "
               "AND (json_valid(memory) = 0 OR json_type(memory) <> 'text')")


def _migrate(db: LibSQLConnection, tables: Sequence[Table]) -> None:
    for table in tables:
        db.execute(create_sql(table))
        present = {r[0] for r in db.all("SELECT name FROM pragma_table_info(?)", (db.name(table.name),))}
        for col in table.columns:
            if col.name not in present:
                db.execute(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(col.name)} {sql_type(col)}")
        existing = {r[0] for r in db.all("SELECT name FROM pragma_index_list(?)", (db.name(table.name),))}
        for idx in table.indexes:
            if db.name(idx.name) in existing:
                continue
            if idx.unique and _has_unique(db, table.name, idx.columns):
                continue  # the table constraint already enforces it
            try:
                db.execute(index_sql(table, idx))
            except Exception as exc:
                if idx.unique and "UNIQUE" in str(exc).upper():
                    raise MigrationRequired(
                        f"{table.name} holds duplicate ({', '.join(idx.columns)}) rows; "
                        "remove the duplicates, then init again"
                    ) from exc
                raise


def _complete(db: LibSQLConnection, tables: Sequence[Table]) -> bool:
    """Whether every table, column and index is present (one query): the fast path of a repeated init."""
    names = [db.name(t.name) for t in tables]
    marks = ", ".join("?" for _ in names)
    cols = db.all(f"SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                  f"WHERE m.type = 'table' AND m.name IN ({marks})", names)
    have_cols = {(t, c) for t, c in cols}
    idx = {r[0] for r in db.all(f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({marks})",
                                names)}
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


def _has_unique(db: LibSQLConnection, table: str, columns: tuple[str, ...]) -> bool:
    for name, unique in db.all('SELECT name, "unique" FROM pragma_index_list(?)', (db.name(table),)):
        if not unique:
            continue
        cols = [r[0] for r in db.all("SELECT name FROM pragma_index_info(?)", (name,))]
        if set(cols) == set(columns) and len(cols) == len(columns):
            return True
    return False


# ---------------------------------------------------------------------------- reading the state (no writes)

def _exists(db: LibSQLConnection, kind: str, logical: str) -> bool:
    return db.one("SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?", (kind, db.name(logical))) is not None


def recorded_versions(db: LibSQLConnection) -> dict[str, int]:
    """The version recorded per component (domain); empty when none is recorded yet."""
    if not _exists(db, "table", VERSION_TABLE):
        return {}
    return {str(c): int(v) for c, v in db.all(f"SELECT component, version FROM {quote(VERSION_TABLE)}")}


def _by_constraint(table: Table, idx: Index) -> bool:
    """Whether the table's own key constraint already enforces a unique index (it is then not created)."""
    return idx.unique and set(idx.columns) in ({*table.unique}, {*table.primary_key})


def plan(db: LibSQLConnection, components: Mapping[str, Sequence[Table]]) -> list[str]:
    """The statements :func:`ensure` would run now for each component (``mastra migrate --dry-run``); reads only.

    Names are shown as the database holds them (with the table prefix); the message-count rebuild is a comment.
    """
    out: list[str] = []
    versions = recorded_versions(db)
    if not _exists(db, "table", VERSION_TABLE):
        out.append(f"CREATE TABLE IF NOT EXISTS {quote(VERSION_TABLE)} (component TEXT NOT NULL PRIMARY KEY, "
                   "version INTEGER NOT NULL, \"updatedAt\" TEXT NOT NULL)")
    for component, tables in components.items():
        steps: list[str] = []
        for table in tables:
            if not _exists(db, "table", table.name):
                steps.append(create_sql(table))
                steps += [index_sql(table, idx) for idx in table.indexes if not _by_constraint(table, idx)]
                continue
            present = {r[0] for r in db.all("SELECT name FROM pragma_table_info(?)", (db.name(table.name),))}
            steps += [f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(c.name)} {sql_type(c)}"
                      for c in table.columns if c.name not in present]
            existing = {r[0] for r in db.all("SELECT name FROM pragma_index_list(?)", (db.name(table.name),))}
            steps += [index_sql(table, idx) for idx in table.indexes
                      if db.name(idx.name) not in existing and not (idx.unique and _has_unique(db, table.name,
                                                                                              idx.columns))]
        counting = [("table", COUNTS), *(("trigger", t) for t in _COUNT_TRIGGERS)]
        if MESSAGES in tables and not all(_exists(db, kind, name) for kind, name in counting):
            steps.append(f"CREATE TABLE IF NOT EXISTS {COUNTS} (thread_id TEXT NOT NULL PRIMARY KEY, "
                         "n INTEGER NOT NULL)")
            steps.append(f"-- {COUNTS}: rebuilt from mastra_messages (DELETE, then INSERT ... SELECT count(*))")
            steps += [f"CREATE TRIGGER {quote(name)} {body}" for name, body in _COUNT_TRIGGERS.items()]
        steps += [f"DROP INDEX IF EXISTS {quote(name)}" for table in tables
                  for name in RETIRED_INDEXES.get(table.name, ()) if _exists(db, "index", name)]
        if AGENTS in tables and versions.get(component, 0) < 2 and _exists(db, "table", AGENTS.name):
            steps.append(f"UPDATE {quote(AGENTS.name)} SET memory = json_quote(memory) WHERE typeof(memory) = 'text' "
                         "AND (json_valid(memory) = 0 OR json_type(memory) <> 'text')")
        if steps or versions.get(component, 0) < SCHEMA_VERSION:
            steps.append(f"INSERT INTO {quote(VERSION_TABLE)} (component, version, \"updatedAt\") VALUES "
                         f"('{component}', {SCHEMA_VERSION}, now) ON CONFLICT(component) DO UPDATE SET version = "
                         "excluded.version")
        out += steps
    return [db._prefixed(stmt) if db.prefix else stmt for stmt in out]
