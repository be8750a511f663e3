"""Memory on Redis: threads, messages and resources as hashes, ordered by sorted-set indexes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import BackendDomain, FetchedMessage, assemble_message_page, page_of
from mastra_core.clock import utc_now
from mastra_core.domains.matching import metadata_matches
from mastra_core.domains.memory import CloneResult, MemoryStore, ResourcePatch, ThreadPatch, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page, page_slice
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery

from ..codec import MESSAGE, RESOURCE, THREAD, Rec, Row, created_or_now, dumps, json_pairs, ms
from ..connection import UpstashConnection, with_expiry
from ..schema import MESSAGE_FIELDS, THREAD_FIELDS, esc, value_hash


class UpstashMemory(MemoryStore, BackendDomain[UpstashConnection]):
    """Threads, messages and resources; every write is one Lua script call."""

    def _purge(self, *entities: str) -> list[str]:
        return self.conn.purge_keys(self.retention, *entities)

    # ---------------------------------------------------------------- threads

    def _thread_rec(self, thread: r.Thread, expect: str | None = None) -> Rec:
        k = self.conn.keys
        rid = thread.resource_id
        ix = [(k.threads("created"), "c"), (k.threads("updated"), "u"),
              (k.resource_threads(rid, "created"), "c"), (k.resource_threads(rid, "updated"), "u")]
        for key, value in (thread.metadata or {}).items():  # one (key, value) index per top-level metadata key
            h = value_hash(value)
            ix += [(k.threads_meta(key, h), "c"), (k.threads_meta(key, h, rid), "c")]
        fields = {"j": THREAD.json(thread), "c": ms(thread.created_at), "u": ms(thread.updated_at), "r": rid}
        return Rec(key=k.thread(thread.id), id=esc(thread.id), fields=fields, ix=ix,
                   expires_at=self.expires_at("thread"), expect=expect)

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        values = await self.conn.get_one(self.conn.keys.thread(thread_id), THREAD_FIELDS)
        return None if values is None else THREAD.decode(values)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        out = await self.conn.upsert("thread", [self._thread_rec(thread)], purge=self._purge("thread"))
        return attrs.evolve(thread, created_at=created_or_now(out[1]))

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        async def attempt() -> tuple[bool, r.Thread | None]:
            values = await self.conn.get_one(self.conn.keys.thread(thread_id), THREAD_FIELDS)
            if values is None:
                return True, None
            new = change(THREAD.decode(values))
            rec = self._thread_rec(new, expect=values["v"] or "0")
            out = await self.conn.upsert("thread", [rec], purge=self._purge("thread"))
            if out[0] != "OK":
                return False, None
            return True, attrs.evolve(new, created_at=created_or_now(out[1]))

        return await self.conn.optimistic(attempt)

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """One script: the title set and the metadata merged into the stored JSON inside Redis (spliced, never
        re-encoded), the metadata indexes of the patched keys moved, updated_at bumped, expiry refreshed, write token
        recorded. A stored member the splice cannot merge (not an object) takes the general path."""
        k = self.conn.keys
        merge: dict[str, Any] = {}
        if patch.set_title:
            merge["set"] = [[dumps("title"), dumps(patch.title)]]
        if patch.metadata is not None:
            merge["sub"] = [[dumps("metadata"), {"set": json_pairs(patch.metadata)}]]
            # each patched key's (key, value) indexes: the stored entries of that key go, the new value's come
            merge["dz"] = [k.threads_meta(key, "") for key in patch.metadata]
            merge["dzr"] = [list(k.threads_meta_around_resource(key, "")) for key in patch.metadata]
            merge["az"] = [[k.threads_meta(key, value_hash(v)), "c"] for key, v in patch.metadata.items()]
            merge["azr"] = [[*k.threads_meta_around_resource(key, value_hash(v)), "c"]
                            for key, v in patch.metadata.items()]
        rec = Rec(key=k.thread(thread_id), id=esc(thread_id), fields={"u": ms(utc_now())}, ix=[],
                  expires_at=self.expires_at("thread"), update_only=True, merge=merge)
        out = await self.conn.upsert("thread", [rec], purge=self._purge("thread"))
        if out[0] == "MISSING":
            return None
        if out[0] == "SHAPE":
            return await super()._update_thread(thread_id, patch)
        return THREAD.decode({"j": out[4], "c": out[1], "u": out[5]})

    async def _delete_thread(self, thread_id: str) -> None:
        k = self.conn.keys
        await self.conn.delete(keys=[k.thread(thread_id)], cascade=[(k.thread_messages(thread_id), k.message_rk)],
                               purge=self._purge("message", "thread"))

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        k = self.conn.keys
        field = "created" if q.order_field == "created_at" else "updated"
        z = k.threads(field) if q.resource_id is None else k.resource_threads(q.resource_id, field)
        rev = q.direction == "DESC"
        offset, limit = page_slice(0, q.page, q.per_page)
        if q.metadata:
            # intersect the (key, value) indexes inside Redis; the hash is re-checked here (a collision is never
            # returned)
            spec: dict[str, Any] = {
                "purge": self._purge("thread"), "order": z, "rk": k.thread_rk, "rev": 1 if rev else 0,
                "off": offset, "lim": -1 if limit is None else limit,
                "mz": [k.threads_meta(key, value_hash(v), q.resource_id) for key, v in q.metadata.items()]}
            total, rows = await self.conn.fetch("intersect", spec, THREAD_FIELDS)
            decoded = (THREAD.decode(row.values) for row in rows)
            threads = [t for t in decoded if metadata_matches(t.metadata, q.metadata)]
            return page_of(threads, total=total, page=q.page, per_page=q.per_page)
        total, rows = await self.conn.page(z=z, rk=k.thread_rk, fields=THREAD_FIELDS, rev=rev,
                                           purge=self._purge("thread"), offset=offset, limit=limit)
        return page_of([THREAD.decode(row.values) for row in rows], total=total, page=q.page, per_page=q.per_page)

    # ---------------------------------------------------------------- messages

    def _message_rec(self, m: r.Message) -> Rec:
        k = self.conn.keys
        if m.thread_id is None or m.resource_id is None:  # the core fills both before a save
            raise ValueError(f"message {m.id!r} has no thread or resource id")
        return Rec(
            key=k.message(m.id), id=esc(m.id),
            fields={"j": MESSAGE.json(m), "c": ms(m.created_at), "tk": k.thread(m.thread_id)},
            ix=[(k.thread_messages(m.thread_id), "c"), (k.thread_resource_messages(m.thread_id, m.resource_id), "c")],
            expires_at=self.expires_at("message"),
        )

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        """One script: the total, the page (merged across threads) and the include windows."""
        k = self.conn.keys
        if q.resource_id is None:
            zs = [k.thread_messages(t) for t in q.thread_ids]
        else:
            zs = [k.thread_resource_messages(t, q.resource_id) for t in q.thread_ids]
        lo = "-inf" if q.start is None else ("(" if q.start_exclusive else "") + ms(q.start)
        hi = "+inf" if q.end is None else ("(" if q.end_exclusive else "") + ms(q.end)
        hf = with_expiry(MESSAGE_FIELDS)
        spec = {
            "purge": self._purge("message"), "zs": zs, "min": lo, "max": hi, "rev": 1 if q.direction == "DESC" else 0,
            "off": q.offset, "lim": -1 if q.limit is None else q.limit, "rk": k.message_rk, "hf": hf,
            "inc": [[k.message(i.id), esc(i.id), str(i.with_previous_messages), str(i.with_next_messages)]
                    for i in q.include],
        }
        out = await self.conn.run("messages", spec)
        split = 2 + int(out[1]) * (len(hf) + 1)  # the reply's first rows are the page, the rest the windows
        return assemble_message_page(q, page=self._fetched(self.conn.rows(out[2:split], hf)),
                                     windows=self._fetched(self.conn.rows(out[split:], hf)), total=int(out[0]))

    @staticmethod
    def _fetched(rows: list[Row]) -> list[FetchedMessage]:
        return [FetchedMessage(MESSAGE.decode(row.values), row.seq) for row in rows]

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        found = await self.conn.get_many([self.conn.keys.message(i) for i in ids], MESSAGE_FIELDS)
        pairs = [(MESSAGE.decode(v), int(v["s"] or 0)) for v in found if v is not None]
        pairs.sort(key=lambda p: (p[0].created_at, p[1]))
        return [m for m, _ in pairs]

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self._write_messages(messages, set())

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        threads = {m.thread_id for m in messages if m.thread_id} | set(touched_thread_ids)
        await self.conn.upsert("message", [self._message_rec(m) for m in messages],
                               bump=[self.conn.keys.thread(t) for t in sorted(threads)], purge=self._purge("message"))

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        await self.conn.delete(keys=[self.conn.keys.message(i) for i in ids], bump_field="tk",
                               purge=self._purge("message"))

    # ---------------------------------------------------------------- resources

    def _resource_rec(self, res: r.Resource, expect: str | None = None) -> Rec:
        return Rec(key=self.conn.keys.resource(res.id), id=esc(res.id),
                   fields={"j": RESOURCE.json(res), "c": ms(res.created_at), "u": ms(res.updated_at)}, ix=[],
                   expires_at=self.expires_at("resource"), expect=expect)

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        values = await self.conn.get_one(self.conn.keys.resource(resource_id), THREAD_FIELDS)
        return None if values is None else RESOURCE.decode(values)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        out = await self.conn.upsert("resource", [self._resource_rec(resource)])
        return attrs.evolve(resource, created_at=created_or_now(out[1]))

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """One script: the patch is merged into the stored record's JSON inside Redis (the stored text spliced, never
        re-encoded), or the resource is created from it when missing; updated_at bumped, expiry refreshed, write
        token recorded. Stored metadata that is not an object takes the general path."""
        fresh = patch.apply(resource_id, None)
        rec = self._resource_rec(fresh)
        merge: dict[str, Any] = {}
        if patch.set_working_memory:
            merge["set"] = [[dumps("workingMemory"), dumps(patch.working_memory)]]
        if patch.metadata is not None:
            merge["sub"] = [[dumps("metadata"), {"set": json_pairs(patch.metadata)}]]
        rec.merge = merge
        out = await self.conn.upsert("resource", [rec])
        if out[0] == "SHAPE":  # stored metadata that is not an object: the core's merge decides
            return await super()._update_resource(resource_id, patch)
        return RESOURCE.decode({"j": out[4], "c": out[1], "u": out[5] or rec.fields["u"]})

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        async def attempt() -> tuple[bool, r.Resource]:
            values = await self.conn.get_one(self.conn.keys.resource(resource_id), THREAD_FIELDS)
            new = change(None if values is None else RESOURCE.decode(values))
            version = "0" if values is None else (values["v"] or "0")
            out = await self.conn.upsert("resource", [self._resource_rec(new, expect=version)])
            return (out[0] == "OK"), new

        return await self.conn.optimistic(attempt)

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
        out = await self.conn.upsert("thread", [rec, *(self._message_rec(m) for m in copies)],
                                     bump=[self.conn.keys.thread(thread.id)] if copies else [],
                                     purge=self._purge("thread", "message"))
        if out[0] == "EXISTS":
            raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                  id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
        return CloneResult(thread=(await self._get_thread(thread.id)) or thread, cloned_messages=copies)

    # ---------------------------------------------------------------- admin

    async def _clear(self) -> None:
        await self.conn.clear_patterns("memory")

    async def _prune(self, now: datetime) -> int:
        # Redis deletes expired hashes itself; this cleans up their index entries (and any hash not yet deleted)
        return await self.conn.prune_expired(now, "thread", "message", "resource")

    async def _count_expired(self, now: datetime) -> int | None:
        return await self.conn.count_expired(now, "thread", "message", "resource")
