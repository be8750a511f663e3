"""The connection every domain store of one ``MongoDBStore`` shares.

It owns (or borrows) the ``AsyncMongoClient``, knows whether the deployment has transactions, hands
out insertion sequence numbers, retries operations after connection errors and runs transactions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import TYPE_CHECKING, Any, TypeVar

from mastra_core.errors import ErrorCategory, StorageError
from mastra_core.log import get_logger, redact

from .config import MongoDBConfig

if TYPE_CHECKING:
    from pymongo.asynchronous.client_session import AsyncClientSession
    from pymongo.asynchronous.collection import AsyncCollection

T = TypeVar("T")
_log = get_logger("mastra_mongodb")
#: How long a transaction is retried after transient errors (write conflicts, elections).
TXN_RETRY_SECONDS = 30.0


class Connection:
    """Client, database and helpers shared by the domain stores."""

    def __init__(self, config: MongoDBConfig) -> None:
        self.config = config
        self.client: Any = None
        self.db: Any = None
        self.owns_client = False
        self.supports_transactions = False
        self.server_version: str | None = None
        self.is_jongodb = False
        self._last_seq = 0

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> None:
        """Create (or adopt) the client, check the server answers and probe for transactions."""
        from bson.codec_options import CodecOptions
        from pymongo import AsyncMongoClient
        from pymongo.driver_info import DriverInfo
        from pymongo.errors import PyMongoError

        cfg = self.config
        try:
            if cfg.client is not None:
                self.client, self.owns_client = cfg.client, False
            else:
                self.client = AsyncMongoClient(
                    cfg.uri, tz_aware=True, driver=DriverInfo(name="mastra", version=_version()), **(cfg.options or {})
                )
                self.owns_client = True
            self.db = self.client.get_database(cfg.db_name, codec_options=CodecOptions(tz_aware=True, tzinfo=UTC))
            hello = await self.retrying(lambda: self.client.admin.command("hello"))
            try:
                info = await self.client.admin.command("buildInfo")
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
                self.supports_transactions = await self._probe_transactions(hello)
            else:
                self.supports_transactions = cfg.use_transactions
        except PyMongoError as exc:
            await self.close()
            raise StorageError(
                f"mongodb: cannot connect to the server for database {cfg.db_name!r}: {type(exc).__name__}: {redact(str(exc))[:300]}",
                id="MASTRA_STORAGE_MONGODB_CONNECT_FAILED",
                category=ErrorCategory.THIRD_PARTY,
                details={"db_name": cfg.db_name},
            ) from exc
        _log.debug("connected", db=cfg.db_name, transactions=self.supports_transactions, server=self.server_version)

    async def _probe_transactions(self, hello: dict[str, Any]) -> bool:
        from pymongo.errors import ConnectionFailure, PyMongoError

        if "setName" in hello or hello.get("msg") == "isdbgrid":
            return True
        if "logicalSessionTimeoutMinutes" not in hello:
            return False
        # A standalone mongod has sessions but refuses transactions (IllegalOperation on first use);
        # some wire-compatible servers accept them: ask the server itself.
        try:
            async with self.client.start_session() as session:
                await session.start_transaction()
                await self.db["mastra_threads"].find_one({"id": "\x00transaction-probe"}, session=session)
                await session.commit_transaction()
            return True
        except ConnectionFailure:
            raise
        except PyMongoError:
            return False

    async def record_schema_version(self) -> None:
        """Record the layout version ``init()`` brought the database to (never lowers a newer one)."""
        from mastra_core.clock import utc_now
        from pymongo.errors import DuplicateKeyError

        from .schema import SCHEMA_VERSION, SCHEMA_VERSIONS

        col = self.col(SCHEMA_VERSIONS)
        current = await col.find_one({"_id": "mongodb"})
        if current is not None and int(current.get("version") or 0) >= SCHEMA_VERSION:
            return
        try:
            await col.update_one({"_id": "mongodb"}, {"$set": {"version": SCHEMA_VERSION, "updatedAt": utc_now()}}, upsert=True)
        except DuplicateKeyError:  # another process recorded it at the same moment
            pass

    async def close(self) -> None:
        """Close the client if the store created it; a caller-supplied client stays open."""
        client, self.client, self.db = self.client, None, None
        if client is not None and self.owns_client:
            await client.close()

    # --- helpers -----------------------------------------------------------------------------

    def col(self, name: str) -> AsyncCollection[dict[str, Any]]:
        if self.db is None:
            raise StorageError("mongodb store is closed", id="MASTRA_STORAGE_MONGODB_CLOSED", category=ErrorCategory.USER)
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

    async def retrying(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Run ``fn``, retrying after connection errors with exponential backoff.

        Server selection timeouts are not retried: the driver has already waited for a server.
        """
        from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

        attempt = 0
        while True:
            try:
                return await fn()
            except ServerSelectionTimeoutError:
                raise
            except ConnectionFailure as exc:
                if attempt >= self.config.retry_attempts:
                    raise
                delay = self.config.retry_base_delay_ms / 1000.0 * (2**attempt)
                attempt += 1
                _log.warning("connection error, retrying", attempt=attempt, delay_s=delay, error=redact(str(exc))[:200])
                await asyncio.sleep(delay)

    async def transaction(self, fn: Callable[[AsyncClientSession | None], Awaitable[T]]) -> T:
        """Run ``fn(session)`` in one transaction (retried on transient errors); ``fn(None)`` without transactions."""
        if not self.supports_transactions:
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
                retry_all = False
                while True:
                    try:
                        await session.commit_transaction()
                        return result
                    except PyMongoError as exc:
                        if _has_label(exc, "UnknownTransactionCommitResult") and time.monotonic() < deadline:
                            continue
                        if _has_label(exc, "TransientTransactionError") and time.monotonic() < deadline:
                            retry_all = True
                            break
                        raise
                if not retry_all:  # pragma: no cover - the loop above returns or raises
                    raise RuntimeError("unreachable")


def _has_label(exc: BaseException, label: str) -> bool:
    has = getattr(exc, "has_error_label", None)
    return bool(has and has(label))


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mastra-mongodb")
    except PackageNotFoundError:
        return "0+unknown"
