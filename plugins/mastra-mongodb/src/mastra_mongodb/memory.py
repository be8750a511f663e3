"""Threads, messages and resources in ``mastra_threads``, ``mastra_messages`` and ``mastra_resources``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from mastra_core import records as r
from mastra_core.clock import to_ms, utc_now
from mastra_core.domains.matching import in_date_range, metadata_matches
from mastra_core.domains.memory import CloneResult, MemoryStore, plan_clone
from mastra_core.pagination import Page, has_more
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery

from .base import MongoDomain
from .docs import message_fields, message_from, resource_doc, resource_from, thread_doc, thread_from
from .queries import MESSAGE_ORDER, Filter, all_of, before_or_after, metadata_filter, order
from .schema import MESSAGES, RESOURCES, SEQ, THREADS


class MongoMemory(MongoDomain, MemoryStore):
    """The memory domain on MongoDB."""

    collections = (THREADS, MESSAGES, RESOURCES)

    # ---------------------------------------------------------------- threads

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        doc = await self.col(THREADS).find_one(all_of({"id": thread_id}, self.live(THREADS)))
        return None if doc is None else thread_from(doc)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        from pymongo import ReturnDocument

        await self.drop_expired(THREADS, {"id": thread.id})
        fields = thread_doc(thread)
        created = fields.pop("createdAt")
        doc = await self.col(THREADS).find_one_and_update(
            {"id": thread.id},
            {"$set": {**fields, **self.expiry(THREADS)}, "$setOnInsert": {"createdAt": created, SEQ: self.conn.seqs(1)[0]}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        return thread_from(doc)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        def write(new: r.Thread, old: dict[str, Any] | None) -> dict[str, Any]:
            return {**thread_doc(new), **self.expiry(THREADS)}

        return await self.compare_and_set(  # type: ignore[no-any-return]
            THREADS, {"id": thread_id}, lambda d: None if d is None else thread_from(d),
            lambda t: None if t is None else change(t), write,
        )

    async def _delete_thread(self, thread_id: str) -> None:
        async def go(session: Any) -> None:
            await self.col(MESSAGES).delete_many({"thread_id": thread_id}, session=session)
            await self.col(THREADS).delete_one({"id": thread_id}, session=session)

        await self.conn.transaction(go)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        meta, in_python = metadata_filter("metadata", q.metadata)
        flt = all_of({"resourceId": q.resource_id} if q.resource_id is not None else None, meta, self.live(THREADS))
        field = {"created_at": "createdAt", "updated_at": "updatedAt"}[q.order_field]
        keep = (lambda t: metadata_matches(t.metadata, q.metadata)) if in_python else None
        return await self.find_page(THREADS, flt, order(field, q.direction, SEQ), q.page, q.per_page, thread_from, keep=keep)

    # ---------------------------------------------------------------- messages

    def _message_filter(self, q: MessageQuery) -> Filter:
        created: dict[str, Any] = {}
        if q.start is not None:
            created["$gt" if q.start_exclusive else "$gte"] = q.start
        if q.end is not None:
            created["$lt" if q.end_exclusive else "$lte"] = q.end
        return all_of(
            {"thread_id": q.thread_ids[0] if len(q.thread_ids) == 1 else {"$in": list(q.thread_ids)}},
            {"resourceId": q.resource_id} if q.resource_id is not None else None,
            {"createdAt": created} if created else None,
            self.live(MESSAGES),
        )

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        flt = self._message_filter(q)
        sort = order("createdAt", q.direction, SEQ, "id")
        col = self.col(MESSAGES)
        limit = q.limit
        page_docs: Any
        if limit is None:
            page_docs = col.find(flt, sort=sort).to_list(None)
        elif limit == 0:
            page_docs = _nothing()
        else:
            page_docs = col.find(flt, sort=sort, skip=q.offset, limit=limit).to_list(None)
        count = _nothing_count() if limit is None else col.count_documents(flt)
        windows = self._include_windows(q) if q.include else _nothing()
        docs, total, extra = await asyncio.gather(page_docs, count, windows)
        if limit is None:
            total = len(docs)
        chosen: dict[str, dict[str, Any]] = {d["id"]: d for d in docs}
        for d in extra:
            chosen.setdefault(d["id"], d)
        rows = sorted(chosen.values(), key=_message_key, reverse=q.direction == "DESC")
        items = [message_from(d) for d in rows]
        returned = sum(1 for m in items if self._is_candidate(m, q))
        more = returned < total and has_more(total, q.page, q.per_page)
        return Page(items=items, total=total, page=q.page, per_page=q.per_page, has_more=more)

    @staticmethod
    def _is_candidate(m: r.Message, q: MessageQuery) -> bool:
        return (m.thread_id in q.thread_ids and (q.resource_id is None or m.resource_id == q.resource_id)
                and in_date_range(m.created_at, q))

    async def _include_windows(self, q: MessageQuery) -> list[dict[str, Any]]:
        """The include targets and their neighbours: one lookup of the targets, then one aggregate reading only the windows."""
        col = self.col(MESSAGES)
        ids = list(dict.fromkeys(inc.id for inc in q.include))
        targets = {d["id"]: d for d in await col.find(all_of({"id": {"$in": ids}}, self.live(MESSAGES))).to_list(None)}
        out: list[dict[str, Any]] = list(targets.values())
        branches: list[list[dict[str, Any]]] = []
        for inc in q.include:
            t = targets.get(inc.id)
            if t is None or t.get("thread_id") is None:
                continue
            position = [(f, t.get(f)) for f in MESSAGE_ORDER]
            for after, count in ((False, inc.with_previous_messages), (True, inc.with_next_messages)):
                if count:
                    flt = all_of({"thread_id": t["thread_id"]}, before_or_after(position, after), self.live(MESSAGES))
                    branches.append([{"$match": flt}, {"$sort": dict(order("createdAt", "ASC" if after else "DESC", SEQ, "id"))},
                                     {"$limit": count}])
        if branches:
            pipeline = list(branches[0])
            for b in branches[1:]:
                pipeline.append({"$unionWith": {"coll": MESSAGES, "pipeline": b}})
            out += await (await col.aggregate(pipeline)).to_list(None)
        return out

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        docs = await self.col(MESSAGES).find(
            all_of({"id": {"$in": list(ids)}}, self.live(MESSAGES)), sort=order("createdAt", "ASC", SEQ, "id")
        ).to_list(None)
        return [message_from(d) for d in docs]

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self.conn.transaction(lambda s: self._save_in(s, messages, set()))

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        await self.conn.transaction(lambda s: self._save_in(s, messages, touched_thread_ids))

    async def _save_in(self, session: Any, messages: list[r.Message], touched: set[str]) -> None:
        from pymongo import UpdateOne

        if self.ttl_active(MESSAGES):
            await self.drop_expired(MESSAGES, {"id": {"$in": [m.id for m in messages]}}, session)
        expiry = self.expiry(MESSAGES)
        ops = [
            UpdateOne({"id": m.id}, {"$set": {**message_fields(m), **expiry},
                                     "$setOnInsert": {"createdAt": to_ms(m.created_at), SEQ: seq}}, upsert=True)
            for m, seq in zip(messages, self.conn.seqs(len(messages)), strict=True)
        ]
        threads = sorted({m.thread_id for m in messages if m.thread_id} | touched)
        if session is None:  # no transactions: both writes at once
            await asyncio.gather(self.col(MESSAGES).bulk_write(ops, ordered=True), self._bump(threads, None))
        else:
            await self.col(MESSAGES).bulk_write(ops, ordered=True, session=session)
            await self._bump(threads, session)

    async def _bump(self, thread_ids: list[str], session: Any) -> None:
        """Set ``updatedAt`` of these threads to now, or 1 ms past their current value if that is not earlier."""
        if not thread_ids:
            return
        now = utc_now()
        col = self.col(THREADS)
        live = self.live(THREADS, now)
        result = await col.update_many(all_of({"id": {"$in": thread_ids}, "updatedAt": {"$lt": now}}, live),
                                       {"$set": {"updatedAt": now}}, session=session)
        if result.matched_count == len(thread_ids):
            return
        # rare: a thread updated within this millisecond (or dated in the future) moves 1 ms past itself
        for doc in await col.find(all_of({"id": {"$in": thread_ids}, "updatedAt": {"$gte": now}}, live),
                                  session=session).to_list(None):
            for _ in range(100):
                new = to_ms(doc["updatedAt"]) + timedelta(milliseconds=1)
                res = await col.update_one({"_id": doc["_id"], "updatedAt": doc["updatedAt"]}, {"$set": {"updatedAt": new}},
                                           session=session)
                if res.matched_count or session is not None:
                    break
                fresh = await col.find_one({"_id": doc["_id"]})
                if fresh is None:
                    break
                doc = fresh

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        async def go(session: Any) -> None:
            col = self.col(MESSAGES)
            threads = await col.distinct("thread_id", {"id": {"$in": list(ids)}}, session=session)
            await col.delete_many({"id": {"$in": list(ids)}}, session=session)
            await self._bump(sorted(t for t in threads if isinstance(t, str)), session)

        await self.conn.transaction(go)

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        """With transactions: the new thread and its message copies in one transaction; else the core's default."""
        if not self.conn.supports_transactions:
            return await super()._clone_thread(req)
        from mastra_core.errors import ValidationError, error_id

        source = await self._get_thread(req.source_thread_id)
        if source is None:
            raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                  id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
        if await self._get_thread(req.new_thread_id) is not None:
            raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                  id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
        thread, copies = plan_clone(source, await self._all_messages(source.id), req)

        async def go(session: Any) -> None:
            await self.drop_expired(THREADS, {"id": thread.id}, session)
            await self.col(THREADS).insert_one({**thread_doc(thread), SEQ: self.conn.seqs(1)[0], **self.expiry(THREADS)},
                                               session=session)
            if copies:
                await self._save_in(session, copies, set())

        await self.conn.transaction(go)
        return CloneResult(thread=(await self._get_thread(thread.id)) or thread, cloned_messages=copies)

    # ---------------------------------------------------------------- resources

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        doc = await self.col(RESOURCES).find_one(all_of({"id": resource_id}, self.live(RESOURCES)))
        return None if doc is None else resource_from(doc)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        from pymongo import ReturnDocument

        await self.drop_expired(RESOURCES, {"id": resource.id})
        fields = resource_doc(resource)
        created = fields.pop("createdAt")
        doc = await self.col(RESOURCES).find_one_and_update(
            {"id": resource.id},
            {"$set": {**fields, **self.expiry(RESOURCES)}, "$setOnInsert": {"createdAt": created, SEQ: self.conn.seqs(1)[0]}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        return resource_from(doc)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        def write(new: r.Resource, old: dict[str, Any] | None) -> dict[str, Any]:
            body = {**resource_doc(new), **self.expiry(RESOURCES)}
            if old is None:
                body[SEQ] = self.conn.seqs(1)[0]
            return body

        return await self.compare_and_set(  # type: ignore[no-any-return]
            RESOURCES, {"id": resource_id}, lambda d: None if d is None else resource_from(d), change, write,
        )


def _message_key(doc: dict[str, Any]) -> tuple[Any, ...]:
    return (to_ms(doc["createdAt"]), doc.get(SEQ) or 0, doc.get("id"))


async def _nothing() -> list[Any]:
    return []


async def _nothing_count() -> int:
    return 0
