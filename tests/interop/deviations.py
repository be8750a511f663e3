"""Known differences, declared: each is on the reference side (or a capability the reference lacks).

``check(backend, test, found)`` compares what a test found with what is declared for it, both ways: an
undeclared difference fails (a bug to fix), and so does a declared one that no longer happens (the
declaration must go). Entries are matched by prefix, so a declared path covers its sub-paths.
"""

from __future__ import annotations

NO_TYPE = "the reference's listMessages returns messages without their stored `type` (the row has it: Python reads 'v2')"
RAW_ID = "@mastra/mongodb returns thread and span documents as stored, with the server's `_id`"
RAW_SEQ = ("@mastra/mongodb returns thread and span documents as stored, so our insertion sequence `seq` shows "
           "in them (messages, resources, runs, scores are mapped field by field and do not show it)")

_MESSAGES_NO_TYPE = {f"ref messages[{i}].type: missing": NO_TYPE for i in range(3)}
_MONGO_RAW = {"ref thread._id: unexpected": RAW_ID}
_MONGO_RAW_SEQ = {"ref thread.seq: unexpected": RAW_SEQ, "ref spans[0].seq: unexpected": RAW_SEQ,
                  "ref spans[1].seq: unexpected": RAW_SEQ}

#: (backend, test) -> {finding prefix: why it is the reference's, not ours}
DECLARED: dict[tuple[str, str], dict[str, str]] = {
    ("mongodb", "reference_writes"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW},
    ("mongodb", "python_writes"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW, **_MONGO_RAW_SEQ},
    ("mongodb", "reference_schema"): {**_MESSAGES_NO_TYPE, **_MONGO_RAW, **_MONGO_RAW_SEQ},
}


def ref_has_agents(backend: str) -> bool:
    """Whether the reference package has the agents domain (the served @mastra/mongodb 1.0.0-beta.6 does not)."""
    return backend != "mongodb"


def check(backend: str, test: str, found: list[str]) -> None:
    """Assert that ``found`` is exactly what is declared for ``(backend, test)``."""
    declared = DECLARED.get((backend, test), {})
    undeclared = [f for f in found if not any(f.startswith(p) for p in declared)]
    stale = [p for p in declared if not any(f.startswith(p) for f in found)]
    lines = []
    if undeclared:
        lines.append("undeclared differences:\n  " + "\n  ".join(undeclared))
    if stale:
        lines.append("declared deviations that no longer happen (remove them):\n  " + "\n  ".join(stale))
    assert not lines, "\n".join(lines)
