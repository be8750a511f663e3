"""Custom and default indexes: safe rendering of column lists, creation, listing, description, removal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import attrs
from psycopg import errors as pg_errors
from psycopg import pq, sql

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_IDENTIFIER = 63
INDEX_METHODS = ("btree", "hash", "gin", "gist", "spgist", "brin")


def check_identifier(value: Any, what: str) -> str:
    """A plain SQL identifier (``^[A-Za-z_][A-Za-z0-9_]*$``, at most 63 characters)."""
    if not isinstance(value, str) or not IDENTIFIER.fullmatch(value) or len(value) > MAX_IDENTIFIER:
        raise ValueError(
            f"{what} must match ^[A-Za-z_][A-Za-z0-9_]*$ and be at most {MAX_IDENTIFIER} characters, got {value!r}")
    return value


@attrs.define(kw_only=True, frozen=True)
class IndexSpec:
    """A custom index.

    ``columns`` holds plain column names (case-sensitive, optionally followed by ``ASC``/``DESC`` and
    ``NULLS FIRST``/``NULLS LAST``) or expressions over columns such as ``metadata->>'type'`` or
    ``lower(title)``: every name is quoted and every literal bound, so nothing in ``columns`` can inject
    SQL. ``where`` is different: it is the caller's own SQL (a partial-index predicate) and is used verbatim.
    """

    name: str
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    concurrent: bool = True
    where: str | None = None
    method: str = "btree"
    opclass: str | None = None
    storage: Mapping[str, Any] | None = None
    tablespace: str | None = None

    @classmethod
    def parse(cls, value: Any) -> IndexSpec:
        """An ``IndexSpec`` from itself or a mapping of its fields (``opClass``/``tableSpace`` accepted), validated."""
        if isinstance(value, IndexSpec):
            spec = value
        elif isinstance(value, Mapping):
            aliases = {"opClass": "opclass", "tableSpace": "tablespace"}
            raw: dict[str, Any] = {aliases.get(str(k), str(k)): v for k, v in value.items()}
            names = {f.name for f in attrs.fields(cls)}
            unknown = sorted(set(raw) - names)
            if unknown:
                raise ValueError(f"unknown index option(s) {unknown}; valid: {sorted(names)}")
            cols = raw.get("columns")
            if isinstance(cols, str) or not isinstance(cols, list | tuple):
                raise ValueError("index columns must be a list of strings")
            raw["columns"] = tuple(cols)
            try:
                spec = cls(**raw)
            except TypeError as exc:
                raise ValueError(f"invalid index spec: {exc}") from None
        else:
            raise ValueError(f"an index must be an IndexSpec or a mapping, got {type(value).__name__}")
        spec.validate()
        return spec

    def validate(self) -> None:
        """Raise ValueError for anything unsafe or unknown."""
        check_identifier(self.name, "index name")
        check_identifier(self.table, "index table")
        if not self.columns:
            raise ValueError(f"index {self.name!r} needs at least one column")
        for col in self.columns:
            parse_column(col)  # raises ValueError when unsafe
        if self.method not in INDEX_METHODS:
            raise ValueError(f"index method must be one of {INDEX_METHODS}, got {self.method!r}")
        if self.opclass is not None:
            check_identifier(self.opclass, "index opclass")
        if self.tablespace is not None:
            check_identifier(self.tablespace, "index tablespace")
        if self.where is not None and (not isinstance(self.where, str) or not self.where.strip()):
            raise ValueError("index where must be a non-empty SQL string")
        if self.unique and self.method not in ("btree",):
            raise ValueError("unique indexes need method btree")
        for key, val in (self.storage or {}).items():
            check_identifier(key, "index storage parameter")
            if isinstance(val, bool) or isinstance(val, int | float):
                continue
            if not isinstance(val, str) or not re.fullmatch(r"[A-Za-z0-9_.]+", val):
                raise ValueError(
                    f"index storage value for {key!r} must be a number, a bool or a plain word, got {val!r}")


_SUFFIX = re.compile(r"^(?P<body>.*?)(?:\s+(?P<dir>ASC|DESC))?(?:\s+NULLS\s+(?P<nulls>FIRST|LAST))?\s*$",
                     re.IGNORECASE | re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^']|'')*')
      | (?P<num>\d+(?:\.\d+)?)
      | (?P<qident>"[^"]+")
      | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>->>|->|\#>>|\#>|::|\|\||[(),+*/-]|\[\])
    )""",
    re.VERBOSE,
)
#: Operators written with spaces around them.
_SPACED = ("->>", "->", "#>>", "#>", "||", "+", "-", "*", "/")
#: Functions an index expression may call.
FUNCTIONS = frozenset({
    "lower", "upper", "coalesce", "date_trunc", "to_tsvector", "jsonb_extract_path_text", "jsonb_extract_path", "btrim",
    "length", "md5", "left", "right", "abs", "substr", "nullif", "greatest", "least", "jsonb_array_length",
})
#: Types an index expression may cast to.
TYPES = frozenset({
    "text", "int", "integer", "bigint", "smallint", "numeric", "boolean", "bool", "timestamptz", "timestamp", "date",
    "jsonb", "json", "float8", "float4", "real", "uuid", "int2", "int4", "int8", "tsvector", "varchar",
})


@attrs.define(frozen=True)
class ParsedColumn:
    """One entry of an index column list, rendered safely."""

    expr: sql.Composable
    is_expression: bool
    direction: str | None
    nulls: str | None


def parse_column(text: Any) -> ParsedColumn:
    """Parse ``name [ASC|DESC] [NULLS FIRST|LAST]`` or an expression; raise ValueError for anything unsafe."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"index column must be a non-empty string, got {text!r}")
    m = _SUFFIX.match(text.strip())
    assert m is not None
    body = m["body"].strip()
    direction = m["dir"].upper() if m["dir"] else None
    nulls = m["nulls"].upper() if m["nulls"] else None
    if IDENTIFIER.fullmatch(body):
        return ParsedColumn(sql.Identifier(body), False, direction, nulls)
    if body.startswith('"') and body.endswith('"') and body.count('"') == 2 and len(body) > 2:
        return ParsedColumn(sql.Identifier(body[1:-1]), False, direction, nulls)
    return ParsedColumn(_expression(body), True, direction, nulls)


def _expression(body: str) -> sql.Composable:
    parts: list[sql.Composable] = []
    pos, depth, prev = 0, 0, ""
    tokens: list[tuple[str, str]] = []
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            raise ValueError(f"unsupported text in index expression {body!r} at {body[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        tokens.append((kind, m[kind]))
        if not body[pos:].strip():
            break
    for i, (kind, value) in enumerate(tokens):
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind == "str":
            parts.append(sql.Literal(value[1:-1].replace("''", "'")))
        elif kind == "num":
            parts.append(sql.SQL(value))
        elif kind == "qident":
            parts.append(sql.Identifier(value[1:-1]))
        elif kind == "ident":
            if prev == "::":
                if value.lower() not in TYPES:
                    raise ValueError(
                        f"cast to {value!r} is not allowed in an index expression (allowed: {sorted(TYPES)})")
                parts.append(sql.SQL(value.lower()))
            elif nxt == "(":
                if value.lower() not in FUNCTIONS:
                    raise ValueError(
                        f"function {value!r} is not allowed in an index expression (allowed: {sorted(FUNCTIONS)})")
                parts.append(sql.SQL(value.lower()))
            else:
                parts.append(sql.Identifier(value))
        else:
            if value == "(":
                depth += 1
            elif value == ")":
                depth -= 1
                if depth < 0:
                    raise ValueError(f"unbalanced parentheses in index expression {body!r}")
            parts.append(sql.SQL(f" {value} " if value in _SPACED else value))
        prev = value
    if depth != 0:
        raise ValueError(f"unbalanced parentheses in index expression {body!r}")
    if not parts:
        raise ValueError("empty index expression")
    return sql.Composed(parts)


def create_statement(spec: IndexSpec, schema: str, *, concurrent: bool) -> sql.Composed:
    """``CREATE [UNIQUE] INDEX [CONCURRENTLY] IF NOT EXISTS ...`` for ``spec`` on ``schema.table``."""
    cols: list[sql.Composable] = []
    for text in spec.columns:
        col = parse_column(text)
        piece: list[sql.Composable] = [sql.SQL("({})").format(col.expr) if col.is_expression else col.expr]
        if spec.opclass:
            piece.append(sql.SQL(" ") + sql.Identifier(spec.opclass))
        if col.direction:
            piece.append(sql.SQL(" " + col.direction))
        if col.nulls:
            piece.append(sql.SQL(" NULLS " + col.nulls))
        cols.append(sql.Composed(piece))
    stmt = sql.SQL("CREATE {unique}INDEX {conc}IF NOT EXISTS {name} ON {table} USING {method} ({cols})").format(
        unique=sql.SQL("UNIQUE " if spec.unique else ""),
        conc=sql.SQL("CONCURRENTLY " if concurrent else ""),
        name=sql.Identifier(spec.name),
        table=sql.Identifier(schema, spec.table),
        method=sql.SQL(spec.method),
        cols=sql.SQL(", ").join(cols),
    )
    if spec.storage:
        params = [sql.SQL("{} = {}").format(sql.Identifier(k), sql.Literal(_storage_value(v)))
                  for k, v in spec.storage.items()]
        stmt = stmt + sql.SQL(" WITH ({})").format(sql.SQL(", ").join(params))
    if spec.tablespace:
        stmt = stmt + sql.SQL(" TABLESPACE {}").format(sql.Identifier(spec.tablespace))
    if spec.where:
        # the caller's own SQL (documented): a partial-index predicate used verbatim
        stmt = stmt + sql.SQL(" WHERE ") + sql.SQL(spec.where)
    return stmt


def _storage_value(v: Any) -> Any:
    if isinstance(v, bool):
        return "on" if v else "off"
    return v


@attrs.define(kw_only=True)
class IndexInfo:
    """What ``list_indexes`` returns per index (``describe_index`` fills the statistics too)."""

    name: str
    table: str
    columns: list[str]
    unique: bool
    method: str
    valid: bool
    size: str
    size_bytes: int
    definition: str
    scans: int | None = None
    tuples_read: int | None = None
    tuples_fetched: int | None = None


_LIST = """
SELECT ci.relname, ct.relname, ix.indisunique, am.amname, ix.indisvalid,
       pg_size_pretty(pg_relation_size(ci.oid)), pg_relation_size(ci.oid), pg_get_indexdef(ci.oid),
       ARRAY(SELECT pg_get_indexdef(ci.oid, k, true) FROM generate_series(1, ix.indnkeyatts) AS k),
       s.idx_scan, s.idx_tup_read, s.idx_tup_fetch
FROM pg_index ix
JOIN pg_class ci ON ci.oid = ix.indexrelid
JOIN pg_class ct ON ct.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = ct.relnamespace
JOIN pg_am am ON am.oid = ci.relam
LEFT JOIN pg_stat_all_indexes s ON s.indexrelid = ci.oid
WHERE n.nspname = %s
"""


def _info(row: Any, *, stats: bool) -> IndexInfo:
    return IndexInfo(
        name=row[0], table=row[1], unique=row[2], method=row[3], valid=row[4], size=row[5], size_bytes=int(row[6]),
        definition=row[7], columns=list(row[8]),
        scans=int(row[9] or 0) if stats else None, tuples_read=int(row[10] or 0) if stats else None,
        tuples_fetched=int(row[11] or 0) if stats else None,
    )


async def list_indexes(conn: Any, schema: str, table: str | None = None) -> list[IndexInfo]:
    """Indexes of the mastra tables in ``schema`` (or of one table)."""
    if table is not None:
        check_identifier(table, "table")
    which = " AND ct.relname = %s" if table else " AND ct.relname LIKE 'mastra%%'"
    query = _LIST + which + " ORDER BY ct.relname, ci.relname"
    cur = await conn.execute(query, (schema, table) if table else (schema,))
    return [_info(r, stats=False) for r in await cur.fetchall()]


async def describe_index(conn: Any, schema: str, name: str) -> IndexInfo | None:
    """One index of ``schema`` with its statistics, or None."""
    check_identifier(name, "index name")
    cur = await conn.execute(_LIST + " AND ci.relname = %s", (schema, name))
    rows = await cur.fetchall()
    return _info(rows[0], stats=True) if rows else None


async def index_state(conn: Any, schema: str, name: str) -> bool | None:
    """None: no such index; else whether it is valid."""
    cur = await conn.execute(
        "SELECT ix.indisvalid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_index ix ON ix.indexrelid = c.oid WHERE n.nspname = %s AND c.relname = %s", (schema, name))
    row = await cur.fetchone()
    return None if row is None else bool(row[0])


async def create_index(conn: Any, spec: IndexSpec, schema: str) -> bool:
    """Create ``spec`` on ``conn`` unless an index of that name exists; returns whether it created one.

    CONCURRENTLY (when asked) only outside a transaction; inside one, or when the server refuses it,
    the index is built without. An invalid index left by an interrupted concurrent build is rebuilt.
    """
    state = await index_state(conn, schema, spec.name)
    if state is True:
        return False
    in_tx = conn.info.transaction_status != pq.TransactionStatus.IDLE
    if state is False:  # an earlier CONCURRENTLY build failed half way
        await conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(schema, spec.name)))
    concurrent = spec.concurrent and not in_tx
    try:
        await conn.execute(create_statement(spec, schema, concurrent=concurrent))
    except pg_errors.ActiveSqlTransaction:
        if not concurrent:
            raise
        await conn.execute(create_statement(spec, schema, concurrent=False))
    return True


async def drop_index(conn: Any, schema: str, name: str, *, concurrent: bool = True, if_exists: bool = True) -> None:
    """Drop an index of ``schema`` (CONCURRENTLY when asked and possible)."""
    check_identifier(name, "index name")
    ie = sql.SQL("IF EXISTS " if if_exists else "")
    stmt = sql.SQL("DROP INDEX {conc}{ie}{name}").format(
        conc=sql.SQL("CONCURRENTLY " if concurrent else ""), ie=ie, name=sql.Identifier(schema, name))
    try:
        await conn.execute(stmt)
    except pg_errors.ActiveSqlTransaction:
        await conn.execute(sql.SQL("DROP INDEX {ie}{name}").format(ie=ie, name=sql.Identifier(schema, name)))


def default_indexes(schema: str) -> list[IndexSpec]:
    """The reference's default indexes (names prefixed ``{schema}_`` outside public) plus ours."""
    prefix = "" if schema == "public" else f"{schema}_"

    def ix(name: str, table: str, cols: list[str], **kw: Any) -> IndexSpec:
        return IndexSpec(name=(prefix + name)[:63], table=table, columns=tuple(cols), concurrent=False, **kw)

    return [
        ix("mastra_threads_resourceid_createdat_idx", "mastra_threads", ["resourceId", "createdAt DESC"]),
        # the reference's (thread_id, createdAt DESC) plus the insertion sequence: serves both directions
        ix("mastra_messages_thread_id_createdat_idx", "mastra_messages", ["thread_id", "createdAt DESC", "seq DESC"]),
        ix("mastra_messages_thread_id_expiresat_idx", "mastra_messages", ["thread_id", "expiresAt"],
           where='"expiresAt" IS NOT NULL'),
        ix("mastra_scores_trace_id_span_id_created_at_idx", "mastra_scorers", ["traceId", "spanId", "createdAt DESC"]),
        # ours on pg (the reference creates them on libsql): a scorer's, a run's or an entity's scores page read in
        # order, a page's rows, where the server read every score of the table and sorted the matches
        ix("mastra_scores_scorerid_createdat_idx", "mastra_scorers", ["scorerId", "createdAt DESC", "seq DESC"]),
        ix("mastra_scores_runid_createdat_idx", "mastra_scorers", ["runId", "createdAt DESC", "seq DESC"]),
        ix("mastra_scores_entityid_entitytype_createdat_idx", "mastra_scorers",
           ["entityId", "entityType", "createdAt DESC", "seq DESC"]),
        # ours: a workflow's runs page read in order, 20 rows, where the unique (workflow_name, run_id) index made the
        # server read and sort all of the workflow's runs (100 runs: 0.18 -> 0.05 ms). Its name leaves the unique
        # constraint's after 25 characters, so names cut at 63 stay apart for schema names of up to 36 characters
        # (beyond, the cut names meet and the listing sorts as before, as the other defaults' would)
        ix("mastra_workflow_snapshot_name_createdat_idx", "mastra_workflow_snapshot",
           ["workflow_name", "createdAt DESC", "seq DESC"]),
        ix("mastra_ai_spans_traceid_startedat_idx", "mastra_ai_spans", ["traceId", "startedAt DESC"]),
        ix("mastra_ai_spans_parentspanid_startedat_idx", "mastra_ai_spans", ["parentSpanId", "startedAt DESC"]),
        ix("mastra_ai_spans_name_idx", "mastra_ai_spans", ["name"]),
        ix("mastra_ai_spans_spantype_startedat_idx", "mastra_ai_spans", ["spanType", "startedAt DESC"]),
        ix("mastra_ai_spans_root_spans_idx", "mastra_ai_spans", ["startedAt DESC"], where='"parentSpanId" IS NULL'),
        ix("mastra_ai_spans_entitytype_entityid_idx", "mastra_ai_spans", ["entityType", "entityId"]),
        ix("mastra_ai_spans_entitytype_entityname_idx", "mastra_ai_spans", ["entityType", "entityName"]),
        ix("mastra_ai_spans_orgid_userid_idx", "mastra_ai_spans", ["organizationId", "userId"]),
        ix("mastra_ai_spans_metadata_gin_idx", "mastra_ai_spans", ["metadata"], method="gin"),
        ix("mastra_ai_spans_tags_gin_idx", "mastra_ai_spans", ["tags"], method="gin"),
    ]
