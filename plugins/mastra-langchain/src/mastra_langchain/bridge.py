"""Where a coroutine runs: on the caller's loop (an async storage) or on a ``SyncStorage``'s own loop.

An async storage's connections belong to the event loop that opened them, so sync calls need a
storage that has a loop of its own: a :class:`~mastra_core.sync.SyncStorage` (or a URL, which is opened
as one). Its async methods then run there too, awaited from the caller's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

from mastra_core.errors import ValidationError
from mastra_core.sync import SyncStorage, open_storage

T = TypeVar("T")


class Bridge:
    """The async storage to use, and how to run coroutines on it from sync and async code."""

    def __init__(self, storage: Any, *, owner: str, options: Mapping[str, Any] | None = None) -> None:
        self.owned = isinstance(storage, str)
        self.sync: SyncStorage | None = open_storage(storage, **(options or {})) if isinstance(storage, str) else (
            storage if isinstance(storage, SyncStorage) else None)
        self.storage: Any = self.sync.storage if self.sync is not None else storage
        self._owner = owner
        self._ready = not self.owned

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Block for ``coro`` (on the SyncStorage's loop); an async-only storage cannot do this."""
        if self.sync is None:
            coro.close()
            raise ValidationError(
                f"{self._owner} wraps an async storage: use its async methods (a*), or pass a SyncStorage "
                "(mastra_core.sync.open_storage) or a URL to use the sync ones",
                id="MASTRA_LANGCHAIN_SYNC_CALL_ON_ASYNC_STORAGE",
            )
        if not self._ready:
            self.sync.init()
            self._ready = True
        return self.sync.run(coro)

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro``: directly, or on the SyncStorage's loop when there is one."""
        if self.sync is None:
            return await coro
        if not self._ready:
            await asyncio.wrap_future(self.sync.submit(self.sync.storage.init()))
            self._ready = True
        return await asyncio.wrap_future(self.sync.submit(coro))

    def close(self) -> None:
        """Close the storage when it was opened here from a URL."""
        if self.owned and self.sync is not None:
            self.sync.close()
