"""The shared state of one in-memory storage: tables as dicts, a sequence counter and expiries."""

from __future__ import annotations

import bisect
import itertools
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs

from ..fastcopy import deep_copy
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


MessageKey = tuple[datetime, int, str]


def message_key(row: Row[Any]) -> MessageKey:
    """(created_at, seq, id): a message's place in its thread; both parts are fixed at first save."""
    return (row.record.created_at, row.seq, row.record.id)


class ThreadIndex:
    """Per-thread sorted lists of message keys (bisect keeps inserts O(log n) to find, pages O(page))."""

    def __init__(self) -> None:
        self._keys: dict[str, list[MessageKey]] = {}

    def add(self, thread_id: str, row: Row[Any]) -> None:
        keys = self._keys.setdefault(thread_id, [])
        key = message_key(row)
        i = bisect.bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            keys.insert(i, key)

    def discard(self, thread_id: str, row: Row[Any]) -> None:
        keys = self._keys.get(thread_id)
        if not keys:
            return
        key = message_key(row)
        i = bisect.bisect_left(keys, key)
        if i < len(keys) and keys[i] == key:
            del keys[i]

    def keys(self, thread_id: str) -> list[MessageKey]:
        return self._keys.get(thread_id, [])

    def pop(self, thread_id: str) -> list[str]:
        return [k[2] for k in self._keys.pop(thread_id, [])]

    def clear(self) -> None:
        self._keys.clear()


@attrs.define
class State:
    """Every table of one in-memory storage. Records are copied in and out, so callers never alias them."""

    threads: dict[str, Row[Any]] = attrs.field(factory=dict)
    messages: dict[str, Row[Any]] = attrs.field(factory=dict)
    #: thread id -> its messages' keys in total order, so pages and windows never sort a whole thread
    thread_messages: ThreadIndex = attrs.field(factory=lambda: ThreadIndex())
    resources: dict[str, Row[Any]] = attrs.field(factory=dict)
    runs: dict[tuple[str, str], Row[Any]] = attrs.field(factory=dict)
    scores: dict[str, Row[Any]] = attrs.field(factory=dict)
    spans: dict[tuple[str, str], Row[Any]] = attrs.field(factory=dict)
    agents: dict[str, Row[Any]] = attrs.field(factory=dict)
    evals: list[Row[Any]] = attrs.field(factory=list)
    traces: dict[str, Row[Any]] = attrs.field(factory=dict)
    _counter: Any = attrs.field(factory=lambda: itertools.count(1))

    def next_seq(self) -> int:
        """The next insertion sequence number (the tiebreak of equal timestamps)."""
        value: int = next(self._counter)
        return value

    async def open(self) -> None:
        """Nothing to connect to."""

    async def close(self) -> None:
        """Nothing to release: the data lives as long as this object."""


def clone(value: T) -> T:
    """A deep copy, so stored records and returned records never share mutable parts."""
    return deep_copy(value)
