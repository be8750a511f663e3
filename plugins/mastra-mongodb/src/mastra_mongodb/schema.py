"""The layout: collections and indexes (core's reference schema plus our own), field names, the schema version.

Collection names are the reference tables' names (``mastra_core.backend.reference_schema``); the unique
key of each collection is its table's primary or unique key; the reference's query indexes are created
beside the plugin's own (the reference's MongoDB section 4.4 indexes, and compound ones whose key order
is exactly the sort of a list operation, so pages are read from the index).
"""

from __future__ import annotations

from typing import Any

from mastra_core.backend import reference_schema as ref
from mastra_core.backend.reference_schema import TABLES, Table

THREADS = ref.THREADS.name
MESSAGES = ref.MESSAGES.name
RESOURCES = ref.RESOURCES.name
WORKFLOWS = ref.WORKFLOW_SNAPSHOTS.name
SCORES = ref.SCORES.name
SPANS = ref.SPANS.name
AGENTS = ref.AGENTS.name
EVALS = ref.EVALS.name
TRACES = ref.TRACES.name

#: Every collection the store owns, in the reference's order.
COLLECTIONS: tuple[str, ...] = tuple(t.name for t in TABLES)
#: The reference table of each collection.
TABLE: dict[str, Table] = {t.name: t for t in TABLES}

#: ``{_id: "mongodb", version, updatedAt}``: the layout version ``init()`` brought the database to.
#: Version 1: the reference's documents plus the optional ``seq``/``rev``/``expiresAt`` fields and our indexes
#: (documents without them, e.g. written by the reference, are read as they are: nothing to rewrite).
SCHEMA_VERSIONS = ref.SCHEMA_VERSION_TABLE
SCHEMA_VERSION = 1

#: Entity type (retention.py) stored in each collection (agents have no TTL).
ENTITY = {
    THREADS: "thread", MESSAGES: "message", RESOURCES: "resource", WORKFLOWS: "workflow_snapshot", SCORES: "score",
    SPANS: "span", EVALS: "eval", TRACES: "trace",
}

#: Our additions to the reference's document shapes (all optional, so the reference can share a database):
#: ``seq`` is the insertion sequence (the tie-break of every ordering), ``rev`` the revision used by
#: optimistic compare-and-set updates, ``expiresAt`` the BSON date a TTL index expires the document at.
SEQ = "seq"
REV = "rev"
EXPIRES = ref.EXPIRES_AT

Keys = list[tuple[str, int]]
IndexSpec = tuple[Keys, dict[str, Any]]


def _unique_key(table: Table) -> list[IndexSpec]:
    key = table.primary_key or table.unique
    return [([(f, 1) for f in key], {"unique": True})] if key else []


#: Indexes needed for correctness (uniqueness of the natural key): always created. The legacy evals have
#: no key; their one index serves their only listing.
REQUIRED_INDEXES: dict[str, list[IndexSpec]] = {
    **{t.name: _unique_key(t) for t in TABLES},
    EVALS: [([("agent_name", 1), ("created_at", -1), (SEQ, -1)], {})],
}

#: The plugin's own query indexes: the reference's MongoDB indexes (its section 4.4) plus compound ones
#: whose key order is exactly the sort of our list operations (created_at, then seq).
_OWN_INDEXES: dict[str, list[Keys]] = {
    THREADS: [
        [("resourceId", 1)], [("createdAt", -1)], [("updatedAt", -1)],
        [("resourceId", 1), ("createdAt", 1), (SEQ, 1)],
        [("resourceId", 1), ("updatedAt", 1), (SEQ, 1)],
        [("createdAt", 1), (SEQ, 1)],
        [("updatedAt", 1), (SEQ, 1)],
    ],
    MESSAGES: [
        [("thread_id", 1)], [("resourceId", 1)], [("createdAt", -1)],
        [("thread_id", 1), ("createdAt", 1)],
        [("thread_id", 1), ("createdAt", 1), (SEQ, 1), ("id", 1)],
    ],
    RESOURCES: [[("createdAt", -1)], [("updatedAt", -1)]],
    WORKFLOWS: [
        [("run_id", 1)], [("workflow_name", 1)], [("resourceId", 1)], [("createdAt", -1)],
        [("snapshot.status", 1)],
        [("createdAt", -1), (SEQ, -1)],
        [("workflow_name", 1), ("createdAt", -1), (SEQ, -1)],
    ],
    SCORES: [
        [("scorerId", 1)], [("runId", 1)], [("entityId", 1), ("entityType", 1)],
        [("traceId", 1), ("spanId", 1)], [("createdAt", -1)], [("source", 1)],
        [("scorerId", 1), ("createdAt", -1), (SEQ, -1)],
        [("runId", 1), ("createdAt", -1), (SEQ, -1)],
        [("entityId", 1), ("entityType", 1), ("createdAt", -1), (SEQ, -1)],
    ],
    SPANS: [
        [("traceId", 1)], [("parentSpanId", 1)], [("startedAt", -1)], [("spanType", 1)], [("name", 1)],
        [("traceId", 1), ("startedAt", 1), (SEQ, 1)],
        [("parentSpanId", 1), ("startedAt", -1), (SEQ, -1)],
    ],
    AGENTS: [[("createdAt", -1), (SEQ, -1)], [("updatedAt", -1), (SEQ, -1)]],
    EVALS: [],
    TRACES: [[("name", 1)], [("createdAt", -1), (SEQ, -1)]],
}


def _covered(fields: tuple[str, ...], by: list[tuple[str, ...]]) -> bool:
    """Whether an index on ``fields`` leads one of ``by`` (same leading fields, in any direction)."""
    return any(other[:len(fields)] == fields for other in by)


def _default_indexes(table: Table) -> list[IndexSpec]:
    """Our query indexes of ``table``, then each reference index no index here already leads.

    Partial reference indexes are left out: their ``expiresAt`` ones are the TTL index here, and the
    root-span one is served by ``parentSpanId``. Indexes are left unnamed so the server's default name makes
    a second ``init()`` (or an index an older version created) a no-op.
    """
    own: list[IndexSpec] = [(list(keys), {}) for keys in _OWN_INDEXES[table.name]]
    made = [tuple(f for f, _ in keys) for keys, _ in [*REQUIRED_INDEXES[table.name], *own]]
    out: list[IndexSpec] = list(own)
    for index in table.indexes:
        if index.where is None and not index.unique and not _covered(index.columns, made):
            made.append(index.columns)
            out.append(([(c, 1) for c in index.columns], {}))
    return out


#: Query indexes, created unless ``skip_default_indexes``.
DEFAULT_INDEXES: dict[str, list[IndexSpec]] = {t.name: _default_indexes(t) for t in TABLES}

#: The TTL index on ``expiresAt`` (created for collections whose entity has a TTL configured).
TTL_INDEX: IndexSpec = ([(EXPIRES, 1)], {"expireAfterSeconds": 0})


def indexes_for(collection: str, *, defaults: bool, ttl: bool, custom: list[dict[str, Any]]) -> list[IndexSpec]:
    """Every index ``init()`` creates on ``collection``: required, default (unless skipped), TTL, the user's."""
    specs = list(REQUIRED_INDEXES.get(collection, []))
    if defaults:
        specs += DEFAULT_INDEXES.get(collection, [])
    if ttl:
        specs.append(TTL_INDEX)
    specs += [(c["keys"], c["options"]) for c in custom if c["collection"] == collection]
    return specs
