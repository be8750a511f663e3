"""Pure matching and ordering helpers for backends that filter or sort in Python.

They are the executable definition of the filters (the in-memory backend uses them); SQL backends
express the same rules in SQL and the conformance suite checks they agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .. import records as r
from ..records.queries import MessageQuery


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality of JSON values where ``1 == 1.0`` but ``True != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(type(a) is type(b) or (isinstance(a, int | float) and isinstance(b, int | float))) and a == b


def metadata_matches(metadata: Mapping[str, Any] | None, wanted: Mapping[str, Any] | None) -> bool:
    """Every wanted key is present and deep-equal (a key absent from metadata never matches)."""
    if not wanted:
        return True
    meta = metadata or {}
    return all(k in meta and json_equal(meta[k], v) for k, v in wanted.items())


def contains(container: Any, wanted: Any) -> bool:
    """JSON containment (PostgreSQL ``@>``): objects recursively, arrays as sub-multisets, scalars equal."""
    if isinstance(wanted, Mapping):
        return isinstance(container, Mapping) and all(
            k in container and contains(container[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(container, list) and all(any(contains(c, w) for c in container) for w in wanted)
    return json_equal(container, wanted)


def in_date_range(value: datetime, q: MessageQuery) -> bool:
    if q.start is not None and (value < q.start or (q.start_exclusive and value == q.start)):
        return False
    return not (q.end is not None and (value > q.end or (q.end_exclusive and value == q.end)))


def trace_status(root: r.Span) -> str:
    if root.error is not None:
        return "error"
    return "running" if root.ended_at is None else "success"


def trace_matches(root: r.Span, f: r.TraceFilter, child_error: bool) -> bool:
    """Whether a trace (its root span, and whether any of its spans has an error) passes ``f``."""
    from ..records.spans import TRACE_EQUALITY_FILTERS

    for name in TRACE_EQUALITY_FILTERS:
        wanted = getattr(f, name)
        if wanted is not None and getattr(root, name) != wanted:
            return False
    if f.started_at_from is not None and root.started_at < f.started_at_from:
        return False
    if f.started_at_to is not None and root.started_at > f.started_at_to:
        return False
    if f.ended_at_from is not None and (root.ended_at is None or root.ended_at < f.ended_at_from):
        return False
    if f.ended_at_to is not None and (root.ended_at is None or root.ended_at > f.ended_at_to):
        return False
    if f.scope is not None and not contains(root.scope or {}, f.scope):
        return False
    if f.metadata is not None and not contains(root.metadata or {}, f.metadata):
        return False
    if f.tags and not all(t in (root.tags or []) for t in f.tags):
        return False
    if f.status is not None and trace_status(root) != f.status:
        return False
    return f.has_child_error is None or f.has_child_error == child_error
