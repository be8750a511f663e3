"""What every DynamoDB domain store shares: the table handle, expiry attributes and ordered listings."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mastra_core.pagination import PerPage

from .codec import expiry_attributes, now_ms
from .dynamo import Dynamo, current_op

if TYPE_CHECKING:
    from .store import DynamoDBStore

T = TypeVar("T")

LIVE = "(attribute_not_exists(#exp) OR #exp > :now)"


class DynamoDomain:
    """Mixin for the domain stores: ``self.db`` is the shared table handle of the owning DynamoDBStore."""

    backend_token = "DYNAMODB"
    entities: tuple[str, ...] = ()

    def __init__(self, backend: DynamoDBStore, **kw: Any) -> None:
        super().__init__(**kw)
        self.backend = backend

    @property
    def db(self) -> Dynamo:
        return self.backend.db

    async def _run(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        token = current_op.set(op)
        try:
            return await super()._run(op, fn)  # type: ignore[misc, no-any-return]
        finally:
            current_op.reset(token)

    def expiry(self, entity: str) -> dict[str, Any]:
        """``expMs`` and the configured TTL attribute for a record of ``entity`` written now (empty: no TTL)."""
        rule = self.retention.rule(entity)  # type: ignore[attr-defined]
        if rule is None:
            return {}
        return expiry_attributes(self.expires_at(entity), rule.attribute_name)  # type: ignore[attr-defined]

    def expiry_removal(self, entity: str) -> list[str]:
        """Attributes to REMOVE when a record is rewritten without TTL (so an old expiry does not linger)."""
        rule = self.retention.rule(entity)  # type: ignore[attr-defined]
        return [] if rule is not None else ["expMs"]

    async def _clear(self) -> None:
        if not self.entities:
            return
        names = {"#e": "entity"}
        values = {f":e{i}": e for i, e in enumerate(self.entities)}
        await self.db.delete_where(f"#e IN ({', '.join(values)})", names, values)


def live_filter(extra: Sequence[str] = (), names: Mapping[str, str] | None = None,
                values: Mapping[str, Any] | None = None) -> tuple[str, dict[str, str], dict[str, Any]]:
    """A FilterExpression hiding expired items, ANDed with ``extra`` conditions."""
    expr = " AND ".join([LIVE, *extra])
    return expr, {"#exp": "expMs", **(names or {})}, {":now": now_ms(), **(values or {})}


async def read_ordered(
    db: Dynamo,
    partitions: Sequence[tuple[str, str]],
    *,
    forward: bool,
    page: int,
    per_page: PerPage,
    lo: int | None = None,
    hi: int | None = None,
    filter: tuple[str, dict[str, str], dict[str, Any]] | None = None,
    predicate: Callable[[dict[str, Any]], bool] | None = None,
    order_key: Callable[[dict[str, Any]], Any] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """One page (and the total) of items from GSI partitions ordered by their numeric sort key.

    ``partitions`` are ``(index, partition key)`` pairs merged in order. Without a Python ``predicate``
    the total is a Select=COUNT per partition (run concurrently with the page read) and each partition
    is read only up to ``offset + limit`` items; with one, every candidate is read and filtered here.
    ``order_key`` overrides the index order (then every candidate is read and sorted here).
    """
    expr, names, values = filter if filter is not None else live_filter()
    offset = 0 if per_page is False else page * per_page
    limit = None if per_page is False else per_page
    index_of = {p: p[0] for p in partitions}

    def sk(item: dict[str, Any], part: tuple[str, str]) -> Any:
        return item[f"{index_of[part]}sk"]

    async def fetch(part: tuple[str, str], want: int | None) -> list[dict[str, Any]]:
        return [it async for it in db.query(index=part[0], pk=part[1], lo=lo, hi=hi, forward=forward, want=want,
                                             filter=expr, names=names, values=values)]

    if predicate is None and order_key is None:
        want = None if limit is None else offset + limit
        if want == 0:
            counts = await asyncio.gather(*(db.count(index=p[0], pk=p[1], lo=lo, hi=hi, filter=expr, names=names,
                                                     values=values) for p in partitions))
            return [], sum(counts)
        fetched, counts = await asyncio.gather(
            asyncio.gather(*(fetch(p, want) for p in partitions)),
            asyncio.gather(*(db.count(index=p[0], pk=p[1], lo=lo, hi=hi, filter=expr, names=names, values=values)
                             for p in partitions)) if limit is not None else _none(),
        )
        merged = list(heapq.merge(*[[(sk(it, p), it["pk"], it) for it in items] for p, items in zip(partitions, fetched, strict=True)],
                                  key=lambda t: (t[0], t[1]), reverse=not forward))
        rows = [t[2] for t in merged]
        total = sum(counts) if counts is not None else len(rows)
        return rows[offset:] if limit is None else rows[offset:offset + limit], total
    fetched = await asyncio.gather(*(fetch(p, None) for p in partitions))
    rows_k = [(sk(it, p), it["pk"], it) for p, items in zip(partitions, fetched, strict=True) for it in items]
    rows_k = [t for t in rows_k if predicate is None or predicate(t[2])]
    if order_key is not None:
        rows_k.sort(key=lambda t: order_key(t[2]), reverse=not forward)
    else:
        rows_k.sort(key=lambda t: (t[0], t[1]), reverse=not forward)
    rows = [t[2] for t in rows_k]
    return (rows[offset:] if limit is None else rows[offset:offset + limit]), len(rows)


async def _none() -> None:
    return None


def has_more(total: int, page: int, per_page: PerPage) -> bool:
    return per_page is not False and (page + 1) * per_page < total
