"""The memory domain copied a few threads at a time ("lanes"), resumable from one checkpoint cursor.

Copying is bound by round trips (a page read from the source, a page written to the target, the expiry carried),
so threads are copied side by side: at most ``workers`` threads have their messages in flight at once. Within a
thread everything stays in order (its messages are written page after page, oldest first, which is the order
equal timestamps keep on the target). Threads are still saved the first time one after the other, in the source's
order, so the target's thread order is the same too.

The cursor: ``{"thread_offset": base, "lanes": {"<offset>": msg cursor | null | true}}``: every thread before
``base`` is done; a lane is in flight (its message cursor, null before its first page) or done (``true``).
After a crash each unfinished lane resumes from its own cursor (its page in flight is written again: upserts by
id); a finished one is skipped. A cursor of the sequential reader (``{"thread_offset", "msg"}``) resumes too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from mastra_core import Storage
from mastra_core import records as r

from .stream import Chunk, Selection, Source, read_messages
from .ttl import carry_expiry

#: Threads copied at once by default.
WORKERS = 4


async def in_group(body: Callable[[asyncio.TaskGroup], Awaitable[None]]) -> None:
    """Run ``body`` with a task group it starts lanes in; the first failure is raised as itself (not a group), the
    other lanes being cancelled."""
    try:
        async with asyncio.TaskGroup() as group:
            await body(group)
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None


class MemoryLanes:
    """Copies the memory domain of ``src`` into ``dst`` with up to ``workers`` threads in flight."""

    def __init__(self, src: Source, dst: Storage, selection: Selection, cursor: dict[str, Any] | None, *,
                 page_size: int, workers: int, on_page: Callable[[Chunk], None]) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        cursor = dict(cursor or {})
        self.src, self.dst, self.selection = src, dst, selection
        self.size, self.workers = page_size, workers
        self.base: int = cursor.get("thread_offset", 0)
        self.lanes: dict[str, Any] = dict(cursor.get("lanes") or {})
        if cursor.get("msg") is not None:  # the sequential reader's cursor: its thread was in flight
            self.lanes.setdefault(str(self.base), cursor["msg"])
        #: called after every page written (and each resource, and each thread finished) with the cursor after it
        self._on_page = on_page
        self._seen_resources: set[str] = set()

    def cursor(self) -> dict[str, Any]:
        """Where the copy stands (JSON)."""
        return {"thread_offset": self.base, "lanes": dict(self.lanes)}

    async def run(self) -> None:
        """Copy every selected thread (with its resource and messages); raises the first lane's error."""
        await in_group(self._dispatch)

    async def _dispatch(self, group: asyncio.TaskGroup) -> None:
        store: Any = self.src.get_store("memory") if isinstance(self.src, Storage) else None
        assert store is not None
        rid = self.selection.resource_id
        flt = {"resource_id": rid} if rid is not None else None
        if rid is not None:
            await self._resource(store, rid)
        gate = asyncio.Semaphore(self.workers)
        offset = self.base
        order = {"field": "created_at", "direction": "ASC"}
        while True:
            page = await store.list_threads(filter=flt, page=offset // self.size, per_page=self.size, order_by=order)
            threads: list[r.Thread] = page.items[offset % self.size :]
            if not threads:
                return
            for thread in threads:
                key = str(offset)
                offset += 1
                if self.lanes.get(key) is True:
                    continue
                await gate.acquire()
                try:
                    await self._resource(store, thread.resource_id)
                    await self.dst.memory.save_thread(thread=thread)  # in the source's order (see the module doc)
                    self.lanes.setdefault(key, None)
                except BaseException:
                    gate.release()
                    raise
                lane = self._lane(store, key, thread, gate)
                try:
                    group.create_task(lane)
                except RuntimeError:  # the group is stopping: another lane failed
                    lane.close()
                    gate.release()
                    raise
            if not page.has_more:
                return

    async def _resource(self, store: Any, resource_id: str) -> None:
        """Copy a thread's resource the first time it is met (a resource with no thread cannot be listed)."""
        if resource_id in self._seen_resources:
            return
        self._seen_resources.add(resource_id)
        resource = await store.get_resource_by_id(resource_id=resource_id)
        if resource is not None:
            await self.dst.memory.save_resource(resource=resource)
            await carry_expiry(self.src, self.dst, "resource", [resource])
            self._on_page(Chunk("resource", [resource], self.cursor()))

    async def _lane(self, store: Any, key: str, thread: r.Thread, gate: asyncio.Semaphore) -> None:
        try:
            async for records, after in read_messages(store, thread.id, self.lanes.get(key), self.size):
                await self.dst.memory.save_messages(messages=list(records))
                await carry_expiry(self.src, self.dst, "message", records)
                self.lanes[key] = after
                self._on_page(Chunk("message", records, self.cursor()))
            # saving messages bumped the thread's updated_at: the second save puts the source's back
            await self.dst.memory.save_thread(thread=thread)
            await carry_expiry(self.src, self.dst, "thread", [thread])
            self.lanes[key] = True
            while self.lanes.get(str(self.base)) is True:
                del self.lanes[str(self.base)]
                self.base += 1
            self._on_page(Chunk("thread", [thread], self.cursor()))
        finally:
            gate.release()
