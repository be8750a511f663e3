"""Known differences, declared: each is on the reference side (or a capability the reference lacks).

``check(backend, test, found)`` compares what a test found with what is declared for it, both ways: an
undeclared difference fails (a bug to fix), and so does a declared one that no longer happens (the
declaration must go). Entries are matched by prefix, so a declared path covers its sub-paths.
"""

from __future__ import annotations

NO_TYPE = (
    "the reference's listMessages returns messages without their stored `type` (the row has it: Python reads 'v2')"
)
RAW_ID = "@mastra/mongodb returns thread and span documents as stored, with the server's `_id`"

_MESSAGES_NO_TYPE = {f"ref messages[{i}].type: missing": NO_TYPE for i in range(3)}
_MONGO_RAW = {"ref thread._id: unexpected": RAW_ID}

NO_DELETE = "@mastra/mongodb 1.0.0-beta.6 has no deleteMessages (it throws 'not supported by this storage adapter')"
NO_STATE = "@mastra/mongodb 1.0.0-beta.6 has no updateWorkflowState (it throws 'Method not implemented.')"
_MONGO_CROSS = {
    "ref refused Message deletion is not supported": NO_DELETE,
    "ref refused Method not implemented.": NO_STATE,
    "on-py py snapshot.": NO_STATE,
    "on-py ref snapshot.": NO_STATE,
    "on-ref ref other._id: unexpected": RAW_ID,
    "on-py ref other._id: unexpected": RAW_ID,
}

PG_NO_STATE = "@mastra/pg 1.0.0 has no updateWorkflowState (it throws 'Method not implemented.')"
_PG_CROSS = {
    "ref refused Method not implemented.": PG_NO_STATE,
    "on-py py snapshot.": PG_NO_STATE,
    "on-py ref snapshot.": PG_NO_STATE,
}
PG_MEMORY = (
    "@mastra/pg 1.0.0 writes an agent's `memory` with JSON.stringify once (a JSONB string holding the bare "
    "text) and reads it with JSON.parse, so it cannot read back any agent it saved with `memory`; "
    "Python reads it (and writes the JSON text, which both sides read)"
)

LIBSQL_BOOL = (
    "@mastra/libsql 1.0.0 returns a span's `isEvent` as the SQLite integer (0/1), not a boolean, "
    "whoever wrote the row (Python reads a boolean from the same row)"
)
_LIBSQL = {
    **_MESSAGES_NO_TYPE,
    "ref spans[0].isEvent: False != 0": LIBSQL_BOOL,
    "ref spans[1].isEvent: False != 0": LIBSQL_BOOL,
}

#: (backend, test) -> {finding prefix: why it is the reference's, not ours}
DECLARED: dict[tuple[str, str], dict[str, str]] = {
    ("libsql", "reference_writes"): _LIBSQL,
    ("libsql", "python_writes"): _LIBSQL,
    ("libsql", "reference_schema"): _LIBSQL,
    ("libsql", "python_init_additive"): _LIBSQL,
    ("pg", "reference_writes"): {**_MESSAGES_NO_TYPE, "ref failed getAgentById: Failed to parse JSON": PG_MEMORY},
    ("pg", "python_writes"): _MESSAGES_NO_TYPE,
    ("pg", "reference_schema"): _MESSAGES_NO_TYPE,
    ("pg", "python_init_additive"): {**_MESSAGES_NO_TYPE, "ref failed getAgentById: Failed to parse JSON": PG_MEMORY},
    ("pg", "cross_updates"): _PG_CROSS,
    ("mongodb", "reference_writes"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW},
    ("mongodb", "python_writes"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW},
    ("mongodb", "reference_schema"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW},
    ("mongodb", "cross_updates"): _MONGO_CROSS,
    ("mongodb", "python_init_additive"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW},
}


#: What Python's init adds to a reference database (``fnmatch`` patterns over ``table.column`` and
#: ``table:indexes.name``). Kept in step with docs/sharing-a-database-with-mastra-ts.md.
_ADDED_COMMON = (
    "*:indexes.*",  # query indexes the reference lacks (all ours are named, none replaces one of its own)
    "*.expiresAt",  # the TTL column, nullable: rows without it never expire
    "mastra_scorers.structuredOutput",  # nullable
    "mastra_evals.*",
    "mastra_traces.*",  # the legacy evals and traces tables the reference 1.0 no longer has
    "mastra_schema_version.*",  # the layout version our migrations keep
)
ADDED_BY_PYTHON_INIT: dict[str, tuple[str, ...]] = {
    # per-thread message counts (O(1) totals); seq: an insertion sequence (defaulted), the tie-break of equal times;
    # the operation tokens of exactly-once writes (pg: mastra_applied_ops; libsql over sqld: mastra_write_tokens)
    "pg": (*_ADDED_COMMON, "mastra_message_counts.*", "mastra_applied_ops.*", "*.seq", "*.*Z"),
    "libsql": (*_ADDED_COMMON, "mastra_message_counts.*"),
    "libsql-sqld": (*_ADDED_COMMON, "mastra_message_counts.*", "mastra_write_tokens.*"),
    "mongodb": _ADDED_COMMON,
}
#: Constraints Python's init relaxes (``table.column``): NOT NULL dropped so Python may store what the reference
#: never writes; the reference's own writes are unaffected.
RELAXED_BY_PYTHON_INIT: dict[str, tuple[str, ...]] = {
    "pg": ("mastra_threads.title",),  # a thread without a title
    "libsql": (),
    "libsql-sqld": (),
    "mongodb": (),
}


def ref_has_agents(backend: str) -> bool:
    """Whether the reference package has the agents domain (the served @mastra/mongodb 1.0.0-beta.6 does not)."""
    return backend != "mongodb"


def check(backend: str, test: str, found: list[str]) -> None:
    """Assert that ``found`` is exactly what is declared for ``(backend, test)``."""
    declared = DECLARED.get((backend, test), DECLARED.get((backend.removesuffix("-sqld"), test), {}))
    undeclared = [f for f in found if not any(f.startswith(p) for p in declared)]
    stale = [p for p in declared if not any(f.startswith(p) for f in found)]
    lines = []
    if undeclared:
        lines.append("undeclared differences:\n  " + "\n  ".join(undeclared))
    if stale:
        lines.append("declared deviations that no longer happen (remove them):\n  " + "\n  ".join(stale))
    assert not lines, "\n".join(lines)
