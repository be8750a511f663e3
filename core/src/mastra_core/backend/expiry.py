"""Per-record expiry, read and written exactly: what ``mastra copy`` uses to carry each record's TTL across backends.

A record's expiry is "its TTL after its last write" (see :mod:`mastra_core.retention`), an instant stored with the
record. Copying through the public API would stamp a new one (the copy is a write), so a backend that can answers
:meth:`~mastra_core.storage.Storage.read_expiry` (the stored instant per record) and
:meth:`~mastra_core.storage.Storage.write_expiry` (set it exactly, or clear it). Records are named by their key:
``(id,)`` for most kinds, ``(workflow_name, run_id)`` for workflow runs and ``(trace_id, span_id)`` for spans.
Legacy evals have no key and agents no TTL: neither is listed here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from . import reference_schema as ref

#: A record's key within its kind.
Key = tuple[str, ...]
#: key -> the instant the record expires (None: never).
Expiries = dict[Key, datetime | None]


@attrs.define(frozen=True)
class ExpiryKind:
    """A record kind that expires: its retention entity, its reference table and the table's key columns, and the
    record attributes that make its key."""

    entity: str
    table: str
    columns: tuple[str, ...]
    attributes: tuple[str, ...]


#: Every record kind whose expiry can be carried over, by the kind names of ``mastra copy``.
KINDS: dict[str, ExpiryKind] = {
    "thread": ExpiryKind("thread", ref.THREADS.name, ("id",), ("id",)),
    "message": ExpiryKind("message", ref.MESSAGES.name, ("id",), ("id",)),
    "resource": ExpiryKind("resource", ref.RESOURCES.name, ("id",), ("id",)),
    "workflow_run": ExpiryKind("workflow_snapshot", ref.WORKFLOW_SNAPSHOTS.name, ("workflow_name", "run_id"),
                               ("workflow_name", "run_id")),
    "score": ExpiryKind("score", ref.SCORES.name, ("id",), ("id",)),
    "span": ExpiryKind("span", ref.SPANS.name, ("traceId", "spanId"), ("trace_id", "span_id")),
    "trace": ExpiryKind("trace", ref.TRACES.name, ("id",), ("id",)),
}


def key_of(kind: str, record: Any) -> Key:
    """The key of a record of ``kind`` (a kind listed in :data:`KINDS`)."""
    return tuple(str(getattr(record, a)) for a in KINDS[kind].attributes)
