"""The shared state of one in-memory storage: tables as dicts, a sequence counter and expiries."""

from __future__ import annotations

import copy
import itertools
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from ..retention import is_expired

T = TypeVar("T")


@attrs.define
class Row(Generic[T]):
    """A stored record with its insertion sequence (the tie-break of every ordering) and expiry."""

    record: T
    seq: int
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return not is_expired(self.expires_at, now)


@attrs.define
class State:
    """Every table of one in-memory storage. Records are copied in and out, so callers never alias them."""

    threads: dict[str, Row[Any]] = attrs.field(factory=dict)
    messages: dict[str, Row[Any]] = attrs.field(factory=dict)
    #: thread id -> message ids (unordered; ordered on read by (created_at, seq))
    thread_messages: dict[str, set[str]] = attrs.field(factory=dict)
    resources: dict[str, Row[Any]] = attrs.field(factory=dict)
    runs: dict[tuple[str, str], Row[Any]] = attrs.field(factory=dict)
    scores: dict[str, Row[Any]] = attrs.field(factory=dict)
    spans: dict[tuple[str, str], Row[Any]] = attrs.field(factory=dict)
    agents: dict[str, Row[Any]] = attrs.field(factory=dict)
    evals: list[Row[Any]] = attrs.field(factory=list)
    traces: dict[str, Row[Any]] = attrs.field(factory=dict)
    _counter: Any = attrs.field(factory=lambda: itertools.count(1))

    def next_seq(self) -> int:
        value: int = next(self._counter)
        return value


def clone(value: T) -> T:
    """A deep copy, so stored records and returned records never share mutable parts."""
    return copy.deepcopy(value)
