"""What the MongoDB domain stores share: the typed base with retries, TTL conditions, index creation, clearing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from mastra_core.backend.domain import BackendDomain
from mastra_core.clock import utc_now

from ..connection import MongoConnection
from ..filters import Filter, live
from ..schema import ENTITY, EXPIRES, indexes_for

if TYPE_CHECKING:
    from pymongo.asynchronous.client_session import AsyncClientSession
    from pymongo.asynchronous.collection import AsyncCollection

T = TypeVar("T")


class MongoDomain(BackendDomain[MongoConnection]):
    """Base of the MongoDB domain stores; ``collections`` names what the domain owns.

    Every operation runs through :meth:`MongoConnection.retrying`, so a dropped connection is retried
    before the error is wrapped.
    """

    collections: ClassVar[tuple[str, ...]] = ()

    async def _run(self, op: str, fn: Callable[[], Awaitable[T]]) -> T:
        return await super()._run(op, lambda: self.conn.retrying(fn))

    def col(self, name: str) -> AsyncCollection[dict[str, Any]]:
        """The collection ``name``."""
        return self.conn.col(name)

    def ttl_active(self, collection: str) -> bool:
        """Whether the entity stored in ``collection`` has a TTL configured."""
        entity = ENTITY.get(collection)
        return entity is not None and self.retention.rule(entity) is not None

    def live(self, collection: str, now: datetime | None = None) -> Filter:
        """The not-expired condition, when the collection's entity has a TTL (otherwise no condition)."""
        return live(now or utc_now()) if self.ttl_active(collection) else {}

    def expiry(self, collection: str) -> dict[str, Any]:
        """``{expiresAt: ...}`` to ``$set`` on a write, or nothing when the entity has no TTL."""
        entity = ENTITY.get(collection)
        at = self.expires_at(entity) if entity else None
        return {EXPIRES: at} if at is not None else {}

    async def drop_expired(self, collection: str, key: Filter, session: AsyncClientSession | None = None) -> None:
        """Delete expired documents with this key, so an upsert treats them as new (TTL monitors lag)."""
        if self.ttl_active(collection):
            await self.col(collection).delete_many({**key, EXPIRES: {"$lte": utc_now()}}, session=session)

    # --- lifecycle -----------------------------------------------------------------------------

    async def _init(self) -> None:
        cfg = self.conn.config
        for name in self.collections:
            specs = indexes_for(name, defaults=not cfg.skip_default_indexes, ttl=self.ttl_active(name),
                                custom=cfg.custom_indexes)
            await self.conn.create_indexes(name, specs)

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

    async def _count_expired(self, now: datetime) -> int | None:
        return sum([await self.col(name).count_documents({EXPIRES: {"$lte": now}})
                    for name in self.collections if name in ENTITY])


def reader(decode: Callable[[Mapping[str, Any]], T]) -> Callable[[dict[str, Any] | None], T | None]:
    """A compare-and-set reader: the document decoded, or None when there is none."""
    return lambda doc: None if doc is None else decode(doc)
