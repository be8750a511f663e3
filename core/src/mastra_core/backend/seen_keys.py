"""Rows a store saw live, by key: which write to try first for the next write of the same key.

A write of a key seen live tries the narrow update first (an SQL ``UPDATE``, a DynamoDB conditional UpdateItem:
the cheapest request when the row is there); a write of a key never seen tries the insert or upsert first (right
for any row), which spares a new key the update that finds nothing. A hint only: each write's own guard
(a WHERE clause, a condition expression) decides, so a stale or missing entry costs one more statement or request,
never a wrong result. Touched only on the event loop's thread (a worker job gets what it needs to know as an
argument); bounded: when full it starts over, so a store that sees millions of keys keeps a few thousand.
Every backend keeps its hints in this one class.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SeenKeys(Generic[K, V]):
    """A bounded map of keys seen live to what was seen of them (None when only the key matters)."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._rows: dict[K, V | None] = {}

    def __contains__(self, key: K) -> bool:
        return key in self._rows

    def get(self, key: K) -> V | None:
        """What was seen of ``key``, or None."""
        return self._rows.get(key)

    def put(self, key: K, seen: V | None = None) -> None:
        """Remember ``key`` as seen live (with ``seen``)."""
        rows = self._rows
        if len(rows) >= self.LIMIT and key not in rows:
            rows.clear()
        rows[key] = seen

    def drop(self, key: K) -> None:
        """Forget ``key`` (deleted, or changed in a way the hint does not follow)."""
        self._rows.pop(key, None)

    def clear(self) -> None:
        """Forget every key."""
        self._rows.clear()
