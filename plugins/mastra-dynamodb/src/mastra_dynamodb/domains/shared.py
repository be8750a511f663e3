"""What every DynamoDB domain store shares: the typed base, expiry attributes and ordered listings."""

from __future__ import annotations

import asyncio
import heapq
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from mastra_core.backend import BackendDomain
from mastra_core.clock import epoch_ms
from mastra_core.pagination import PerPage

from ..codec import expiry_attributes, now_ms
from ..connection import ConditionFailed, DynamoConnection, backoff, current_op
from ..schema import Entity

T = TypeVar("T")

LIVE = "(attribute_not_exists(#exp) OR #exp > :now)"
#: A FilterExpression with its attribute names and values.
Filter = tuple[str, dict[str, str], dict[str, Any]]
#: A GSI and one of its partition keys.
Partition = tuple[str, str]


class DynamoDomain(BackendDomain[DynamoConnection]):
    """Base of the DynamoDB domains: ``conn`` is the store's :class:`DynamoConnection` (``db`` for short)."""

    #: The entities (item kinds) of this domain, cleared by ``dangerously_clear_all``.
    entities: ClassVar[tuple[Entity, ...]] = ()

    @property
    def db(self) -> DynamoConnection:
        """The table handle shared by every domain of the store."""
        return self.conn

    async def _run(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        token = current_op.set(op)
        try:
            return await super()._run(op, fn)
        finally:
            current_op.reset(token)

    def expiry(self, entity: str) -> dict[str, Any]:
        """``expMs`` and the configured TTL attribute for a record of ``entity`` written now (empty: no TTL)."""
        rule = self.retention.rule(entity)
        if rule is None:
            return {}
        return expiry_attributes(self.expires_at(entity), rule.attribute_name)

    async def _clear(self) -> None:
        if not self.entities:
            return
        names = {"#e": "entity"}
        values = {f":e{i}": e.name for i, e in enumerate(self.entities)}
        await self.db.delete_where(f"#e IN ({', '.join(values)})", names, values)

    def _expired(self, now: datetime) -> Filter:
        """Items of this domain whose ``expMs`` has passed at ``now``."""
        values: dict[str, Any] = {f":e{i}": e.name for i, e in enumerate(self.entities)}
        expr = f"#e IN ({', '.join(values)}) AND #exp <= :now"
        return expr, {"#e": "entity", "#exp": "expMs"}, {**values, ":now": epoch_ms(now)}

    async def _count_expired(self, now: datetime) -> int | None:
        if not self.entities:
            return 0
        return len(await self.db.scan_keys(*self._expired(now)))

    async def _prune(self, now: datetime) -> int:
        # DynamoDB's TTL deletes expired items too, but only eventually (within days); reads hide them meanwhile.
        # Each delete is conditional, so an item written again since the scan (a fresh expiry) is kept.
        if not self.entities:
            return 0
        expr, names, values = self._expired(now)
        keys = await self.db.scan_keys(expr, names, values)
        cond, cond_values = "#exp <= :now", {":now": values[":now"]}
        deleted = 0
        for i in range(0, len(keys), 25):
            done = await asyncio.gather(*(self.db.delete_if(k["pk"], k["sk"], cond, {"#exp": "expMs"}, cond_values)
                                          for k in keys[i:i + 25]))
            deleted += sum(done)
        return deleted


async def optimistic(what: str, attempt: Callable[[], Awaitable[T]], attempts: int = 25) -> T:
    """Run ``attempt`` (read, change, conditional write) until its write's condition holds, backing off between
    tries; a record that keeps changing under concurrent writers is a RuntimeError naming ``what``."""
    for n in range(attempts):
        try:
            return await attempt()
        except ConditionFailed:
            await backoff(n)
    raise RuntimeError(f"{what} kept changing under concurrent writers")


def live_filter(extra: Sequence[str] = (), names: Mapping[str, str] | None = None,
                values: Mapping[str, Any] | None = None) -> Filter:
    """A FilterExpression hiding expired items, ANDed with ``extra`` conditions."""
    expr = " AND ".join([LIVE, *extra])
    return expr, {"#exp": "expMs", **(names or {})}, {":now": now_ms(), **(values or {})}


async def read_ordered(
    db: DynamoConnection,
    partitions: Sequence[Partition],
    *,
    forward: bool,
    page: int,
    per_page: PerPage,
    lo: int | None = None,
    hi: int | None = None,
    filter: Filter | None = None,
    predicate: Callable[[dict[str, Any]], bool] | None = None,
    order: Callable[[Any], Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page (and the total) of items from GSI partitions ordered by their numeric sort key.

    ``partitions`` are ``(index, partition key)`` pairs merged in order. Without a Python ``predicate``
    the total is a Select=COUNT per partition (run concurrently with the page read) and each partition
    is read only up to ``offset + limit`` items; with one, every candidate is read and filtered here.
    ``order`` maps a sort key to the value items are ordered by (a resource's thread partitions: an uncounted
    thread's key is shifted, see thread_counts); it needs a ``predicate`` (every item read, then sorted).
    """
    if order is not None and predicate is None:
        raise ValueError("read_ordered: an order function needs a predicate (every item is read and sorted)")
    expr, names, values = filter if filter is not None else live_filter()
    offset = 0 if per_page is False else page * per_page
    limit = None if per_page is False else per_page

    async def fetch(part: Partition, want: int | None) -> list[dict[str, Any]]:
        return [it async for it in db.query(index=part[0], pk=part[1], lo=lo, hi=hi, forward=forward, want=want,
                                            filter=expr, names=names, values=values)]

    async def count(part: Partition) -> int:
        return await db.count(index=part[0], pk=part[1], lo=lo, hi=hi, filter=expr, names=names, values=values)

    def keyed(part: Partition, items: list[dict[str, Any]]) -> list[tuple[Any, str, dict[str, Any]]]:
        sk = f"{part[0]}sk"
        if order is None:
            return [(it[sk], it["pk"], it) for it in items]
        return [(order(it[sk]), it["pk"], it) for it in items]

    if predicate is None:
        want = None if limit is None else offset + limit
        if want == 0:
            return [], sum(await asyncio.gather(*(count(p) for p in partitions)))
        fetching = asyncio.gather(*(fetch(p, want) for p in partitions))
        if limit is None:
            fetched, counts = await fetching, None
        else:
            fetched, counts = await asyncio.gather(fetching, asyncio.gather(*(count(p) for p in partitions)))
        merged = heapq.merge(*[keyed(p, items) for p, items in zip(partitions, fetched, strict=True)],
                             key=lambda t: (t[0], t[1]), reverse=not forward)
        rows = [t[2] for t in merged]
        total = sum(counts) if counts is not None else len(rows)
        return rows[offset:] if limit is None else rows[offset:offset + limit], total
    fetched = await asyncio.gather(*(fetch(p, None) for p in partitions))
    rows_k = [t for p, items in zip(partitions, fetched, strict=True) for t in keyed(p, items) if predicate(t[2])]
    rows_k.sort(key=lambda t: (t[0], t[1]), reverse=not forward)
    rows = [t[2] for t in rows_k]
    return (rows[offset:] if limit is None else rows[offset:offset + limit]), len(rows)


def upsert_expression(item: Mapping[str, Any], kept: Mapping[str, str], optional: Sequence[str]
                      ) -> tuple[str, dict[str, str], dict[str, Any]]:
    """An UpdateExpression that writes ``item`` over whatever is stored, in ONE UpdateItem.

    Every attribute of ``item`` is SET to its value, except the ``kept`` ones: their template (``{v}`` the
    item's value, ``{attr}`` any attribute name, ``:zero`` the number 0) decides, e.g. ``if_not_exists({createdMs},
    {v})`` keeps a stored value. Attributes of ``optional`` that ``item`` lacks (or holds None) are REMOVEd, so the
    result is the item a PutItem would have written, apart from the kept attributes.
    """
    names: dict[str, str] = {}

    def name(attr: str) -> str:
        placeholder = f"#{attr}" if attr.isascii() and attr.isidentifier() else f"#n{len(names)}"
        names[placeholder] = attr
        return placeholder

    refs = {a: name(a) for a in {*item, *optional, "gsi1sk"} if a not in ("pk", "sk")}
    values: dict[str, Any] = {}
    sets: list[str] = []
    for i, (attr, value) in enumerate(item.items()):
        if attr in ("pk", "sk") or value is None:
            continue
        values[f":v{i}"] = value
        template = kept.get(attr, "{v}")
        if ":zero" in template:
            values[":zero"] = 0
        sets.append(f"{refs[attr]} = " + template.format(v=f":v{i}", **refs))
    removes = list(dict.fromkeys(refs[a] for a in optional if item.get(a) is None))
    expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    used = set(re.findall(r"#\w+", expr))
    return expr, {k: v for k, v in names.items() if k in used}, values
