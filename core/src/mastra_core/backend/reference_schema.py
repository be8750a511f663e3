"""The reference's storage schema as data: table (or collection) names, columns and JSON-typed fields.

pg, libsql, mysql and mongodb use the names of Mastra TS 1.0 so one database can be shared with it;
each SQL backend maps the logical column kinds below onto its own types (``json`` -> JSONB, TEXT...).
Our additions are marked ``added=True`` (nullable, never needed by the reference). Index predicates are
fixed here as data (a column IS [NOT] NULL), never user input.
"""

from __future__ import annotations

from typing import Literal

import attrs

#: Logical column kinds. ``timestamp`` is an instant to the millisecond; ``json`` any JSON value.
ColumnKind = Literal["text", "json", "timestamp", "float", "integer", "boolean"]
EXPIRES_AT = "expiresAt"


@attrs.define(frozen=True)
class Column:
    """One column: its reference name, logical kind, NOT NULL, and whether the reference lacks it."""

    name: str
    kind: ColumnKind = "text"
    not_null: bool = False
    added: bool = False

    @property
    def is_json(self) -> bool:
        """Whether the column holds a JSON value (stored as JSON/JSONB or text, decoded on read)."""
        return self.kind == "json"


@attrs.define(frozen=True)
class Index:
    """A secondary index: name, columns, unique, and an optional fixed ``(column, "IS NULL"|"IS NOT NULL")``."""

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    where: tuple[str, Literal["IS NULL", "IS NOT NULL"]] | None = None


@attrs.define(frozen=True)
class Table:
    """A reference table (or document collection) of one domain."""

    name: str
    domain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()
    indexes: tuple[Index, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Column names in order."""
        return tuple(c.name for c in self.columns)

    @property
    def json_columns(self) -> frozenset[str]:
        """Names of the JSON-typed columns."""
        return frozenset(c.name for c in self.columns if c.is_json)

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError when there is none)."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _c(name: str, kind: ColumnKind = "text", *, nn: bool = False, added: bool = False) -> Column:
    return Column(name, kind, nn, added)


def _expiry(table: str) -> Index:
    return Index(f"{table}_expiresat_idx", (EXPIRES_AT,), where=(EXPIRES_AT, "IS NOT NULL"))


_EXPIRES = _c(EXPIRES_AT, "timestamp", added=True)

THREADS = Table(
    "mastra_threads",
    "memory",
    (
        _c("id", nn=True),
        _c("resourceId", nn=True),
        _c("title"),
        _c("metadata", "json"),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp", nn=True),
        _EXPIRES,
    ),
    primary_key=("id",),
    indexes=(
        Index("mastra_threads_resourceid_createdat_idx", ("resourceId", "createdAt")),
        Index("mastra_threads_resourceid_updatedat_idx", ("resourceId", "updatedAt")),
        Index("mastra_threads_createdat_idx", ("createdAt",)),
        Index("mastra_threads_updatedat_idx", ("updatedAt",)),
        _expiry("mastra_threads"),
    ),
)
MESSAGES = Table(
    "mastra_messages",
    "memory",
    (
        _c("id", nn=True),
        _c("thread_id", nn=True),
        _c("content", nn=True),
        _c("role", nn=True),
        _c("type", nn=True),
        _c("createdAt", "timestamp", nn=True),
        _c("resourceId"),
        _EXPIRES,
    ),
    primary_key=("id",),
    indexes=(Index("mastra_messages_thread_id_createdat_idx", ("thread_id", "createdAt")), _expiry("mastra_messages")),
)
RESOURCES = Table(
    "mastra_resources",
    "memory",
    (
        _c("id", nn=True),
        _c("workingMemory"),
        _c("metadata", "json"),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp", nn=True),
        _EXPIRES,
    ),
    primary_key=("id",),
    indexes=(_expiry("mastra_resources"),),
)
WORKFLOW_SNAPSHOTS = Table(
    "mastra_workflow_snapshot",
    "workflows",
    (
        _c("workflow_name", nn=True),
        _c("run_id", nn=True),
        _c("resourceId"),
        _c("snapshot", "json", nn=True),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp", nn=True),
        _EXPIRES,
    ),
    unique=("workflow_name", "run_id"),
    indexes=(
        Index("mastra_workflow_snapshot_workflow_name_run_id_idx", ("workflow_name", "run_id"), unique=True),
        Index("mastra_workflow_snapshot_workflow_name_createdat_idx", ("workflow_name", "createdAt")),
        Index("mastra_workflow_snapshot_resourceid_createdat_idx", ("resourceId", "createdAt")),
        Index("mastra_workflow_snapshot_createdat_idx", ("createdAt",)),
        _expiry("mastra_workflow_snapshot"),
    ),
)
SCORES = Table(
    "mastra_scorers",
    "scores",
    (
        _c("id", nn=True),
        _c("scorerId", nn=True),
        _c("traceId"),
        _c("spanId"),
        _c("runId", nn=True),
        _c("scorer", "json"),
        _c("preprocessStepResult", "json"),
        _c("extractStepResult", "json"),
        _c("analyzeStepResult", "json"),
        _c("score", "float", nn=True),
        _c("reason"),
        _c("metadata", "json"),
        _c("preprocessPrompt"),
        _c("extractPrompt"),
        _c("generateScorePrompt"),
        _c("generateReasonPrompt"),
        _c("analyzePrompt"),
        _c("reasonPrompt"),
        _c("input", "json"),
        _c("output", "json"),
        _c("additionalContext", "json"),
        _c("requestContext", "json"),
        _c("entityType"),
        _c("entity", "json"),
        _c("entityId"),
        _c("source"),
        _c("resourceId"),
        _c("threadId"),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp"),
        _c("structuredOutput", "boolean", added=True),
        _EXPIRES,
    ),
    primary_key=("id",),
    indexes=(
        Index("mastra_scores_scorerid_createdat_idx", ("scorerId", "createdAt")),
        Index("mastra_scores_runid_createdat_idx", ("runId", "createdAt")),
        Index("mastra_scores_entityid_entitytype_createdat_idx", ("entityId", "entityType", "createdAt")),
        Index("mastra_scores_trace_id_span_id_created_at_idx", ("traceId", "spanId", "createdAt")),
        _expiry("mastra_scorers"),
    ),
)
SPANS = Table(
    "mastra_ai_spans",
    "observability",
    (
        _c("traceId", nn=True),
        _c("spanId", nn=True),
        _c("parentSpanId"),
        _c("name", nn=True),
        _c("scope", "json"),
        _c("spanType", nn=True),
        _c("attributes", "json"),
        _c("metadata", "json"),
        _c("links", "json"),
        _c("input", "json"),
        _c("output", "json"),
        _c("error", "json"),
        _c("isEvent", "boolean", nn=True),
        _c("startedAt", "timestamp", nn=True),
        _c("endedAt", "timestamp"),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp"),
        _c("entityType"),
        _c("entityId"),
        _c("entityName"),
        _c("userId"),
        _c("organizationId"),
        _c("resourceId"),
        _c("runId"),
        _c("sessionId"),
        _c("threadId"),
        _c("requestId"),
        _c("environment"),
        _c("source"),
        _c("serviceName"),
        _c("tags", "json"),
        _EXPIRES,
    ),
    unique=("spanId", "traceId"),
    indexes=(
        Index("mastra_ai_spans_spanid_traceid_idx", ("spanId", "traceId"), unique=True),
        Index("mastra_ai_spans_traceid_startedat_idx", ("traceId", "startedAt")),
        Index("mastra_ai_spans_root_startedat_idx", ("startedAt",), where=("parentSpanId", "IS NULL")),
        Index("mastra_ai_spans_entitytype_entityid_idx", ("entityType", "entityId")),
        _expiry("mastra_ai_spans"),
    ),
)
AGENTS = Table(
    "mastra_agents",
    "agents",
    (
        _c("id", nn=True),
        _c("name", nn=True),
        _c("description"),
        _c("instructions", nn=True),
        _c("model", "json", nn=True),
        _c("tools", "json"),
        _c("defaultOptions", "json"),
        _c("workflows", "json"),
        _c("agents", "json"),
        _c("inputProcessors", "json"),
        _c("outputProcessors", "json"),
        _c("memory"),
        _c("scorers", "json"),
        _c("metadata", "json"),
        _c("createdAt", "timestamp", nn=True),
        _c("updatedAt", "timestamp", nn=True),
    ),
    primary_key=("id",),
    indexes=(
        Index("mastra_agents_createdat_idx", ("createdAt",)),
        Index("mastra_agents_updatedat_idx", ("updatedAt",)),
    ),
)
EVALS = Table(
    "mastra_evals",
    "evals",
    (
        _c("input", nn=True),
        _c("output", nn=True),
        _c("result", "json", nn=True),
        _c("agent_name", nn=True),
        _c("metric_name", nn=True),
        _c("instructions", nn=True),
        _c("test_info", "json"),
        _c("global_run_id", nn=True),
        _c("run_id", nn=True),
        _c("created_at", "timestamp", nn=True),
        _EXPIRES,
    ),
    indexes=(
        Index("mastra_evals_agent_name_created_at_idx", ("agent_name", "created_at")),
        Index("mastra_evals_created_at_idx", ("created_at",)),
        _expiry("mastra_evals"),
    ),
)
TRACES = Table(
    "mastra_traces",
    "traces",
    (
        _c("id", nn=True),
        _c("parentSpanId"),
        _c("name", nn=True),
        _c("traceId", nn=True),
        _c("scope", nn=True),
        _c("kind", "integer", nn=True),
        _c("attributes", "json"),
        _c("status", "json"),
        _c("events", "json"),
        _c("links", "json"),
        _c("other", "json"),
        _c("startTime", "integer", nn=True),
        _c("endTime", "integer", nn=True),
        _c("createdAt", "timestamp", nn=True),
        _EXPIRES,
    ),
    primary_key=("id",),
    indexes=(
        Index("mastra_traces_createdat_idx", ("createdAt",)),
        Index("mastra_traces_name_idx", ("name",)),
        _expiry("mastra_traces"),
    ),
)

#: Every reference table, in creation order.
TABLES: tuple[Table, ...] = (THREADS, MESSAGES, RESOURCES, WORKFLOW_SNAPSHOTS, SCORES, SPANS, AGENTS, EVALS, TRACES)
#: Tables per domain.
DOMAIN_TABLES: dict[str, tuple[Table, ...]] = {
    domain: tuple(t for t in TABLES if t.domain == domain)
    for domain in ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")
}
#: Where each backend records the layout version it brought the database to.
SCHEMA_VERSION_TABLE = "mastra_schema_version"


def table(name: str) -> Table:
    """The reference table called ``name``."""
    for t in TABLES:
        if t.name == name:
            return t
    raise KeyError(name)
