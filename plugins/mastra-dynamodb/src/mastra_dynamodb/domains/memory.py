"""Threads, messages and resources in the single table.

Items (see TABLE_SETUP.md and :mod:`mastra_dynamodb.schema`):

- thread   ``THREAD#{id}`` / ``THREAD``; gsi1 ``RTHREADS#{resourceId}`` by created, gsi2 same by updated,
  gsi3/gsi4 ``THREADS#{shard}`` by created/updated (listing every thread). A new thread is written *uncounted*
  (its gsi1/gsi2 sort keys + UNCOUNTED, above its resource's thread counter, and ``useq`` = seq + UNCOUNTED) by ONE
  PutItem; listings merge both regions by real order and fold uncounted threads into the counter
  (:mod:`.thread_counts`).
- message  ``MSG#{id}`` / ``MSG``; gsi1 ``TMSGS#{threadId}`` by (createdAt ms, sequence).
- counter  ``THREAD#{threadId}`` / ``COUNT``: the number of messages in the thread (``n``), kept exact in
  the same transactions that add, move or delete messages; it also sits in the thread's gsi1
  partition at the largest sort key, so a newest-first page and its total come back in ONE Query.
- thread counter ``RESOURCE#{resourceId}`` / ``THREADS``: the same for a resource's counted threads on gsi1/gsi2
  (lazily made exact for threads written before counters existed: :mod:`.thread_counts`).
- resource ``RESOURCE#{id}`` / ``RESOURCE``, as attributes (``wm``, ``meta``...: see the resources section), so that
  ``update_resource`` is one UpdateItem.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.backend import FetchedMessage, SeenKeys, assemble_message_page, page_of
from mastra_core.clock import epoch_ms
from mastra_core.domains.matching import metadata_matches
from mastra_core.domains.memory import _UNSET as _UNSET_WM
from mastra_core.domains.memory import MemoryStore
from mastra_core.pagination import Page
from mastra_core.records.queries import MessageQuery, ThreadQuery

from ..codec import (
    body,
    decode_body,
    from_ms,
    is_live,
    json_text,
    now_ms,
    read_text_attribute,
    record,
    text_attribute,
    to_item,
)
from ..connection import OP_TOKEN, TRANSACTION_LIMIT, Cancelled, ConditionFailed, backoff, check_size
from ..schema import (
    MAX_ORDER,
    MESSAGE,
    MESSAGE_COUNT,
    RESOURCE,
    SCALE,
    SHARDS,
    THREAD,
    THREAD_COUNT,
    UNCOUNTED,
    ms_order,
    next_seq,
    shard,
)
from .shared import DynamoDomain, Partition, live_filter, optimistic, read_ordered, upsert_expression
from .thread_counts import (
    FOLD_AT,
    MARGIN,
    SLACK,
    count_and_backfill,
    delta_action,
    exact_total,
    fold,
    is_counted,
    real_order,
)

_UNKNOWN: Any = object()
MAX_ATTEMPTS = 60
#: What a thread read needs (a smaller reply is less to parse than the GSI keys and versions beside them).
_THREAD_READ = ("data", "dataz", "createdMs", "updatedMs", "expMs")
#: What a listing of a resource's threads needs, its counter item included (+ the index's sort key: the region and
#: the real order; the id is in the body).
_THREAD_LISTED = ("entity", "data", "dataz", "createdMs", "updatedMs", "n", "nbase")
#: The gsi2 order of a thread: ``useq`` (seq + UNCOUNTED) while it is uncounted, else ``seq``, + updated ms * SCALE.
_UPDATED_ORDER = "if_not_exists(useq, seq) + :us"
NOT_EXPIRED = "(attribute_not_exists(#exp) OR #exp > :now)"
#: The stored item does not hold this write's ``opToken`` (a resend of a write that landed fails it).
#: Prefix of a metadata key inside the ``meta`` map of a resource (DynamoDB refuses empty map keys).
META_KEY = "="
_NOT_OURS = f"(attribute_not_exists({OP_TOKEN}) OR {OP_TOKEN} <> :tok)"
#: What a replacing save keeps of a live stored resource.
_RESOURCE_KEPT = {"createdMs": "if_not_exists({createdMs}, {v})", "ver": "if_not_exists({ver}, :zero) + {v}"}
Item = dict[str, Any]


@attrs.frozen
class _Regions:
    """What a thread listing read of a resource's partition: the uncounted threads (all of them), the counter item
    (None: not read or absent), the counted threads read, and whether the read reached the partition's end."""

    upper: list[Item]
    counter: Item | None
    lower: list[Item]
    complete: bool


def messages_partition(tid: str) -> str:
    """The gsi1 partition of a thread's messages (and of its counter)."""
    return MESSAGE.partition("gsi1", threadId=tid)


def _order(item: Item) -> tuple[int, str]:
    """A message item's place in its thread: (order value, pk)."""
    return int(item["gsi1sk"]), str(item["pk"])


class DynamoDBMemory(MemoryStore, DynamoDomain):
    """The memory domain on DynamoDB."""

    entities = (THREAD, THREAD_COUNT, MESSAGE_COUNT, MESSAGE, RESOURCE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """As every domain store; plus the ids of threads seen stored (a hint for :meth:`_save_thread`)."""
        super().__init__(*args, **kwargs)
        self._seen: SeenKeys[str, None] = SeenKeys()
        #: resource id -> its uncounted threads as far as this store knows (what its last listing left, plus the
        #: ones it created since): how many items a newest-first listing asks for beyond its page (a hint only).
        self._uncounted: SeenKeys[str, int] = SeenKeys()

    # ------------------------------------------------------------------ threads

    def _thread_from(self, item: Item) -> r.Thread:
        thread = record(item, r.Thread)
        return attrs.evolve(thread, created_at=from_ms(item["createdMs"]), updated_at=from_ms(item["updatedMs"]))

    def _thread_item(self, thread: r.Thread, *, created_ms: int, seq: int, ver: int, counted: bool) -> Item:
        """The thread's item; ``counted=False`` writes it uncounted (gsi1/gsi2 above its resource's counter)."""
        updated_ms = epoch_ms(thread.updated_at)
        pk, sk = THREAD.key(id=thread.id)
        by_resource = THREAD.partition("gsi1", resourceId=thread.resource_id)
        every = THREAD.partition("gsi3", shard=shard(thread.id))
        shift = 0 if counted else UNCOUNTED
        return {
            "pk": pk, "sk": sk, "entity": THREAD.name, "id": thread.id, "resourceId": thread.resource_id,
            **body(thread), "createdMs": created_ms, "updatedMs": updated_ms, "seq": seq, "ver": ver,
            **({} if counted else {"useq": seq + UNCOUNTED}),
            "gsi1pk": by_resource, "gsi1sk": ms_order(created_ms, seq) + shift,
            "gsi2pk": by_resource, "gsi2sk": ms_order(updated_ms, seq) + shift,
            "gsi3pk": every, "gsi3sk": ms_order(created_ms, seq), "gsi4pk": every, "gsi4sk": ms_order(updated_ms, seq),
            **self.expiry("thread"),
        }

    async def _live_thread_item(self, tid: str) -> Item | None:
        item = await self.db.get(*THREAD.key(id=tid))
        return item if item is not None and is_live(item) else None

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        item = await self.db.get(*THREAD.key(id=thread_id), attributes=_THREAD_READ)
        if item is None or not is_live(item):
            return None
        self._remember(thread_id)
        return self._thread_from(item)

    def _remember(self, thread_id: str) -> None:
        """Note a thread id this store has seen stored: its next save tries the plain update first (a hint only)."""
        self._seen.put(thread_id)

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        """A thread this store has seen is first ONE conditional UpdateItem (live, same resource: the counters do not
        change; ``if_not_exists`` keeps createdMs and seq, so the created order). Any other thread is first taken
        for a new one: ONE conditional PutItem, written uncounted (it does not touch the counter: a listing folds it
        in later, see :mod:`.thread_counts`). An expired one, a move to another resource or any save under a thread
        TTL rule is ONE TransactWriteItems of the thread's conditional Put and its resources' counter updates. A
        failed condition hands back the stored item and the next attempt acts on it (a resent PutItem whose first
        send landed finds our own thread: the plain update then applies the same save again)."""
        ttl = self.retention.rule("thread") is not None
        stored: Any = _UNKNOWN
        for attempt in range(MAX_ATTEMPTS):
            if not ttl and (stored is _UNKNOWN and thread.id in self._seen or _same_live(stored, thread)):
                done, got = await self._update_live_thread(thread)
                if done and got is not None:
                    self._remember(thread.id)
                    return self._thread_from(got)
                stored = got
                continue
            if not ttl and (stored is _UNKNOWN or stored is None):
                item = self._thread_item(thread, created_ms=epoch_ms(thread.created_at), seq=next_seq(), ver=1,
                                         counted=False)
                done, got = await self.db.put_unless(item, condition="attribute_not_exists(pk)")
                if done:
                    expected = self._uncounted.get(thread.resource_id)
                    if expected is not None:
                        self._uncounted.put(thread.resource_id, expected + 1)
                    self._remember(thread.id)
                    return self._thread_from(item)
                stored = got  # None: deleted meanwhile, a new thread again
                continue
            try:
                item = await self._put_thread(thread, None if stored is _UNKNOWN else stored, ttl)
            except Cancelled as exc:
                if not exc.condition_failures and not exc.retryable:
                    raise
                stored = next((it for i, it in exc.condition_failures if i == 0), _UNKNOWN)
                if stored is _UNKNOWN:
                    await backoff(attempt)
                continue
            self._remember(thread.id)
            return self._thread_from(item)
        raise RuntimeError(f"thread {thread.id!r} kept changing under concurrent writers")

    async def _update_live_thread(self, thread: r.Thread) -> tuple[bool, Item | None]:
        """The UpdateItem of a live stored thread of the same resource; ``(False, stored item or None)`` otherwise.

        The condition pins id, resource and liveness, so only what a save can change is SET (body, updatedMs and the
        by-updated order values, the version); createdMs is SET to itself so that UPDATED_NEW hands back exactly
        what the returned thread is made of (body, createdMs, updatedMs), not the whole item."""
        pk, sk = THREAD.key(id=thread.id)
        encoded = body(thread)
        updated_ms = epoch_ms(thread.updated_at)
        values: dict[str, Any] = {
            ":rid": thread.resource_id, ":body": next(iter(encoded.values())), ":c": epoch_ms(thread.created_at),
            ":u": updated_ms, ":zero": 0, ":one": 1, ":us": updated_ms * SCALE, ":now": now_ms(),
        }
        names = {"#body": next(iter(encoded)), "#other": "dataz" if "data" in encoded else "data", "#exp": "expMs"}
        expr = ("SET #body = :body, updatedMs = :u, createdMs = if_not_exists(createdMs, :c), "
                f"ver = if_not_exists(ver, :zero) + :one, gsi2sk = {_UPDATED_ORDER}, gsi4sk = seq + :us "
                "REMOVE #other, #exp")  # no thread TTL rule on this path
        return await self.db.update_unless(pk, sk, expr, names=names, values=values, return_new="UPDATED_NEW",
                                           condition=f"attribute_exists(seq) AND {NOT_EXPIRED} AND resourceId = :rid")

    async def _put_thread(self, thread: r.Thread, stored: Item | None, ttl: bool) -> Item:
        """ONE TransactWriteItems: the thread's Put (conditional on the stored item read: absent, or its version) and
        the counter updates of the resources it leaves and joins; a live stored thread keeps createdMs and seq.

        Counted or not: a new thread under a TTL rule is counted (+1, as the rule makes the counter inexact anyway);
        a moved thread lands uncounted (its old resource's counter -1 only if it was counted there); a thread
        replaced in its resource keeps its region."""
        live = stored is not None and is_live(stored)
        if stored is not None and live:
            created_ms, seq = int(stored["createdMs"]), int(stored["seq"])
        else:
            created_ms, seq = epoch_ms(thread.created_at), next_seq()
        ver = 0 if stored is None else int(stored.get("ver", 0))
        was_counted = stored is not None and is_counted(stored.get("gsi1sk", 0))
        moved = stored is not None and stored.get("resourceId") != thread.resource_id
        counted = ttl if stored is None else was_counted and not moved
        item = self._thread_item(thread, created_ms=created_ms, seq=seq, ver=ver + 1, counted=counted)
        if stored is None:
            put = self.db.put_request(item, condition="attribute_not_exists(pk)")
        elif "ver" in stored:
            put = self.db.put_request(item, condition="ver = :v", values_={":v": ver})
        else:
            put = self.db.put_request(item, condition="attribute_exists(pk) AND attribute_not_exists(ver)")
        deltas = {thread.resource_id: 1 if stored is None and counted else 0}
        if stored is not None and moved and was_counted:
            deltas[str(stored["resourceId"])] = -1
        actions = [{"Put": put}] + [delta_action(self.db, rid, d, inexact=ttl and rid == thread.resource_id)
                                    for rid, d in sorted(deltas.items()) if d or (ttl and rid == thread.resource_id)]
        await self.db.transact(actions, token=str(uuid.uuid4()))
        return item

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        ttl = self.retention.rule("thread") is not None

        async def attempt() -> r.Thread | None:
            item = await self._live_thread_item(thread_id)
            if item is None:
                return None
            new = change(self._thread_from(item))
            ver = int(item.get("ver", 0))
            if ttl or new.resource_id != item.get("resourceId"):
                # a move changes two counters, an expiry makes the counter inexact: one transaction with the Put
                try:
                    fresh = await self._put_thread(new, item, ttl)
                except Cancelled as exc:
                    if exc.condition_failures or exc.retryable:
                        raise ConditionFailed(str(exc)) from exc
                    raise
                return self._thread_from(fresh)
            fresh = self._thread_item(new, created_ms=int(item["createdMs"]), seq=int(item["seq"]), ver=ver + 1,
                                      counted=is_counted(item.get("gsi1sk", 0)))
            await self.db.put_versioned(fresh, ver)  # a fold since the read bumped ver: read again
            return self._thread_from(fresh)

        return await optimistic(f"thread {thread_id!r}", attempt, MAX_ATTEMPTS)

    async def _delete_thread(self, thread_id: str) -> None:
        """Deletes the messages, the message counter and the thread (conditional on the version read, with its
        resource's thread counter decrement when it was counted: a fold bumps ``ver``, so the condition pins the
        region read): one transaction up to 97 messages, else batches (thread last)."""
        self._seen.drop(thread_id)
        for attempt in range(MAX_ATTEMPTS):
            keys_q = self.db.query(index="gsi1", pk=messages_partition(thread_id), hi=MAX_ORDER - 1)
            keys, stored = await asyncio.gather(_keys(keys_q), self.db.get(*THREAD.key(id=thread_id)))
            tail: list[Item] = [{"Delete": self.db.delete_request(*MESSAGE_COUNT.key(threadId=thread_id))}]
            if stored is None:
                tail.append({"Delete": self.db.delete_request(*THREAD.key(id=thread_id))})
            else:
                cond, values = (("ver = :v", {":v": int(stored["ver"])}) if "ver" in stored
                                else ("attribute_not_exists(ver)", None))
                tail.append({"Delete": self.db.delete_request(*THREAD.key(id=thread_id), condition=cond,
                                                              values=values)})
                if is_counted(stored.get("gsi1sk", 0)):
                    tail.append(delta_action(self.db, str(stored["resourceId"]), -1, inexact=False))
            try:
                if len(keys) + len(tail) <= TRANSACTION_LIMIT:
                    await self.db.transact([{"Delete": self.db.delete_request(pk, sk)} for pk, sk in keys] + tail,
                                           token=str(uuid.uuid4()))
                    return
                await self.db.batch_write(deletes=keys)
                await self.db.transact(tail, token=str(uuid.uuid4()))
                return
            except Cancelled as exc:
                if not exc.condition_failures and not exc.retryable:
                    raise
                await backoff(attempt)  # the thread changed since it was read: read again
        raise RuntimeError(f"thread {thread_id!r} kept changing under concurrent writers")

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        by_updated = q.order_field == "updated_at"
        if q.resource_id is not None and not q.metadata:
            return await self._list_resource_threads(q, "gsi2" if by_updated else "gsi1", q.resource_id)
        partitions: list[Partition]
        if q.resource_id is not None:
            gsi = "gsi2" if by_updated else "gsi1"
            partitions = [(gsi, THREAD.partition(gsi, resourceId=q.resource_id))]
        else:
            gsi = "gsi4" if by_updated else "gsi3"
            partitions = [(gsi, THREAD.partition(gsi, shard=s)) for s in range(SHARDS)]
        predicate = None
        if q.metadata:
            wanted = q.metadata

            def predicate(item: Item) -> bool:
                return metadata_matches(decode_body(item).get("metadata"), wanted)

        filt = live_filter(["#e = :e"], {"#e": "entity"}, {":e": THREAD.name})
        rows, total = await read_ordered(self.db, partitions, forward=q.direction == "ASC", page=q.page,
                                         per_page=q.per_page, filter=filt, predicate=predicate,
                                         order=None if q.resource_id is None else real_order)
        return page_of([self._thread_from(it) for it in rows], total=total, page=q.page, per_page=q.per_page)

    async def _list_resource_threads(self, q: ThreadQuery, gsi: str, rid: str) -> Page[r.Thread]:
        """A page of one resource's threads with its total from the thread counter (no COUNT query).

        The partition holds, from the top: the uncounted threads (sort keys + UNCOUNTED), the counter item (sort key
        MAX_ORDER), the counted threads. :meth:`_thread_regions` reads what the page needs of both regions (mostly
        ONE Query), :meth:`_thread_total` makes the total from the counter and folds uncounted threads into it; both
        regions are merged here by real order."""
        forward = q.direction == "ASC"
        offset = 0 if q.per_page is False else q.page * q.per_page
        want = None if q.per_page is False else offset + q.per_page
        sk_attr = f"{gsi}sk"
        regions = await self._thread_regions(gsi, rid, forward, want)
        total = await self._thread_total(rid, regions)
        threads = _merge(regions.upper, regions.lower, sk_attr, forward)
        rows = threads[offset:] if want is None else threads[offset:want]
        page = [self._thread_from(it) for it in rows]
        for t in page:
            self._remember(t.id)
        return page_of(page, total=total, page=q.page, per_page=q.per_page)

    async def _thread_regions(self, gsi: str, rid: str, forward: bool, want: int | None) -> _Regions:
        """What a listing of ``want`` threads (None: all) reads of a resource's partition.

        Newest first is ONE Query asking for the page, the counter and room for the uncounted threads read first (as
        many as this store expects, + MARGIN; SLACK when it has no idea: see thread_counts); when that did not reach
        the counter (more uncounted threads), a Query of the uncounted region down to the counter and one of the
        counted page run next, together. Oldest first: those two Queries (the counted page oldest first),
        concurrently. The uncounted threads are always all read."""
        part = THREAD.partition(gsi, resourceId=rid)
        sk_attr = f"{gsi}sk"
        filt = live_filter(["#e IN (:e, :c)"], {"#e": "entity"}, {":e": THREAD.name, ":c": THREAD_COUNT.name})

        async def query(lo: int | None, hi: int | None, newest_first: bool, n: int | None) -> list[Item]:
            if n == 0:
                return []
            return [it async for it in self.db.query(index=gsi, pk=part, lo=lo, hi=hi, forward=not newest_first,
                                                     want=n, filter=filt[0], names=filt[1], values=filt[2],
                                                     attributes=(*_THREAD_LISTED, sk_attr))]

        def split(items: list[Item]) -> tuple[list[Item], Item | None, list[Item]]:
            """(uncounted threads, the counter item, counted threads) of what a Query read."""
            upper: list[Item] = []
            lower: list[Item] = []
            counter = None
            for it in items:
                if it.get("entity") != THREAD.name:
                    counter = it
                elif it[sk_attr] < MAX_ORDER:
                    lower.append(it)
                else:
                    upper.append(it)
            return upper, counter, lower

        if want is None:  # everything
            upper, counter, lower = split(await query(None, None, not forward, None))
            return _Regions(upper, counter, lower, complete=True)
        if forward:
            top, lower = await asyncio.gather(query(MAX_ORDER, None, True, None),
                                              query(None, MAX_ORDER - 1, False, want))
            upper, counter, _ = split(top)
            return _Regions(upper, counter, lower, complete=0 < want and len(lower) < want)  # every counted one read
        expected = self._uncounted.get(rid)
        ask = want + 1 + (SLACK if expected is None else min(SLACK, expected + MARGIN))
        first = await query(None, None, True, ask)
        upper, counter, lower = split(first)
        complete = len(first) < ask
        upper_read = complete or counter is not None or bool(lower)  # the Query got below the uncounted region
        more_lower = not complete and len(lower) < want
        if not upper_read or more_lower:  # (no gather otherwise: its tasks are CPU the common case need not pay)
            top, low = await asyncio.gather(query(MAX_ORDER, None, True, None) if not upper_read else _no_rows(),
                                            query(None, MAX_ORDER - 1, True, want) if more_lower else _no_rows())
            if not upper_read:
                upper, counter, _ = split(top)
            if more_lower:
                lower, complete = low, len(low) < want
        return _Regions(upper, counter, lower, complete)

    async def _thread_total(self, rid: str, regions: _Regions) -> int:
        """The resource's live thread count: the counter's + the live uncounted threads read. A counter that is not
        exact (or a TTL rule) falls back to what was read when it was the whole partition, else to Select=COUNT (see
        thread_counts); more than FOLD_AT uncounted threads are folded into the counter (ONE TransactWriteItems), so
        that the next listings stay one request."""
        upper = regions.upper
        ttl = self.retention.rule("thread") is not None
        total = None if ttl else exact_total(regions.counter)
        if total is not None:
            left = len(upper)
            if left > FOLD_AT:  # a cancelled fold changes nothing here: the total is what was read
                ids = [str(decode_body(it)["id"]) for it in upper[:TRANSACTION_LIMIT - 1]]
                if await fold(self.db, rid, ids):
                    left -= len(ids)
            self._uncounted.put(rid, left)
            return total + len(upper)
        if regions.complete and (ttl or len(upper) <= FOLD_AT):
            return len(upper) + len(regions.lower)  # the whole partition was read: nothing left to count
        # (with more uncounted threads, the count makes the counter exact, so later listings fold them)
        return await count_and_backfill(self.db, rid, ttl_rule=ttl)

    # ------------------------------------------------------------------ messages

    def _message_from(self, item: Item) -> r.Message:
        msg = record(item, r.Message)
        return attrs.evolve(msg, created_at=from_ms(item["createdMs"]))

    def _fetched(self, item: Item) -> FetchedMessage:
        return FetchedMessage(self._message_from(item), _order(item))

    def _message_item(self, m: r.Message, tid: str, *, created_ms: int, seq: int, ver: int) -> Item:
        pk, sk = MESSAGE.key(id=m.id)
        return {
            "pk": pk, "sk": sk, "entity": MESSAGE.name, "id": m.id, "threadId": tid, "resourceId": m.resource_id,
            **body(attrs.evolve(m, created_at=from_ms(created_ms))), "createdMs": created_ms, "seq": seq, "ver": ver,
            "gsi1pk": messages_partition(tid), "gsi1sk": ms_order(created_ms, seq),
            **self.expiry("message"),
        }

    def _counter_action(self, tid: str, delta: int) -> Item:
        pk, sk = MESSAGE_COUNT.key(threadId=tid)
        return {"Update": self.db.update_request(
            pk, sk, "SET entity = :e, threadId = :t, gsi1pk = :g, gsi1sk = :max ADD n :d",
            values={":e": MESSAGE_COUNT.name, ":t": tid, ":g": messages_partition(tid), ":max": MAX_ORDER,
                    ":d": delta})}

    def _bump_action(self, tid: str, known: Any) -> Item | None:
        """Set the thread's updated_at to now, strictly after its previous value; None when there is no live
        thread."""
        pk, sk = THREAD.key(id=tid)
        now = now_ms()
        expr = f"SET updatedMs = :u, gsi2sk = {_UPDATED_ORDER}, gsi4sk = seq + :us ADD ver :one"
        names: dict[str, str] | None
        if known is _UNKNOWN:
            u = now
            cond = f"attribute_exists(pk) AND updatedMs < :u AND {NOT_EXPIRED}"
            values: dict[str, Any] = {":u": u, ":us": u * SCALE, ":one": 1, ":now": now}
            names = {"#exp": "expMs"}
        elif known is None:
            return None
        else:
            # strictly after the value we saw; if someone moves it further meanwhile, that bump already did our job
            u = max(now, int(known["updatedMs"]) + 1)
            cond = "attribute_exists(pk) AND updatedMs < :u"
            values = {":u": u, ":us": u * SCALE, ":one": 1}
            names = None
        return {"Update": self.db.update_request(pk, sk, expr, names=names, values=values, condition=cond)}

    async def _save_messages(self, messages: list[r.Message]) -> None:
        await self._transact_messages(messages, {m.thread_id for m in messages if m.thread_id}, {})

    async def _write_messages(self, messages: list[r.Message], touched_thread_ids: set[str]) -> None:
        olds = await self.db.batch_get([MESSAGE.key(id=m.id) for m in messages])
        known: dict[str, Any] = {m.id: None for m in messages}
        known.update({it["id"]: it for it in olds})
        threads = touched_thread_ids | {m.thread_id for m in messages if m.thread_id}
        await self._transact_messages(messages, threads, known)

    async def _transact_messages(self, messages: list[r.Message], bump: set[str], known: dict[str, Any]) -> None:
        """Upsert messages with TransactWriteItems: the first attempt assumes new messages and an existing thread.

        Every message Put is conditional (absent, or the version we read), so a failed condition hands
        back the stored item (ALL_OLD) and the next attempt keeps its createdAt and sequence; the
        thread bump is conditional on ``updatedMs < now`` and the counter deltas follow exactly.
        """
        seqs = {m.id: next_seq() for m in messages}
        thread_known: dict[str, Any] = {}
        bumps = sorted(bump)
        # capacity: each chunk may hold, per thread, one counter update (+ one bump in the first chunk) and
        # a moved message's old thread counter; keep room for the worst case
        pending = list(messages)
        first = True
        while pending or (first and bumps):
            room = TRANSACTION_LIMIT - (len(bumps) if first else 0)
            chunk: list[r.Message] = []
            threads: set[str] = set()
            for m in pending:
                extra = {_thread_of(m)} - threads
                old = known.get(m.id)
                if isinstance(old, dict) and old.get("threadId") != m.thread_id:
                    extra |= {str(old["threadId"])} - threads
                if len(chunk) + 1 + len(threads) + len(extra) > room:
                    break
                chunk.append(m)
                threads |= extra
            if not chunk and pending:
                raise RuntimeError("cannot fit a message into a transaction")
            await self._transact_chunk(chunk, bumps if first else [], known, thread_known, seqs)
            pending = pending[len(chunk):]
            first = False

    async def _transact_chunk(self, chunk: list[r.Message], bumps: list[str], known: dict[str, Any],
                              thread_known: dict[str, Any], seqs: dict[str, int]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            if len(chunk) > 1 and self._action_count(chunk, bumps, known) > TRANSACTION_LIMIT:
                # moves discovered on a retry need more counter updates than fit: split (nothing was written yet)
                half = len(chunk) // 2
                await self._transact_chunk(chunk[:half], bumps, known, thread_known, seqs)
                await self._transact_chunk(chunk[half:], [], known, thread_known, seqs)
                return
            now = now_ms()
            actions: list[Item] = []
            roles: list[tuple[str, str]] = []
            deltas: dict[str, int] = {}
            for m in chunk:
                tid = _thread_of(m)
                old = known.get(m.id, _UNKNOWN)
                if isinstance(old, dict):
                    live = is_live(old, now)
                    created_ms = int(old["createdMs"]) if live else epoch_ms(m.created_at)
                    seq = int(old["seq"]) if live else seqs[m.id]
                    ver = int(old.get("ver", 0))
                    item = self._message_item(m, tid, created_ms=created_ms, seq=seq, ver=ver + 1)
                    req = self.db.put_request(item, condition="ver = :v", values_={":v": ver})
                    if old.get("threadId") != tid:
                        deltas[old["threadId"]] = deltas.get(old["threadId"], 0) - 1
                        deltas[tid] = deltas.get(tid, 0) + 1
                else:
                    item = self._message_item(m, tid, created_ms=epoch_ms(m.created_at), seq=seqs[m.id], ver=1)
                    req = self.db.put_request(item, condition="attribute_not_exists(pk)")
                    deltas[tid] = deltas.get(tid, 0) + 1
                actions.append({"Put": req})
                roles.append(("message", m.id))
            for tid, delta in sorted(deltas.items()):
                if delta:
                    actions.append(self._counter_action(tid, delta))
                    roles.append(("counter", tid))
            for tid in bumps:
                action = self._bump_action(tid, thread_known.get(tid, _UNKNOWN))
                if action is not None:
                    actions.append(action)
                    roles.append(("thread", tid))
            try:
                await self.db.transact(actions, token=str(uuid.uuid4()))
                return
            except Cancelled as exc:
                failures = exc.condition_failures
                if not failures and not exc.retryable:
                    raise
                for index, old_item in failures:
                    kind, ident = roles[index]
                    if kind == "message":
                        known[ident] = old_item
                    elif kind == "thread":
                        seen = thread_known.get(ident, _UNKNOWN)
                        if old_item is None or not is_live(old_item):
                            thread_known[ident] = None  # no live thread: nothing to bump
                        elif isinstance(seen, dict) and int(old_item["updatedMs"]) > int(seen["updatedMs"]):
                            thread_known[ident] = None  # a concurrent save moved updated_at past what we saw: bumped
                        else:
                            thread_known[ident] = old_item
                if not failures or {code for code, _ in exc.reasons} - {"None", "ConditionalCheckFailed"}:
                    await backoff(attempt)
        raise RuntimeError("messages kept changing under concurrent writers")

    @staticmethod
    def _action_count(chunk: list[r.Message], bumps: list[str], known: dict[str, Any]) -> int:
        threads: set[Any] = {m.thread_id for m in chunk}
        for m in chunk:
            old = known.get(m.id)
            if isinstance(old, dict):
                threads.add(old.get("threadId"))
        return len(chunk) + len(threads) + len(bumps)

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        async def attempt() -> None:
            items = await self.db.batch_get([MESSAGE.key(id=i) for i in ids])
            if not items:
                return
            threads = sorted({it["threadId"] for it in items})
            thread_items = {it["id"]: it for it in await self.db.batch_get([THREAD.key(id=t) for t in threads])}
            per_chunk = TRANSACTION_LIMIT - 2 * len(threads)
            try:
                for start in range(0, len(items), max(per_chunk, 1)):
                    part = items[start:start + per_chunk]
                    actions: list[Item] = [
                        {"Delete": self.db.delete_request(it["pk"], it["sk"], condition="ver = :v",
                                                          values={":v": int(it.get("ver", 0))})} for it in part]
                    deltas: dict[str, int] = {}
                    for it in part:
                        deltas[it["threadId"]] = deltas.get(it["threadId"], 0) - 1
                    actions += [self._counter_action(t, d) for t, d in sorted(deltas.items())]
                    for t in sorted(deltas):
                        live = thread_items.get(t)
                        action = self._bump_action(t, live if live is not None and is_live(live) else None)
                        if action is not None:
                            actions.append(action)
                    await self.db.transact(actions, token=str(uuid.uuid4()))
            except Cancelled as exc:
                if not exc.condition_failures and not exc.retryable:
                    raise
                raise ConditionFailed(str(exc)) from exc  # changed or contended under us: read again

        await optimistic("messages", attempt, MAX_ATTEMPTS)

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        now = now_ms()
        items = [it for it in await self.db.batch_get([MESSAGE.key(id=i) for i in ids]) if is_live(it, now)]
        items.sort(key=_order)
        return [self._message_from(it) for it in items]

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        forward = q.direction == "ASC"
        lo = hi = None
        if q.start is not None:
            lo = (epoch_ms(q.start) + (1 if q.start_exclusive else 0)) * SCALE
        if q.end is not None:
            hi = (epoch_ms(q.end) + (0 if q.end_exclusive else 1)) * SCALE - 1
        if q.resource_id is not None:
            filt = live_filter(["resourceId = :rid"], {}, {":rid": q.resource_id})
        else:
            filt = live_filter()
        offset, limit = q.offset, q.limit
        want = None if limit is None else offset + limit
        use_counter = q.resource_id is None and lo is None and hi is None and self.retention.rule("message") is None
        partitions = [messages_partition(t) for t in q.thread_ids]
        top = MAX_ORDER - 1 if hi is None else hi

        async def fetch(pk: str, n: int | None, upper: int) -> list[Item]:
            if n == 0:
                return []
            return [it async for it in self.db.query(index="gsi1", pk=pk, lo=lo, hi=upper, forward=forward, want=n,
                                                     filter=filt[0], names=filt[1], values=filt[2])]

        async def counters() -> int:
            items = await self.db.batch_get([MESSAGE_COUNT.key(threadId=t) for t in q.thread_ids])
            return sum(int(it.get("n", 0)) for it in items)

        async def counts() -> int:
            got = await asyncio.gather(*(self.db.count(index="gsi1", pk=p, lo=lo, hi=top, filter=filt[0],
                                                       names=filt[1], values=filt[2]) for p in partitions))
            return sum(got)

        async def page_rows_and_total() -> tuple[list[list[Item]], int]:
            per_thread: list[list[Item]]
            if use_counter and len(partitions) == 1 and not forward and want is not None:
                # newest first: the counter item (sort key MAX_ORDER) leads the partition, so one Query gives page
                # and total
                got = await fetch(partitions[0], want + 1, MAX_ORDER)
                total = 0
                if got and got[0].get("entity") == MESSAGE_COUNT.name:
                    total = int(got[0].get("n", 0))
                    got = got[1:]
                per_thread = [got[:want]]
            else:
                fetched = asyncio.gather(*(fetch(p, want, top) for p in partitions))
                if want is None:
                    per_thread = await fetched
                    total = sum(len(x) for x in per_thread)
                else:
                    per_thread, total = await asyncio.gather(fetched, counters() if use_counter else counts())
            return per_thread, total

        # the page and the include windows' targets go out together: an include window costs at most 2 sequential
        # request steps (page + targets, then the neighbours), not 3
        (per_thread, total), windows = await asyncio.gather(
            page_rows_and_total(), self._include_rows(q) if q.include else _no_rows())
        rows = sorted((it for items in per_thread for it in items), key=_order, reverse=not forward)
        page_rows = rows[offset:] if limit is None else rows[offset:offset + limit]
        return assemble_message_page(q, page=[self._fetched(it) for it in page_rows],
                                     windows=[self._fetched(it) for it in windows], total=total)

    async def _include_rows(self, q: MessageQuery) -> list[Item]:
        """Each include's target (one BatchGetItem for all) and its neighbours: two Limit-ed Queries per window."""
        now = now_ms()
        targets = {it["id"]: it for it in await self.db.batch_get([MESSAGE.key(id=i.id) for i in q.include])
                   if is_live(it, now)}
        expr, names, values = live_filter()
        jobs = []
        out: list[Item] = list(targets.values())

        async def window(pk: str, o: int, n: int, before: bool) -> list[Item]:
            if before:
                agen = self.db.query(index="gsi1", pk=pk, hi=o - 1, forward=False, want=n, filter=expr, names=names,
                                     values=values)
            else:
                agen = self.db.query(index="gsi1", pk=pk, lo=o + 1, hi=MAX_ORDER - 1, forward=True, want=n,
                                     filter=expr, names=names, values=values)
            return [it async for it in agen]

        for inc in q.include:
            target = targets.get(inc.id)
            if target is None:
                continue
            o = int(target["gsi1sk"])
            if inc.with_previous_messages:
                jobs.append(window(target["gsi1pk"], o, inc.with_previous_messages, True))
            if inc.with_next_messages:
                jobs.append(window(target["gsi1pk"], o, inc.with_next_messages, False))
        for rows in await asyncio.gather(*jobs):
            out.extend(rows)
        return out

    # ------------------------------------------------------------------ resources
    #
    # A resource is stored as attributes, not one JSON body, so that update_resource is ONE UpdateItem: working
    # memory ``wm`` (JSON text; ``wmz`` zlib-compressed above 32 KB), metadata ``meta`` (a map of "=" + key -> the
    # value's JSON text: a shallow merge is a SET per key, every value kept exactly as written; the prefix because
    # DynamoDB refuses an empty map key, which metadata may have), ``metaNone``
    # when metadata is None, ``createdMs``/``updatedMs``. Items written before (a ``data``/``dataz`` body) are
    # still read, and rewritten in this layout by their next update (read-modify-write once).

    def _resource_from(self, item: Item) -> r.Resource:
        if "data" in item or "dataz" in item:
            res = record(item, r.Resource)
            return attrs.evolve(res, created_at=from_ms(item["createdMs"]))
        meta = None if item.get("metaNone") else {k[len(META_KEY):]: json.loads(v)
                                                        for k, v in (item.get("meta") or {}).items()}
        return r.Resource(id=item["id"], working_memory=read_text_attribute(item, "wm"), metadata=meta,
                          created_at=from_ms(item["createdMs"]), updated_at=from_ms(item["updatedMs"]))

    def _resource_item(self, res: r.Resource, *, created_ms: int, ver: int) -> Item:
        pk, sk = RESOURCE.key(id=res.id)
        return {"pk": pk, "sk": sk, "entity": RESOURCE.name, "id": res.id, "createdMs": created_ms,
                "updatedMs": epoch_ms(res.updated_at), "ver": ver, **text_attribute("wm", res.working_memory),
                "meta": {META_KEY + k: json_text(v) for k, v in (res.metadata or {}).items()},
                "metaNone": True if res.metadata is None else None, **self.expiry("resource")}

    def _resource_optional(self) -> list[str]:
        return ["wm", "wmz", "metaNone", "data", "dataz", "expMs", "ttl", *sorted(self.db.ttl_attributes)]

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        item = await self.db.get(*RESOURCE.key(id=resource_id))
        return self._resource_from(item) if item is not None and is_live(item) else None

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        """ONE conditional UpdateItem replacing the resource (a live one keeps createdMs); exactly once through
        ``opToken`` as :meth:`DynamoDBWorkflows._persist`; an expired item is replaced as a new resource."""
        pk, sk = RESOURCE.key(id=resource.id)
        created_ms = epoch_ms(resource.created_at)
        for attempt in range(MAX_ATTEMPTS):
            token = uuid.uuid4().hex
            item = {**self._resource_item(resource, created_ms=created_ms, ver=1), OP_TOKEN: token}
            check_size(to_item(item), item)
            expr, names, values = upsert_expression(item, _RESOURCE_KEPT, self._resource_optional())
            names["#exp"] = "expMs"
            values[":now"], values[":tok"] = now_ms(), token
            done, stored = await self.db.update_unless(
                pk, sk, expr, names=names, values=values, return_new=True,
                condition=f"(attribute_not_exists(pk) OR {NOT_EXPIRED}) AND {_NOT_OURS}")
            if done and stored is not None:
                return self._resource_from(stored)
            if stored is not None and stored.get(OP_TOKEN) == token:
                return self._resource_from(stored)
            try:  # expired, not yet deleted by DynamoDB: a new resource in its place
                previous = None if stored is None else int(stored.get("ver", 0))
                fresh = self._resource_item(resource, created_ms=created_ms, ver=(previous or 0) + 1)
                await self.db.put_versioned(fresh, previous)
                return self._resource_from(fresh)
            except ConditionFailed:
                await backoff(attempt)
        raise RuntimeError(f"resource {resource.id!r} kept changing under concurrent writers")

    async def update_resource(
        self, *, resource_id: str, working_memory: Any = _UNSET_WM, metadata: Mapping[str, Any] | None = None
    ) -> r.Resource:
        """ONE conditional UpdateItem on a live resource in the attribute layout (working memory SET, metadata
        merged by a SET per key, updatedMs strictly after the stored one, exactly once through ``opToken``).

        When the condition fails (no resource yet while metadata is merged, an item in the body layout, an expired
        one, a clock that has not moved a millisecond past the stored updatedMs, a concurrent writer), the stored
        item comes back with the failure and the generic read-modify-write of the core runs instead.
        """
        c = self.checks("UPDATE_RESOURCE")
        rid = c.id(resource_id, "RESOURCE_ID")
        patch = c.mapping(metadata, "METADATA")
        valid_wm = working_memory is _UNSET_WM or working_memory is None or isinstance(working_memory, str)
        if valid_wm and working_memory is not _UNSET_WM:
            c.value(working_memory, "WORKING_MEMORY")
        if valid_wm:
            done = await self._run("UPDATE_RESOURCE", lambda: self._update_resource_once(rid, working_memory, patch))
            if done is not None:
                return done
        return await super().update_resource(resource_id=resource_id, working_memory=working_memory,
                                             metadata=metadata)

    async def _update_resource_once(self, rid: str, working_memory: Any,
                                    patch: dict[str, Any] | None) -> r.Resource | None:
        pk, sk = RESOURCE.key(id=rid)
        now = now_ms()
        token = uuid.uuid4().hex
        names: dict[str, str] = {"#exp": "expMs", "#tok": OP_TOKEN, "#meta": "meta", "#u": "updatedMs"}
        values: dict[str, Any] = {":e": RESOURCE.name, ":id": rid, ":now": now, ":tok": token, ":zero": 0, ":one": 1}
        sets = ["entity = :e", "id = :id", "createdMs = if_not_exists(createdMs, :now)", "#u = :now",
                "ver = if_not_exists(ver, :zero) + :one", "#tok = :tok"]
        removes: list[str] = []
        if working_memory is not _UNSET_WM:
            wm = text_attribute("wm", working_memory)
            for attr in ("wm", "wmz"):
                if attr in wm:
                    sets.append(f"{attr} = :{attr}")
                    values[f":{attr}"] = wm[attr]
                else:
                    removes.append(attr)
        if patch:
            for i, (k, v) in enumerate(patch.items()):
                names[f"#m{i}"], values[f":m{i}"] = META_KEY + k, json_text(v)
                sets.append(f"#meta.#m{i} = :m{i}")
        else:
            sets.append("#meta = if_not_exists(#meta, :empty)")
            values[":empty"] = {}
        if patch is not None:
            removes.append("metaNone")
        exp = self.expiry("resource")
        for i, attr in enumerate(dict.fromkeys(["expMs", *exp, *self._resource_optional()[5:]])):
            names[f"#x{i}"] = attr  # expMs and every TTL attribute: set as the rule says, else removed
            if attr in exp:
                values[f":x{i}"] = exp[attr]
                sets.append(f"#x{i} = :x{i}")
            else:
                removes.append(f"#x{i}")
        live = f"{NOT_EXPIRED} AND attribute_exists(#meta) AND #u < :now"
        condition = f"{live} AND {_NOT_OURS}" if patch else f"(attribute_not_exists(pk) OR ({live})) AND {_NOT_OURS}"
        expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(dict.fromkeys(removes)) if removes else "")
        done, stored = await self.db.update_unless(pk, sk, expr, names=names, values=values, condition=condition,
                                                   return_new=True)
        if stored is not None and (done or stored.get(OP_TOKEN) == token):
            return self._resource_from(stored)
        return None

    async def _modify_resource(self, resource_id: str,
                               change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        async def attempt() -> r.Resource:
            item = await self.db.get(*RESOURCE.key(id=resource_id))
            live = item is not None and is_live(item)
            new = change(self._resource_from(item) if live and item is not None else None)
            ver = int(item.get("ver", 0)) if item is not None else None
            fresh = self._resource_item(new, created_ms=epoch_ms(new.created_at), ver=(ver or 0) + 1)
            await self.db.put_versioned(fresh, ver)
            return self._resource_from(fresh)

        return await optimistic(f"resource {resource_id!r}", attempt, MAX_ATTEMPTS)


async def _no_rows() -> list[Item]:
    return []


def _merge(upper: list[Item], lower: list[Item], sk_attr: str, forward: bool) -> list[Item]:
    """A resource's threads in listing order: ``lower`` (counted, already in that order) with the uncounted ones of
    ``upper`` put in place by their real order (their sort key minus UNCOUNTED); nothing to do without them."""
    if not upper:
        return lower
    sign = 1 if forward else -1
    keys = [sign * int(it[sk_attr]) for it in lower]  # ascending
    out = list(lower)
    for it in upper:
        k = sign * real_order(it[sk_attr])
        at = bisect.bisect_right(keys, k)
        keys.insert(at, k)
        out.insert(at, it)
    return out


async def _keys(items: AsyncIterator[Item]) -> list[tuple[str, str]]:
    return [(str(it["pk"]), str(it["sk"])) async for it in items]


def _same_live(stored: Any, thread: r.Thread) -> bool:
    """Whether a stored item (from a failed condition) is a live thread of the same resource: a plain update."""
    return isinstance(stored, dict) and is_live(stored) and stored.get("resourceId") == thread.resource_id


def _thread_of(m: r.Message) -> str:
    """The thread of a message being saved (the domain interface has checked it is set)."""
    if m.thread_id is None:
        raise ValueError(f"message {m.id!r} has no thread_id")
    return m.thread_id
