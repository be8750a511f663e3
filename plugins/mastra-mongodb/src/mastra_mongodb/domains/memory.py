"""Threads, messages and resources in ``mastra_threads``, ``mastra_messages`` and ``mastra_resources``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mastra_core import records as r
from mastra_core.backend.pages import FetchedMessage, assemble_message_page
from mastra_core.clock import to_ms, utc_now
from mastra_core.domains.matching import metadata_matches
from mastra_core.domains.memory import CloneResult, MemoryStore, ResourcePatch, ThreadPatch, plan_clone
from mastra_core.pagination import Page
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery

from ..codec import MESSAGE, RESOURCE, THREAD, enc, ordered_id
from ..connection import COUNT, Sort, skip_of
from ..filters import Filter, all_of, message_position, metadata_filter, order
from ..keyed_locks import KeyedLocks
from ..merge import dotted, merge_one
from ..schema import MESSAGES, RESOURCES, SEQ, THREADS
from .shared import MongoDomain, reader

if TYPE_CHECKING:
    from pymongo.asynchronous.client_session import AsyncClientSession

Doc = dict[str, Any]
DUPLICATE_KEY = 11000


class MongoMemory(MemoryStore, MongoDomain):
    """The memory domain on MongoDB."""

    collections = (THREADS, MESSAGES, RESOURCES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: This process's guarded one-command updates, one at a time per thread / resource (see keyed_locks.py).
        self._updating = KeyedLocks()

    # ---------------------------------------------------------------- threads

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        doc = await self.col(THREADS).find_one(all_of({"id": thread_id}, self.live(THREADS)))
        return None if doc is None else THREAD.from_doc(doc)

    async def _upsert_keeping_created(self, collection: str, key: Filter, fields: Doc) -> Doc:
        """Upsert ``fields`` on ``key``; ``createdAt`` and ``seq`` are only set by the insert. Returns the document."""
        from pymongo import ReturnDocument

        await self.drop_expired(collection, key)
        created = fields.pop("createdAt")
        doc = await self.col(collection).find_one_and_update(
            key,
            {"$set": {**fields, **self.expiry(collection)},
             "$setOnInsert": {"createdAt": created, **self._insertion(collection)}},
            upsert=True, return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # an upsert returning the document after it always finds one
            raise RuntimeError(f"upsert into {collection} returned no document")
        return doc

    def _insertion(self, collection: str) -> Doc:
        """The insertion order of a new document: an ordered ``_id`` for threads (the reference returns thread
        documents as stored, so a ``seq`` field would show there), ``seq`` elsewhere."""
        seq = self.conn.seq()
        return {"_id": ordered_id(seq)} if collection == THREADS else {SEQ: seq}

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        return THREAD.from_doc(await self._upsert_keeping_created(THREADS, {"id": thread.id}, THREAD.to_doc(thread)))

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        def write(new: r.Thread, old: Doc | None) -> Doc:
            return {**THREAD.to_doc(new), **self.expiry(THREADS)}

        return await self.conn.compare_and_set(
            THREADS, {"id": thread_id}, reader(THREAD.from_doc), lambda t: None if t is None else change(t), write,
            expiring=self.ttl_active(THREADS),
        )

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """One ``findOneAndUpdate``: the title and each patched metadata key ``$set`` (``metadata.<key>``),
        ``updatedAt`` now, expiry refreshed; guarded so that it matches only when that is the patch's result
        (``updatedAt`` before now, so now is strictly after it). Anything else takes the general path
        (``merge.py`` says when). One at a time per thread in this process (``keyed_locks.py``)."""
        async with self._updating.hold("thread:" + thread_id):
            return await self._update_thread_now(thread_id, patch)

    async def _update_thread_now(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        now = to_ms(utc_now())
        sets = {} if patch.metadata is None else dotted("metadata", patch.metadata)
        if sets is None:
            return await super()._update_thread(thread_id, patch)
        guard: Filter = {"id": thread_id, "updatedAt": {"$lt": now}}
        if patch.metadata is not None and not patch.metadata:  # {} turns a null metadata into {}: only when not null
            guard["metadata"] = {"$ne": None}
        if patch.set_title:
            sets["title"] = enc(patch.title)
        sets.update(updatedAt=now, **self.expiry(THREADS))
        doc = await merge_one(self.col(THREADS), {**guard, **self.live(THREADS, now)}, {"$set": sets})
        if doc is None:
            return await super()._update_thread(thread_id, patch)
        return THREAD.from_doc(doc)

    async def _delete_thread(self, thread_id: str) -> None:
        async def go(session: AsyncClientSession | None) -> None:
            await self.col(MESSAGES).delete_many({"thread_id": thread_id}, session=session)
            await self.col(THREADS).delete_one({"id": thread_id}, session=session)

        await self.conn.transaction(go)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        meta, in_python = metadata_filter("metadata", q.metadata)
        flt = all_of({"resourceId": q.resource_id} if q.resource_id is not None else None, meta, self.live(THREADS))
        field = {"created_at": "createdAt", "updated_at": "updatedAt"}[q.order_field]
        keep = (lambda t: metadata_matches(t.metadata, q.metadata)) if in_python else None
        return await self.conn.find_page(THREADS, flt, order(field, q.direction, "_id"), q.page, q.per_page,
                                         THREAD.from_doc, keep=keep)

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
        """The page and its count in one aggregate; with include windows, the page, its count and the include
        targets in one aggregate, then the windows in a second: one command, or two with include windows."""
        flt = self._message_filter(q)
        sort = order("createdAt", q.direction, SEQ, "_id")
        if q.include:
            docs, total, targets = await self._page_and_targets(q, flt, sort)
            extra = targets + await self._include_windows(q, targets)
        else:
            col = self.col(MESSAGES)
            extra = []
            if q.limit is None:
                docs, total = await col.find(flt, sort=sort).to_list(None), 0
            elif q.limit == 0:
                docs, total = [], await col.count_documents(flt)
            else:
                docs, total = await self.conn.page_and_count(MESSAGES, flt, sort, q.offset, q.limit)
        if q.limit is None:
            total = len(docs)
        return assemble_message_page(q, page=[_fetched(d) for d in docs], windows=[_fetched(d) for d in extra],
                                     total=total)

    async def _page_and_targets(self, q: MessageQuery, flt: Filter, sort: Sort) -> tuple[list[Doc], int, list[Doc]]:
        """One aggregate: the page, then the count (a document ``{COUNT: n}``, absent when nothing matches), then
        the include targets. The page comes first so its ``$match``/``$sort``/``$limit`` read from the index."""
        ids = list(dict.fromkeys(inc.id for inc in q.include))
        counted: list[Doc] = [{"$match": flt}, {"$count": COUNT}]
        targets: Doc = {"$unionWith": {"coll": MESSAGES, "pipeline": [
            {"$match": all_of({"id": {"$in": ids}}, self.live(MESSAGES))}]}}
        if q.limit == 0:
            pipeline = [*counted, targets]
        else:
            page: list[Doc] = [{"$match": flt}, {"$sort": dict(sort)}]
            if q.offset:
                page.append({"$skip": skip_of(q.offset)})
            if q.limit is not None:
                page.append({"$limit": skip_of(q.limit)})
            pipeline = [*page, {"$unionWith": {"coll": MESSAGES, "pipeline": counted}}, targets]
        out = await (await self.col(MESSAGES).aggregate(pipeline)).to_list(None)
        cut = next((i for i, d in enumerate(out) if set(d) == {COUNT}), None)
        if cut is None:  # nothing matched the page's filter: every document is a target
            return [], 0, out
        return out[:cut], int(out[cut][COUNT]), out[cut + 1:]

    async def _include_windows(self, q: MessageQuery, found: list[Doc]) -> list[Doc]:
        """The neighbours of the include targets ``found``: one aggregate reading every window with ``$limit``."""
        targets = {d["id"]: d for d in found}
        branches: list[list[Doc]] = []
        for inc in q.include:
            t = targets.get(inc.id)
            if t is None or t.get("thread_id") is None:
                continue
            for after, count in ((False, inc.with_previous_messages), (True, inc.with_next_messages)):
                if count:
                    flt = all_of({"thread_id": t["thread_id"]},
                                 message_position(t.get("createdAt"), t.get(SEQ), t.get("_id"), after),
                                 self.live(MESSAGES))
                    sort = dict(order("createdAt", "ASC" if after else "DESC", SEQ, "_id"))
                    branches.append([{"$match": flt}, {"$sort": sort}, {"$limit": count}])
        if not branches:
            return []
        pipeline = list(branches[0])
        for b in branches[1:]:
            pipeline.append({"$unionWith": {"coll": MESSAGES, "pipeline": b}})
        return list(await (await self.col(MESSAGES).aggregate(pipeline)).to_list(None))

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        docs = await self.col(MESSAGES).find(
            all_of({"id": {"$in": list(ids)}}, self.live(MESSAGES)), sort=order("createdAt", "ASC", SEQ, "_id")
        ).to_list(None)
        return [MESSAGE.from_doc(d) for d in docs]

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self.conn.transaction(lambda s: self._save_in(s, messages, set()))

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        await self.conn.transaction(lambda s: self._save_in(s, messages, touched_thread_ids))

    async def _save_in(self, session: AsyncClientSession | None, messages: list[r.Message], touched: set[str]) -> None:
        """The messages' documents and the threads' ``updatedAt``: one write command per collection.

        Two commands is the least a server below MongoDB 8 allows (a write command names one collection; the
        client-level ``bulkWrite`` that spans two needs wire version 25, which jongodb, at 17, does not report).
        Without a transaction both are sent at once (one round trip of latency). New messages go in as one
        ``insert`` and only ids already stored are upserted (``_insert_new``); in a transaction the batch is one
        bulk of upserts instead, because a duplicate key error there would abort the whole transaction.
        """
        if self.ttl_active(MESSAGES):
            await self.drop_expired(MESSAGES, {"id": {"$in": [m.id for m in messages]}}, session)
        expiry = self.expiry(MESSAGES)
        docs = [{**MESSAGE.to_doc(m), **expiry, SEQ: seq}
                for m, seq in zip(messages, self.conn.seqs(len(messages)), strict=True)]
        threads = sorted({m.thread_id for m in messages if m.thread_id} | touched)
        if session is None:
            await asyncio.gather(self._insert_new(docs), self._bump(threads, None))
        else:
            await self.col(MESSAGES).bulk_write(_upserts(docs), ordered=True, session=session)
            await self._bump(threads, session)

    async def _insert_new(self, docs: list[Doc]) -> None:
        """Insert ``docs`` in one command; the ones whose id is already stored are upserted after.

        Why not one bulk of upserts (what a transaction sends): every statement of an ``update`` command is a
        separate write for the server, and jongodb's writes each cost time growing with the square of the
        collection's size (a unique-constraint pass over every document), so a batch of n upserts cost n such
        passes; an ``insert`` of n documents costs one. On MongoDB both use the unique index; the insert is
        the cheaper statement there too. Ids already stored (a message saved again) are reported per document
        by MongoDB (``BulkWriteError``); jongodb refuses the whole command (``DuplicateKeyError``, nothing
        written), so one read finds them and the rest is inserted again. A retry of the whole save (lost reply)
        finds its own documents stored and upserts the same values: applied once.
        """
        from pymongo.errors import BulkWriteError, DuplicateKeyError

        col = self.col(MESSAGES)
        unique = len({d["id"] for d in docs}) == len(docs)
        pending, existing = (docs, []) if unique else ([], list(docs))  # an id twice in one save: upserts, in order
        for _ in range(3):
            if not pending:
                break
            try:
                await col.insert_many(pending, ordered=False)
                pending = []
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                    raise
                existing += [pending[e["index"]] for e in errors]
                pending = []
            except DuplicateKeyError:  # the whole command refused: find which ids are stored
                stored = set(await col.distinct("id", {"id": {"$in": [d["id"] for d in pending]}}))
                existing += [d for d in pending if d["id"] in stored]
                pending = [d for d in pending if d["id"] not in stored]
        existing += pending  # still refused after three tries (ids stored concurrently): upserted
        if existing:
            await col.bulk_write(_upserts(existing), ordered=True)

    async def _bump(self, thread_ids: list[str], session: AsyncClientSession | None) -> None:
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
                res = await col.update_one({"_id": doc["_id"], "updatedAt": doc["updatedAt"]},
                                           {"$set": {"updatedAt": new}}, session=session)
                if res.matched_count or session is not None:
                    break
                fresh = await col.find_one({"_id": doc["_id"]})
                if fresh is None:
                    break
                doc = fresh

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        async def go(session: AsyncClientSession | None) -> None:
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

        async def go(session: AsyncClientSession | None) -> None:
            await self.drop_expired(THREADS, {"id": thread.id}, session)
            await self.col(THREADS).insert_one({**THREAD.to_doc(thread), **self._insertion(THREADS),
                                                **self.expiry(THREADS)}, session=session)
            if copies:
                await self._save_in(session, copies, set())

        await self.conn.transaction(go)
        return CloneResult(thread=(await self._get_thread(thread.id)) or thread, cloned_messages=copies)

    # ---------------------------------------------------------------- resources

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        doc = await self.col(RESOURCES).find_one(all_of({"id": resource_id}, self.live(RESOURCES)))
        return None if doc is None else RESOURCE.from_doc(doc)

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        doc = await self._upsert_keeping_created(RESOURCES, {"id": resource.id}, RESOURCE.to_doc(resource))
        return RESOURCE.from_doc(doc)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        def write(new: r.Resource, old: Doc | None) -> Doc:
            body = {**RESOURCE.to_doc(new), **self.expiry(RESOURCES)}
            if old is None:
                body[SEQ] = self.conn.seq()
            return body

        written = await self.conn.compare_and_set(RESOURCES, {"id": resource_id}, reader(RESOURCE.from_doc), change,
                                                  write, expiring=self.ttl_active(RESOURCES))
        assert written is not None  # change always returns a resource
        return written

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """Working memory alone: one ``findOneAndUpdate`` upsert (``workingMemory`` and ``updatedAt`` set, the new
        resource's other fields on insert), guarded by ``updatedAt`` before now. A metadata patch takes the general
        path: ``metadata`` is JSON text (the reference's schema), which no update operator can merge into."""
        if patch.metadata is not None:
            return await super()._update_resource(resource_id, patch)
        async with self._updating.hold("resource:" + resource_id):  # (see keyed_locks.py)
            return await self._update_working_memory(resource_id, patch)

    async def _update_working_memory(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        fresh = RESOURCE.to_doc(patch.apply(resource_id, None))
        now = fresh.pop("updatedAt")
        sets: Doc = {"updatedAt": now, **self.expiry(RESOURCES)}
        if patch.set_working_memory:
            sets["workingMemory"] = fresh.pop("workingMemory")
        guard: Filter = {"id": resource_id, "updatedAt": {"$lt": now}}
        doc = await merge_one(self.col(RESOURCES), {**guard, **self.live(RESOURCES, now)},
                              {"$set": sets, "$setOnInsert": {**fresh, **self._insertion(RESOURCES)}}, upsert=True)
        if doc is None:
            return await super()._update_resource(resource_id, patch)
        return RESOURCE.from_doc(doc)


def _upserts(docs: list[Doc]) -> list[Any]:
    """Upserts of message documents keeping a stored message's first ``createdAt`` and ``seq``."""
    from pymongo import UpdateOne

    ops = []
    for doc in docs:
        fields = {k: v for k, v in doc.items() if k not in ("_id", "createdAt", SEQ)}
        ops.append(UpdateOne({"id": doc["id"]}, {"$set": fields,
                                                 "$setOnInsert": {"createdAt": doc["createdAt"], SEQ: doc[SEQ]}},
                             upsert=True))
    return ops


def _fetched(doc: Doc) -> FetchedMessage:
    """A stored message with its tie-break as the list sorts: (insertion sequence, none first; ``_id``).

    ObjectIds compare as their hex text does; the text keeps other ``_id`` types comparable too.
    """
    return FetchedMessage(MESSAGE.from_doc(doc), (doc.get(SEQ) or 0, str(doc.get("_id"))))

