"""A blocking facade over the async API, for scripts and sync frameworks, with no second implementation.

``SyncStorage(storage)`` runs the storage on a private event loop in a background thread; every
async method of the storage and of its domain stores becomes a plain blocking call::

    from mastra_core.sync import open_storage
    with open_storage("file:./mastra.db") as storage:
        storage.memory.save_thread(thread=Thread(id="t1", resource_id="u1"))
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import threading
from collections.abc import Callable, Coroutine
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar

from .domains.base import DomainStore
from .storage import Storage
from .sync_stores import (
    SyncAgentsStore,
    SyncDomainStore,
    SyncEvalsStore,
    SyncMemoryStore,
    SyncObservabilityStore,
    SyncScoresStore,
    SyncTracesStore,
    SyncWorkflowsStore,
)

T = TypeVar("T")


class _Loop:
    """An event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="mastra-sync-loop", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("a sync mastra call was made from inside its own event loop; use the async API there")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


class _SyncProxy:
    """Wraps an object so its coroutine methods block; domain stores are wrapped the same way."""

    def __init__(self, target: Any, loop: _Loop) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, DomainStore):
            return _SyncProxy(value, self._loop)
        if inspect.iscoroutinefunction(value):
            return _blocking(value, self._loop)
        return value

    def __dir__(self) -> list[str]:
        return dir(self._target)

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"


def _blocking(fn: Callable[..., Coroutine[Any, Any, T]], loop: _Loop) -> Callable[..., T]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> T:
        return loop.run(fn(*args, **kwargs))

    return call


#: Blocking twin class per domain name.
_SYNC_CLASSES: dict[str, type[SyncDomainStore[Any]]] = {
    "memory": SyncMemoryStore, "workflows": SyncWorkflowsStore, "scores": SyncScoresStore,
    "observability": SyncObservabilityStore, "agents": SyncAgentsStore, "evals": SyncEvalsStore,
    "traces": SyncTracesStore,
}


class SyncStorage(_SyncProxy):
    """A storage whose every operation blocks. Use as a context manager, or call ``close()``.

    The domain stores are typed (:mod:`mastra_core.sync_stores`): same methods, arguments and return
    types as the async ones. Backend-specific extras are reached through the same object, blocking too.
    """

    def __init__(self, storage: Storage) -> None:
        super().__init__(storage, _Loop())

    @property
    def storage(self) -> Storage:
        """The async storage behind this facade."""
        target: Storage = self._target
        return target

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine that uses this storage on the storage's own loop and block for its result.

        For code written against the async API (``Memory``, an integration's async methods) that must
        reach a storage whose connections live on this facade's loop.
        """
        result: T = self._loop.run(coro)
        return result

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the storage's loop without blocking; ``asyncio.wrap_future`` awaits it."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop.loop)

    def _wrap(self, domain: str) -> Any:
        store = self._target.get_store(domain)
        if store is None:
            self._target._require(domain)  # raises the CapabilityError that names the domain
        return _SYNC_CLASSES[domain](store, self._loop.run)

    def get_store(self, domain: str) -> SyncDomainStore[Any] | None:
        """The blocking domain store, or None when the storage has no such domain."""
        return None if self._target.get_store(domain) is None else self._wrap(domain)

    @property
    def memory(self) -> SyncMemoryStore:
        """Threads, messages and resources (blocking)."""
        store: SyncMemoryStore = self._wrap("memory")
        return store

    @property
    def workflows(self) -> SyncWorkflowsStore:
        """Workflow snapshots and runs (blocking)."""
        store: SyncWorkflowsStore = self._wrap("workflows")
        return store

    @property
    def scores(self) -> SyncScoresStore:
        """Eval scores (blocking)."""
        store: SyncScoresStore = self._wrap("scores")
        return store

    @property
    def observability(self) -> SyncObservabilityStore:
        """AI spans and traces (blocking)."""
        store: SyncObservabilityStore = self._wrap("observability")
        return store

    @property
    def agents(self) -> SyncAgentsStore:
        """Stored agents (blocking)."""
        store: SyncAgentsStore = self._wrap("agents")
        return store

    @property
    def evals(self) -> SyncEvalsStore:
        """The legacy evals table (blocking)."""
        store: SyncEvalsStore = self._wrap("evals")
        return store

    @property
    def traces(self) -> SyncTracesStore:
        """The legacy traces table (blocking)."""
        store: SyncTracesStore = self._wrap("traces")
        return store

    def init(self) -> None:
        """Create or migrate what every domain needs (blocking)."""
        self._loop.run(self._target.init())

    def prune(self, now: datetime | None = None) -> dict[str, int]:
        """Delete expired records, per domain (blocking)."""
        counts: dict[str, int] = self._loop.run(self._target.prune(now))
        return counts

    def count_expired(self, now: datetime | None = None) -> dict[str, int | None]:
        """Per domain, how many records ``prune(now)`` would delete (blocking; None: the backend cannot tell)."""
        counts: dict[str, int | None] = self._loop.run(self._target.count_expired(now))
        return counts

    def schema_version(self) -> int | None:
        """The schema version recorded in the database (blocking; None: the backend keeps none)."""
        version: int | None = self._loop.run(self._target.schema_version())
        return version

    def close(self) -> None:
        """Close the storage and stop the background loop."""
        try:
            self._loop.run(self._target.close())
        finally:
            self._loop.stop()

    def __enter__(self) -> Self:
        self._loop.run(self._target.init())
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def create_storage(backend_id: str, /, **config: Any) -> SyncStorage:
    """The blocking twin of :func:`mastra_core.create_storage`."""
    from .registry import create_storage as create

    return SyncStorage(create(backend_id, **config))


def open_storage(url: str | None = None, /, **config: Any) -> SyncStorage:
    """The blocking twin of :func:`mastra_core.open_storage`."""
    from .registry import open_storage as open_

    return SyncStorage(open_(url, **config))
