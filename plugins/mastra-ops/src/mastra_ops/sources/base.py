"""``RecordSource``: a read-only copy source over a layout mastra does not write itself (the reference's).

A source offers what ``mastra copy``/``mastra export`` need from a storage, and no more: which domains it
has (:meth:`get_store`), the records of a domain as a resumable stream of :class:`~mastra_ops.stream.Chunk`
(:meth:`read_records`), and ``close``. The memory domain is walked here, the same way for every layout:
threads in pages of the layout's own scan order, each thread's resource (once), the thread, its messages in
the order the reference reads them (pages of ``page_size``), then the thread's end. Layouts implement the
few primitive reads (:meth:`scan_threads`, :meth:`message_order`, :meth:`fetch_messages`...).

Cursors are JSON: the scan position of the current page of threads, the ids of that page already copied,
and the thread in progress with the number of its messages written. A resumed copy re-reads the page and
skips the threads done; the thread in progress is saved again and continues after its last page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from mastra_core import records as r

from ..stream import THREAD_END, Chunk, Selection

#: The domains the reference's DynamoDB and Upstash packages store at 1.0.
REFERENCE_DOMAINS = ("memory", "workflows", "scores")


class ScanPage:
    """One page of a scan: its records and where the next page starts (``done``: there is none)."""

    def __init__(self, records: Sequence[Any], after: Any, done: bool) -> None:
        """``after`` is the JSON position after this page (opaque to the caller)."""
        self.records = list(records)
        self.after = after
        self.done = done


class RecordSource:
    """A read-only source of records in a foreign layout (see the module doc)."""

    #: Shown in messages and reprs (never a secret).
    target: str = ""

    def get_store(self, domain: str) -> object | None:
        """Something (this source) when the layout holds ``domain``, None otherwise (copy skips the domain)."""
        return self if domain in REFERENCE_DOMAINS else None

    async def init(self) -> None:
        """Connect and check the layout (called before the first read)."""

    async def close(self) -> None:
        """Release the connection."""

    async def count_records(self, selection: Selection) -> dict[str, int | None]:
        """Totals for progress bars: unknown (None) without reading everything."""
        return {k: None for k in ("thread", "message", "resource", "workflow_run", "score")}

    # ---------------------------------------------------------------- what a layout implements

    async def scan_threads(self, after: Any, size: int, resource_id: str | None) -> ScanPage:
        """A page of threads (of one resource when ``resource_id`` is given) from position ``after`` (None: start)."""
        raise NotImplementedError

    async def get_resource(self, resource_id: str) -> r.Resource | None:
        """One resource, or None."""
        raise NotImplementedError

    async def message_order(self, thread: r.Thread) -> list[Any]:
        """References to every message of ``thread`` in the order the reference reads them (oldest first)."""
        raise NotImplementedError

    async def fetch_messages(self, thread: r.Thread, refs: Sequence[Any]) -> list[r.Message]:
        """The messages of ``refs`` (a slice of :meth:`message_order`), in that order."""
        raise NotImplementedError

    async def scan_workflow_runs(self, after: Any, size: int) -> ScanPage:
        """A page of workflow runs."""
        raise NotImplementedError

    async def scan_scores(self, after: Any, size: int) -> ScanPage:
        """A page of scores."""
        raise NotImplementedError

    # ---------------------------------------------------------------- the stream

    async def read_records(
        self, domain: str, selection: Selection, cursor: dict[str, Any] | None, page_size: int
    ) -> AsyncIterator[Chunk]:
        """The records of one domain from ``cursor`` on (None: from the start), as copy and export read them."""
        if domain not in REFERENCE_DOMAINS or (selection.resource_id is not None and domain != "memory"):
            return
        await self.init()
        cursor = dict(cursor or {})
        if domain == "memory":
            async for chunk in self._read_memory(cursor, page_size, selection.resource_id):
                yield chunk
            return
        scan = self.scan_workflow_runs if domain == "workflows" else self.scan_scores
        kind = "workflow_run" if domain == "workflows" else "score"
        after = cursor.get("after")
        if cursor.get("done"):
            return
        while True:
            page = await scan(after, page_size)
            yield Chunk(kind, page.records, {"after": page.after, "done": page.done})
            if page.done:
                return
            after = page.after

    async def _read_memory(self, cursor: dict[str, Any], size: int, resource_id: str | None) -> AsyncIterator[Chunk]:
        after = cursor.get("after")
        done_ids: set[str] = set(cursor.get("done_ids", []))
        current: str | None = cursor.get("thread")
        written: int = cursor.get("written", 0)
        if cursor.get("finished"):
            return
        seen_resources: set[str] = set()
        while True:
            page = await self.scan_threads(after, size, resource_id)
            for thread in page.records:
                if thread.id in done_ids:
                    continue
                at = {"after": after, "done_ids": sorted(done_ids)}
                if thread.resource_id not in seen_resources:
                    # resources are reached through their threads, as in every mastra copy (verification too)
                    seen_resources.add(thread.resource_id)
                    res = await self.get_resource(thread.resource_id)
                    if res is not None:
                        yield Chunk("resource", [res], {**at, "thread": None, "written": 0})
                start = written if thread.id == current else 0
                yield Chunk("thread", [thread], {**at, "thread": thread.id, "written": start})
                refs = await self.message_order(thread)
                for i in range(start, len(refs), size):
                    batch = await self.fetch_messages(thread, refs[i : i + size])
                    yield Chunk("message", batch, {**at, "thread": thread.id, "written": i + size})
                done_ids.add(thread.id)
                yield Chunk(THREAD_END, [thread], {"after": after, "done_ids": sorted(done_ids), "thread": None})
            if page.done:
                yield Chunk(THREAD_END, [], {"finished": True})
                return
            after, done_ids, current = page.after, set(), None
