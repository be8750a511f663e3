"""Per-resource thread counters, so that a page of ``list_threads(resource)`` needs no Select=COUNT Query.

Item ``RESOURCE#{resourceId}`` / ``THREADS`` (entity ``threadcount``), at sort key ``MAX_ORDER`` of the
resource's thread partitions on gsi1 and gsi2: a newest-first page Query reads it early, page and total in ONE
request. Attributes:

- ``n``: the sum of every change of the counted threads (below) since the item was made: +1 per thread folded in
  (or created under a thread TTL rule), -1 per counted thread deleted or moved away, ADDed in the same
  TransactWriteItems as the thread writes (its ``ClientRequestToken`` makes a resend of a transaction whose reply
  was lost a no-op, so each change counts exactly once);
- ``nbase``: present only while the counter is exact; the counted threads are then ``nbase + n``;
- ``cv``: bumped by every change, so a backfill can tell that nothing changed between its reads and its write;
- ``lastMs``: when the last change was made.

**Counted and uncounted threads.** A new thread is ONE PutItem that does not touch the counter: it is written
*uncounted*, its gsi1/gsi2 sort keys shifted up by :data:`~mastra_dynamodb.schema.UNCOUNTED` (and ``useq``, its
``seq + UNCOUNTED``, from which re-saves and message bumps rebuild the gsi2 key), i.e. ABOVE the counter item. A
thread is counted iff its gsi1 sort key is below ``MAX_ORDER``. The total of a resource is the counter's total
plus its live uncounted threads, all of which a newest-first Query reads before the counter (an oldest-first
listing reads them with a second Query, from the top down to the counter). A listing that found more than
:data:`FOLD_AT` of them folds them in (:func:`fold`): ONE TransactWriteItems shifting each down by UNCOUNTED
(condition: still uncounted, still this resource's, no expiry) with the counter's ``ADD n`` of their number, so
the uncounted region stays small and a listing stays one request. A moved thread lands uncounted in its new
resource (and leaves its old resource's counter only if it was counted there); a deleted one decrements the counter
only if it was counted (the Delete's condition on ``ver`` pins the state read: a fold bumps ``ver``).

``nbase`` is absent (the listing then counts with Select=COUNT, as before counters existed) for a resource whose
threads were written by a release without counters (an old table: no counter item, or one with only the deltas
since), and whenever one of its threads may expire: a write under a thread TTL rule REMOVEs ``nbase``, because
DynamoDB's TTL and ``prune()`` delete expired threads without telling the counter. A listing that had to count
sets ``nbase`` afterwards (a lazy migration: :func:`count_and_backfill`), when no thread of the resource carries an
expiry, no thread TTL rule is configured and the counter has not changed for :data:`SETTLE_MS` (GSIs are eventually
consistent on AWS: a thread written just before the count might not be in it yet).

Threads written by earlier releases are all counted (below ``MAX_ORDER``): nothing to migrate. A release before
uncounted threads reading a table that holds some would mis-order and mis-count them (README, upgrading).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import Any

from ..codec import now_ms
from ..connection import TRANSACTION_LIMIT, Cancelled, ConditionFailed, DynamoConnection
from ..schema import MAX_ORDER, THREAD, THREAD_COUNT, UNCOUNTED
from .shared import live_filter

#: A counter changed more recently than this is not backfilled yet (GSI propagation on AWS is well under it).
SETTLE_MS = 1000
#: A listing folds the uncounted threads it read into the counter when there are more than this many (fewer cost
#: the listing little: its newest-first page Query asks for that many items more, see :data:`SLACK`).
FOLD_AT = 8
#: Items a newest-first page Query asks for beyond the page and the counter item, room for the uncounted threads
#: read first, when the store has no better idea: at most this many, else the uncounted threads its last listing
#: of the resource left plus those it created since, plus :data:`MARGIN` (created by other processes). Every item
#: asked for beyond the uncounted ones is a counted thread read for nothing (reply parsing is most of a listing's
#: client CPU); one asked for too few costs a second round trip.
SLACK = 16
MARGIN = 2
Item = dict[str, Any]


def is_counted(sort_key: Any) -> bool:
    """Whether a thread with this gsi1 (or gsi2) sort key is in its resource's counter."""
    return int(sort_key) < MAX_ORDER


def real_order(sort_key: Any) -> int:
    """A thread's order value from its gsi1/gsi2 sort key (an uncounted thread's is shifted by UNCOUNTED)."""
    value = int(sort_key)
    return value - UNCOUNTED if value > MAX_ORDER else value


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


async def fold(db: DynamoConnection, resource_id: str, thread_ids: Sequence[str]) -> bool:
    """Fold uncounted threads of a resource into its counter: ONE TransactWriteItems (at most 99 threads); whether
    it was applied. Each thread's Update shifts its gsi1/gsi2 sort keys down by UNCOUNTED and drops ``useq``, on
    condition that it is still uncounted, still this resource's and carries no expiry; it bumps ``ver``, so a
    versioned write that read the thread before fails and reads again. A cancelled fold (another fold, a delete or
    a move got there first) is skipped: the caller's total does not depend on it."""
    ids = list(dict.fromkeys(thread_ids))[:TRANSACTION_LIMIT - 1]
    if not ids:
        return False
    values = {":off": UNCOUNTED, ":max": MAX_ORDER, ":one": 1, ":r": resource_id}
    actions: list[Item] = [{"Update": db.update_request(
        *THREAD.key(id=tid), "SET gsi1sk = gsi1sk - :off, gsi2sk = gsi2sk - :off REMOVE useq ADD ver :one",
        names={"#exp": "expMs"}, values=values, return_old_on_fail=False,
        condition="gsi1sk > :max AND resourceId = :r AND attribute_not_exists(#exp)")} for tid in ids]
    actions.append(delta_action(db, resource_id, len(ids), inexact=False))
    try:
        await db.transact(actions, token=str(uuid.uuid4()))
    except Cancelled as exc:
        if not exc.condition_failures and not exc.retryable:
            raise
        return False
    return True


async def count_and_backfill(db: DynamoConnection, resource_id: str, *, ttl_rule: bool) -> int:
    """The live threads of a resource by Select=COUNT; makes the counter exact when that is safe (module doc).

    The total is ONE count of the whole partition (both regions: a fold landing between two counts cannot count a
    thread twice); ``nbase`` is from a count of the counted region only. Order matters: the counter is read
    (strongly consistent) BEFORE the counts, and ``nbase`` is written on condition that ``cv`` is still what was
    read, so a change of the counted region that landed in between (a create under a TTL rule, a delete or move of
    a counted thread, a fold: their transactions bump ``cv``) makes the backfill give up instead of counting a
    thread twice or not at all. Uncounted creates do not change the counted region.
    """
    partition = THREAD.partition("gsi1", resourceId=resource_id)
    live = live_filter(["#e = :e"], {"#e": "entity"}, {":e": THREAD.name})
    everything = db.count(index="gsi1", pk=partition, filter=live[0], names=live[1], values=live[2])
    if ttl_rule:
        return await everything
    counter = await db.get(*counter_key(resource_id))
    expiring = ("#e = :e AND attribute_exists(#exp)", {"#e": "entity", "#exp": "expMs"}, {":e": THREAD.name})
    total, counted, with_expiry = await asyncio.gather(
        everything,
        db.count(index="gsi1", pk=partition, hi=MAX_ORDER - 1, filter=live[0], names=live[1], values=live[2]),
        db.count(index="gsi1", pk=partition, filter=expiring[0], names=expiring[1], values=expiring[2]))
    now = now_ms()
    if with_expiry or (counter is not None and (
            counter.get("nbase") is not None or now - int(counter.get("lastMs", 0)) < SETTLE_MS)):
        return total
    pk, sk = counter_key(resource_id)
    try:
        if counter is None:
            part = THREAD_COUNT.partition("gsi1", resourceId=resource_id)
            await db.update(pk, sk, "SET entity = :e, resourceId = :r, gsi1pk = :g, gsi1sk = :max, gsi2pk = :g, "
                            "gsi2sk = :max, lastMs = :now, n = :zero, nbase = :b, cv = :one",
                            values={":e": THREAD_COUNT.name, ":r": resource_id, ":g": part, ":max": MAX_ORDER,
                                    ":now": now, ":zero": 0, ":b": counted, ":one": 1},
                            condition="attribute_not_exists(pk)")
        else:
            await db.update(pk, sk, "SET nbase = :b", values={":b": counted - int(counter.get("n", 0)),
                                                             ":cv": int(counter.get("cv", 0))},
                            condition="cv = :cv AND attribute_not_exists(nbase)")
    except ConditionFailed:
        pass  # a thread write or another backfill got there first: the next listing looks again
    return total

