"""Each item's expiry, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

``expMs`` is the exact expiry every read checks; the TTL attribute of the entity's rule (epoch seconds, rounded
up) is what DynamoDB deletes by, written beside it when the target has a rule for the entity. Reads are
BatchGetItem (100 keys a call); writes are one conditional UpdateItem per item (BatchWriteItem cannot update), a
few at a time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mastra_core.backend.expiry import Expiries, Key
from mastra_core.retention import Retention

from .codec import expiry_attributes
from .connection import Cancelled, ConditionFailed, DynamoConnection
from .domains.shared import optimistic
from .domains.thread_counts import delta_action
from .schema import LEGACY_TRACE, MESSAGE, RESOURCE, SCORE, SPAN, THREAD, WORKFLOW_RUN, Entity

#: kind -> the entity and the names of its key parts, in the order of the kind's key.
ENTITIES: dict[str, tuple[Entity, tuple[str, ...]]] = {
    "thread": (THREAD, ("id",)),
    "message": (MESSAGE, ("id",)),
    "resource": (RESOURCE, ("id",)),
    "workflow_run": (WORKFLOW_RUN, ("workflowName", "runId")),
    "score": (SCORE, ("id",)),
    "span": (SPAN, ("traceId", "spanId")),
    "trace": (LEGACY_TRACE, ("id",)),
}
#: Updates in flight at once.
CONCURRENCY = 16
MAX_ATTEMPTS = 25


def _item_key(kind: str, key: Key) -> tuple[str, str]:
    entity, parts = ENTITIES[kind]
    return entity.key(**dict(zip(parts, key, strict=True)))


async def read(db: DynamoConnection, kind: str, keys: Sequence[Key]) -> Expiries:
    """The stored expiry (``expMs``) of each existing item among ``keys``."""
    entity, parts = ENTITIES[kind]
    by_item = {_item_key(kind, k): k for k in keys}
    out: Expiries = {}
    for item in await db.batch_get(list(by_item)):
        key = by_item.get((item["pk"], item["sk"]))
        if key is not None:
            exp = item.get("expMs")
            out[key] = None if exp is None else datetime.fromtimestamp(int(exp) / 1000, tz=UTC)
    return out


async def write(db: DynamoConnection, kind: str, expiries: Mapping[Key, datetime | None], retention: Retention) -> None:
    """Set each item's ``expMs`` (and the rule's TTL attribute) or remove them; missing items are left alone."""
    entity, _ = ENTITIES[kind]
    rule = retention.rule(entity.name)
    attribute = rule.attribute_name if rule is not None else None
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(key: Key, at: datetime | None) -> None:
        pk, sk = _item_key(kind, key)
        names = {"#x": "expMs", **({"#t": attribute} if attribute else {})}
        if at is None:
            expression = "REMOVE " + ", ".join(names)
            values = None
        else:
            attrs = expiry_attributes(at, attribute)
            expression = "SET #x = :x" + (", #t = :t" if attribute else "")
            values = {":x": attrs["expMs"], **({":t": attrs[attribute]} if attribute else {})}
        async with gate:
            if kind == "thread" and at is not None:
                await _expire_thread(db, pk, sk, expression, names, values)
                return
            try:
                await db.update(pk, sk, expression, names=names, values=values, condition="attribute_exists(pk)")
            except ConditionFailed:
                pass  # no such item: nothing to set

    await asyncio.gather(*(one(k, at) for k, at in expiries.items()))


async def _expire_thread(db: DynamoConnection, pk: str, sk: str, expression: str, names: dict[str, str],
                         values: dict[str, Any] | None) -> None:
    """A thread that may expire makes its resource's thread counter inexact (DynamoDB's TTL will delete it without
    telling the counter): the expiry and the counter's ``REMOVE nbase`` in ONE transaction, on the version read."""
    async def attempt() -> None:
        stored = await db.get(pk, sk, attributes=("resourceId", "ver"))
        if stored is None:
            return  # no such item: nothing to set
        cond, cond_values = (("ver = :ver", {":ver": stored["ver"]}) if "ver" in stored
                             else ("attribute_exists(pk) AND attribute_not_exists(ver)", {}))
        update = db.update_request(pk, sk, expression, names=names, values={**(values or {}), **cond_values},
                                   condition=cond)
        try:
            await db.transact([{"Update": update}, delta_action(db, str(stored["resourceId"]), 0, inexact=True)],
                              token=str(uuid.uuid4()))
        except Cancelled as exc:
            if not exc.condition_failures and not exc.retryable:
                raise
            raise ConditionFailed(str(exc)) from exc  # changed or contended under us: read again

    await optimistic(f"thread {pk!r} (setting its expiry)", attempt, MAX_ATTEMPTS)
