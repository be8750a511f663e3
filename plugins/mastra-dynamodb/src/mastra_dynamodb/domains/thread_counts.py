"""Per-resource thread counters, so that a page of ``list_threads(resource)`` needs no Select=COUNT Query.

Item ``RESOURCE#{resourceId}`` / ``THREADS`` (entity ``threadcount``), at sort key ``MAX_ORDER`` of the
resource's thread partitions on gsi1 and gsi2: a newest-first page Query reads it first, page and total in ONE
request. Attributes:

- ``n``: the sum of every thread create (+1), delete (-1) and move between resources (-1/+1) since the item was
  made, ADDed in the same TransactWriteItems as the thread write (its ``ClientRequestToken`` makes a resend of a
  transaction whose reply was lost a no-op, so each change counts exactly once);
- ``nbase``: present only while the counter is exact; the total is then ``nbase + n``;
- ``cv``: bumped by every change, so a backfill can tell that nothing changed between its reads and its write;
- ``lastMs``: when the last change was made.

``nbase`` is absent (the listing then counts with Select=COUNT, as before counters existed) for a resource whose
threads were written by a release without counters (an old table: no counter item, or one with only the deltas
since), and whenever one of its threads may expire: a write under a thread TTL rule REMOVEs ``nbase``, because
DynamoDB's TTL and ``prune()`` delete expired threads without telling the counter. A listing that had to count
sets ``nbase`` afterwards (a lazy migration: :func:`count_and_backfill`), when no thread of the resource carries an
expiry, no thread TTL rule is configured and the counter has not changed for :data:`SETTLE_MS` (GSIs are eventually
consistent on AWS: a thread written just before the count might not be in it yet).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..codec import now_ms
from ..connection import ConditionFailed, DynamoConnection
from ..schema import MAX_ORDER, THREAD, THREAD_COUNT
from .shared import live_filter

#: A counter changed more recently than this is not backfilled yet (GSI propagation on AWS is well under it).
SETTLE_MS = 1000
Item = dict[str, Any]


def counter_key(resource_id: str) -> tuple[str, str]:
    """The counter item's primary key."""
    return THREAD_COUNT.key(resourceId=resource_id)


def exact_total(item: Item | None) -> int | None:
    """The thread total a counter item states, or None when it is not exact (or there is none)."""
    if item is None or item.get("entity") != THREAD_COUNT.name or item.get("nbase") is None:
        return None
    return int(item["nbase"]) + int(item.get("n", 0))


def delta_action(db: DynamoConnection, resource_id: str, delta: int, *, inexact: bool) -> Item:
    """A transaction's Update of the counter: ADD ``delta`` (may be 0); ``inexact`` REMOVEs ``nbase`` (a thread of the
    resource now carries an expiry)."""
    pk, sk = counter_key(resource_id)
    part = THREAD_COUNT.partition("gsi1", resourceId=resource_id)
    expr = ("SET entity = :e, resourceId = :r, gsi1pk = :g, gsi1sk = :max, gsi2pk = :g, gsi2sk = :max, lastMs = :now "
            "ADD n :d, cv :one" + (" REMOVE nbase" if inexact else ""))
    return {"Update": db.update_request(pk, sk, expr, values={
        ":e": THREAD_COUNT.name, ":r": resource_id, ":g": part, ":max": MAX_ORDER, ":now": now_ms(), ":d": delta,
        ":one": 1})}


async def count_and_backfill(db: DynamoConnection, resource_id: str, *, ttl_rule: bool) -> int:
    """The live threads of a resource by Select=COUNT; makes the counter exact when that is safe (module doc).

    Order matters: the counter is read (strongly consistent) BEFORE the counts, and ``nbase`` is written on condition
    that ``cv`` is still what was read, so a thread write that landed in between (its transaction bumps ``cv``)
    makes the backfill give up instead of counting that thread twice or not at all.
    """
    partition = THREAD.partition("gsi1", resourceId=resource_id)
    counter = None if ttl_rule else await db.get(*counter_key(resource_id))
    live = live_filter(["#e = :e"], {"#e": "entity"}, {":e": THREAD.name})
    expiring = ("#e = :e AND attribute_exists(#exp)", {"#e": "entity", "#exp": "expMs"}, {":e": THREAD.name})
    total, with_expiry = await asyncio.gather(
        db.count(index="gsi1", pk=partition, hi=MAX_ORDER - 1, filter=live[0], names=live[1], values=live[2]),
        _zero() if ttl_rule else db.count(index="gsi1", pk=partition, hi=MAX_ORDER - 1, filter=expiring[0],
                                          names=expiring[1], values=expiring[2]))
    now = now_ms()
    if ttl_rule or with_expiry or (counter is not None and (
            counter.get("nbase") is not None or now - int(counter.get("lastMs", 0)) < SETTLE_MS)):
        return total
    pk, sk = counter_key(resource_id)
    try:
        if counter is None:
            part = THREAD_COUNT.partition("gsi1", resourceId=resource_id)
            await db.update(pk, sk, "SET entity = :e, resourceId = :r, gsi1pk = :g, gsi1sk = :max, gsi2pk = :g, "
                            "gsi2sk = :max, lastMs = :now, n = :zero, nbase = :b, cv = :one",
                            values={":e": THREAD_COUNT.name, ":r": resource_id, ":g": part, ":max": MAX_ORDER,
                                    ":now": now, ":zero": 0, ":b": total, ":one": 1},
                            condition="attribute_not_exists(pk)")
        else:
            await db.update(pk, sk, "SET nbase = :b", values={":b": total - int(counter.get("n", 0)),
                                                             ":cv": int(counter.get("cv", 0))},
                            condition="cv = :cv AND attribute_not_exists(nbase)")
    except ConditionFailed:
        pass  # a thread write or another backfill got there first: the next listing looks again
    return total


async def _zero() -> int:
    return 0
