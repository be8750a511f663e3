"""Every record of a storage as a resumable stream of pages, and the writer that replays such a stream.

The reader walks the domains through their public paging APIs (``list_threads``, ``list_messages``,
``list_workflow_runs``, ``list_traces``...), one page at a time, so memory stays bounded by the page size.
Each :class:`Chunk` carries the cursor to resume *after* it has been written: a crash between two
checkpoints replays at most one page, and every write is an upsert by id, so a replay is harmless.

Messages are read by keyset: ``created_at >= ts`` skipping the ``skip`` messages already read at exactly
``ts`` (they come first, in their stored order), so equal timestamps keep their order and deep pages cost
no OFFSET scan. The writer saves them in that order, which is the order they keep in the destination.

Where the public API stamps ``created_at``/``updated_at`` with "now" (agents, spans, scores), the writer uses
the domain's own write step so the stored timestamps are preserved.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import attrs
from mastra_core import Storage
from mastra_core import records as r
from mastra_core.domains.base import DomainStore

T = TypeVar("T")

if TYPE_CHECKING:
    from .sources.base import RecordSource

#: What copy and export read: a storage, or a read-only source in a layout mastra does not write (``sources``).
Source: TypeAlias = "Storage | RecordSource"

#: The domains in the order they are copied or exported.
DOMAINS = ("memory", "workflows", "scores", "observability", "agents", "evals", "traces")
#: Record kinds of each domain (one line kind in a dump, one checksum each).
KINDS: dict[str, tuple[str, ...]] = {
    "memory": ("resource", "thread", "message"),
    "workflows": ("workflow_run",),
    "scores": ("score",),
    "observability": ("span",),
    "agents": ("agent",),
    "evals": ("eval",),
    "traces": ("trace",),
}
#: The record class of each kind.
RECORD_TYPES: dict[str, type[Any]] = {
    "resource": r.Resource,
    "thread": r.Thread,
    "message": r.Message,
    "workflow_run": r.WorkflowRun,
    "score": r.Score,
    "span": r.Span,
    "agent": r.Agent,
    "eval": r.EvalRow,
    "trace": r.TraceRow,
}
#: The kind that closes a thread: the writer re-saves the thread so its ``updated_at`` is the source's.
THREAD_END = "thread_end"


@attrs.define(frozen=True)
class Chunk:
    """A page of records of one kind, and the cursor (of its domain) to resume after writing it."""

    kind: str
    records: list[Any]
    cursor: dict[str, Any]


@attrs.define(frozen=True)
class Selection:
    """What to read: domains, and optionally one resource (its threads, messages and resource record)."""

    domains: tuple[str, ...] = DOMAINS
    resource_id: str | None = None

    def __attrs_post_init__(self) -> None:
        unknown = set(self.domains) - set(DOMAINS)
        if unknown:
            raise ValueError(f"unknown domain(s) {sorted(unknown)}; domains: {', '.join(DOMAINS)}")


def ms(value: datetime) -> int:
    """Milliseconds since the epoch (cursors are JSON)."""
    return int(value.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """The UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def _store(storage: Storage, domain: str) -> Any:
    return storage.get_store(domain)


async def read_domain(
    storage: Source, domain: str, selection: Selection, cursor: dict[str, Any] | None, page_size: int
) -> AsyncIterator[Chunk]:
    """The records of one domain from ``cursor`` on (None: from the start); nothing when the backend lacks it."""
    if not isinstance(storage, Storage):  # a foreign layout (sources/) streams itself
        async for chunk in storage.read_records(domain, selection, cursor, page_size):
            yield chunk
        return
    store = _store(storage, domain)
    if store is None:
        return
    if selection.resource_id is not None and domain != "memory":
        return  # one resource means its memory only
    readers: dict[str, Callable[[Any, dict[str, Any], int], AsyncIterator[Chunk]]] = {
        "memory": lambda s, c, n: _read_memory(s, c, n, selection.resource_id),
        "workflows": _read_workflows,
        "scores": _read_scores,
        "observability": _read_spans,
        "agents": _read_agents,
        "evals": _read_evals,
        "traces": _read_legacy_traces,
    }
    async for chunk in readers[domain](store, dict(cursor or {}), page_size):
        yield chunk


async def _read_memory(store: Any, cursor: dict[str, Any], size: int, resource_id: str | None) -> AsyncIterator[Chunk]:
    offset: int = cursor.get("thread_offset", 0)
    msg: dict[str, Any] | None = cursor.get("msg")
    flt = {"resource_id": resource_id} if resource_id is not None else None
    seen_resources: set[str] = set()
    if resource_id is not None:
        resource = await store.get_resource_by_id(resource_id=resource_id)
        if resource is not None:
            seen_resources.add(resource_id)
            yield Chunk("resource", [resource], {"thread_offset": offset, "msg": msg})
    order = {"field": "created_at", "direction": "ASC"}
    while True:
        page = await store.list_threads(filter=flt, page=offset // size, per_page=size, order_by=order)
        threads = page.items[offset % size :]
        if not threads:
            return
        for thread in threads:
            if thread.resource_id not in seen_resources:
                # resources are reached through their threads: a resource with no thread has no way to be listed
                seen_resources.add(thread.resource_id)
                resource = await store.get_resource_by_id(resource_id=thread.resource_id)
                if resource is not None:
                    yield Chunk("resource", [resource], {"thread_offset": offset, "msg": msg})
            yield Chunk("thread", [thread], {"thread_offset": offset, "msg": msg})
            async for records, after in read_messages(store, thread.id, msg, size):
                yield Chunk("message", records, {"thread_offset": offset, "msg": after})
            msg = None
            offset += 1
            yield Chunk(THREAD_END, [thread], {"thread_offset": offset, "msg": None})
        if not page.has_more:
            return


async def read_messages(
    store: Any, thread_id: str, cursor: dict[str, Any] | None, size: int
) -> AsyncIterator[tuple[list[r.Message], dict[str, Any]]]:
    """A thread's messages oldest first, in pages of ``size``, by keyset (see the module doc); each page comes
    with the cursor after it."""
    ts: int | None = cursor["ts"] if cursor else None
    skip: int = cursor["skip"] if cursor else 0
    while True:
        flt = {"date_range": {"start": from_ms(ts)}} if ts is not None else None
        page = await store.list_messages(thread_id=thread_id, page=0, per_page=skip + size, filter=flt)
        fetched: list[r.Message] = page.items
        rows = fetched[skip:]
        if not rows:
            return
        last = ms(rows[-1].created_at)
        at_last = sum(1 for m in fetched if ms(m.created_at) == last)
        yield rows, {"ts": last, "skip": at_last}
        if len(fetched) < skip + size:
            return
        ts, skip = last, at_last


async def _offset_pages(
    fetch: Callable[[int], Awaitable[Any]], kind: str, cursor: dict[str, Any]
) -> AsyncIterator[Chunk]:
    """Pages of a list call with page numbers (ordered oldest or newest first: a source is not written to while
    it is copied)."""
    page_no: int = cursor.get("page", 0)
    while True:
        page = await fetch(page_no)
        if page.items:
            yield Chunk(kind, list(page.items), {"page": page_no + 1})
        if not page.has_more or not page.items:
            return
        page_no += 1


def _read_workflows(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    return _offset_pages(lambda n: store.list_workflow_runs(page=n, per_page=size), "workflow_run", cursor)


def _read_scores(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    return _offset_pages(lambda n: store.list_all_scores(page=n, per_page=size), "score", cursor)


async def _read_spans(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    order = {"field": "started_at", "direction": "ASC"}
    async for roots in _offset_pages(
        lambda n: store.list_traces(page=n, per_page=min(size, 100), order_by=order), "span", cursor
    ):
        spans: list[r.Span] = []
        for root in roots.records:
            trace = await store.get_trace(trace_id=root.trace_id)
            spans.extend(trace.spans if trace else [])
        yield Chunk("span", spans, roots.cursor)


def _read_agents(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    order = {"field": "created_at", "direction": "ASC"}
    return _offset_pages(lambda n: store.list_agents(page=n, per_page=size, order_by=order), "agent", cursor)


def _read_evals(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    return _offset_pages(lambda n: store.list_evals(page=n, per_page=size), "eval", cursor)


def _read_legacy_traces(store: Any, cursor: dict[str, Any], size: int) -> AsyncIterator[Chunk]:
    return _offset_pages(lambda n: store.list_traces(page=n, per_page=size), "trace", cursor)


async def internal(store: DomainStore, op: str, fn: Callable[[], Awaitable[T]]) -> T:
    """Run a domain's own step with its error wrapping (used where the public call would restamp timestamps)."""
    return await store._run(op, fn)


class Writer:
    """Writes chunks into a storage: upserts by id, so writing a chunk twice is harmless.

    A thread is saved before its messages (some backends need it) and again after them: saving messages bumps
    the thread's ``updated_at``, and the second save puts the source's value back.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.pending_thread: r.Thread | None = None

    async def write(self, kind: str, records: Sequence[Any]) -> None:
        """Write a page of one kind."""
        if not records and kind != THREAD_END:
            return
        s = self.storage
        if kind == "resource":
            for res in records:
                await s.memory.save_resource(resource=res)
        elif kind == "thread":
            await self.finish()
            for thread in records:
                await s.memory.save_thread(thread=thread)
                self.pending_thread = thread
        elif kind == "message":
            await s.memory.save_messages(messages=list(records))
        elif kind == THREAD_END:
            await self.finish()
        elif kind == "workflow_run":
            for run in records:
                await s.workflows.persist_workflow_snapshot(
                    workflow_name=run.workflow_name, run_id=run.run_id, snapshot=run.snapshot,
                    resource_id=run.resource_id, created_at=run.created_at, updated_at=run.updated_at,
                )
        elif kind == "score":
            scores = s.scores
            for score in records:
                await internal(scores, "SAVE_SCORE", partial(scores._save_score, score))
        elif kind == "span":
            obs = s.observability
            spans = list(records)
            await internal(obs, "BATCH_CREATE_SPANS", lambda: obs._upsert_spans(spans))
        elif kind == "agent":
            agents = s.agents
            for agent in records:
                # an agent already there (a replayed page) is left as it is
                await internal(agents, "CREATE_AGENT", partial(agents._insert_agent, agent))
        elif kind == "eval":
            await s.evals.save_evals(evals=list(records))
        elif kind == "trace":
            await s.traces.save_traces(traces=list(records))
        else:
            raise ValueError(f"unknown record kind {kind!r}")

    async def finish(self) -> None:
        """Re-save the last thread (its messages are written): its ``updated_at`` becomes the source's again."""
        if self.pending_thread is not None:
            thread, self.pending_thread = self.pending_thread, None
            await self.storage.memory.save_thread(thread=thread)
