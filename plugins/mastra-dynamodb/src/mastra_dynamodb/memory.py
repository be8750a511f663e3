"""Threads, messages and resources in the single table.

Items (see TABLE_SETUP.md):

- thread   ``THREAD#{id}`` / ``THREAD``; gsi1 ``RTHREADS#{resourceId}`` by created, gsi2 same by updated,
  gsi3/gsi4 ``THREADS#{shard}`` by created/updated (listing every thread).
- message  ``MSG#{id}`` / ``MSG``; gsi1 ``TMSGS#{threadId}`` by (createdAt ms, sequence).
- counter  ``THREAD#{threadId}`` / ``COUNT``: the number of messages in the thread (``n``), kept exact in
  the same transactions that add, move or delete messages; it also sits in the thread's gsi1
  partition at the largest sort key, so a newest-first page and its total come back in ONE Query.
- resource ``RESOURCE#{id}`` / ``RESOURCE``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import attrs
from mastra_core import records as r
from mastra_core.clock import epoch_ms
from mastra_core.domains.matching import metadata_matches
from mastra_core.domains.memory import MemoryStore
from mastra_core.pagination import Page
from mastra_core.records.queries import MessageQuery, ThreadQuery
from mastra_core.serde import from_wire, to_wire

from .base import DynamoDomain, live_filter, read_ordered
from .codec import (
    MAX_ORDER,
    SCALE,
    decode_body,
    encode_body,
    from_ms,
    is_live,
    ms_order,
    next_seq,
    now_ms,
    shard,
)
from .dynamo import TRANSACTION_LIMIT, Cancelled, backoff

_UNKNOWN: Any = object()
MAX_ATTEMPTS = 60
NOT_EXPIRED = "(attribute_not_exists(#exp) OR #exp > :now)"


def thread_key(tid: str) -> tuple[str, str]:
    return f"THREAD#{tid}", "THREAD"


def counter_key(tid: str) -> tuple[str, str]:
    return f"THREAD#{tid}", "COUNT"


def message_key(mid: str) -> tuple[str, str]:
    return f"MSG#{mid}", "MSG"


def resource_key(rid: str) -> tuple[str, str]:
    return f"RESOURCE#{rid}", "RESOURCE"


def messages_partition(tid: str) -> str:
    return f"TMSGS#{tid}"


class DynamoDBMemory(DynamoDomain, MemoryStore):
    """The memory domain on DynamoDB."""

    entities = ("thread", "msgcount", "message", "resource")

    # ------------------------------------------------------------------ threads

    def _thread_from(self, item: dict[str, Any]) -> r.Thread:
        thread = from_wire(decode_body(item), r.Thread)
        return attrs.evolve(thread, created_at=from_ms(item["createdMs"]), updated_at=from_ms(item["updatedMs"]))

    def _thread_item(self, thread: r.Thread, *, created_ms: int, seq: int, ver: int) -> dict[str, Any]:
        updated_ms = epoch_ms(thread.updated_at)
        pk, sk = thread_key(thread.id)
        s = f"THREADS#{shard(thread.id)}"
        return {
            "pk": pk, "sk": sk, "entity": "thread", "id": thread.id, "resourceId": thread.resource_id,
            **encode_body(to_wire(thread)), "createdMs": created_ms, "updatedMs": updated_ms, "seq": seq, "ver": ver,
            "gsi1pk": f"RTHREADS#{thread.resource_id}", "gsi1sk": ms_order(created_ms, seq),
            "gsi2pk": f"RTHREADS#{thread.resource_id}", "gsi2sk": ms_order(updated_ms, seq),
            "gsi3pk": s, "gsi3sk": ms_order(created_ms, seq), "gsi4pk": s, "gsi4sk": ms_order(updated_ms, seq),
            **self.expiry("thread"),
        }

    async def _live_thread_item(self, tid: str) -> dict[str, Any] | None:
        item = await self.db.get(*thread_key(tid))
        return item if item is not None and is_live(item) else None

    async def _get_thread(self, thread_id: str) -> r.Thread | None:
        item = await self._live_thread_item(thread_id)
        return self._thread_from(item) if item else None

    async def _save_thread(self, thread: r.Thread) -> r.Thread:
        """One UpdateItem: ``if_not_exists`` keeps createdMs and seq (and so the created order) of a live thread."""
        pk, sk = thread_key(thread.id)
        body = encode_body(to_wire(thread))
        seq = next_seq()
        created_ms, updated_ms = epoch_ms(thread.created_at), epoch_ms(thread.updated_at)
        s = f"THREADS#{shard(thread.id)}"
        exp = self.expiry("thread")
        values: dict[str, Any] = {
            ":entity": "thread", ":id": thread.id, ":rid": thread.resource_id, ":body": next(iter(body.values())),
            ":c": created_ms, ":u": updated_ms, ":seq": seq, ":zero": 0, ":one": 1,
            ":co": ms_order(created_ms, seq), ":us": updated_ms * SCALE, ":rp": f"RTHREADS#{thread.resource_id}",
            ":sp": s, ":now": now_ms(),
        }
        names = {"#body": next(iter(body)), "#other": "dataz" if "data" in body else "data", "#exp": "expMs"}
        sets = [
            "entity = :entity", "id = :id", "resourceId = :rid", "#body = :body", "updatedMs = :u",
            "createdMs = if_not_exists(createdMs, :c)", "seq = if_not_exists(seq, :seq)",
            "ver = if_not_exists(ver, :zero) + :one",
            "gsi1pk = :rp", "gsi1sk = if_not_exists(gsi1sk, :co)", "gsi2pk = :rp", "gsi2sk = if_not_exists(seq, :seq) + :us",
            "gsi3pk = :sp", "gsi3sk = if_not_exists(gsi3sk, :co)", "gsi4pk = :sp", "gsi4sk = if_not_exists(seq, :seq) + :us",
        ]
        removes = ["#other"]
        if exp:
            rule = self.retention.rule("thread")
            assert rule is not None
            names["#ttl"] = rule.attribute_name
            values[":exp"], values[":ttl"] = exp["expMs"], exp[rule.attribute_name]
            sets += ["#exp = :exp", "#ttl = :ttl"]
        else:
            removes.append("#exp")
        expr = "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes)
        try:
            item = await self.db.update(pk, sk, expr, names=names, values=values,
                                        condition=f"attribute_not_exists(pk) OR {NOT_EXPIRED}")
        except self.db.client.exceptions.ConditionalCheckFailedException:
            # an expired thread DynamoDB has not deleted yet: replace it as a new one
            fresh = self._thread_item(thread, created_ms=created_ms, seq=seq, ver=1)
            await self.db.put(fresh)
            item = fresh
        return self._thread_from(item)

    async def _modify_thread(self, thread_id: str, change: Callable[[r.Thread], r.Thread]) -> r.Thread | None:
        for attempt in range(MAX_ATTEMPTS):
            item = await self._live_thread_item(thread_id)
            if item is None:
                return None
            new = change(self._thread_from(item))
            fresh = self._thread_item(new, created_ms=int(item["createdMs"]), seq=int(item["seq"]), ver=int(item.get("ver", 0)) + 1)
            try:
                await self.db.put(fresh, condition="ver = :v", values_={":v": int(item.get("ver", 0))})
            except self.db.client.exceptions.ConditionalCheckFailedException:
                await backoff(attempt)
                continue
            return self._thread_from(fresh)
        raise RuntimeError(f"thread {thread_id!r} kept changing under concurrent writers")

    async def _delete_thread(self, thread_id: str) -> None:
        """Deletes the messages, the counter and the thread: one transaction up to 98 messages, else batches (thread last)."""
        keys = [(it["pk"], it["sk"]) async for it in self.db.query(index="gsi1", pk=messages_partition(thread_id), hi=MAX_ORDER - 1)]
        tail = [counter_key(thread_id), thread_key(thread_id)]
        if len(keys) + len(tail) <= TRANSACTION_LIMIT:
            await self.db.transact([{"Delete": self.db.delete_request(pk, sk)} for pk, sk in keys + tail])
            return
        await self.db.batch_write(deletes=keys)
        await self.db.batch_write(deletes=tail)

    async def _list_threads(self, q: ThreadQuery) -> Page[r.Thread]:
        by_updated = q.order_field == "updated_at"
        if q.resource_id is not None:
            partitions = [("gsi2" if by_updated else "gsi1", f"RTHREADS#{q.resource_id}")]
        else:
            from .codec import SHARDS

            partitions = [("gsi4" if by_updated else "gsi3", f"THREADS#{s}") for s in range(SHARDS)]
        predicate = None
        if q.metadata:
            wanted = q.metadata

            def predicate(item: dict[str, Any]) -> bool:
                return metadata_matches(decode_body(item).get("metadata"), wanted)

        filt = live_filter(["#e = :e"], {"#e": "entity"}, {":e": "thread"})
        rows, total = await read_ordered(self.db, partitions, forward=q.direction == "ASC", page=q.page, per_page=q.per_page,
                                         filter=filt, predicate=predicate)
        more = q.per_page is not False and (q.page + 1) * q.per_page < total
        return Page(items=[self._thread_from(it) for it in rows], total=total, page=q.page, per_page=q.per_page, has_more=more)

    # ------------------------------------------------------------------ messages

    def _message_from(self, item: dict[str, Any]) -> r.Message:
        msg = from_wire(decode_body(item), r.Message)
        return attrs.evolve(msg, created_at=from_ms(item["createdMs"]))

    def _message_item(self, m: r.Message, *, created_ms: int, seq: int, ver: int) -> dict[str, Any]:
        pk, sk = message_key(m.id)
        assert m.thread_id is not None
        wire = to_wire(attrs.evolve(m, created_at=from_ms(created_ms)))
        return {
            "pk": pk, "sk": sk, "entity": "message", "id": m.id, "threadId": m.thread_id, "resourceId": m.resource_id,
            **encode_body(wire), "createdMs": created_ms, "seq": seq, "ver": ver,
            "gsi1pk": messages_partition(m.thread_id), "gsi1sk": ms_order(created_ms, seq),
            **self.expiry("message"),
        }

    def _counter_action(self, tid: str, delta: int) -> dict[str, Any]:
        pk, sk = counter_key(tid)
        return {"Update": self.db.update_request(
            pk, sk, "SET entity = :e, threadId = :t, gsi1pk = :g, gsi1sk = :max ADD n :d",
            values={":e": "msgcount", ":t": tid, ":g": messages_partition(tid), ":max": MAX_ORDER, ":d": delta})}

    def _bump_action(self, tid: str, known: Any) -> dict[str, Any] | None:
        """Set the thread's updated_at to now, strictly after its previous value; None when there is no live thread."""
        pk, sk = thread_key(tid)
        now = now_ms()
        expr = "SET updatedMs = :u, gsi2sk = seq + :us, gsi4sk = seq + :us ADD ver :one"
        if known is _UNKNOWN:
            u = now
            cond = f"attribute_exists(pk) AND updatedMs < :u AND {NOT_EXPIRED}"
            values: dict[str, Any] = {":u": u, ":us": u * SCALE, ":one": 1, ":now": now}
            names: dict[str, str] | None = {"#exp": "expMs"}
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
        olds = await self.db.batch_get([message_key(m.id) for m in messages])
        known: dict[str, Any] = {m.id: None for m in messages}
        known.update({it["id"]: it for it in olds})
        await self._transact_messages(messages, touched_thread_ids | {m.thread_id for m in messages if m.thread_id}, known)

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
                extra = {m.thread_id} - threads
                old = known.get(m.id)
                if isinstance(old, dict) and old.get("threadId") != m.thread_id:
                    extra |= {old["threadId"]} - threads
                if len(chunk) + 1 + len(threads) + len(extra) > room:
                    break
                chunk.append(m)
                threads |= extra  # type: ignore[arg-type]
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
            actions: list[dict[str, Any]] = []
            roles: list[tuple[str, str]] = []
            deltas: dict[str, int] = {}
            for m in chunk:
                assert m.thread_id is not None
                old = known.get(m.id, _UNKNOWN)
                if isinstance(old, dict):
                    live = is_live(old, now)
                    created_ms = int(old["createdMs"]) if live else epoch_ms(m.created_at)
                    seq = int(old["seq"]) if live else seqs[m.id]
                    item = self._message_item(m, created_ms=created_ms, seq=seq, ver=int(old.get("ver", 0)) + 1)
                    req = self.db.put_request(item, condition="ver = :v", values_={":v": int(old.get("ver", 0))})
                    if old.get("threadId") != m.thread_id:
                        deltas[old["threadId"]] = deltas.get(old["threadId"], 0) - 1
                        deltas[m.thread_id] = deltas.get(m.thread_id, 0) + 1
                else:
                    item = self._message_item(m, created_ms=epoch_ms(m.created_at), seq=seqs[m.id], ver=1)
                    req = self.db.put_request(item, condition="attribute_not_exists(pk)")
                    deltas[m.thread_id] = deltas.get(m.thread_id, 0) + 1
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
        threads = {m.thread_id for m in chunk}
        for m in chunk:
            old = known.get(m.id)
            if isinstance(old, dict):
                threads.add(old.get("threadId"))
        return len(chunk) + len(threads) + len(bumps)

    async def _delete_messages(self, ids: tuple[str, ...]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            items = await self.db.batch_get([message_key(i) for i in ids])
            if not items:
                return
            threads = sorted({it["threadId"] for it in items})
            thread_items = {it["id"]: it for it in await self.db.batch_get([thread_key(t) for t in threads])}
            actions: list[dict[str, Any]] = []
            per_chunk = TRANSACTION_LIMIT - 2 * len(threads)
            try:
                for start in range(0, len(items), max(per_chunk, 1)):
                    part = items[start:start + per_chunk]
                    actions = [{"Delete": self.db.delete_request(it["pk"], it["sk"], condition="ver = :v",
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
                return
            except Cancelled as exc:
                if not exc.condition_failures and not exc.retryable:
                    raise
                await backoff(attempt)
        raise RuntimeError("messages kept changing under concurrent writers")

    async def _list_messages_by_id(self, ids: tuple[str, ...]) -> list[r.Message]:
        now = now_ms()
        items = [it for it in await self.db.batch_get([message_key(i) for i in ids]) if is_live(it, now)]
        items.sort(key=lambda it: (it["gsi1sk"], it["pk"]))
        return [self._message_from(it) for it in items]

    async def _list_messages(self, q: MessageQuery) -> Page[r.Message]:
        forward = q.direction == "ASC"
        lo = hi = None
        if q.start is not None:
            lo = (epoch_ms(q.start) + (1 if q.start_exclusive else 0)) * SCALE
        if q.end is not None:
            hi = (epoch_ms(q.end) + (0 if q.end_exclusive else 1)) * SCALE - 1
        extra, names, values = [], {}, {}
        if q.resource_id is not None:
            extra, names, values = ["resourceId = :rid"], {}, {":rid": q.resource_id}
        filt = live_filter(extra, names, values)
        offset, limit = q.offset, q.limit
        want = None if limit is None else offset + limit
        use_counter = q.resource_id is None and lo is None and hi is None and self.retention.rule("message") is None
        partitions = [messages_partition(t) for t in q.thread_ids]
        top = MAX_ORDER - 1 if hi is None else hi

        async def fetch(pk: str, n: int | None, upper: int) -> list[dict[str, Any]]:
            if n == 0:
                return []
            return [it async for it in self.db.query(index="gsi1", pk=pk, lo=lo, hi=upper, forward=forward, want=n,
                                                     filter=filt[0], names=filt[1], values=filt[2])]

        async def counters() -> int:
            items = await self.db.batch_get([counter_key(t) for t in q.thread_ids])
            return sum(int(it.get("n", 0)) for it in items)

        async def counts() -> int:
            got = await asyncio.gather(*(self.db.count(index="gsi1", pk=p, lo=lo, hi=top, filter=filt[0], names=filt[1],
                                                       values=filt[2]) for p in partitions))
            return sum(got)

        if use_counter and len(partitions) == 1 and not forward and want is not None:
            # newest first: the counter item (sort key MAX_ORDER) leads the partition, so one Query gives page + total
            got = await fetch(partitions[0], want + 1, MAX_ORDER)
            total = 0
            if got and got[0].get("entity") == "msgcount":
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
        rows = sorted((it for items in per_thread for it in items), key=lambda it: (it["gsi1sk"], it["pk"]), reverse=not forward)
        page_rows = rows[offset:] if limit is None else rows[offset:offset + limit]
        chosen: dict[str, dict[str, Any]] = {it["id"]: it for it in page_rows}
        if q.include:
            for it in await self._include_rows(q):
                chosen.setdefault(it["id"], it)
        result = sorted(chosen.values(), key=lambda it: (it["gsi1sk"], it["pk"]), reverse=not forward)
        now = now_ms()

        def candidate(it: dict[str, Any]) -> bool:
            o = int(it["gsi1sk"])
            return (it.get("threadId") in q.thread_ids and (q.resource_id is None or it.get("resourceId") == q.resource_id)
                    and (lo is None or o >= lo) and (hi is None or o <= hi) and is_live(it, now))

        returned = sum(1 for it in result if candidate(it))
        more = returned < total and limit is not None and (q.page + 1) * limit < total
        return Page(items=[self._message_from(it) for it in result], total=total, page=q.page, per_page=q.per_page, has_more=more)

    async def _include_rows(self, q: MessageQuery) -> list[dict[str, Any]]:
        """Each include's target (one BatchGetItem for all) and its neighbours: two Limit-ed Queries per window."""
        now = now_ms()
        targets = {it["id"]: it for it in await self.db.batch_get([message_key(i.id) for i in q.include]) if is_live(it, now)}
        filt = live_filter()
        jobs = []
        out: list[dict[str, Any]] = list(targets.values())

        async def window(pk: str, o: int, n: int, before: bool) -> list[dict[str, Any]]:
            if before:
                agen = self.db.query(index="gsi1", pk=pk, hi=o - 1, forward=False, want=n, filter=filt[0], names=filt[1], values=filt[2])
            else:
                agen = self.db.query(index="gsi1", pk=pk, lo=o + 1, hi=MAX_ORDER - 1, forward=True, want=n, filter=filt[0],
                                     names=filt[1], values=filt[2])
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

    def _resource_from(self, item: dict[str, Any]) -> r.Resource:
        res = from_wire(decode_body(item), r.Resource)
        return attrs.evolve(res, created_at=from_ms(item["createdMs"]))

    def _resource_item(self, res: r.Resource, *, created_ms: int, ver: int) -> dict[str, Any]:
        pk, sk = resource_key(res.id)
        return {"pk": pk, "sk": sk, "entity": "resource", "id": res.id, **encode_body(to_wire(res)),
                "createdMs": created_ms, "ver": ver, **self.expiry("resource")}

    async def _get_resource(self, resource_id: str) -> r.Resource | None:
        item = await self.db.get(*resource_key(resource_id))
        return self._resource_from(item) if item is not None and is_live(item) else None

    async def _save_resource(self, resource: r.Resource) -> r.Resource:
        return await self._modify_resource(
            resource.id,
            lambda old: resource if old is None else attrs.evolve(resource, created_at=old.created_at),
        )

    async def _modify_resource(self, resource_id: str, change: Callable[[r.Resource | None], r.Resource]) -> r.Resource:
        for attempt in range(MAX_ATTEMPTS):
            item = await self.db.get(*resource_key(resource_id))
            live = item is not None and is_live(item)
            new = change(self._resource_from(item) if live and item is not None else None)
            ver = int(item.get("ver", 0)) if item is not None else 0
            fresh = self._resource_item(new, created_ms=epoch_ms(new.created_at), ver=ver + 1)
            try:
                if item is None:
                    await self.db.put(fresh, condition="attribute_not_exists(pk)")
                else:
                    await self.db.put(fresh, condition="ver = :v", values_={":v": ver})
            except self.db.client.exceptions.ConditionalCheckFailedException:
                await backoff(attempt)
                continue
            return self._resource_from(fresh)
        raise RuntimeError(f"resource {resource_id!r} kept changing under concurrent writers")
