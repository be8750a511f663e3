"""``copy``: every record of one storage into another, resumable from a checkpoint file, verified at the end.

The library half of ``mastra copy`` (no terminal code here: progress is reported through a callback).
The checkpoint is a small JSON file rewritten atomically after every page: the domains finished, the one
in progress and its cursor, and the counts so far. Rerunning with the same checkpoint resumes after the
last page written; the page in flight when the process died is written again (upserts by id).

Verification reads both sides again and compares, per record kind, the count and a checksum: the sum of
the SHA-256 of each record's canonical wire JSON (order-free), and for messages the position of each
message in its thread is hashed in too, so a changed order is a different checksum.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
from mastra_core import Storage
from mastra_core.log import redact
from mastra_core.serde import to_wire

from .lanes import WORKERS, MemoryLanes, in_group
from .stream import DOMAINS, KINDS, THREAD_END, Chunk, Selection, Source, Writer, read_domain, read_messages
from .ttl import carry_expiry, expiry_texts, supports_expiry

#: ``progress(kind, n)``: n more records of ``kind`` were written (or read, while verifying).
Progress = Callable[[str, int], None]
CHECKPOINT_VERSION = 1
_MOD = 1 << 128


def canonical(record: Any) -> str:
    """A record's wire JSON with sorted keys: equal records, equal text, on every backend."""
    return json.dumps(to_wire(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _h(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


@attrs.define
class Digest:
    """Count and checksum of one record kind."""

    count: int = 0
    checksum: int = 0

    def add(self, text: str) -> None:
        """Fold one record (its canonical text, plus its position where order matters) in."""
        self.count += 1
        self.checksum = (self.checksum + _h(text)) % _MOD

    def as_json(self) -> dict[str, Any]:
        """``{"count": n, "checksum": hex}``."""
        return {"count": self.count, "checksum": f"{self.checksum:032x}"}


async def digest(
    storage: Source,
    selection: Selection,
    page_size: int = 1000,
    progress: Progress | None = None,
    *,
    expiry: bool = False,
) -> dict[str, Digest]:
    """Count and checksum every record kind of the selected domains; with ``expiry``, each record's stored expiry
    instant is part of what is hashed (both sides of a comparison must say the same)."""
    out: dict[str, Digest] = {k: Digest() for d in selection.domains for k in KINDS[d]}
    position = 0
    for domain in selection.domains:
        if domain == "memory" and isinstance(storage, Storage) and storage.get_store("memory") is not None:
            await _digest_memory(storage, selection, page_size, out, expiry, progress)
            continue
        async for chunk in read_domain(storage, domain, selection, None, page_size):
            if chunk.kind == THREAD_END:
                continue
            if chunk.kind == "thread":
                position = 0
            start = position if chunk.kind == "message" else -1
            await _fold(storage, chunk.kind, chunk.records, out[chunk.kind], expiry, start)
            if chunk.kind == "message":
                position += len(chunk.records)
            if progress is not None:
                progress(chunk.kind, len(chunk.records))
    return out


async def _fold(storage: Source, kind: str, records: list[Any], digest: Digest, expiry: bool, start: int = -1) -> None:
    """Fold a page of one kind in; ``start`` (messages) is the position of its first record in its thread."""
    expiries = await expiry_texts(storage, kind, records) if expiry else None
    for i, rec in enumerate(records):
        text = canonical(rec) if expiries is None else f"{expiries[i]}\n{canonical(rec)}"
        if start >= 0:
            text = f"{start + i}\n{text}"  # the message's place in its thread is part of what is compared
        digest.add(text)


async def _digest_memory(storage: Storage, selection: Selection, page_size: int, out: dict[str, Digest],
                         expiry: bool, progress: Progress | None) -> None:
    """The memory domain's digests, ``WORKERS`` threads read at once (the checksums are sums: order-free)."""
    store: Any = storage.memory
    rid = selection.resource_id
    flt = {"resource_id": rid} if rid is not None else None
    seen: set[str] = set()
    gate = asyncio.Semaphore(WORKERS)

    def report(kind: str, n: int) -> None:
        if progress is not None:
            progress(kind, n)

    async def resource(resource_id: str) -> None:
        if resource_id not in seen:
            seen.add(resource_id)
            found = await store.get_resource_by_id(resource_id=resource_id)
            if found is not None:
                await _fold(storage, "resource", [found], out["resource"], expiry)
                report("resource", 1)

    async def messages(thread_id: str) -> None:
        try:
            position = 0
            async for records, _ in read_messages(store, thread_id, None, page_size):
                await _fold(storage, "message", records, out["message"], expiry, position)
                position += len(records)
                report("message", len(records))
        finally:
            gate.release()

    if rid is not None:
        await resource(rid)
    order = {"field": "created_at", "direction": "ASC"}

    async def threads(group: asyncio.TaskGroup) -> None:
        page_no = 0
        while True:
            page = await store.list_threads(filter=flt, page=page_no, per_page=page_size, order_by=order)
            for thread in page.items:
                await resource(thread.resource_id)
                await _fold(storage, "thread", [thread], out["thread"], expiry)
                report("thread", 1)
                await gate.acquire()
                group.create_task(messages(thread.id))
            if not page.has_more or not page.items:
                return
            page_no += 1

    await in_group(threads)


@attrs.define
class Checkpoint:
    """Where a copy is: saved to ``path`` after every page."""

    path: Path
    src: str
    dst: str
    domains: list[str]
    resource_id: str | None = None
    done: list[str] = attrs.field(factory=list)
    domain: str | None = None
    cursor: dict[str, Any] | None = None
    copied: dict[str, int] = attrs.field(factory=dict)
    finished: bool = False

    @classmethod
    def load_or_new(
        cls, path: Path, src: str, dst: str, selection: Selection, restart: bool = False
    ) -> Checkpoint:
        """The checkpoint at ``path`` if it is for the same copy (else an error), or a fresh one."""
        fresh = cls(path=path, src=redact(src), dst=redact(dst), domains=list(selection.domains),
                    resource_id=selection.resource_id)
        if restart or not path.exists():
            return fresh
        data = json.loads(path.read_text())
        if data.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"checkpoint {path} has version {data.get('version')!r}; expected {CHECKPOINT_VERSION}")
        same = (data["src"], data["dst"], data["domains"], data.get("resource_id")) == (
            fresh.src, fresh.dst, fresh.domains, fresh.resource_id)
        if not same:
            raise ValueError(f"checkpoint {path} is for another copy ({data['src']} -> {data['dst']}, "
                             f"domains {data['domains']}); use another --checkpoint or --restart")
        return cls(path=path, src=data["src"], dst=data["dst"], domains=data["domains"],
                   resource_id=data.get("resource_id"), done=data["done"], domain=data["domain"],
                   cursor=data["cursor"], copied=data["copied"], finished=data["finished"])

    def save(self) -> None:
        """Write atomically (a temporary file renamed over the old one)."""
        data = {"version": CHECKPOINT_VERSION, "src": self.src, "dst": self.dst, "domains": self.domains,
                "resource_id": self.resource_id, "done": self.done, "domain": self.domain, "cursor": self.cursor,
                "copied": self.copied, "finished": self.finished}
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as fh:
            json.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


@attrs.define
class CopyResult:
    """What a copy did: records written per kind, and the verification per kind (when it ran)."""

    copied: dict[str, int]
    source: dict[str, Digest] | None = None
    target: dict[str, Digest] | None = None
    resumed: bool = False
    #: Whether the checksums covered each record's expiry (both backends can tell it).
    expiry_verified: bool = False

    @property
    def mismatches(self) -> list[str]:
        """Kinds whose count or checksum differ between source and target."""
        if self.source is None or self.target is None:
            return []
        return [k for k in self.source if self.source[k] != self.target.get(k)]


async def copy(
    src: Source,
    dst: Storage,
    checkpoint: Checkpoint,
    *,
    page_size: int = 1000,
    verify: bool = True,
    progress: Progress | None = None,
    on_page: Callable[[Chunk], None] | None = None,
    workers: int = WORKERS,
) -> CopyResult:
    """Copy the checkpoint's domains from ``src`` into ``dst`` from where the checkpoint stands, then verify.

    ``workers`` threads of the memory domain are copied at once (``lanes``); everything else one page at a time.
    """
    selection = Selection(domains=tuple(checkpoint.domains), resource_id=checkpoint.resource_id)
    resumed = bool(checkpoint.done or checkpoint.cursor or checkpoint.finished)
    await dst.init()
    writer = Writer(dst)
    for domain in DOMAINS:
        if domain not in checkpoint.domains or domain in checkpoint.done:
            continue
        if src.get_store(domain) is None or dst.get_store(domain) is None:
            checkpoint.done.append(domain)  # nothing to copy, or nowhere to put it: verification shows which
            continue
        cursor = checkpoint.cursor if checkpoint.domain == domain else None
        checkpoint.domain = domain
        if domain == "memory" and isinstance(src, Storage):
            await _copy_memory(src, dst, checkpoint, selection, cursor, page_size, workers, progress, on_page)
            _domain_done(checkpoint, domain)
            continue
        async for chunk in read_domain(src, domain, selection, cursor, page_size):
            await writer.write(chunk.kind, chunk.records)
            if chunk.kind != "thread":  # a thread's expiry is set at its end: its second save stamps it again
                await carry_expiry(src, dst, "thread" if chunk.kind == THREAD_END else chunk.kind, chunk.records)
            checkpoint.cursor = chunk.cursor
            if chunk.kind != THREAD_END:
                checkpoint.copied[chunk.kind] = checkpoint.copied.get(chunk.kind, 0) + len(chunk.records)
                if progress is not None:
                    progress(chunk.kind, len(chunk.records))
            checkpoint.save()
            if on_page is not None:
                on_page(chunk)
        await writer.finish()
        _domain_done(checkpoint, domain)
    checkpoint.finished = True
    checkpoint.save()
    result = CopyResult(copied=dict(checkpoint.copied), resumed=resumed)
    if verify:
        expiry = await supports_expiry(src) and await supports_expiry(dst)
        # both sides read at once: the verification is bound by round trips, like the copy
        result.source, result.target = await asyncio.gather(digest(src, selection, page_size, expiry=expiry),
                                                            digest(dst, selection, page_size, expiry=expiry))
        result.expiry_verified = expiry
    return result


def _domain_done(checkpoint: Checkpoint, domain: str) -> None:
    checkpoint.done.append(domain)
    checkpoint.domain, checkpoint.cursor = None, None
    checkpoint.save()


async def _copy_memory(src: Storage, dst: Storage, checkpoint: Checkpoint, selection: Selection,
                       cursor: dict[str, Any] | None, page_size: int, workers: int, progress: Progress | None,
                       on_page: Callable[[Chunk], None] | None) -> None:
    """The memory domain through :class:`MemoryLanes`, the checkpoint saved after every page."""

    def page_written(chunk: Chunk) -> None:
        checkpoint.cursor = chunk.cursor
        checkpoint.copied[chunk.kind] = checkpoint.copied.get(chunk.kind, 0) + len(chunk.records)
        if progress is not None:
            progress(chunk.kind, len(chunk.records))
        checkpoint.save()
        if on_page is not None:
            on_page(chunk)

    await MemoryLanes(src, dst, selection, cursor, page_size=page_size, workers=workers,
                      on_page=page_written).run()


async def count(storage: Source, selection: Selection) -> dict[str, int | None]:
    """Records per kind, cheaply where the API gives totals (threads, messages, runs, traces...); None when a kind
    can only be counted by reading it all."""
    if not isinstance(storage, Storage):  # a foreign layout (sources): it knows what it can count
        return await storage.count_records(selection)
    out: dict[str, int | None] = {}
    for domain in selection.domains:
        store = storage.get_store(domain)
        if store is None:
            continue
        if domain == "memory":
            flt = {"resource_id": selection.resource_id} if selection.resource_id else None
            first = await store.list_threads(filter=flt, per_page=1)
            out["thread"] = first.total
            messages, page_no = 0, 0
            while True:
                page = await store.list_threads(filter=flt, page=page_no, per_page=100)
                for thread in page.items:
                    messages += (await store.list_messages(thread_id=thread.id, per_page=1)).total
                if not page.has_more:
                    break
                page_no += 1
            out["message"] = messages
            out["resource"] = None
        elif domain == "workflows":
            out["workflow_run"] = (await store.list_workflow_runs(per_page=1)).total
        elif domain == "observability":
            out["span"] = None
            out["trace_roots"] = (await store.list_traces(per_page=1)).total
        elif domain == "agents":
            out["agent"] = (await store.list_agents(per_page=1)).total
        elif domain == "evals":
            out["eval"] = (await store.list_evals(per_page=1)).total
        elif domain == "traces":
            out["trace"] = (await store.list_traces(per_page=1)).total
        elif domain == "scores":
            out["score"] = None
    return out
