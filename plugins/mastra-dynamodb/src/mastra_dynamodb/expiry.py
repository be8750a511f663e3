"""Each item's expiry, read and set exactly (``Storage.read_expiry`` / ``write_expiry``, for copies).

``expMs`` is the exact expiry every read checks; the TTL attribute of the entity's rule (epoch seconds, rounded
up) is what DynamoDB deletes by, written beside it when the target has a rule for the entity. Reads are
BatchGetItem (100 keys a call); writes are one conditional UpdateItem per item (BatchWriteItem cannot update), a
few at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from mastra_core.backend.expiry import Expiries, Key
from mastra_core.retention import Retention

from .codec import expiry_attributes
from .connection import ConditionFailed, DynamoConnection
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
            try:
                await db.update(pk, sk, expression, names=names, values=values, condition="attribute_exists(pk)")
            except ConditionFailed:
                pass  # no such item: nothing to set

    await asyncio.gather(*(one(k, at) for k, at in expiries.items()))
