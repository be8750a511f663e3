"""Memory on Redis: threads, messages and resources as hashes, ordered by sorted-set indexes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import utc_now
from mastra_core.domains.matching import in_date_range, metadata_matches
from mastra_core.domains.memory import CloneResult, MemoryStore, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery

from .base import Rec, RedisDomain, Row, limit_of, ms, offset_of, page_of
from .keys import esc

THREAD_FIELDS = ("j", "c", "u", "v")
MESSAGE_FIELDS = ("j", "c", "s")


class UpstashMemory(RedisDomain, MemoryStore):
    """Threads, messages and resources; every write is one Lua script call."""

    # ---------------------------------------------------------------- threads

    def _thread_rec(self, thread: r.Thread, expect: str | None = None) -> Rec:
        k = self.keys
        ix = [(k.threads("created"), "c"), (k.threads("updated"), "u"),
              (k.resource_threads(thread.resource_id, "created"), "c"), (k.resource_threads(thread.resource_id, "updated"), "u")]
        for key, value in (thread.metadata or {}).items():  # one (key, value) index per top-level metadata key
            h = value_hash(value)
            ix += [(k.threads_meta(key, h), "c"), (k.threads_meta(key, h, thread.resource_id), "c")]
        return Rec(
            key=k.thread(thread.id), id=esc(thread.id),
            fields={"j": self.encode(thread), "c": ms(thread.created_at), "u": ms(thread.updated_at), "r": thread.resource_id},
            ix=ix, expires_at=self.expires_at("thread"), expect=expect,
        )

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        values = await self.get_one(self.keys.thread(thread_id), THREAD_FIELDS)
        return None if values is None else self.decode(r.Thread, values)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        out = await self.upsert("thread", [self._thread_rec(thread)], purge=self.purge_keys("thread"))
        return attrs.evolve(thread, created_at=_dt(out[1]))

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        async def attempt() -> tuple[bool, r.Thread | None]:
            values = await self.get_one(self.keys.thread(thread_id), THREAD_FIELDS)
            if values is None:
                return True, None
            new = change(self.decode(r.Thread, values))
            out = await self.upsert("thread", [self._thread_rec(new, expect=values["v"] or "0")], purge=self.purge_keys("thread"))
            if out[0] != "OK":
                return False, None
            return True, attrs.evolve(new, created_at=_dt(out[1]))

        return await self.optimistic(attempt)

    async def _delete_thread(self, thread_id: str) -> None:
        k = self.keys
        await self.delete(keys=[k.thread(thread_id)], cascade=[(k.thread_messages(thread_id), k.message_rk)],
                          purge=self.purge_keys("message", "thread"))

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        field = "created" if q.order_field == "created_at" else "updated"
        z = self.keys.threads(field) if q.resource_id is None else self.keys.resource_threads(q.resource_id, field)
        rev = q.direction == "DESC"
        purge = self.purge_keys("thread")
        if q.metadata:
            # intersect the (key, value) indexes inside Redis; the hash is re-checked here (a collision is never returned)
            spec = {"purge": purge, "order": z, "rk": self.keys.thread_rk, "rev": 1 if rev else 0, "hf": [*THREAD_FIELDS, "x"],
                    "off": offset_of(q.page, q.per_page), "lim": -1 if q.per_page is False else q.per_page,
                    "mz": [self.keys.threads_meta(key, value_hash(v), q.resource_id) for key, v in q.metadata.items()]}
            out = await self.conn.run("intersect", spec)
            rows = self._rows(out[1:], [*THREAD_FIELDS, "x"])
            threads = [t for t in (self.decode(r.Thread, row.values) for row in rows) if metadata_matches(t.metadata, q.metadata)]
            return page_of(threads, int(out[0]), q.page, q.per_page)
        total, rows = await self.page(z=z, rk=self.keys.thread_rk, fields=THREAD_FIELDS, rev=rev, purge=purge,
                                      offset=offset_of(q.page, q.per_page), limit=limit_of(q.per_page))
        return page_of([self.decode(r.Thread, row.values) for row in rows], total, q.page, q.per_page)

    # ---------------------------------------------------------------- messages

    def _message_rec(self, m: r.Message) -> Rec:
        k = self.keys
        assert m.thread_id is not None and m.resource_id is not None
        return Rec(
            key=k.message(m.id), id=esc(m.id),
            fields={"j": self.encode(m), "c": ms(m.created_at), "tk": k.thread(m.thread_id)},
            ix=[(k.thread_messages(m.thread_id), "c"), (k.thread_resource_messages(m.thread_id, m.resource_id), "c")],
            expires_at=self.expires_at("message"),
        )

    def _message(self, row: Row) -> r.Message:
        return self.decode(r.Message, row.values)

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        k = self.keys
        if q.resource_id is None:
            zs = [k.thread_messages(t) for t in q.thread_ids]
        else:
            zs = [k.thread_resource_messages(t, q.resource_id) for t in q.thread_ids]
        lo = "-inf" if q.start is None else ("(" if q.start_exclusive else "") + ms(q.start)
        hi = "+inf" if q.end is None else ("(" if q.end_exclusive else "") + ms(q.end)
        spec = {
            "purge": self.purge_keys("message"), "zs": zs, "min": lo, "max": hi, "rev": 1 if q.direction == "DESC" else 0,
            "off": q.offset, "lim": -1 if q.limit is None else q.limit, "rk": k.message_rk, "hf": [*MESSAGE_FIELDS, "x"],
            "inc": [[k.message(i.id), esc(i.id), str(i.with_previous_messages), str(i.with_next_messages)] for i in q.include],
        }
        out = await self.conn.run("messages", spec)
        total = int(out[0])
        rows = self._rows(out[1:], [*MESSAGE_FIELDS, "x"])
        found = [(self._message(row), row.seq) for row in rows]
        found.sort(key=lambda p: (p[0].created_at, p[1]), reverse=q.direction == "DESC")
        wanted = set(q.thread_ids)
        returned = sum(
            1 for m, _ in found
            if m.thread_id in wanted and (q.resource_id is None or m.resource_id == q.resource_id) and in_date_range(m.created_at, q)
        )
        more = returned < total and has_more(total, q.page, q.per_page)
        return Page(items=[m for m, _ in found], total=total, page=q.page, per_page=q.per_page, has_more=more)

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        found = await self.get_many([self.keys.message(i) for i in ids], MESSAGE_FIELDS)
        pairs = [(self._message(Row(member=None, values=v)), int(v["s"] or 0)) for v in found if v is not None]
        pairs.sort(key=lambda p: (p[0].created_at, p[1]))
        return [m for m, _ in pairs]

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self._write_messages(messages, set())

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        threads = {m.thread_id for m in messages if m.thread_id} | set(touched_thread_ids)
        await self.upsert("message", [self._message_rec(m) for m in messages],
                          bump=[self.keys.thread(t) for t in sorted(threads)], purge=self.purge_keys("message"))

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        await self.delete(keys=[self.keys.message(i) for i in ids], bump_field="tk", purge=self.purge_keys("message"))

    # ---------------------------------------------------------------- resources

    def _resource_rec(self, res: r.Resource, expect: str | None = None) -> Rec:
        return Rec(key=self.keys.resource(res.id), id=esc(res.id),
                   fields={"j": self.encode(res), "c": ms(res.created_at), "u": ms(res.updated_at)}, ix=[],
                   expires_at=self.expires_at("resource"), expect=expect)

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        values = await self.get_one(self.keys.resource(resource_id), THREAD_FIELDS)
        return None if values is None else self.decode(r.Resource, values)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        out = await self.upsert("resource", [self._resource_rec(resource)])
        return attrs.evolve(resource, created_at=_dt(out[1]))

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        async def attempt() -> tuple[bool, r.Resource]:
            values = await self.get_one(self.keys.resource(resource_id), THREAD_FIELDS)
            old = None if values is None else self.decode(r.Resource, values)
            new = change(old)
            version = "0" if values is None else (values["v"] or "0")
            out = await self.upsert("resource", [self._resource_rec(new, expect=version)])
            return (out[0] == "OK"), new

        return await self.optimistic(attempt)

    # ---------------------------------------------------------------- clone

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        """Read the source (2 round trips), then write the new thread and every copy in one atomic script.

        The new thread is insert-if-absent inside the script, so a concurrent creator of the same id
        makes the clone fail with THREAD_EXISTS and write nothing.
        """
        source = await self._get_thread(req.source_thread_id)
        if source is None:
            raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                  id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
        thread, copies = plan_clone(source, await self._all_messages(source.id), req)
        rec = self._thread_rec(thread)
        rec.insert_only = True
        out = await self.upsert("thread", [rec, *(self._message_rec(m) for m in copies)],
                                bump=[self.keys.thread(thread.id)] if copies else [],
                                purge=self.purge_keys("thread", "message"))
        if out[0] == "EXISTS":
            raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                  id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
        return CloneResult(thread=(await self._get_thread(thread.id)) or thread, cloned_messages=copies)

    # ---------------------------------------------------------------- admin

    async def _clear(self) -> None:
        await self.clear_patterns("memory")

    async def _prune(self, now: datetime) -> int:
        return 0  # Redis expires the hashes itself; reads purge the index entries


def canonical(value: Any) -> Any:
    """The form in which deep-equal JSON values (per ``json_equal``: 1 == 1.0, True != 1) are identical."""
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def value_hash(value: Any) -> str:
    """A short digest of a metadata value's canonical JSON: the last part of its index key."""
    text = json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:20]


def _dt(value: Any) -> datetime:
    from .base import from_ms

    return from_ms(value) if value else utc_now()
