"""``DynamoConnection``: the one place that talks to boto3. Async calls, paged queries, batches with retry of
unprocessed items, transactions, table checks, and the translation of driver errors.

boto3 is synchronous; every call runs in the default thread pool (:meth:`DynamoConnection.call`).
One client per store (boto3 clients are thread-safe). Driver exceptions the domains act on are turned
into :class:`ConditionFailed` and :class:`Cancelled` here; anything else is wrapped into a
``StorageError`` by the domain store that called.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import random
import time
import uuid
from collections.abc import AsyncIterator, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mastra_core.connect import DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, connection_error
from mastra_core.errors import ConfigError, ErrorCategory, StorageError, error_id
from mastra_core.log import get_logger

from .codec import ITEM_LIMIT, from_item, item_size, to_av, to_item
from .config import DynamoDBConfig, boto_credentials, plain_credentials
from .schema import create_table_request, is_busy, verify_table

if TYPE_CHECKING:
    from .lean import LeanPath

#: Client methods the lean path sends (lean.OPERATIONS; kept here so importing botocore stays lazy).
OPERATIONS = frozenset({"get_item", "put_item", "update_item", "delete_item", "query", "scan", "batch_get_item",
                        "batch_write_item", "transact_write_items"})

_log = get_logger("mastra_dynamodb")

#: The operation being run (set by the domain stores), for error ids raised deep in this layer.
current_op: contextvars.ContextVar[str] = contextvars.ContextVar("mastra_dynamodb_op", default="WRITE")

#: The largest ``Limit`` of one Query (a 32-bit integer); a larger want is read over several pages, so a huge
#: page offset is an empty page, never a service error.
MAX_QUERY_LIMIT = 2**31 - 1

#: The attribute holding the token of the write that last put an item (see :meth:`DynamoConnection.put_versioned`).
OP_TOKEN = "opToken"
TRANSACTION_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
MAX_RETRIES = 12
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


class ItemTooLargeError(StorageError):
    """A record does not fit DynamoDB's 400 KB item limit (nothing was written)."""


class ConditionFailed(Exception):
    """A conditional single-item write found the item in another state (nothing was written)."""


class Cancelled(Exception):
    """A transaction was cancelled; ``reasons`` align with its actions (``code``, decoded ``item`` or None)."""

    def __init__(self, reasons: list[tuple[str, dict[str, Any] | None]]) -> None:
        """``reasons``: DynamoDB's CancellationReasons, one per action, items decoded."""
        super().__init__(", ".join(code for code, _ in reasons))
        self.reasons = reasons

    @property
    def retryable(self) -> bool:
        """Whether every failure is a conflict or throttling (trying again may succeed)."""
        codes = {c for c, _ in self.reasons} - {"None"}
        return bool(codes) and codes <= _RETRYABLE

    @property
    def condition_failures(self) -> list[tuple[int, dict[str, Any] | None]]:
        """``(action index, stored item)`` of every action whose condition failed."""
        return [(i, item) for i, (code, item) in enumerate(self.reasons) if code == "ConditionalCheckFailed"]


def make_client(
    *,
    region: str = "us-east-1",
    endpoint: str | None = None,
    credentials: Mapping[str, Any] | None = None,
    max_pool_connections: int = 50,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    max_attempts: int = 4,
    read_timeout: float = DEFAULT_OPERATION_TIMEOUT,
) -> Any:
    """A boto3 DynamoDB client with standard retries and a connection pool sized for concurrent calls.

    ``read_timeout`` bounds each wait for a byte of a reply (TCP keepalive notices a vanished peer); a whole
    call is bounded by the store's ``operation_timeout`` (:meth:`DynamoConnection.call`).
    """
    import boto3
    from botocore.config import Config

    from .lean import MADE

    creds = boto_credentials(credentials) or {}
    client = boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        config=Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            max_pool_connections=max_pool_connections,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            tcp_keepalive=True,
            # the store builds every request itself from checked values; botocore's own walk over each request's
            # shape costs about 8 % of a request's client CPU (bench/dynamodb_cpu.py) and finds nothing
            parameter_validation=False,
        ),
        **creds,
    )
    MADE.add(client)  # its configuration is known: the store's hot calls may take the lean path (lean.py)
    return load_exceptions(client)


def load_exceptions(client: Any) -> Any:
    """``client`` with its exception classes made now, in this thread, before any worker thread uses it.

    botocore makes them on the first read of ``client.exceptions`` (the first error raised, or the first ``except
    client.exceptions.X`` that one reaches), and neither that property nor the session's cache of them is guarded:
    when the first errors of a process come in several threads at once (concurrent conditional writes failing), each
    thread can build its own set of classes, and an ``except client.exceptions.ConditionalCheckFailedException`` then
    misses the instance another thread raised: a lost race surfaced as a failed write (seen as a rare failure of the
    contract suite's concurrent update test). Made once here, every thread reads the same classes.
    """
    _ = client.exceptions
    return client


def create_table_sync(
    client: Any, table_name: str, *, ttl_attribute: str | None = "ttl", wait: bool = True, exist_ok: bool = True
) -> bool:
    """Create the table with its GSIs (and enable TTL on ``ttl_attribute``); returns False if it already existed."""
    try:
        client.create_table(**create_table_request(table_name))
        created = True
    except client.exceptions.ResourceInUseException:
        if not exist_ok:
            raise
        created = False
    if wait:
        deadline = time.monotonic() + 300
        while is_busy(client.describe_table(TableName=table_name)["Table"]) and time.monotonic() <= deadline:
            time.sleep(0.2)
    if created and ttl_attribute:
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute}
        )
    return created


def describe_table_sync(client: Any, table_name: str) -> dict[str, Any] | None:
    """The table's description, or None when it does not exist."""
    try:
        desc: dict[str, Any] = client.describe_table(TableName=table_name)["Table"]
    except client.exceptions.ResourceNotFoundException:
        return None
    return desc


def delete_table_sync(client: Any, table_name: str) -> bool:
    """Delete the table; False when it did not exist."""
    try:
        client.delete_table(TableName=table_name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def _lean_path(client: Any) -> LeanPath | None:
    """The lean path of the hot item calls on ``client``, or None when only botocore's full path fits it."""
    from .lean import MADE, LeanPath

    if client not in MADE:
        return None
    try:
        return LeanPath(client)
    except (LookupError, AttributeError) as exc:  # a botocore whose internals moved: the full path still works
        _log.info("DynamoDB calls take botocore's full path", reason=str(exc))
        return None


def key(pk: str, sk: str) -> dict[str, Any]:
    """A primary key in AttributeValue form."""
    return {"pk": {"S": pk}, "sk": {"S": sk}}


async def backoff(attempt: int) -> None:
    """Sleep before retry ``attempt`` (exponential, jittered, at most a second)."""
    await asyncio.sleep(min(0.02 * 2**attempt, 1.0) * (0.5 + random.random() / 2))


class DynamoConnection:
    """One table on one boto3 client: the connection object every domain of a DynamoDBStore shares.

    The client is made on first use (or is the caller's ``client``, never closed here).
    ``ttl_attributes`` are the attribute names of the active TTL rules (checked against the table's TTL).
    """

    def __init__(
        self, config: DynamoDBConfig, *, ttl_attributes: Collection[str] = (), disable_init: bool = False
    ) -> None:
        """Keep the options; nothing is connected until :meth:`open` or the first call."""
        self.config = config
        self.table: str = config.table_name
        self.ttl_attributes = frozenset(ttl_attributes)
        self.disable_init = disable_init
        self._client: Any = config.client
        self._owns_client = False
        self._lean: LeanPath | None = None
        if config.client is not None:  # a caller's client: made ready here, as make_client does for ours
            self._lean = _lean_path(load_exceptions(config.client))

    @property
    def client(self) -> Any:
        """The boto3 client (created on first use unless one was supplied)."""
        if self._client is None:
            cfg = self.config
            self._client = make_client(
                region=cfg.region,
                endpoint=cfg.endpoint,
                credentials=plain_credentials(cfg.credentials),
                max_pool_connections=cfg.max_pool_connections,
                connect_timeout=cfg.connect_timeout,
                read_timeout=cfg.operation_timeout,
            )
            self._owns_client = True
            self._lean = _lean_path(self._client)
        return self._client

    # ------------------------------------------------------------------ lifecycle

    async def open(self) -> None:
        """Make the client and check the table against the layout (creating it when configured to)."""
        client = self.client
        if self.disable_init:
            return
        desc = await self.describe_table_checked(client)
        if desc is None:
            cfg = self.config
            if not cfg.create_table_if_missing:
                raise ConfigError(
                    f"DynamoDB table {self.table!r} does not exist (region {cfg.region}"
                    f"{', endpoint ' + cfg.endpoint if cfg.endpoint else ''}). Create it with "
                    f"`mastra dynamodb create-table --table-name {self.table}`, DynamoDBStore.create_table(), or the "
                    "CloudFormation/CDK definitions in TABLE_SETUP.md; or pass create_table_if_missing=True for "
                    "development.",
                    id="MASTRA_STORAGE_DYNAMODB_TABLE_MISSING",
                    details={"table": self.table},
                )
            await self.create_table()
            desc = await asyncio.to_thread(describe_table_sync, client, self.table) or {}
        problems = verify_table(desc)
        if problems:
            raise ConfigError(
                f"DynamoDB table {self.table!r} does not match the mastra layout: "
                + "; ".join(problems)
                + ". See TABLE_SETUP.md (GSIs cannot be changed in place: add the missing ones with UpdateTable, "
                "or create a new table with `mastra dynamodb create-table`).",
                id="MASTRA_STORAGE_DYNAMODB_TABLE_INVALID",
                details={"table": self.table, "problems": problems},
            )
        await self._check_ttl()

    def target(self) -> str:
        """Where this store connects, for messages."""
        cfg = self.config
        return f"{cfg.endpoint or 'AWS region ' + cfg.region} (table {self.table!r})"

    async def describe_table_checked(self, client: Any) -> dict[str, Any] | None:
        """DescribeTable once, failing fast: our own client would retry an unreachable endpoint for a
        long while, so the check runs on a client that tries twice with a short connect timeout."""
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, PartialCredentialsError

        cfg = self.config
        probe = client
        if self._owns_client:
            probe = make_client(
                region=cfg.region,
                endpoint=cfg.endpoint,
                credentials=plain_credentials(cfg.credentials),
                max_pool_connections=1,
                connect_timeout=cfg.connect_timeout,
                max_attempts=2,
            )
        try:
            return await asyncio.to_thread(describe_table_sync, probe, self.table)
        except (NoCredentialsError, PartialCredentialsError):
            raise ConfigError(
                "no AWS credentials found for DynamoDB: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
                "AWS_PROFILE), or pass credentials={'access_key_id': ..., 'secret_access_key': ...}; DynamoDB Local "
                "accepts any values",
                id="MASTRA_STORAGE_DYNAMODB_CREDENTIALS_MISSING",
            ) from None
        except (BotoCoreError, ClientError) as exc:
            raise connection_error(
                "DynamoDB", self.target(), exc, token="DYNAMODB", timeout=cfg.connect_timeout
            ) from exc
        finally:
            if probe is not client:
                probe.close()

    async def _check_ttl(self) -> None:
        if not self.ttl_attributes:
            return
        try:
            resp = await self.call("describe_time_to_live", TableName=self.table)
        except Exception:  # reads hide expired items anyway; this is advice only
            return
        spec = resp.get("TimeToLiveDescription", {})
        enabled = spec.get("AttributeName") if spec.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None
        for name in sorted(self.ttl_attributes - {enabled}):
            _log.warning(
                "ttl attribute is not the table's TTL attribute: DynamoDB will not delete these items "
                "(reads still hide them once expired)",
                table=self.table,
                attribute=name,
                table_ttl=enabled,
            )

    async def close(self) -> None:
        """Close the lean path's connections, and the client if this connection made it (a caller's client stays
        open, and a later call on this store opens new connections)."""
        if self._lean is not None:
            self._lean.close()
        if self._client is not None and self._owns_client:
            close = getattr(self._client, "close", None)
            if close is not None:
                close()
            self._client = None
            self._lean = None
        self._owns_client = False

    async def create_table(self, *, ttl_attribute: str | None = None) -> bool:
        """Create the table with its GSIs (PAY_PER_REQUEST) and enable TTL; False if it already existed.

        ``ttl_attribute`` defaults to the attribute name of the configured TTL rules (or ``ttl``).
        """
        if ttl_attribute is None:
            names = sorted(self.ttl_attributes)
            ttl_attribute = names[0] if names else "ttl"
        return await asyncio.to_thread(create_table_sync, self.client, self.table, ttl_attribute=ttl_attribute)

    async def delete_table(self) -> None:
        """Drop the table and everything in it (tests, development)."""
        await asyncio.to_thread(delete_table_sync, self.client, self.table)

    async def call(self, method: str, **kwargs: Any) -> Any:
        """Run one client method in the default thread pool, for at most ``operation_timeout`` seconds.

        boto3 blocks its thread, so the bound is kept here: past it the caller gets a TimeoutError (wrapped into
        a StorageError) while the thread finishes or fails on its own (its socket reads are bounded by
        ``read_timeout``). A write that was sent may still land: it is never retried from here.

        The hop is ``run_in_executor`` plus one timer rather than ``wait_for(to_thread(...))``: no task, coroutine
        or context copy per request (nothing in the worker reads our context variables), which is measurably less
        CPU per call (bench/dynamodb_cpu.py).
        """
        loop = asyncio.get_running_loop()
        client = self.client
        lean = self._lean
        if lean is not None and method in OPERATIONS:
            fut = loop.run_in_executor(None, lean.send, method, kwargs)
        else:
            fut = loop.run_in_executor(None, functools.partial(getattr(client, method), **kwargs))
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = fut.cancel()

        timer = loop.call_later(self.config.operation_timeout, expire)
        try:
            return await fut
        except asyncio.CancelledError:
            if not expired:
                raise  # the caller was cancelled
            raise TimeoutError(
                f"DynamoDB {method} got no answer within operation_timeout={self.config.operation_timeout} s"
            ) from None
        finally:
            timer.cancel()

    # ------------------------------------------------------------------ single items

    async def get(self, pk: str, sk: str, *, consistent: bool = True,
                  attributes: Sequence[str] = ()) -> dict[str, Any] | None:
        """One item (strongly consistent by default), or None; only ``attributes`` when given (a smaller reply is
        less to parse: botocore walks every AttributeValue of it, and so does :func:`from_item`)."""
        req: dict[str, Any] = {"TableName": self.table, "Key": key(pk, sk), "ConsistentRead": consistent}
        if attributes:
            req["ProjectionExpression"], req["ExpressionAttributeNames"] = projection(attributes)
        resp = await self.call("get_item", **req)
        item = resp.get("Item")
        return from_item(item) if item else None

    def put_request(
        self,
        values: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values_: Mapping[str, Any] | None = None,
        return_old_on_fail: bool = True,
    ) -> dict[str, Any]:
        """A PutItem request (also a transaction's ``Put``); an oversized item raises :class:`ItemTooLargeError`."""
        item = to_item(values)
        check_size(item, values)
        req: dict[str, Any] = {"TableName": self.table, "Item": item}
        _conditional(req, condition, names, values_, return_old_on_fail)
        return req

    def update_request(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
        return_old_on_fail: bool = True,
    ) -> dict[str, Any]:
        """An UpdateItem request (also a transaction's ``Update``)."""
        req: dict[str, Any] = {"TableName": self.table, "Key": key(pk, sk), "UpdateExpression": expression}
        _conditional(req, condition, names, values, return_old_on_fail)
        return req

    def delete_request(
        self,
        pk: str,
        sk: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A DeleteItem request (also a transaction's ``Delete``)."""
        req: dict[str, Any] = {"TableName": self.table, "Key": key(pk, sk)}
        _conditional(req, condition, names, values, False)
        return req

    async def put(
        self,
        values: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values_: Mapping[str, Any] | None = None,
    ) -> None:
        """PutItem; a failed ``condition`` raises :class:`ConditionFailed`."""
        req = self.put_request(values, condition=condition, names=names, values_=values_, return_old_on_fail=False)
        await self._conditional_call("put_item", req)

    async def _stored_on_failure(self, exc: Exception, pk: str, sk: str) -> dict[str, Any] | None:
        """The stored item (AttributeValue form) a failed condition handed back, or a consistent read of it from a
        server that does not return the item on a failed condition (ReturnValuesOnConditionCheckFailure)."""
        stored: dict[str, Any] | None = getattr(exc, "response", {}).get("Item")
        if stored is None:
            got = await self.call("get_item", TableName=self.table, Key=key(pk, sk), ConsistentRead=True)
            stored = got.get("Item")
        return stored

    async def put_unless(self, values: Mapping[str, Any], *, condition: str) -> tuple[bool, dict[str, Any] | None]:
        """One conditional PutItem: ``(True, None)`` when it was written, ``(False, the stored item or None)`` when
        the condition failed (handed back with the failure, as :meth:`update_unless`)."""
        req = self.put_request(values, condition=condition)
        client = self.client
        try:
            await self.call("put_item", **req)
        except client.exceptions.ConditionalCheckFailedException as exc:
            stored = await self._stored_on_failure(exc, str(values["pk"]), str(values["sk"]))
            return False, from_item(stored) if stored else None
        return True, None

    async def put_versioned(self, values: Mapping[str, Any], previous: int | None) -> None:
        """PutItem if the stored item still has version ``previous`` (None: if there is none yet);
        :class:`ConditionFailed` otherwise.

        The item carries a fresh operation token (``opToken``). When the reply to the put is lost, botocore
        sends it again and the version condition fails: if the stored item holds our token, it was our own
        first attempt that landed, so the write succeeded (it is not reported as a race, which would make the
        caller apply its change a second time).
        """
        token = uuid.uuid4().hex
        item = {**values, OP_TOKEN: token}
        if previous is None:
            req = self.put_request(item, condition="attribute_not_exists(pk)")
        else:
            req = self.put_request(item, condition="#v = :v", names={"#v": "ver"}, values_={":v": previous})
        client = self.client
        try:
            await self.call("put_item", **req)
        except client.exceptions.ConditionalCheckFailedException as exc:
            stored = await self._stored_on_failure(exc, str(values["pk"]), str(values["sk"]))
            if stored is not None and stored.get(OP_TOKEN, {}).get("S") == token:
                _log.info("a retried write had already been applied (its reply was lost); not applying it again")
                return
            raise ConditionFailed(str(exc)) from exc

    async def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
    ) -> dict[str, Any]:
        """UpdateItem returning the new item; a failed ``condition`` raises :class:`ConditionFailed`."""
        req = self.update_request(
            pk, sk, expression, names=names, values=values, condition=condition, return_old_on_fail=False
        )
        req["ReturnValues"] = "ALL_NEW"
        resp = await self._conditional_call("update_item", req)
        return from_item(resp.get("Attributes") or {})

    async def update_unless(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        condition: str,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        return_new: bool | str = False,
    ) -> tuple[bool, dict[str, Any] | None]:
        """One conditional UpdateItem: ``(True, the new item when return_new)`` when it was applied,
        ``(False, the stored item or None)`` when the condition failed (DynamoDB hands the item back at no extra
        request, so the caller decides its next step without reading). ``return_new="UPDATED_NEW"`` returns only
        the attributes the expression SETs (a smaller reply to parse)."""
        req = self.update_request(pk, sk, expression, names=names, values=values, condition=condition)
        if return_new:
            req["ReturnValues"] = return_new if isinstance(return_new, str) else "ALL_NEW"
        client = self.client
        try:
            resp = await self.call("update_item", **req)
        except client.exceptions.ConditionalCheckFailedException as exc:
            stored = await self._stored_on_failure(exc, pk, sk)
            return False, from_item(stored) if stored else None
        except client.exceptions.ClientError as exc:
            if "item size" in str(exc).lower():  # the merged item would pass 400 KB: DynamoDB wrote nothing
                raise ItemTooLargeError(
                    f"the updated {self.table} item {pk!r} would be over the DynamoDB item limit of 400 KB; nothing "
                    "was written", id=error_id("DYNAMODB", current_op.get(), "ITEM_TOO_LARGE"),
                    category=ErrorCategory.USER, details={"limit": ITEM_LIMIT}) from exc
            raise
        return True, from_item(resp["Attributes"]) if return_new and resp.get("Attributes") else None

    async def _conditional_call(self, method: str, req: dict[str, Any]) -> Any:
        client = self.client
        try:
            return await self.call(method, **req)
        except client.exceptions.ConditionalCheckFailedException as exc:
            raise ConditionFailed(str(exc)) from exc

    async def delete(self, pk: str, sk: str) -> None:
        """DeleteItem (absent items are fine)."""
        await self.call("delete_item", TableName=self.table, Key=key(pk, sk))

    async def delete_if(self, pk: str, sk: str, condition: str, names: Mapping[str, str],
                        values: Mapping[str, Any]) -> bool:
        """DeleteItem only while ``condition`` holds; whether it deleted."""
        req = {"TableName": self.table, "Key": key(pk, sk), "ConditionExpression": condition,
               "ExpressionAttributeNames": dict(names),
               "ExpressionAttributeValues": {k: to_av(v) for k, v in values.items()}}
        try:
            await self._conditional_call("delete_item", req)
        except ConditionFailed:
            return False
        return True

    # ------------------------------------------------------------------ queries

    async def query(
        self,
        *,
        index: str | None,
        pk: str,
        lo: int | None = None,
        hi: int | None = None,
        prefix: str | None = None,
        forward: bool = True,
        want: int | None = None,
        filter: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        consistent: bool = False,
        attributes: Sequence[str] = (),
    ) -> AsyncIterator[dict[str, Any]]:
        """Items of one partition in sort-key order, following LastEvaluatedKey past 1 MB pages.

        ``lo``/``hi`` are inclusive sort-key bounds; ``want`` stops after that many items passed the
        filter (each page asks only for what is still missing); only ``attributes`` of each item when given.
        Deserialised items are yielded.
        """
        if lo is not None and hi is not None and lo > hi:
            return
        req = self._query_request(index, pk, lo, hi, prefix, forward, filter, names, values, consistent)
        if attributes:
            req["ProjectionExpression"], extra = projection(attributes)
            req["ExpressionAttributeNames"].update(extra)
        got = 0
        while True:
            if want is not None:
                if got >= want:
                    return
                req["Limit"] = min(max(want - got, 1), MAX_QUERY_LIMIT)
            resp = await self.call("query", **req)
            for raw in resp.get("Items", []):
                got += 1
                yield from_item(raw)
                if want is not None and got >= want:
                    return
            last = resp.get("LastEvaluatedKey")
            if not last:
                return
            req["ExclusiveStartKey"] = last

    async def count(
        self,
        *,
        index: str | None,
        pk: str,
        lo: int | None = None,
        hi: int | None = None,
        filter: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> int:
        """Select=COUNT over a partition (paged past 1 MB; reads cost as much as the items counted)."""
        if lo is not None and hi is not None and lo > hi:
            return 0
        req = self._query_request(index, pk, lo, hi, None, True, filter, names, values, False)
        req["Select"] = "COUNT"
        total = 0
        while True:
            resp = await self.call("query", **req)
            total += int(resp.get("Count", 0))
            last = resp.get("LastEvaluatedKey")
            if not last:
                return total
            req["ExclusiveStartKey"] = last

    def _query_request(
        self,
        index: str | None,
        pk: str,
        lo: Any,
        hi: Any,
        prefix: str | None,
        forward: bool,
        filter: str | None,
        names: Mapping[str, str] | None,
        values: Mapping[str, Any] | None,
        consistent: bool,
    ) -> dict[str, Any]:
        pk_attr, sk_attr = (f"{index}pk", f"{index}sk") if index else ("pk", "sk")
        n = {"#pk": pk_attr, "#sk": sk_attr, **(names or {})}
        v: dict[str, Any] = {":pk": pk, **(values or {})}
        cond = "#pk = :pk"
        if prefix is not None:
            cond += " AND begins_with(#sk, :prefix)"
            v[":prefix"] = prefix
        elif lo is not None and hi is not None:
            cond += " AND #sk BETWEEN :lo AND :hi"
            v[":lo"], v[":hi"] = lo, hi
        elif lo is not None:
            cond += " AND #sk >= :lo"
            v[":lo"] = lo
        elif hi is not None:
            cond += " AND #sk <= :hi"
            v[":hi"] = hi
        if "#sk" not in cond.replace("#pk", ""):
            n.pop("#sk")
        req: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": cond,
            "ScanIndexForward": forward,
            "ExpressionAttributeNames": n,
            "ExpressionAttributeValues": {k: to_av(x) for k, x in v.items()},
        }
        if filter:
            req["FilterExpression"] = filter
        if index:
            req["IndexName"] = index
        else:
            req["ConsistentRead"] = consistent
        return req

    # ------------------------------------------------------------------ batches

    async def batch_get(self, keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Strongly consistent BatchGetItem in chunks of 100, retrying UnprocessedKeys; order not kept."""
        out: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), BATCH_GET_LIMIT):
            chunk = unique[i : i + BATCH_GET_LIMIT]
            pending: dict[str, Any] = {self.table: {"Keys": [key(pk, sk) for pk, sk in chunk], "ConsistentRead": True}}
            attempt = 0
            while pending:
                resp = await self.call("batch_get_item", RequestItems=pending)
                out.extend(from_item(it) for it in resp.get("Responses", {}).get(self.table, []))
                pending = resp.get("UnprocessedKeys") or {}
                if pending:
                    attempt += 1
                    _give_up_after(attempt, "keys")
                    await backoff(attempt)
        return out

    async def batch_write(
        self, puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[tuple[str, str]] = ()
    ) -> None:
        """BatchWriteItem in chunks of 25, retrying UnprocessedItems with backoff (not atomic as a whole)."""
        requests: list[dict[str, Any]] = []
        for values in puts:
            item = to_item(values)
            check_size(item, values)
            requests.append({"PutRequest": {"Item": item}})
        requests.extend({"DeleteRequest": {"Key": key(pk, sk)}} for pk, sk in dict.fromkeys(deletes))
        for i in range(0, len(requests), BATCH_WRITE_LIMIT):
            await self._batch_write_chunk(requests[i : i + BATCH_WRITE_LIMIT])

    async def _batch_write_chunk(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table: requests}
        attempt = 0
        while pending:
            resp = await self.call("batch_write_item", RequestItems=pending)
            pending = {t: reqs for t, reqs in (resp.get("UnprocessedItems") or {}).items() if reqs}
            if pending:
                attempt += 1
                _give_up_after(attempt, "items")
                await backoff(attempt)

    async def transact(self, actions: Sequence[Mapping[str, Any]], token: str | None = None) -> None:
        """TransactWriteItems (<= 100 actions, all or nothing); a cancellation raises :class:`Cancelled`."""
        if not actions:
            return
        if len(actions) > TRANSACTION_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_LIMIT} actions, got {len(actions)}")
        kwargs: dict[str, Any] = {"TransactItems": list(actions)}
        if token:
            kwargs["ClientRequestToken"] = token
        client = self.client
        try:
            await self.call("transact_write_items", **kwargs)
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [
                (r.get("Code", "None"), from_item(r["Item"]) if r.get("Item") else None)
                for r in exc.response.get("CancellationReasons", [])
            ]
            raise Cancelled(reasons) from exc

    async def scan_keys(
        self, filter: str, names: Mapping[str, str], values: Mapping[str, Any], attributes: str = "pk, sk"
    ) -> list[dict[str, Any]]:
        """Scan the whole table for the items matching ``filter``, projected to ``attributes`` (whole-store reads
        such as ``list_all_scores``: never on a request path)."""
        req: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": filter,
            "ProjectionExpression": attributes,
            "ExpressionAttributeNames": dict(names),
            "ExpressionAttributeValues": {k: to_av(v) for k, v in values.items()},
        }
        items: list[dict[str, Any]] = []
        while True:
            resp = await self.call("scan", **req)
            items.extend(from_item(it) for it in resp.get("Items", []))
            last = resp.get("LastEvaluatedKey")
            if not last:
                return items
            req["ExclusiveStartKey"] = last

    async def delete_where(self, filter: str, names: Mapping[str, str], values: Mapping[str, Any]) -> int:
        """Scan + batch delete (dangerously_clear_all only: never on a request path)."""
        req: dict[str, Any] = {
            "TableName": self.table,
            "FilterExpression": filter,
            "ProjectionExpression": "pk, sk",
            "ExpressionAttributeNames": dict(names),
            "ExpressionAttributeValues": {k: to_av(v) for k, v in values.items()},
        }
        keys: list[tuple[str, str]] = []
        while True:
            resp = await self.call("scan", **req)
            keys.extend((it["pk"]["S"], it["sk"]["S"]) for it in resp.get("Items", []))
            last = resp.get("LastEvaluatedKey")
            if not last:
                break
            req["ExclusiveStartKey"] = last
        await self.batch_write(deletes=keys)
        return len(keys)


def _give_up_after(attempt: int, what: str) -> None:
    if attempt > MAX_RETRIES:
        raise StorageError(
            f"DynamoDB kept returning unprocessed {what}",
            id=error_id("DYNAMODB", current_op.get(), "UNPROCESSED"),
            category=ErrorCategory.THIRD_PARTY,
        )


def _conditional(
    req: dict[str, Any],
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
    return_old: bool,
) -> None:
    if condition:
        req["ConditionExpression"] = condition
        if return_old:
            req["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if names:
        req["ExpressionAttributeNames"] = dict(names)
    if values:
        req["ExpressionAttributeValues"] = {k: to_av(v) for k, v in values.items()}


def projection(attributes: Sequence[str]) -> tuple[str, dict[str, str]]:
    """A ProjectionExpression of ``attributes`` and its names (placeholders: ``data`` is a DynamoDB reserved word)."""
    names = {f"#p{i}": a for i, a in enumerate(attributes)}
    return ", ".join(names), names


def check_size(item: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    """Refuse an item over DynamoDB's 400 KB before sending it (a USER error naming the record)."""
    size = item_size(item)
    if size > ITEM_LIMIT:
        raise ItemTooLargeError(
            f"{values.get('entity', 'item')} {values.get('id') or values.get('pk')!r} is {size} bytes in DynamoDB "
            f"form, over the DynamoDB item limit of 400 KB ({ITEM_LIMIT} bytes, after compression); nothing was "
            "written. Store large payloads elsewhere (e.g. S3) and keep a reference in the message.",
            id=error_id("DYNAMODB", current_op.get(), "ITEM_TOO_LARGE"),
            category=ErrorCategory.USER,
            details={"entity": values.get("entity"), "size": size, "limit": ITEM_LIMIT},
        )
