"""Tables, additive migrations with a recorded schema version, and init under an advisory lock.

Table and column names are the reference implementation's (``mastra_threads``, ``"resourceId"``,
``"createdAt"`` plus its ``"createdAtZ"`` timestamptz twin...), so one database can be shared with it.
Our additions are nullable or defaulted columns, indexes, and three small tables of our own:

- ``seq`` (bigint, default ``nextval(mastra_seq)``) on every table: the insertion sequence that breaks
  ``createdAt`` ties (DESIGN.md section 4); upserts never change it;
- ``"expiresAt"`` (timestamptz) on every table: TTL (reads hide expired rows, ``prune()`` deletes them);
- ``mastra_scorers."structuredOutput"`` (the reference drops the field on SQL stores);
- ``mastra_message_counts``: messages per thread, kept by statement triggers, so a page's ``total`` is
  O(1) instead of a count over the whole thread;
- ``mastra_schema_version``: the migrations applied.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from psycopg import errors as pg_errors
from psycopg import sql

from .indexes import create_index, create_statement, default_indexes

if TYPE_CHECKING:
    from .db import PgDb

SCHEMA_VERSION = 2

TABLES = {
    "threads": "mastra_threads",
    "messages": "mastra_messages",
    "resources": "mastra_resources",
    "workflows": "mastra_workflow_snapshot",
    "scorers": "mastra_scorers",
    "spans": "mastra_ai_spans",
    "agents": "mastra_agents",
    "evals": "mastra_evals",
    "traces": "mastra_traces",
    "counts": "mastra_message_counts",
    "versions": "mastra_schema_version",
}
#: Tables whose rows ``dangerously_clear_all`` and ``prune`` touch, per domain.
DOMAIN_TABLES = {
    "memory": ("mastra_threads", "mastra_messages", "mastra_resources"),
    "workflows": ("mastra_workflow_snapshot",),
    "scores": ("mastra_scorers",),
    "observability": ("mastra_ai_spans",),
    "agents": ("mastra_agents",),
    "evals": ("mastra_evals",),
    "traces": ("mastra_traces",),
}


def idents(schema: str) -> dict[str, sql.Composable]:
    """``{threads}``, ``{messages}``... as schema-qualified identifiers for ``sql.SQL.format``."""
    out: dict[str, sql.Composable] = {k: sql.Identifier(schema, v) for k, v in TABLES.items()}
    out["schema"] = sql.Identifier(schema)
    out["seqname"] = sql.Literal(sql.Identifier(schema, "mastra_seq").as_string(None))
    out["seq_ident"] = sql.Identifier(schema, "mastra_seq")
    return out


def render(template: str, schema: str, **extra: sql.Composable) -> str:
    """A statement template with ``{threads}``-style placeholders rendered for ``schema`` (cached by callers)."""
    return sql.SQL(template).format(**idents(schema), **extra).as_string(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- v1: the reference's tables

V1 = [
    "CREATE SEQUENCE IF NOT EXISTS {seq_ident}",
    """CREATE TABLE IF NOT EXISTS {threads} (
        id TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL, title TEXT, metadata JSONB,
        "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {messages} (
        id TEXT NOT NULL PRIMARY KEY, thread_id TEXT NOT NULL, content TEXT NOT NULL, role TEXT NOT NULL,
        type TEXT NOT NULL, "createdAt" TIMESTAMP NOT NULL, "resourceId" TEXT, "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {resources} (
        id TEXT NOT NULL PRIMARY KEY, "workingMemory" TEXT, metadata JSONB,
        "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {workflows} (
        workflow_name TEXT NOT NULL, run_id TEXT NOT NULL, "resourceId" TEXT, snapshot JSONB NOT NULL,
        "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {scorers} (
        id TEXT NOT NULL PRIMARY KEY, "scorerId" TEXT NOT NULL, "traceId" TEXT, "spanId" TEXT, "runId" TEXT NOT NULL,
        scorer JSONB NOT NULL, "preprocessStepResult" JSONB, "extractStepResult" JSONB, "analyzeStepResult" JSONB,
        score DOUBLE PRECISION NOT NULL, reason TEXT, metadata JSONB, "preprocessPrompt" TEXT, "extractPrompt" TEXT,
        "generateScorePrompt" TEXT, "generateReasonPrompt" TEXT, "analyzePrompt" TEXT, "reasonPrompt" TEXT,
        input JSONB NOT NULL, output JSONB NOT NULL, "additionalContext" JSONB, "requestContext" JSONB,
        "entityType" TEXT, entity JSONB, "entityId" TEXT, source TEXT NOT NULL, "resourceId" TEXT, "threadId" TEXT,
        "structuredOutput" BOOLEAN,
        "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {spans} (
        "traceId" TEXT NOT NULL, "spanId" TEXT NOT NULL, "parentSpanId" TEXT, name TEXT NOT NULL,
        "spanType" TEXT NOT NULL, "isEvent" BOOLEAN NOT NULL, "startedAt" TIMESTAMP NOT NULL, "endedAt" TIMESTAMP,
        "entityType" TEXT, "entityId" TEXT, "entityName" TEXT, "userId" TEXT, "organizationId" TEXT, "resourceId" TEXT,
        "runId" TEXT, "sessionId" TEXT, "threadId" TEXT, "requestId" TEXT, environment TEXT, source TEXT,
        "serviceName" TEXT, scope JSONB, metadata JSONB, tags JSONB, attributes JSONB, links JSONB, input JSONB,
        output JSONB, error JSONB, "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP,
        "startedAtZ" TIMESTAMPTZ DEFAULT NOW(), "endedAtZ" TIMESTAMPTZ, "createdAtZ" TIMESTAMPTZ DEFAULT NOW(),
        "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ,
        CONSTRAINT {spans_pk} PRIMARY KEY ("traceId", "spanId"))""",
    """CREATE TABLE IF NOT EXISTS {agents} (
        id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL, description TEXT, instructions TEXT NOT NULL,
        model JSONB NOT NULL, tools JSONB, "defaultOptions" JSONB, workflows JSONB, agents JSONB,
        "inputProcessors" JSONB, "outputProcessors" JSONB, memory TEXT, scorers JSONB, metadata JSONB,
        "createdAt" TIMESTAMP NOT NULL, "updatedAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), "updatedAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {evals} (
        input TEXT NOT NULL, output TEXT NOT NULL, result JSONB NOT NULL, agent_name TEXT NOT NULL,
        metric_name TEXT NOT NULL, instructions TEXT NOT NULL, test_info JSONB, global_run_id TEXT NOT NULL,
        run_id TEXT NOT NULL, created_at TIMESTAMP NOT NULL, "createdAt" TIMESTAMP, "created_atZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS {traces} (
        id TEXT NOT NULL PRIMARY KEY, "parentSpanId" TEXT, name TEXT NOT NULL, "traceId" TEXT NOT NULL,
        scope TEXT NOT NULL, kind INTEGER NOT NULL, attributes JSONB, status JSONB, events JSONB, links JSONB,
        other TEXT, "startTime" BIGINT NOT NULL, "endTime" BIGINT NOT NULL, "createdAt" TIMESTAMP NOT NULL,
        "createdAtZ" TIMESTAMPTZ DEFAULT NOW(), seq BIGINT DEFAULT nextval({seqname}::regclass), "expiresAt" TIMESTAMPTZ)""",
    # columns the reference added late
    'ALTER TABLE {messages} ADD COLUMN IF NOT EXISTS "resourceId" TEXT',
    'ALTER TABLE {workflows} ADD COLUMN IF NOT EXISTS "resourceId" TEXT',
    'ALTER TABLE {scorers} ADD COLUMN IF NOT EXISTS "spanId" TEXT',
    'ALTER TABLE {scorers} ADD COLUMN IF NOT EXISTS "requestContext" JSONB',
] + [
    # existing rows keep a NULL twin (reads fall back to the naive column); only new rows default to NOW()
    f'ALTER TABLE {{{t}}} ADD COLUMN IF NOT EXISTS "{c}Z" TIMESTAMPTZ'
    + ("" if c == "endedAt" else f', ALTER COLUMN "{c}Z" SET DEFAULT NOW()')
    for t, cols in {
        "threads": ("createdAt", "updatedAt"), "messages": ("createdAt",), "resources": ("createdAt", "updatedAt"),
        "workflows": ("createdAt", "updatedAt"), "scorers": ("createdAt", "updatedAt"),
        "spans": ("startedAt", "endedAt", "createdAt", "updatedAt"), "agents": ("createdAt", "updatedAt"),
        "traces": ("createdAt",),
    }.items() for c in cols
]



def _add_missing_columns(create: str) -> str | None:
    """``ALTER TABLE ... ADD COLUMN IF NOT EXISTS`` for every column of a CREATE TABLE, as nullable additions.

    An older schema (the reference's, at any version) gains whatever columns it lacks; existing ones
    are untouched.
    """
    m = re.match(r"\s*CREATE TABLE IF NOT EXISTS (\{\w+\}) \((.*)\)\s*$", create, re.S)
    if m is None:
        return None
    adds = []
    for part in re.split(r",(?![^(]*\))", m[2]):
        part = " ".join(part.split())
        if not part or part.startswith("CONSTRAINT"):
            continue
        part = re.sub(r" (NOT NULL|PRIMARY KEY|UNIQUE)", "", part)
        if re.match(r'^"\w+Z" ', part):
            part = part.replace(" DEFAULT NOW()", "")  # the twins are added (without a backfilling default) in V1
        adds.append(f"ADD COLUMN IF NOT EXISTS {part}")
    return f"ALTER TABLE {m[1]} " + ", ".join(adds)


# --------------------------------------------------------------------------- v2: ours (additive)

_DATA_TABLES = ("threads", "messages", "resources", "workflows", "scorers", "spans", "agents", "evals", "traces")

V2 = [
    *[a for a in (_add_missing_columns(c) for c in V1) if a],
    *[f"ALTER TABLE {{{t}}} ADD COLUMN IF NOT EXISTS seq BIGINT DEFAULT nextval({{seqname}}::regclass)" for t in _DATA_TABLES],
    *[f'ALTER TABLE {{{t}}} ADD COLUMN IF NOT EXISTS "expiresAt" TIMESTAMPTZ' for t in _DATA_TABLES],
    'ALTER TABLE {scorers} ADD COLUMN IF NOT EXISTS "structuredOutput" BOOLEAN',
    'ALTER TABLE {evals} ADD COLUMN IF NOT EXISTS "created_atZ" TIMESTAMPTZ DEFAULT NOW()',
    # our threads may have no title (the reference always writes one)
    "ALTER TABLE {threads} ALTER COLUMN title DROP NOT NULL",
    "CREATE TABLE IF NOT EXISTS {counts} (thread_id TEXT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)",
    # counts are exact from here on: nobody writes messages while we backfill and attach the triggers
    "LOCK TABLE {messages} IN SHARE ROW EXCLUSIVE MODE",
    "DELETE FROM {counts}",
    "INSERT INTO {counts} (thread_id, n) SELECT thread_id, count(*) FROM {messages} GROUP BY thread_id",
    """CREATE OR REPLACE FUNCTION {fn_ins}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      INSERT INTO {counts} AS c (thread_id, n)
        SELECT thread_id, count(*) FROM mastra_new_rows GROUP BY thread_id ORDER BY thread_id
      ON CONFLICT (thread_id) DO UPDATE SET n = c.n + EXCLUDED.n;
      RETURN NULL;
    END $f$""",
    """CREATE OR REPLACE FUNCTION {fn_del}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      UPDATE {counts} AS c SET n = c.n - d.k
        FROM (SELECT thread_id, count(*) AS k FROM mastra_old_rows GROUP BY thread_id ORDER BY thread_id) d
        WHERE c.thread_id = d.thread_id;
      DELETE FROM {counts} WHERE n <= 0 AND thread_id IN (SELECT thread_id FROM mastra_old_rows);
      RETURN NULL;
    END $f$""",
    """CREATE OR REPLACE FUNCTION {fn_upd}() RETURNS trigger LANGUAGE plpgsql AS $f$
    BEGIN
      INSERT INTO {counts} AS c (thread_id, n)
        SELECT thread_id, sum(d) FROM (
          SELECT thread_id, -1 AS d FROM mastra_old_rows UNION ALL SELECT thread_id, 1 FROM mastra_new_rows) x
        GROUP BY thread_id HAVING sum(d) <> 0 ORDER BY thread_id
      ON CONFLICT (thread_id) DO UPDATE SET n = c.n + EXCLUDED.n;
      DELETE FROM {counts} WHERE n <= 0 AND thread_id IN (SELECT thread_id FROM mastra_old_rows);
      RETURN NULL;
    END $f$""",
    "DROP TRIGGER IF EXISTS mastra_messages_count_ins ON {messages}",
    "DROP TRIGGER IF EXISTS mastra_messages_count_del ON {messages}",
    "DROP TRIGGER IF EXISTS mastra_messages_count_upd ON {messages}",
    """CREATE TRIGGER mastra_messages_count_ins AFTER INSERT ON {messages}
       REFERENCING NEW TABLE AS mastra_new_rows FOR EACH STATEMENT EXECUTE FUNCTION {fn_ins}()""",
    """CREATE TRIGGER mastra_messages_count_del AFTER DELETE ON {messages}
       REFERENCING OLD TABLE AS mastra_old_rows FOR EACH STATEMENT EXECUTE FUNCTION {fn_del}()""",
    """CREATE TRIGGER mastra_messages_count_upd AFTER UPDATE ON {messages}
       REFERENCING OLD TABLE AS mastra_old_rows NEW TABLE AS mastra_new_rows FOR EACH STATEMENT EXECUTE FUNCTION {fn_upd}()""",
]


def _extra(schema: str) -> dict[str, sql.Composable]:
    prefix = f"{schema}_"
    return {
        "spans_pk": sql.Identifier(f"{prefix}mastra_ai_spans_traceid_spanid_pk"[:63]),
        "fn_ins": sql.Identifier(schema, "mastra_messages_count_ins"),
        "fn_del": sql.Identifier(schema, "mastra_messages_count_del"),
        "fn_upd": sql.Identifier(schema, "mastra_messages_count_upd"),
    }


async def _one(conn: Any, query: Any, params: Any = ()) -> Any:
    cur = await conn.execute(query, params)
    row = await cur.fetchone()
    return None if row is None else row[0]


async def recorded_version(conn: Any, schema: str) -> int:
    exists = await _one(conn, "SELECT to_regclass(%s) IS NOT NULL", (sql.Identifier(schema, TABLES["versions"]).as_string(None),))
    if not exists:
        return 0
    return int(await _one(conn, render("SELECT COALESCE(max(version), 0) FROM {versions}", schema)) or 0)


async def migrate(db: PgDb) -> None:
    """Create the schema if missing and bring it to :data:`SCHEMA_VERSION`, under an advisory lock.

    Several processes may call this at once: the lock (keyed by schema name) serialises them and
    the later ones find the recorded version current and do nothing.
    """
    from mastra_core.errors import ConfigError, ErrorCategory, StorageError

    schema = db.schema
    extra = _extra(schema)

    async def go(conn: Any) -> None:
        await conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"mastra_pg:{schema}",))
        try:
            if not await _one(conn, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", (schema,)):
                try:
                    await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                except pg_errors.InsufficientPrivilege:
                    user = await _one(conn, "SELECT current_user")
                    dbname = await _one(conn, "SELECT current_database()")
                    raise ConfigError(
                        f"schema {schema!r} does not exist and user {user!r} may not create it in database {dbname!r}: "
                        f"ask an administrator to run CREATE SCHEMA \"{schema}\" AUTHORIZATION \"{user}\" "
                        f"(or GRANT CREATE ON DATABASE \"{dbname}\" TO \"{user}\")",
                        id="MASTRA_STORAGE_PG_CREATE_SCHEMA_PERMISSION_DENIED",
                        details={"schema": schema},
                    ) from None
            version = await recorded_version(conn, schema)
            wanted = [] if db.config.skip_default_indexes else default_indexes(schema)
            if version < SCHEMA_VERSION:
                async with conn.transaction():
                    async with conn.pipeline():
                        for stmt in V1:
                            await conn.execute(render(stmt, schema, **extra))
                    await _workflow_unique(conn, schema)
                    await _spans_primary_key(conn, schema, extra["spans_pk"], StorageError, ErrorCategory)
                    async with conn.pipeline():
                        for stmt in V2:
                            await conn.execute(render(stmt, schema, **extra))
                        await conn.execute(render(
                            "CREATE TABLE IF NOT EXISTS {versions} (version INTEGER PRIMARY KEY, "
                            "applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), description TEXT)", schema))
                        await conn.execute(render(
                            "INSERT INTO {versions} (version, description) VALUES (1, 'reference tables'), "
                            "(2, 'seq, expiresAt, structuredOutput, message counts') ON CONFLICT (version) DO NOTHING", schema))
                        for spec in wanted:  # new or migrated tables: build the defaults inside the migration
                            await conn.execute(create_statement(spec, schema, concurrent=False))
            existing = await _index_names(conn, schema)
            for spec in [*wanted, *db.config.indexes]:
                if spec.name not in existing or existing[spec.name] is False:
                    await create_index(conn, spec, schema)
        finally:
            if not conn.broken:
                await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"mastra_pg:{schema}",))

    await db.with_conn(go, idempotent=True)


async def _workflow_unique(conn: Any, schema: str) -> None:
    name = f"{schema}_mastra_workflow_snapshot_workflow_name_run_id_key"[:63]
    found = await _one(conn, (
        "SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s AND c.conname = %s) OR EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s)"
    ), (schema, name, schema, name))
    if not found:
        await conn.execute(render("ALTER TABLE {workflows} ADD CONSTRAINT {name} UNIQUE (workflow_name, run_id)", schema,
                                  name=sql.Identifier(name)))


async def _spans_primary_key(conn: Any, schema: str, pk: sql.Composable, storage_error: Any, category: Any) -> None:
    has_pk = await _one(conn, "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')",
                        (sql.Identifier(schema, TABLES["spans"]).as_string(None),))
    if has_pk:
        return
    dupes = await _one(conn, render(
        'SELECT count(*) FROM (SELECT 1 FROM {spans} GROUP BY "traceId", "spanId" HAVING count(*) > 1) d', schema))
    if dupes:
        raise storage_error(
            f"mastra_ai_spans in schema {schema!r} has {dupes} duplicate (traceId, spanId) pairs; remove them "
            "(keep one row per pair) before the primary key can be added",
            id="MASTRA_STORAGE_PG_MIGRATION_REQUIRED_DUPLICATE_SPANS", category=category.USER, details={"duplicates": int(dupes)},
        )
    await conn.execute(render('ALTER TABLE {spans} ADD CONSTRAINT {pk} PRIMARY KEY ("traceId", "spanId")', schema, pk=pk))


async def _index_names(conn: Any, schema: str) -> dict[str, bool]:
    """Index name -> valid, for the schema."""
    cur = await conn.execute(
        "SELECT c.relname, ix.indisvalid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_index ix ON ix.indexrelid = c.oid WHERE n.nspname = %s", (schema,))
    return {name: bool(valid) for name, valid in await cur.fetchall()}
