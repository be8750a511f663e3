"""Keys of rows a store saw live: which statement to try first for the next write of the same key.

A write of a key seen live tries the narrow ``UPDATE`` first (the cheapest statement when the row is there); a
write of a key never seen tries the ``INSERT .. ON CONFLICT DO UPDATE`` first, which is right for any row and spares
a new key the UPDATE that finds nothing. A hint only: each statement's own guard decides, so a stale or missing
entry costs one more statement, never a wrong result. Touched only on the event loop's thread (a job gets what it
needs to know as an argument); bounded: when full it starts over.
"""

from __future__ import annotations

from collections.abc import Hashable


class SeenKeys:
    """A bounded set of keys seen live."""

    LIMIT = 4096

    def __init__(self) -> None:
        self._keys: dict[Hashable, None] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def add(self, key: Hashable) -> None:
        """Remember ``key`` as seen live."""
        keys = self._keys
        if len(keys) >= self.LIMIT and key not in keys:
            keys.clear()
        keys[key] = None

    def drop(self, key: Hashable) -> None:
        """Forget ``key`` (deleted)."""
        self._keys.pop(key, None)

    def clear(self) -> None:
        """Forget every key."""
        self._keys.clear()
