"""The memory domain on MariaDB: threads, messages (total order ``(createdAt, seq)``) and resources."""
# ruff: noqa: S608  -- see domains/__init__.py: identifiers are validated and quoted, values are bound

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import FetchedMessage, RowCodec, assemble_message_page
from mastra_core.backend.reference_schema import DOMAIN_TABLES
from mastra_core.domains.matching import metadata_matches
from mastra_core.domains.memory import CloneResult, MemoryStore, ResourcePatch, ThreadPatch, plan_clone
from mastra_core.errors import ValidationError, error_id
from mastra_core.pagination import Page
from mastra_core.records.queries import CloneRequest, MessageQuery, ThreadQuery

from ..codec import MESSAGE, RESOURCE, THREAD, message_from_row, message_row, naive_utc, write_text
from ..connection import Row, Tx
from ..merge import merged_object, object_or_null, plain_keys, update_returning
from ..schema import quote
from . import LIVE, NO_LIMIT, MySQLDomain, columns, marks, now, select_page, update_row, upsert

_T = quote(THREAD.table.name)
_M = quote(MESSAGE.table.name)
_R = quote(RESOURCE.table.name)
_ORDER = {"created_at": "`createdAt`", "updated_at": "`updatedAt`"}
#: updatedAt now, but strictly after the stored one (``ThreadPatch``/``ResourcePatch.apply``'s rule)
_BUMPED = "`updatedAt` = GREATEST(%s, `updatedAt` + INTERVAL 1000 MICROSECOND)"
_BUMP = (f"UPDATE {_T} SET `updatedAt` = GREATEST(%s, `updatedAt` + INTERVAL 1000 MICROSECOND) "
         f"WHERE id IN ({{}}) AND {LIVE}")


def _fetched(row: Row) -> FetchedMessage:
    return FetchedMessage(message_from_row(row), row["seq"])


def _window(inc: r.MessageInclude, at: datetime) -> list[tuple[str, Sequence[Any]]]:
    """The statements reading an include target and its live neighbours in its own thread: the target by id, then
    index range scans from it, which find it again through a derived table on its id (a const lookup), so all of
    them go in one multi-statement with the page."""
    cols = columns(MESSAGE)
    out: list[tuple[str, Sequence[Any]]] = [(f"SELECT {cols} FROM {_M} WHERE id = %s AND {LIVE}", (inc.id, at))]
    target = (f"(SELECT thread_id AS tt, `createdAt` AS tc, seq AS ts FROM {_M} WHERE id = %s AND {LIVE}) AS t "
              "ON m.thread_id = t.tt")
    for n, cmp, d in ((inc.with_previous_messages, "<", "DESC"), (inc.with_next_messages, ">", "ASC")):
        if n:
            # the bare `createdAt` bound makes it a range on (thread_id, createdAt) starting at the target
            out.append((f"SELECT {columns(MESSAGE, 'm')} FROM {_M} AS m JOIN {target} WHERE {LIVE} "
                        f"AND m.`createdAt` {cmp}= t.tc AND (m.`createdAt` {cmp} t.tc OR m.seq {cmp} t.ts) "
                        f"ORDER BY m.`createdAt` {d}, m.seq {d} LIMIT {int(n)}", (inc.id, at, at)))
    return out


class MySQLMemory(MemoryStore, MySQLDomain):
    """Threads, messages and resources in ``mastra_threads``, ``mastra_messages`` and ``mastra_resources``."""

    tables = DOMAIN_TABLES["memory"]

    # ---------------------------------------------------------------- threads

    @staticmethod
    async def _thread(tx: Tx, thread_id: str, lock: str = "") -> r.Thread | None:
        row = await tx.one(f"SELECT {columns(THREAD)} FROM {_T} WHERE id = %s AND {LIVE}{lock}", (thread_id, now()))
        return None if row is None else THREAD.from_row(row)

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        return await self.conn.read(lambda tx: self._thread(tx, thread_id))

    async def _store_thread(self, tx: Tx, thread: r.Thread) -> r.Thread:
        await upsert(tx, THREAD, [THREAD.to_row(thread, expiresAt=self.expires_at("thread"))], ("id",))
        stored = await self._thread(tx, thread.id)
        assert stored is not None
        return stored

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        return await self.conn.tx(lambda tx: self._store_thread(tx, thread))

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        async def go(tx: Tx) -> r.Thread | None:
            old = await self._thread(tx, thread_id, " FOR UPDATE")
            if old is None:
                return None
            new = change(old)
            await update_row(tx, THREAD, THREAD.to_row(new, id=thread_id, expiresAt=self.expires_at("thread")), ("id",))
            return new

        return await self.conn.tx(go)

    async def _update_thread(self, thread_id: str, patch: ThreadPatch) -> r.Thread | None:
        """One round trip: the title set and the metadata merged in SQL (``merge.py``), ``updatedAt`` bumped
        strictly past the stored one, expiry refreshed. No live thread, a key that is not plain or stored metadata
        that is not an object: the general path."""
        text = ("title", patch.title) if patch.set_title else None
        row = await self._merge_in_sql(THREAD, "thread", thread_id, text, patch.metadata)
        if row is None:
            return await super()._update_thread(thread_id, patch)
        return THREAD.from_row(row)

    async def _delete_thread(self, thread_id: str) -> None:
        async def go(tx: Tx) -> None:
            tx.defer(f"DELETE FROM {_M} WHERE thread_id = %s", (thread_id,))
            tx.defer(f"DELETE FROM {_T} WHERE id = %s", (thread_id,))

        await self.conn.tx(go)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        where: list[str] = [LIVE]
        params: list[Any] = [now()]
        if q.resource_id is not None:
            where.append("`resourceId` = %s")
            params.append(q.resource_id)
        d = "DESC" if q.direction == "DESC" else "ASC"
        order = f"{_ORDER[q.order_field]} {d}, seq {d}"
        # metadata filters are deep JSON equality (1 == 1.0, true != 1): checked with core's definition
        keep = (lambda t: metadata_matches(t.metadata, q.metadata)) if q.metadata else None
        return await select_page(self.conn, THREAD, where, params, order, q.page, q.per_page, keep)

    # ---------------------------------------------------------------- messages

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        at = now()
        where = [f"thread_id IN ({marks(len(q.thread_ids))})", LIVE]
        params: list[Any] = [*q.thread_ids, at]
        if q.resource_id is not None:
            where.append("`resourceId` = %s")
            params.append(q.resource_id)
        if q.start is not None:
            where.append("`createdAt` " + (">" if q.start_exclusive else ">=") + " %s")
            params.append(naive_utc(q.start))
        if q.end is not None:
            where.append("`createdAt` " + ("<" if q.end_exclusive else "<=") + " %s")
            params.append(naive_utc(q.end))
        cond = " AND ".join(where)
        d = "DESC" if q.direction == "DESC" else "ASC"
        cols = columns(MESSAGE)

        # the page, every include window and the total: one multi-statement, one round trip
        statements: list[tuple[str, Sequence[Any]]] = []
        if q.limit != 0:
            limit = NO_LIMIT if q.limit is None else int(q.limit)
            statements.append((f"SELECT {cols} FROM {_M} WHERE {cond} ORDER BY `createdAt` {d}, seq {d} "
                               f"LIMIT {limit} OFFSET {int(q.offset)}", params))
        for inc in q.include:
            statements += _window(inc, at)
        statements.append((f"SELECT COUNT(*) AS n FROM {_M} WHERE {cond}", params))

        async def go(tx: Tx) -> Page[r.Message]:
            results = await tx.fetch_each(statements)
            page = results[0] if q.limit != 0 else []
            windows = [row for rows in results[1 if q.limit != 0 else 0:-1] for row in rows]
            count = results[-1][0]["n"] if results[-1] else 0
            return assemble_message_page(q, page=[_fetched(x) for x in page], windows=[_fetched(x) for x in windows],
                                         total=int(count))

        return await self.conn.read(go)

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        rows = await self.conn.fetch(f"SELECT {columns(MESSAGE)} FROM {_M} WHERE id IN ({marks(len(ids))}) AND {LIVE} "
                                     "ORDER BY `createdAt`, seq", (*ids, now()))
        return [message_from_row(row) for row in rows]

    async def _store_messages(self, tx: Tx, messages: list[r.Message], touched: Iterable[str]) -> None:
        expires = self.expires_at("message")
        at = now()
        await upsert(tx, MESSAGE, [message_row(m) | {"expiresAt": expires} for m in messages], ("id",), at=at)
        await self._bump(tx, {m.thread_id for m in messages if m.thread_id} | set(touched), at)

    @staticmethod
    async def _bump(tx: Tx, thread_ids: set[str], at: datetime) -> None:
        if thread_ids:
            ids = sorted(thread_ids)  # one lock order for every writer
            tx.defer(_BUMP.format(marks(len(ids))), (at, *ids, at))

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self.conn.tx(lambda tx: self._store_messages(tx, messages, ()))

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        await self.conn.tx(lambda tx: self._store_messages(tx, messages, touched_thread_ids))

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        async def go(tx: Tx) -> None:
            # the threads bumped first (found through the messages about to go), then the messages: one round trip
            at = now()
            tx.defer(_BUMP.format(f"SELECT thread_id FROM {_M} WHERE id IN ({marks(len(ids))})"), (at, *ids, at))
            tx.defer(f"DELETE FROM {_M} WHERE id IN ({marks(len(ids))})", ids)

        await self.conn.tx(go)

    # ---------------------------------------------------------------- resources

    @staticmethod
    async def _resource(tx: Tx, resource_id: str, lock: str = "") -> r.Resource | None:
        row = await tx.one(f"SELECT {columns(RESOURCE)} FROM {_R} WHERE id = %s AND {LIVE}{lock}", (resource_id, now()))
        return None if row is None else RESOURCE.from_row(row)

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        return await self.conn.read(lambda tx: self._resource(tx, resource_id))

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        async def go(tx: Tx) -> r.Resource:
            await upsert(tx, RESOURCE, [RESOURCE.to_row(resource, expiresAt=self.expires_at("resource"))], ("id",))
            stored = await self._resource(tx, resource.id)
            assert stored is not None
            return stored

        return await self.conn.tx(go)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        async def go(tx: Tx) -> r.Resource:
            # FOR UPDATE locks the row, or the gap where it would go: a concurrent creator deadlocks and runs again
            old = await self._resource(tx, resource_id, " FOR UPDATE")
            new = attrs.evolve(change(old), id=resource_id)
            row = RESOURCE.to_row(new, expiresAt=self.expires_at("resource"))
            if old is None:
                await upsert(tx, RESOURCE, [row], ("id",), keep=())
            else:
                await update_row(tx, RESOURCE, row, ("id",))
            return new

        return await self.conn.tx(go)

    async def _update_resource(self, resource_id: str, patch: ResourcePatch) -> r.Resource:
        """A live resource: one round trip, working memory set and metadata merged in SQL (``merge.py``),
        ``updatedAt`` bumped strictly past the stored one, expiry refreshed. A missing one (created), a key that
        is not plain or stored metadata that is not an object: the general path."""
        text = ("workingMemory", patch.working_memory) if patch.set_working_memory else None
        row = await self._merge_in_sql(RESOURCE, "resource", resource_id, text, patch.metadata)
        if row is None:
            return await super()._update_resource(resource_id, patch)
        return RESOURCE.from_row(row)

    async def _merge_in_sql(self, codec: RowCodec[Any], kind: str, row_id: str, text: tuple[str, str | None] | None,
                            metadata: Mapping[str, Any] | None) -> Row | None:
        """The one-round-trip update of a thread or resource: ``text`` (column, value) set, ``metadata`` merged in SQL
        (``merge.py``), ``updatedAt`` bumped strictly past the stored one, expiry refreshed; the row after it. None
        when the general path must decide: no live row, a key that is not plain, stored metadata not an object."""
        sets: list[str] = []
        params: list[Any] = []
        guard = ""
        if text is not None:
            sets.append(f"{quote(text[0])} = %s")
            params.append(write_text(text[1]))
        if metadata is not None:
            if not plain_keys(metadata):
                return None
            meta, meta_params = merged_object("metadata", metadata)
            sets.append(f"metadata = {meta}")
            params += meta_params
            guard = f" AND {object_or_null('metadata')}"
        table = quote(codec.table.name)
        at = now()
        update = (f"UPDATE {table} SET {', '.join(sets + [_BUMPED, '`expiresAt` = %s'])} "
                  f"WHERE id = %s AND {LIVE}{guard}")
        return await update_returning(self.conn, update, [*params, at, self.expires_at(kind), row_id, at],
                                      f"SELECT {columns(codec)} FROM {table} WHERE id = %s", (row_id,))

    # ---------------------------------------------------------------- clone, clear

    async def _clone_thread(self, req: CloneRequest) -> CloneResult:
        async def go(tx: Tx) -> CloneResult:
            source = await self._thread(tx, req.source_thread_id, " LOCK IN SHARE MODE")
            if source is None:
                raise ValidationError(f"source thread {req.source_thread_id!r} not found",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "SOURCE_NOT_FOUND"))
            if await self._thread(tx, req.new_thread_id) is not None:
                raise ValidationError(f"thread {req.new_thread_id!r} already exists",
                                      id=error_id(self.backend_token, "CLONE_THREAD", "THREAD_EXISTS"))
            rows = await tx.fetch(f"SELECT {columns(MESSAGE)} FROM {_M} WHERE thread_id = %s AND {LIVE} "
                                  "ORDER BY `createdAt`, seq", (source.id, now()))
            thread, copies = plan_clone(source, [message_from_row(row) for row in rows], req)
            await self._store_thread(tx, thread)
            if copies:
                await self._store_messages(tx, copies, ())
            stored = await self._thread(tx, thread.id)
            return CloneResult(thread=stored or thread, cloned_messages=copies)

        return await self.conn.tx(go)
