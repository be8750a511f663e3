"""In-memory memory domain: the executable specification of DESIGN.md section 4."""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Callable
from datetime import datetime

import attrs

from ... import records as r
from ...clock import utc_now
from ...domains.matching import in_date_range, metadata_matches
from ...domains.memory import MemoryStore, bump_time
from ...pagination import Page, has_more, paginate
from ...records.queries import MessageQuery, ThreadQuery
from ..connection import MessageKey, Row, clone, message_key
from .shared import InMemoryDomain, count_expired


class InMemoryMemory(MemoryStore, InMemoryDomain):
    """Threads, messages and resources in dicts. Every method runs without awaiting, so each is atomic."""

    # threads
    def _thread(self, thread_id: str) -> Row[r.Thread] | None:
        row = self.s.threads.get(thread_id)
        return row if row is not None and row.live(utc_now()) else None

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        row = self._thread(thread_id)
        return clone(row.record) if row else None

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        old = self._thread(thread.id)
        stored = clone(attrs.evolve(thread, created_at=old.record.created_at) if old else thread)
        self.s.threads[thread.id] = Row(stored, old.seq if old else self.s.next_seq(), self.expires_at("thread"))
        return clone(stored)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        row = self._thread(thread_id)
        if row is None:
            return None
        row.record = clone(change(clone(row.record)))
        row.expires_at = self.expires_at("thread")
        return clone(row.record)

    async def _delete_thread(self, thread_id: str) -> None:
        self.s.threads.pop(thread_id, None)
        for mid in self.s.thread_messages.pop(thread_id):
            self.s.messages.pop(mid, None)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        now = utc_now()
        rows = [
            row
            for row in self.s.threads.values()
            if row.live(now)
            and (q.resource_id is None or row.record.resource_id == q.resource_id)
            and metadata_matches(row.record.metadata, q.metadata)
        ]
        rows.sort(key=lambda row: (getattr(row.record, q.order_field), row.seq), reverse=q.direction == "DESC")
        page = paginate(rows, q.page, q.per_page)
        return Page(
            items=[clone(row.record) for row in page.items],
            total=page.total,
            page=q.page,
            per_page=q.per_page,
            has_more=page.has_more,
        )

    # messages
    def _rows(self, thread_id: str, keys: list[MessageKey] | None = None) -> list[Row[r.Message]]:
        """Live rows of a thread (or of ``keys``), oldest first."""
        now = utc_now()
        rows = [self.s.messages[k[2]] for k in (self.s.thread_messages.keys(thread_id) if keys is None else keys)]
        return [row for row in rows if row.live(now)]

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        desc = q.direction == "DESC"
        plain = len(q.thread_ids) == 1 and q.resource_id is None and q.start is None and q.end is None
        if plain and self.retention.rule("message") is None:
            # nothing can be filtered out or expired: the page is a slice of the thread's sorted keys
            keys = self.s.thread_messages.keys(q.thread_ids[0])
            total = len(keys)
            lo = min(q.offset, total)
            hi = total if q.limit is None else min(total, lo + q.limit)
            picked = keys[total - hi : total - lo] if desc else keys[lo:hi]
            page_rows = self._rows(q.thread_ids[0], picked)
            candidate_ids: set[str] | None = None
        else:
            merged = heapq.merge(
                *(self._rows(tid) for tid in q.thread_ids), key=lambda row: (row.record.created_at, row.seq)
            )
            candidates = [
                row
                for row in merged
                if (q.resource_id is None or row.record.resource_id == q.resource_id)
                and in_date_range(row.record.created_at, q)
            ]
            if desc:
                candidates.reverse()
            total = len(candidates)
            page_rows = candidates[q.offset :] if q.limit is None else candidates[q.offset : q.offset + q.limit]
            candidate_ids = {row.record.id for row in candidates}
        chosen: dict[str, Row[r.Message]] = {row.record.id: row for row in page_rows}
        for inc in q.include:
            for row in self._window(inc):
                chosen.setdefault(row.record.id, row)
        result = sorted(chosen.values(), key=lambda row: (row.record.created_at, row.seq), reverse=desc)
        if candidate_ids is None:
            returned = sum(1 for row in result if row.record.thread_id == q.thread_ids[0])
        else:
            returned = sum(1 for row in result if row.record.id in candidate_ids)
        more = returned < total and has_more(total, q.page, q.per_page)
        return Page(
            items=[clone(row.record) for row in result], total=total, page=q.page, per_page=q.per_page, has_more=more
        )

    def _window(self, inc: r.MessageInclude) -> list[Row[r.Message]]:
        """The include target and its live neighbours in its own thread, found by bisecting the thread's keys."""
        now = utc_now()
        target = self.s.messages.get(inc.id)
        if target is None or not target.live(now) or target.record.thread_id is None:
            return []
        keys = self.s.thread_messages.keys(target.record.thread_id)
        i = bisect.bisect_left(keys, message_key(target))
        before: list[Row[r.Message]] = []
        j = i - 1
        while j >= 0 and len(before) < inc.with_previous_messages:
            row = self.s.messages[keys[j][2]]
            if row.live(now):
                before.append(row)
            j -= 1
        after: list[Row[r.Message]] = []
        j = i + 1
        while j < len(keys) and len(after) < inc.with_next_messages:
            row = self.s.messages[keys[j][2]]
            if row.live(now):
                after.append(row)
            j += 1
        return [*reversed(before), target, *after]

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        now = utc_now()
        rows = [row for mid in ids if (row := self.s.messages.get(mid)) is not None and row.live(now)]
        rows.sort(key=lambda row: (row.record.created_at, row.seq))
        return [clone(row.record) for row in rows]

    async def _save_messages(self, messages: list[r.Message]) -> None:
        expires = self.expires_at("message")
        for m in messages:
            old = self.s.messages.get(m.id)
            if old is not None and old.live(utc_now()):
                if old.record.thread_id != m.thread_id and old.record.thread_id is not None:
                    self.s.thread_messages.discard(old.record.thread_id, old)
                old.record = clone(attrs.evolve(m, created_at=old.record.created_at))
                old.expires_at = expires
                row = old
            else:
                if (
                    old is not None and old.record.thread_id is not None
                ):  # an expired, unpruned row: forget its old thread
                    self.s.thread_messages.discard(old.record.thread_id, old)
                row = self.s.messages[m.id] = Row(clone(m), self.s.next_seq(), expires)
            assert m.thread_id is not None
            self.s.thread_messages.add(m.thread_id, row)
        self._bump({m.thread_id for m in messages if m.thread_id})

    def _bump(self, thread_ids: set[str]) -> None:
        for tid in thread_ids:
            row = self._thread(tid)
            if row is not None:
                row.record = attrs.evolve(row.record, updated_at=bump_time(row.record.updated_at))

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        await self._save_messages(messages)
        self._bump(touched_thread_ids - {m.thread_id for m in messages if m.thread_id})

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        touched: set[str] = set()
        for mid in ids:
            row = self.s.messages.pop(mid, None)
            if row is not None and row.record.thread_id is not None:
                self.s.thread_messages.discard(row.record.thread_id, row)
                touched.add(row.record.thread_id)
        self._bump(touched)

    # resources
    def _resource(self, resource_id: str) -> Row[r.Resource] | None:
        row = self.s.resources.get(resource_id)
        return row if row is not None and row.live(utc_now()) else None

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        row = self._resource(resource_id)
        return clone(row.record) if row else None

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        old = self._resource(resource.id)
        stored = clone(attrs.evolve(resource, created_at=old.record.created_at) if old else resource)
        self.s.resources[resource.id] = Row(stored, old.seq if old else self.s.next_seq(), self.expires_at("resource"))
        return clone(stored)

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        row = self._resource(resource_id)
        new = clone(change(clone(row.record) if row else None))
        self.s.resources[resource_id] = Row(new, row.seq if row else self.s.next_seq(), self.expires_at("resource"))
        return clone(new)

    async def _clear(self) -> None:
        self.s.threads.clear()
        self.s.messages.clear()
        self.s.thread_messages.clear()
        self.s.resources.clear()

    async def _count_expired(self, now: datetime) -> int | None:
        return count_expired(self.s.threads, self.s.messages, self.s.resources, now=now)

    async def _prune(self, now: object) -> int:
        count = 0
        for table in (self.s.threads, self.s.messages, self.s.resources):
            for key in [k for k, row in table.items() if not row.live(now)]:  # type: ignore[arg-type]
                row = table.pop(key)
                count += 1
                if table is self.s.messages and row.record.thread_id:
                    self.s.thread_messages.discard(row.record.thread_id, row)
        return count
