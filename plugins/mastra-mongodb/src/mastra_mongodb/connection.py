"""``MongoConnection``: the connection every domain store of one ``MongoDBStore`` shares.

All driver I/O that is not a single collection call goes through here: it owns (or borrows) the
``AsyncMongoClient``, knows whether the deployment has transactions, hands out insertion sequence
numbers, retries operations after connection errors, runs transactions, reads pages, applies optimistic
compare-and-set updates and creates indexes. A connection failure at open becomes a ``StorageError``
here; failures of domain operations are wrapped by the domain base (``DomainStore._run``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from mastra_core.clock import to_ms, utc_now
from mastra_core.connect import connection_error
from mastra_core.errors import ErrorCategory, StorageError
from mastra_core.log import get_logger, redact
from mastra_core.pagination import Page, has_more, paginate
from mastra_core.retention import is_expired

from .config import MongoDBConfig
from .filters import Filter
from .schema import EXPIRES, REV, SCHEMA_VERSION, SCHEMA_VERSIONS, IndexSpec

if TYPE_CHECKING:
    from pymongo import AsyncMongoClient
    from pymongo.asynchronous.client_session import AsyncClientSession
    from pymongo.asynchronous.collection import AsyncCollection
    from pymongo.asynchronous.database import AsyncDatabase

T = TypeVar("T")
Doc = dict[str, Any]
Sort = list[tuple[str, int]]
#: The field of the count document a page-and-count aggregate appends (no stored document has only this field).
COUNT = "__mastra_count__"
_log = get_logger("mastra_mongodb")
#: How long a transaction is retried after transient errors (write conflicts, elections).
TXN_RETRY_SECONDS = 30.0
#: Optimistic compare-and-set attempts before giving up (each one lost a race to another writer).
CAS_ATTEMPTS = 100
#: The largest skip sent to the server: some servers take only a 32-bit skip, and no collection holds more
#: documents, so a larger offset asks for the same (empty) page.
MAX_SKIP = 2**31 - 1


def skip_of(offset: int) -> int:
    """``offset`` as a skip every server accepts (a huge page offset is an empty page, never a driver error)."""
    return min(offset, MAX_SKIP)


class MongoConnection:
    """Client, database and the I/O helpers shared by the domain stores."""

    def __init__(self, config: MongoDBConfig) -> None:
        self.config = config
        self.client: AsyncMongoClient[Doc] | None = None
        self.db: AsyncDatabase[Doc] | None = None
        self.owns_client = False
        self.supports_transactions = False
        self.server_version: str | None = None
        self.is_jongodb = False
        self._last_seq = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create (or adopt) the client, check the server answers and probe for transactions."""
        import pymongo
        from bson.codec_options import CodecOptions
        from pymongo import AsyncMongoClient
        from pymongo.driver_info import DriverInfo
        from pymongo.errors import PyMongoError

        cfg = self.config
        try:
            client: AsyncMongoClient[Doc]
            if cfg.client is not None:
                client, self.owns_client = cfg.client, False
            else:
                client = AsyncMongoClient(
                    cfg.uri, tz_aware=True, driver=DriverInfo(name="mastra", version=_version()), **(cfg.options or {})
                )
                self.owns_client = True
            self.client = client
            self.db = client.get_database(cfg.db_name, codec_options=CodecOptions(tz_aware=True, tzinfo=UTC))
            with pymongo.timeout(cfg.connect_timeout):  # fail fast with the driver's reason, not after 30 s
                hello: Doc = await self.retrying(lambda: client.admin.command("hello"))
            try:
                info: Doc = await client.admin.command("buildInfo")
                self.server_version = str(info.get("version"))
            except PyMongoError:
                info = {}
                self.server_version = None
            self.is_jongodb = "jongodb" in f"{info.get('version', '')} {info.get('gitVersion', '')}"
            if cfg.use_transactions is None and self.is_jongodb:
                # jongodb accepts transactions but concurrent ones silently lose each other's committed
                # writes, and each commit costs time proportional to the data it holds (see README)
                _log.info("jongodb detected: multi-document writes run without transactions")
                self.supports_transactions = False
            elif cfg.use_transactions is None:
                self.supports_transactions = await self._probe_transactions(client, hello)
            else:
                self.supports_transactions = cfg.use_transactions
        except PyMongoError as exc:
            await self.close()
            target = redact(cfg.uri) if cfg.uri else "the caller's client"
            raise connection_error("MongoDB", f"{target} (database {cfg.db_name!r})", exc, token="MONGODB",
                                   timeout=cfg.connect_timeout) from exc
        _log.debug("connected", db=cfg.db_name, transactions=self.supports_transactions, server=self.server_version)

    async def _probe_transactions(self, client: AsyncMongoClient[Doc], hello: Doc) -> bool:
        from pymongo.errors import ConnectionFailure, PyMongoError

        if "setName" in hello or hello.get("msg") == "isdbgrid":
            return True
        if "logicalSessionTimeoutMinutes" not in hello:
            return False
        # A standalone mongod has sessions but refuses transactions (IllegalOperation on first use);
        # some wire-compatible servers accept them: ask the server itself.
        try:
            async with client.start_session() as session:
                await session.start_transaction()
                await self.col("mastra_threads").find_one({"id": "\x00transaction-probe"}, session=session)
                await session.commit_transaction()
            return True
        except ConnectionFailure:
            raise
        except PyMongoError:
            return False

    async def record_schema_version(self) -> None:
        """Record the layout version ``init()`` brought the database to (never lowers a newer one)."""
        from pymongo.errors import DuplicateKeyError

        col = self.col(SCHEMA_VERSIONS)
        current = await col.find_one({"_id": "mongodb"})
        if current is not None and int(current.get("version") or 0) >= SCHEMA_VERSION:
            return
        try:
            await col.update_one({"_id": "mongodb"}, {"$set": {"version": SCHEMA_VERSION, "updatedAt": utc_now()}},
                                 upsert=True)
        except DuplicateKeyError:  # another process recorded it at the same moment
            pass

    async def create_indexes(self, collection: str, specs: list[IndexSpec]) -> None:
        """Create ``specs`` on ``collection`` (existing identical indexes are kept: idempotent)."""
        from pymongo import IndexModel

        if specs:
            models = [IndexModel(keys, **opts) for keys, opts in specs]
            await self.retrying(lambda: self.col(collection).create_indexes(models))

    async def close(self) -> None:
        """Close the client if the store created it; a caller-supplied client stays open."""
        client, self.client, self.db = self.client, None, None
        if client is not None and self.owns_client:
            await client.close()

    # --- helpers -----------------------------------------------------------------------------

    def col(self, name: str) -> AsyncCollection[Doc]:
        """The collection ``name`` of the store's database (a USER error once the store is closed)."""
        if self.db is None:
            raise StorageError("mongodb store is closed", id="MASTRA_STORAGE_MONGODB_CLOSED",
                               category=ErrorCategory.USER)
        return self.db[name]

    def seqs(self, n: int) -> list[int]:
        """``n`` increasing insertion sequence numbers, larger than any this connection gave before.

        They are wall-clock microseconds (kept strictly increasing in this process), so saves from
        several processes interleave in time order; exact ties between processes are broken by id.
        Microseconds stay below 2**53, so servers that compare integers as doubles (jongodb sorts do)
        still order them exactly.
        """
        base = max(time.time_ns() // 1000, self._last_seq + 1)
        self._last_seq = base + n - 1
        return list(range(base, base + n))

    def seq(self) -> int:
        """One insertion sequence number (see :meth:`seqs`)."""
        return self.seqs(1)[0]

    async def retrying(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn``, retrying after connection errors with exponential backoff, within ``operation_timeout``.

        The whole (retries and their pauses included) runs under pymongo's client-side operation timeout, so a
        stalled server or network fails within the bound. Server selection timeouts are not retried: the
        driver has already waited for a server; nor is a run out of time.
        """
        import pymongo
        from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

        deadline = time.monotonic() + self.config.operation_timeout
        attempt = 0
        while True:
            try:
                with pymongo.timeout(max(deadline - time.monotonic(), 0.001)):
                    return await fn()
            except ServerSelectionTimeoutError:
                raise
            except ConnectionFailure as exc:
                if time.monotonic() >= deadline:
                    raise
                if attempt >= self.config.retry_attempts:
                    raise
                delay = self.config.retry_base_delay_ms / 1000.0 * (2**attempt)
                attempt += 1
                _log.warning("connection error, retrying", attempt=attempt, delay_s=delay, error=redact(str(exc))[:200])
                await asyncio.sleep(delay)

    async def transaction(self, fn: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        """Run ``fn(session)`` in one transaction (retried on transient errors); ``fn(None)`` without transactions."""
        if not self.supports_transactions or self.client is None:
            return await fn(None)
        from pymongo.errors import PyMongoError

        deadline = time.monotonic() + TXN_RETRY_SECONDS
        async with self.client.start_session() as session:
            while True:
                await session.start_transaction()
                try:
                    result = await fn(session)
                except BaseException as exc:
                    if session.in_transaction:
                        try:
                            await session.abort_transaction()
                        except PyMongoError:
                            pass
                    if _has_label(exc, "TransientTransactionError") and time.monotonic() < deadline:
                        continue
                    raise
                if await self._commit(session, deadline):
                    return result

    async def _commit(self, session: AsyncClientSession, deadline: float) -> bool:
        """Commit (retrying an unknown result); False when the whole transaction must run again."""
        from pymongo.errors import PyMongoError

        while True:
            try:
                await session.commit_transaction()
                return True
            except PyMongoError as exc:
                if _has_label(exc, "UnknownTransactionCommitResult") and time.monotonic() < deadline:
                    continue
                if _has_label(exc, "TransientTransactionError") and time.monotonic() < deadline:
                    return False
                raise

    # --- reads and optimistic writes ----------------------------------------------------------

    async def find_page(
        self, collection: str, flt: Filter, sort: Sort, page: int, per_page: int | bool,
        decode: Callable[[Doc], T], *, keep: Callable[[T], bool] | None = None,
    ) -> Page[T]:
        """One page and the total in one command (:meth:`page_and_count`); ``keep`` finishes a match in Python."""
        col = self.col(collection)
        if keep is not None:
            rows = [decode(d) for d in await col.find(flt, sort=sort).to_list(None)]
            return paginate([x for x in rows if keep(x)], page, per_page)
        if per_page is False:
            items = [decode(d) for d in await col.find(flt, sort=sort).to_list(None)]
            return Page(items=items, total=len(items), page=page, per_page=per_page, has_more=False)
        size = int(per_page)
        if size == 0:
            total = await col.count_documents(flt)
            return Page(items=[], total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))
        docs, total = await self.page_and_count(collection, flt, sort, page * size, size)
        items = [decode(d) for d in docs]
        return Page(items=items, total=total, page=page, per_page=per_page, has_more=has_more(total, page, per_page))

    async def page_and_count(self, collection: str, flt: Filter, sort: Sort, skip: int,
                             limit: int) -> tuple[list[Doc], int]:
        """One aggregate: the page (``$match``, ``$sort``, ``$skip``, ``$limit``: read from the index), then the
        count of every match as a last document ``{COUNT: n}`` (absent when nothing matches) joined by
        ``$unionWith``: one command (one round trip) where a find and a count were two."""
        stages: list[Doc] = [{"$match": flt}, {"$sort": dict(sort)}]
        if skip:
            stages.append({"$skip": skip_of(skip)})
        stages.append({"$limit": skip_of(limit)})
        stages.append({"$unionWith": {"coll": collection, "pipeline": [{"$match": flt}, {"$count": COUNT}]}})
        out = await (await self.col(collection).aggregate(stages)).to_list(None)
        if out and set(out[-1]) == {COUNT}:
            return out[:-1], int(out[-1][COUNT])
        return out, 0

    async def compare_and_set(
        self, collection: str, key: Filter, read: Callable[[Doc | None], T | None],
        change: Callable[[T | None], T | None], write: Callable[[T, Doc | None], Doc], *, expiring: bool,
    ) -> T | None:
        """Atomically apply ``change`` to the document with ``key`` (read as None when missing or expired).

        Reads the document, computes the new record, then writes it only if the document is still exactly
        what was read (the whole document is the filter: no revision field, which the reference would
        return with documents it reads as stored; an insert relies on the unique index instead); a lost
        race re-reads and retries. A ``rev`` field older versions wrote is removed on the way.
        ``expiring`` says whether documents of this collection can have expired (then such a document
        is deleted first). ``change`` returning None writes nothing. Returns what was written (or None).
        """
        from pymongo.errors import ConnectionFailure, DuplicateKeyError

        col = self.col(collection)
        for _ in range(CAS_ATTEMPTS):
            doc = await col.find_one(key)
            if doc is not None and expiring and _expired(doc):
                await col.delete_one(doc)
                continue
            new = change(read(doc))
            if new is None:
                return None
            body = write(new, doc)
            try:
                if doc is None:
                    try:
                        await col.insert_one(body)
                    except DuplicateKeyError:
                        continue
                    return new
                update: dict[str, Any] = {"$set": body}
                if REV in doc:
                    update["$unset"] = {REV: ""}
                result = await col.update_one(doc, update)
                if result.matched_count == 1:
                    return new
            except ConnectionFailure:
                # the reply is lost: the write may have landed. Applying ``change`` again to what is stored
                # now would apply it twice, so look first: our exact document there means it did land.
                if await self._landed(col, key, body):
                    return new
                raise
        raise RuntimeError(f"compare-and-set on {collection} lost {CAS_ATTEMPTS} races in a row")

    async def _landed(self, col: AsyncCollection[Doc], key: Filter, body: Doc) -> bool:
        """Whether the document with ``key`` holds every field of ``body`` as written (read on a fresh connection,
        retried like any operation). Every write of a record sets a fresh ``updatedAt`` (milliseconds), so
        another writer's document practically never equals ours."""
        import bson
        from bson.codec_options import CodecOptions

        options: CodecOptions[Doc] = CodecOptions(tz_aware=True, tzinfo=UTC)
        stored = await self.retrying(lambda: col.find_one(key))
        if stored is None:
            return False
        wanted = bson.decode(bson.encode(body, codec_options=options), codec_options=options)
        return all(k in stored and stored[k] == v for k, v in wanted.items() if k != "_id")


def _expired(doc: Mapping[str, Any]) -> bool:
    at = doc.get(EXPIRES)
    return isinstance(at, datetime) and is_expired(to_ms(at))


def _has_label(exc: BaseException, label: str) -> bool:
    has = getattr(exc, "has_error_label", None)
    return bool(has and has(label))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mastra-mongodb")
    except PackageNotFoundError:
        return "0+unknown"
