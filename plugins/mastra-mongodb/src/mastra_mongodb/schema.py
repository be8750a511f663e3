"""Collection names, field names and the indexes the store creates (reference section 4.4 plus our own)."""

from __future__ import annotations

from typing import Any

THREADS = "mastra_threads"
MESSAGES = "mastra_messages"
RESOURCES = "mastra_resources"
WORKFLOWS = "mastra_workflow_snapshot"
SCORES = "mastra_scorers"
SPANS = "mastra_ai_spans"
AGENTS = "mastra_agents"
EVALS = "mastra_evals"
TRACES = "mastra_traces"

COLLECTIONS = (THREADS, MESSAGES, RESOURCES, WORKFLOWS, SCORES, SPANS, AGENTS, EVALS, TRACES)

#: ``{_id: "mongodb", version, updatedAt}``: the layout version ``init()`` brought the database to.
#: Version 1: the reference's documents plus the optional ``seq``/``rev``/``expiresAt`` fields and our indexes
#: (documents without them, e.g. written by the reference, are read as they are: nothing to rewrite).
SCHEMA_VERSIONS = "mastra_schema_version"
SCHEMA_VERSION = 1

#: Entity type (retention.py) stored in each collection.
ENTITY = {
    THREADS: "thread", MESSAGES: "message", RESOURCES: "resource", WORKFLOWS: "workflow_snapshot", SCORES: "score",
    SPANS: "span", EVALS: "eval", TRACES: "trace",
}

#: Our additions to the reference's document shapes (all optional, so the reference can share a database):
#: ``seq`` is the insertion sequence (the tie-break of every ordering), ``rev`` the revision used by
#: optimistic compare-and-set updates, ``expiresAt`` the BSON date a TTL index expires the document at.
SEQ = "seq"
REV = "rev"
EXPIRES = "expiresAt"

Keys = list[tuple[str, int]]

#: Indexes every store needs for correctness (uniqueness of the natural key); always created.
REQUIRED_INDEXES: dict[str, list[tuple[Keys, dict[str, Any]]]] = {
    THREADS: [([("id", 1)], {"unique": True})],
    MESSAGES: [([("id", 1)], {"unique": True})],
    RESOURCES: [([("id", 1)], {"unique": True})],
    WORKFLOWS: [([("workflow_name", 1), ("run_id", 1)], {"unique": True})],
    SCORES: [([("id", 1)], {"unique": True})],
    SPANS: [([("spanId", 1), ("traceId", 1)], {"unique": True})],
    AGENTS: [([("id", 1)], {"unique": True})],
    EVALS: [([("agent_name", 1), ("created_at", -1), (SEQ, -1)], {})],
    TRACES: [([("id", 1)], {"unique": True})],
}

#: Query indexes: the reference's (section 4.4) plus compound ones whose key order is exactly the
#: sort of our list operations (created_at, then seq), so pages are read from the index.
DEFAULT_INDEXES: dict[str, list[tuple[Keys, dict[str, Any]]]] = {
    THREADS: [
        ([("resourceId", 1)], {}), ([("createdAt", -1)], {}), ([("updatedAt", -1)], {}),
        ([("resourceId", 1), ("createdAt", 1), (SEQ, 1)], {}),
        ([("resourceId", 1), ("updatedAt", 1), (SEQ, 1)], {}),
        ([("createdAt", 1), (SEQ, 1)], {}),
        ([("updatedAt", 1), (SEQ, 1)], {}),
    ],
    MESSAGES: [
        ([("thread_id", 1)], {}), ([("resourceId", 1)], {}), ([("createdAt", -1)], {}),
        ([("thread_id", 1), ("createdAt", 1)], {}),
        ([("thread_id", 1), ("createdAt", 1), (SEQ, 1), ("id", 1)], {}),
    ],
    RESOURCES: [([("createdAt", -1)], {}), ([("updatedAt", -1)], {})],
    WORKFLOWS: [
        ([("run_id", 1)], {}), ([("workflow_name", 1)], {}), ([("resourceId", 1)], {}), ([("createdAt", -1)], {}),
        ([("snapshot.status", 1)], {}),
        ([("createdAt", -1), (SEQ, -1)], {}),
        ([("workflow_name", 1), ("createdAt", -1), (SEQ, -1)], {}),
    ],
    SCORES: [
        ([("scorerId", 1)], {}), ([("runId", 1)], {}), ([("entityId", 1), ("entityType", 1)], {}),
        ([("traceId", 1), ("spanId", 1)], {}), ([("createdAt", -1)], {}), ([("source", 1)], {}),
        ([("scorerId", 1), ("createdAt", -1), (SEQ, -1)], {}),
        ([("runId", 1), ("createdAt", -1), (SEQ, -1)], {}),
        ([("entityId", 1), ("entityType", 1), ("createdAt", -1), (SEQ, -1)], {}),
    ],
    SPANS: [
        ([("traceId", 1)], {}), ([("parentSpanId", 1)], {}), ([("startedAt", -1)], {}), ([("spanType", 1)], {}),
        ([("name", 1)], {}),
        ([("traceId", 1), ("startedAt", 1), (SEQ, 1)], {}),
        ([("parentSpanId", 1), ("startedAt", -1), (SEQ, -1)], {}),
    ],
    AGENTS: [([("createdAt", -1), (SEQ, -1)], {}), ([("updatedAt", -1), (SEQ, -1)], {})],
    EVALS: [],
    TRACES: [([("name", 1)], {}), ([("createdAt", -1), (SEQ, -1)], {})],
}

#: The TTL index on ``expiresAt`` (created for collections whose entity has a TTL configured).
TTL_INDEX: tuple[Keys, dict[str, Any]] = ([(EXPIRES, 1)], {"expireAfterSeconds": 0})
