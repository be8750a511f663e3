"""``KeyedLocks``: one asyncio lock per key, kept only while somebody holds or waits for it.

Why the MongoDB memory domain needs it: its one-command updates (``findOneAndUpdate`` guarded by ``updatedAt``
before now) rely on the server re-checking the filter atomically with the update, as MongoDB does for a single
document. The wire server this project tests on (jongodb) does not always: twenty concurrent guarded updates of
one thread let two through with the same ``updatedAt`` in about 1 run in 7 (both changes kept, the strict bump
lost; ``test_concurrency.py::test_concurrent_update_thread_metadata_loses_nothing``). Serialising a process's own
updates of one document removes that race wherever it comes from; on MongoDB they serialise on the document anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class KeyedLocks:
    """``async with locks.hold(key):`` one holder per key at a time; the map keeps no idle key."""

    def __init__(self) -> None:
        #: key -> (its lock, how many hold or wait for it)
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait for ``key``'s lock, hold it for the block, and forget the key when nobody else wants it."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            users = self._locks[key][1] - 1
            if users:
                self._locks[key] = (lock, users)
            else:
                del self._locks[key]

    def __len__(self) -> int:
        """How many keys are held or waited for."""
        return len(self._locks)
