"""What every MongoDB domain store shares: the connection, retries, TTL filters, index creation, CAS updates."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from mastra_core.clock import utc_now
from mastra_core.pagination import Page, has_more, paginate

from .connection import Connection
from .queries import Filter, live
from .schema import DEFAULT_INDEXES, ENTITY, EXPIRES, REQUIRED_INDEXES, TTL_INDEX

T = TypeVar("T")
#: Optimistic compare-and-set attempts before giving up (each one lost a race to another writer).
CAS_ATTEMPTS = 100


class MongoDomain:
    """Mixin for the domain stores; ``collections`` names what the domain owns."""

    backend_token = "MONGODB"
    collections: tuple[str, ...] = ()

    def __init__(self, conn: Connection, **kw: Any) -> None:
        super().__init__(**kw)
        self.conn = conn

    # --- plumbing ------------------------------------------------------------------------------

    async def _run(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:  # type: ignore[override]
        return await super()._run(op, lambda: self.conn.retrying(fn))  # type: ignore[misc]

    def col(self, name: str) -> Any:
        return self.conn.col(name)

    def ttl_active(self, collection: str) -> bool:
        entity = ENTITY.get(collection)
        return entity is not None and self.retention.rule(entity) is not None  # type: ignore[attr-defined]

    def live(self, collection: str, now: datetime | None = None) -> Filter:
        """The not-expired condition, when the collection's entity has a TTL (otherwise no condition)."""
        return live(now or utc_now()) if self.ttl_active(collection) else {}

    def expiry(self, collection: str) -> dict[str, Any]:
        """``{expiresAt: ...}`` to ``$set`` on a write, or nothing when the entity has no TTL."""
        entity = ENTITY.get(collection)
        at = self.expires_at(entity) if entity else None  # type: ignore[attr-defined]
        return {EXPIRES: at} if at is not None else {}

    async def drop_expired(self, collection: str, key: Filter, session: Any = None) -> None:
        """Delete expired documents with this key, so an upsert treats them as new (TTL monitors lag)."""
        if self.ttl_active(collection):
            await self.col(collection).delete_many({**key, EXPIRES: {"$lte": utc_now()}}, session=session)

    # --- lifecycle -----------------------------------------------------------------------------

    async def _init(self) -> None:
        from pymongo import IndexModel

        cfg = self.conn.config
        for name in self.collections:
            specs = list(REQUIRED_INDEXES.get(name, []))
            if not cfg.skip_default_indexes:
                specs += DEFAULT_INDEXES.get(name, [])
            if self.ttl_active(name):
                specs.append(TTL_INDEX)
            models = [IndexModel(keys, **opts) for keys, opts in specs]
            models += [IndexModel(c["keys"], **c["options"]) for c in cfg.custom_indexes if c["collection"] == name]
            if models:
                await self.conn.retrying(lambda models=models, name=name: self.col(name).create_indexes(models))

    async def _clear(self) -> None:
        for name in self.collections:
            await self.col(name).delete_many({})

    async def _prune(self, now: datetime) -> int:
        count = 0
        for name in self.collections:
            if name in ENTITY:
                result = await self.col(name).delete_many({EXPIRES: {"$lte": now}})
                count += result.deleted_count
        return count

    # --- reading pages -------------------------------------------------------------------------

    async def find_page(
        self, collection: str, flt: Filter, sort: list[tuple[str, int]], page: int, per_page: Any,
        decode: Callable[[dict[str, Any]], T], *, keep: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """One page: count and page read in parallel from the index; ``keep`` finishes a match in Python."""
        import asyncio

        col = self.col(collection)
        if keep is not None:
            rows = [decode(d) for d in await col.find(flt, sort=sort).to_list(None)]
            return paginate([x for x in rows if keep(x)], page, per_page)
        if per_page is False:
            items = [decode(d) for d in await col.find(flt, sort=sort).to_list(None)]
            return Page(items=items, total=len(items), page=page, per_page=per_page, has_more=False)
        if per_page == 0:
            total = await col.count_documents(flt)
            return Page(items=[], total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))
        total, docs = await asyncio.gather(
            col.count_documents(flt),
            col.find(flt, sort=sort, skip=page * per_page, limit=per_page).to_list(None),
        )
        items = [decode(d) for d in docs]
        return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))

    # --- optimistic read-modify-write ---------------------------------------------------------

    async def compare_and_set(
        self, collection: str, key: Filter, read: Callable[[dict[str, Any] | None], Any],
        change: Callable[[Any], Any], write: Callable[[Any, dict[str, Any] | None], dict[str, Any]],
    ) -> Any:
        """Atomically apply ``change`` to the document with ``key`` (None when missing or expired).

        Reads the document and its ``rev``, computes the new record, then writes it only if ``rev`` is
        unchanged (an insert relies on the unique index instead); a lost race re-reads and retries.
        ``change`` returning None writes nothing. Returns what was written (or None).
        """
        from pymongo.errors import DuplicateKeyError

        from .schema import REV

        col = self.col(collection)
        for _ in range(CAS_ATTEMPTS):
            doc = await col.find_one(key)
            if doc is not None and self.ttl_active(collection) and _expired(doc):
                await col.delete_one({"_id": doc["_id"], REV: doc.get(REV)})
                continue
            new = change(read(doc))
            if new is None:
                return None
            body = write(new, doc)
            if doc is None:
                try:
                    await col.insert_one({**body, REV: 1})
                except DuplicateKeyError:
                    continue
                return new
            result = await col.update_one({"_id": doc["_id"], REV: doc.get(REV)}, {"$set": {**body, REV: (doc.get(REV) or 0) + 1}})
            if result.matched_count == 1:
                return new
        raise RuntimeError(f"compare-and-set on {collection} lost {CAS_ATTEMPTS} races in a row")


def _expired(doc: dict[str, Any]) -> bool:
    from mastra_core.clock import to_ms
    from mastra_core.retention import is_expired

    at = doc.get(EXPIRES)
    return isinstance(at, datetime) and is_expired(to_ms(at))
