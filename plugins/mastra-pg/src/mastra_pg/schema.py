"""Tables, additive migrations with a recorded schema version, init under an advisory lock, SQL templates.

The tables are built from ``mastra_core.backend.reference_schema`` (the reference's names, columns and
kinds), so one database can be shared with the reference implementation; the pg data below says how
kinds map onto PostgreSQL types and what this backend adds. Our additions are nullable or defaulted
columns, indexes, and three small tables of our own:

- ``"<column>Z"`` (timestamptz): a twin of every reference ``timestamp`` column, holding the instant;
- ``seq`` (bigint, default ``nextval(mastra_seq)``) on every table: the insertion sequence that breaks
  ``createdAt`` ties (DESIGN.md section 4); upserts never change it;
- ``"expiresAt"`` (timestamptz) on every table: TTL (reads hide expired rows, ``prune()`` deletes them);
- ``mastra_scorers."structuredOutput"`` (the reference drops the field on SQL stores);
- ``mastra_message_counts``: messages per thread, kept by statement triggers, so a page's ``total`` is
  O(1) instead of a count over the whole thread;
- ``mastra_schema_version``: the migrations applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mastra_core.backend import reference_schema as ref
from mastra_core.errors import ConfigError, ErrorCategory, StorageError
from psycopg import errors as pg_errors
from psycopg import sql

from .indexes import IndexSpec, create_index, create_statement, default_indexes

SCHEMA_VERSION = 4

#: Template names (``{threads}``...) of the reference tables and of ours.
TABLES = {
    "threads": ref.THREADS.name,
    "messages": ref.MESSAGES.name,
    "resources": ref.RESOURCES.name,
    "workflows": ref.WORKFLOW_SNAPSHOTS.name,
    "scorers": ref.SCORES.name,
    "spans": ref.SPANS.name,
    "agents": ref.AGENTS.name,
    "evals": ref.EVALS.name,
    "traces": ref.TRACES.name,
    "counts": "mastra_message_counts",
    "ops": "mastra_applied_ops",
    "versions": ref.SCHEMA_VERSION_TABLE,
}
_KEYS = {name: key for key, name in TABLES.items()}

# --------------------------------------------------------------------------- pg data

#: PostgreSQL type of each logical column kind.
PG_TYPES = {
    "text": "TEXT",
    "json": "JSONB",
    "timestamp": "TIMESTAMP",
    "float": "DOUBLE PRECISION",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
}
#: Columns whose pg type is not their kind's (the legacy traces table keeps ``other`` as text).
TYPE_OVERRIDES = {
    ("mastra_traces", "other"): "TEXT",
    ("mastra_traces", "startTime"): "BIGINT",
    ("mastra_traces", "endTime"): "BIGINT",
}
#: Columns NOT NULL here (as in the reference's older releases) that the reference schema leaves nullable.
NOT_NULL = frozenset(
    {
        ("mastra_scorers", "scorer"),
        ("mastra_scorers", "input"),
        ("mastra_scorers", "output"),
        ("mastra_scorers", "source"),
        ("mastra_scorers", "updatedAt"),
    }
)
#: Columns of ours beyond the reference's and the twins (the legacy evals' camelCase creation time).
EXTRA_COLUMNS = {"mastra_evals": ('"createdAt" TIMESTAMP',)}
#: Twins added without a default: an unfinished span has no end.
NO_DEFAULT_TWINS = frozenset({("mastra_ai_spans", "endedAt")})
#: Tables whose twins came with version 2 rather than version 1.
LATE_TWINS = frozenset({"mastra_evals"})
#: Columns the reference added late, added by version 1 before anything reads them.
LATE_COLUMNS = (
    ("messages", '"resourceId" TEXT'),
    ("workflows", '"resourceId" TEXT'),
    ("scorers", '"spanId" TEXT'),
    ("scorers", '"requestContext" JSONB'),
)

_SEQ = "seq BIGINT DEFAULT nextval({seqname}::regclass)"
_EXPIRES = '"expiresAt" TIMESTAMPTZ'


def _q(name: str) -> str:
    return sql.Identifier(name).as_string(None)


def _columns(table: ref.Table, *, created: bool) -> list[str]:
    """Column definitions of ``table``: with constraints for CREATE TABLE, as nullable additions otherwise."""
    out: list[str] = []
    twins: list[str] = []
    for c in table.columns:
        if c.name == ref.EXPIRES_AT:
            continue
        text = f"{_q(c.name)} {TYPE_OVERRIDES.get((table.name, c.name), PG_TYPES[c.kind])}"
        if created and (c.not_null or (table.name, c.name) in NOT_NULL):
            text += " NOT NULL"
        if created and table.primary_key == (c.name,):
            text += " PRIMARY KEY"
        out.append(text)
        if c.kind == "timestamp":
            default = created and (table.name, c.name) not in NO_DEFAULT_TWINS
            twins.append(f"{_q(c.name + 'Z')} TIMESTAMPTZ" + (" DEFAULT NOW()" if default else ""))
    return [*out, *EXTRA_COLUMNS.get(table.name, ()), *twins, _SEQ, _EXPIRES]


def _create(table: ref.Table) -> str:
    cols = _columns(table, created=True)
    if table is ref.SPANS:
        cols.append('CONSTRAINT {spans_pk} PRIMARY KEY ("traceId", "spanId")')
    return f"CREATE TABLE IF NOT EXISTS {{{_KEYS[table.name]}}} ({', '.join(cols)})"


def _twin_defaults(table: ref.Table) -> list[str]:
    """Version 1's twins on a reference table: existing rows keep a NULL twin, new rows default to NOW()."""
    out = []
    for c in table.columns:
        if c.kind != "timestamp" or c.name == ref.EXPIRES_AT:
            continue
        stmt = f"ALTER TABLE {{{_KEYS[table.name]}}} ADD COLUMN IF NOT EXISTS {_q(c.name + 'Z')} TIMESTAMPTZ"
        if (table.name, c.name) not in NO_DEFAULT_TWINS:
            stmt += f", ALTER COLUMN {_q(c.name + 'Z')} SET DEFAULT NOW()"
        out.append(stmt)
    return out


# --------------------------------------------------------------------------- v1: the reference's tables

V1 = [
    "CREATE SEQUENCE IF NOT EXISTS {seq_ident}",
    *[_create(t) for t in ref.TABLES],
    *[f"ALTER TABLE {{{key}}} ADD COLUMN IF NOT EXISTS {col}" for key, col in LATE_COLUMNS],
    *[stmt for t in ref.TABLES if t.name not in LATE_TWINS for stmt in _twin_defaults(t)],
]

# --------------------------------------------------------------------------- v2: ours (additive)

V2 = [
    # an older schema (the reference's, at any version) gains whatever columns it lacks; existing ones are untouched
    *[
        f"ALTER TABLE {{{_KEYS[t.name]}}} "
        + ", ".join(f"ADD COLUMN IF NOT EXISTS {c}" for c in _columns(t, created=False))
        for t in ref.TABLES
    ],
    'ALTER TABLE {evals} ADD COLUMN IF NOT EXISTS "created_atZ" TIMESTAMPTZ DEFAULT NOW()',
    # our threads may have no title (the reference always writes one)
    "ALTER TABLE {threads} ALTER COLUMN title DROP NOT NULL",
    "CREATE TABLE IF NOT EXISTS {counts} (thread_id TEXT NOT NULL PRIMARY KEY, n BIGINT NOT NULL)",
    # the tokens of applied non-idempotent writes: a retry after a lost reply finds its token (connection.py)
    "CREATE TABLE IF NOT EXISTS {ops} (op_id TEXT NOT NULL PRIMARY KEY, "
    "applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())",
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
       REFERENCING OLD TABLE AS mastra_old_rows NEW TABLE AS mastra_new_rows
       FOR EACH STATEMENT EXECUTE FUNCTION {fn_upd}()""",
]


def idents(schema: str) -> dict[str, sql.Composable]:
    """``{threads}``, ``{messages}``... as schema-qualified identifiers for ``sql.SQL.format``."""
    out: dict[str, sql.Composable] = {k: sql.Identifier(schema, v) for k, v in TABLES.items()}
    out["schema"] = sql.Identifier(schema)
    out["seqname"] = sql.Literal(sql.Identifier(schema, "mastra_seq").as_string(None))
    out["seq_ident"] = sql.Identifier(schema, "mastra_seq")
    return out


def render(template: str, schema: str, **extra: sql.Composable) -> str:
    """A statement template with ``{threads}``-style placeholders rendered for ``schema``.

    Templates are this package's own text (names come in as identifiers, values as parameters).
    """
    return sql.SQL(template).format(**idents(schema), **extra).as_string(None)


class Sql:
    """Renders ``{threads}``-style templates for one schema; ``parts`` are trusted fragments built from identifiers."""

    def __init__(self, schema: str) -> None:
        self.schema = schema
        self._idents = idents(schema)
        self._cache: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}

    def __call__(self, template: str, **parts: Any) -> str:
        """The rendered statement (cached per template and parts)."""
        key = (template, tuple(sorted((k, str(v)) for k, v in parts.items())))
        hit = self._cache.get(key)
        if hit is None:
            extra = {k: v if isinstance(v, sql.Composable) else sql.SQL(str(v)) for k, v in parts.items()}
            hit = sql.SQL(template).format(**self._idents, **extra).as_string(None)
            if len(self._cache) < 4096:
                self._cache[key] = hit
        return hit

    def table(self, name: str) -> str:
        """The schema-qualified, quoted name of a table."""
        return sql.Identifier(self.schema, name).as_string(None)


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
    """The schema version recorded in ``schema`` (0: none yet)."""
    versions = sql.Identifier(schema, TABLES["versions"]).as_string(None)
    exists = await _one(conn, "SELECT to_regclass(%s) IS NOT NULL", (versions,))
    if not exists:
        return 0
    return int(await _one(conn, render("SELECT COALESCE(max(version), 0) FROM {versions}", schema)) or 0)


async def migrate(
    conn: Any, schema: str, *, skip_default_indexes: bool = False, indexes: Sequence[IndexSpec] = ()
) -> None:
    """Create ``schema`` if missing and bring it to :data:`SCHEMA_VERSION` on ``conn``, under an advisory lock,
    then create the default indexes (unless skipped) and the custom ``indexes`` that are missing.

    Several processes may call this at once: the lock (keyed by schema name) serialises them and
    the later ones find the recorded version current and do nothing.
    """
    extra = _extra(schema)
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
                    f'ask an administrator to run CREATE SCHEMA "{schema}" AUTHORIZATION "{user}" '
                    f'(or GRANT CREATE ON DATABASE "{dbname}" TO "{user}")',
                    id="MASTRA_STORAGE_PG_CREATE_SCHEMA_PERMISSION_DENIED",
                    details={"schema": schema},
                ) from None
        version = await recorded_version(conn, schema)
        wanted = [] if skip_default_indexes else default_indexes(schema)
        if version < SCHEMA_VERSION:
            async with conn.transaction():
                async with conn.pipeline():
                    for stmt in V1:
                        await conn.execute(render(stmt, schema, **extra))
                await _workflow_unique(conn, schema)
                await _spans_primary_key(conn, schema, extra["spans_pk"])
                await _agents_memory_jsonb(conn, schema)
                async with conn.pipeline():
                    for stmt in V2:
                        await conn.execute(render(stmt, schema, **extra))
                    await conn.execute(
                        render(
                            "CREATE TABLE IF NOT EXISTS {versions} (version INTEGER PRIMARY KEY, "
                            "applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), description TEXT)",
                            schema,
                        )
                    )
                    await conn.execute(
                        render(
                            "INSERT INTO {versions} (version, description) VALUES (1, 'reference tables'), "
                            "(2, 'seq, expiresAt, structuredOutput, message counts'), "
                            "(3, 'agents.memory JSONB, as the reference'), "
                            "(4, 'applied operation tokens') "
                            "ON CONFLICT (version) DO NOTHING",
                            schema,
                        )
                    )
                    for spec in wanted:  # new or migrated tables: build the defaults inside the migration
                        await conn.execute(create_statement(spec, schema, concurrent=False))
        existing = await _index_names(conn, schema)
        for spec in [*wanted, *indexes]:
            if spec.name not in existing or existing[spec.name] is False:
                await create_index(conn, spec, schema)
    finally:
        if not conn.broken:
            await conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (f"mastra_pg:{schema}",))


async def _workflow_unique(conn: Any, schema: str) -> None:
    name = f"{schema}_mastra_workflow_snapshot_workflow_name_run_id_key"[:63]
    found = await _one(
        conn,
        (
            "SELECT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = %s AND c.conname = %s) "
            "OR EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexname = %s)"
        ),
        (schema, name, schema, name),
    )
    if not found:
        await conn.execute(
            render(
                "ALTER TABLE {workflows} ADD CONSTRAINT {name} UNIQUE (workflow_name, run_id)",
                schema,
                name=sql.Identifier(name),
            )
        )


async def _agents_memory_jsonb(conn: Any, schema: str) -> None:
    """Version 3: ``mastra_agents.memory`` made TEXT by versions before it becomes JSONB, as the reference has it.

    Each value becomes a JSONB string holding its JSON text, the form both sides read back as the string.
    """
    kind = await _one(
        conn,
        "SELECT data_type FROM information_schema.columns WHERE table_schema = %s "
        "AND table_name = %s AND column_name = 'memory'",
        (schema, TABLES["agents"]),
    )
    if kind == "text":
        await conn.execute(
            render(
                "ALTER TABLE {agents} ALTER COLUMN memory TYPE JSONB "
                "USING CASE WHEN memory IS NULL THEN NULL ELSE to_jsonb(to_json(memory)::text) END",
                schema,
            )
        )


async def _spans_primary_key(conn: Any, schema: str, pk: sql.Composable) -> None:
    has_pk = await _one(
        conn,
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p')",
        (sql.Identifier(schema, TABLES["spans"]).as_string(None),),
    )
    if has_pk:
        return
    dupes = await _one(
        conn,
        render(
            'SELECT count(*) FROM (SELECT 1 FROM {spans} GROUP BY "traceId", "spanId" HAVING count(*) > 1) d', schema
        ),
    )
    if dupes:
        raise StorageError(
            f"mastra_ai_spans in schema {schema!r} has {dupes} duplicate (traceId, spanId) pairs; remove them "
            "(keep one row per pair) before the primary key can be added",
            id="MASTRA_STORAGE_PG_MIGRATION_REQUIRED_DUPLICATE_SPANS",
            category=ErrorCategory.USER,
            details={"duplicates": int(dupes)},
        )
    await conn.execute(
        render('ALTER TABLE {spans} ADD CONSTRAINT {pk} PRIMARY KEY ("traceId", "spanId")', schema, pk=pk)
    )


async def _index_names(conn: Any, schema: str) -> dict[str, bool]:
    """Index name -> valid, for the schema."""
    cur = await conn.execute(
        "SELECT c.relname, ix.indisvalid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_index ix ON ix.indexrelid = c.oid WHERE n.nspname = %s",
        (schema,),
    )
    return {name: bool(valid) for name, valid in await cur.fetchall()}


async def plan(
    conn: Any, schema: str, *, skip_default_indexes: bool = False, indexes: Sequence[IndexSpec] = ()
) -> list[str]:
    """The statements :func:`migrate` would run now, as text (``mastra migrate --dry-run``); reads only.

    The two conditional steps (a constraint or primary key added only when missing) appear as comments.
    """
    out: list[str] = []
    if not await _one(conn, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = %s)", (schema,)):
        out.append(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)).as_string(None))
    version = await recorded_version(conn, schema)
    if version < SCHEMA_VERSION:
        extra = _extra(schema)
        out += [render(stmt, schema, **extra) for stmt in V1]
        out.append("-- workflow snapshots: ADD CONSTRAINT ... UNIQUE (workflow_name, run_id) where missing")
        out.append('-- spans: ADD PRIMARY KEY ("traceId", "spanId") where missing (exact duplicates removed first)')
        out += [render(stmt, schema, **extra) for stmt in V2]
        out.append(
            render(
                "CREATE TABLE IF NOT EXISTS {versions} (version INTEGER PRIMARY KEY, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), description TEXT)",
                schema,
            )
        )
        out.append(
            render(
                "INSERT INTO {versions} (version, description) VALUES (1, 'reference tables'), "
                "(2, 'seq, expiresAt, structuredOutput, message counts') ON CONFLICT (version) DO NOTHING",
                schema,
            )
        )
    existing = await _index_names(conn, schema)
    for spec in [*([] if skip_default_indexes else default_indexes(schema)), *indexes]:
        if spec.name not in existing or existing[spec.name] is False:
            out.append(create_statement(spec, schema, concurrent=False).as_string(None))
    return out
