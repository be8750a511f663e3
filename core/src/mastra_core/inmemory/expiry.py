"""Each record's expiry, read and set exactly on the in-memory backend (``Storage.read_expiry`` / ``write_expiry``,
what ``mastra copy`` uses to carry TTLs from or to ``memory://``).

Every stored :class:`~mastra_core.inmemory.connection.Row` holds its expiry instant; the tables are keyed the way
:data:`~mastra_core.backend.expiry.KINDS` names records (``(id,)``, ``(workflow_name, run_id)``,
``(trace_id, span_id)``), so a read or a write is one dict lookup per key. Expired rows not yet pruned are still
stored and are listed (a copy carries them as they are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..backend.expiry import Expiries, Key
from .connection import Row, State


def _table(state: State, kind: str) -> tuple[dict[Any, Row[Any]], bool]:
    """The table of ``kind`` and whether its dict key is the whole tuple (compound keys) or its one element."""
    tables: dict[str, tuple[dict[Any, Row[Any]], bool]] = {
        "thread": (state.threads, False), "message": (state.messages, False), "resource": (state.resources, False),
        "workflow_run": (state.runs, True), "score": (state.scores, False), "span": (state.spans, True),
        "trace": (state.traces, False),
    }
    return tables[kind]


def read(state: State, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry of each existing record among ``keys``."""
    table, whole = _table(state, kind)
    out: Expiries = {}
    for key in keys:
        row = table.get(tuple(key) if whole else key[0])
        if row is not None:
            out[tuple(key)] = row.expires_at
    return out


def write(state: State, kind: str, expiries: Mapping[Key, datetime | None]) -> None:
    """Set each record's expiry (None: never); records that do not exist are left alone. All keys are looked up
    before any is set, and nothing awaits in between, so a write is all or nothing."""
    table, whole = _table(state, kind)
    rows = [(table.get(tuple(key) if whole else key[0]), at) for key, at in expiries.items()]
    for row, at in rows:
        if row is not None:
            row.expires_at = at
