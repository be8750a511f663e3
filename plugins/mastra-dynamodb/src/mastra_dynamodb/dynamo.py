"""The I/O layer over one boto3 client: async calls, paged queries, batches with retry, transactions.

boto3 is synchronous; every call runs in the default thread pool through :func:`asyncio.to_thread`.
One client per store (boto3 clients are thread-safe).
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from mastra_core.errors import ErrorCategory, StorageError, error_id

from .codec import ITEM_LIMIT, from_item, item_size, to_av, to_item

#: The operation being run (set by the domain stores), for error ids raised deep in this layer.
current_op: contextvars.ContextVar[str] = contextvars.ContextVar("mastra_dynamodb_op", default="WRITE")

TRANSACTION_LIMIT = 100
BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
MAX_RETRIES = 12


class ItemTooLargeError(StorageError):
    """A record does not fit DynamoDB's 400 KB item limit (nothing was written)."""


class Cancelled(Exception):
    """A transaction was cancelled; ``reasons`` align with its actions (``code``, decoded ``item`` or None)."""

    def __init__(self, reasons: list[tuple[str, dict[str, Any] | None]]) -> None:
        super().__init__(", ".join(code for code, _ in reasons))
        self.reasons = reasons

    @property
    def retryable(self) -> bool:
        codes = {c for c, _ in self.reasons} - {"None"}
        return bool(codes) and codes <= {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}

    @property
    def condition_failures(self) -> list[tuple[int, dict[str, Any] | None]]:
        return [(i, item) for i, (code, item) in enumerate(self.reasons) if code == "ConditionalCheckFailed"]


class Dynamo:
    """A table on a boto3 DynamoDB client."""

    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    async def call(self, method: str, **kwargs: Any) -> Any:
        fn = getattr(self.client, method)
        return await asyncio.to_thread(fn, **kwargs)

    # ------------------------------------------------------------------ single items

    async def get(self, pk: str, sk: str, *, consistent: bool = True) -> dict[str, Any] | None:
        resp = await self.call("get_item", TableName=self.table, Key=key(pk, sk), ConsistentRead=consistent)
        item = resp.get("Item")
        return from_item(item) if item else None

    def put_request(self, values: Mapping[str, Any], *, condition: str | None = None,
                    names: Mapping[str, str] | None = None, values_: Mapping[str, Any] | None = None,
                    return_old_on_fail: bool = True) -> dict[str, Any]:
        item = to_item(values)
        check_size(item, values)
        req: dict[str, Any] = {"TableName": self.table, "Item": item}
        _conditional(req, condition, names, values_, return_old_on_fail)
        return req

    def update_request(self, pk: str, sk: str, expression: str, *, names: Mapping[str, str] | None = None,
                       values: Mapping[str, Any] | None = None, condition: str | None = None,
                       return_old_on_fail: bool = True) -> dict[str, Any]:
        req: dict[str, Any] = {"TableName": self.table, "Key": key(pk, sk), "UpdateExpression": expression}
        _conditional(req, condition, names, values, return_old_on_fail)
        return req

    def delete_request(self, pk: str, sk: str, *, condition: str | None = None, names: Mapping[str, str] | None = None,
                       values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        req: dict[str, Any] = {"TableName": self.table, "Key": key(pk, sk)}
        _conditional(req, condition, names, values, False)
        return req

    async def put(self, values: Mapping[str, Any], *, condition: str | None = None, names: Mapping[str, str] | None = None,
                  values_: Mapping[str, Any] | None = None) -> None:
        req = self.put_request(values, condition=condition, names=names, values_=values_, return_old_on_fail=False)
        await self.call("put_item", **req)

    async def update(self, pk: str, sk: str, expression: str, *, names: Mapping[str, str] | None = None,
                     values: Mapping[str, Any] | None = None, condition: str | None = None) -> dict[str, Any]:
        req = self.update_request(pk, sk, expression, names=names, values=values, condition=condition,
                                  return_old_on_fail=False)
        req["ReturnValues"] = "ALL_NEW"
        resp = await self.call("update_item", **req)
        return from_item(resp.get("Attributes") or {})

    async def delete(self, pk: str, sk: str) -> None:
        await self.call("delete_item", TableName=self.table, Key=key(pk, sk))

    # ------------------------------------------------------------------ queries

    async def query(
        self,
        *,
        index: str | None,
        pk: str,
        lo: int | str | None = None,
        hi: int | str | None = None,
        prefix: str | None = None,
        forward: bool = True,
        want: int | None = None,
        filter: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        consistent: bool = False,
    ) -> AsyncIterator[dict[str, Any]]:
        """Items of one partition in sort-key order, following LastEvaluatedKey past 1 MB pages.

        ``lo``/``hi`` are inclusive sort-key bounds; ``want`` stops after that many items passed the
        filter (each page asks only for what is still missing). Deserialised items are yielded.
        """
        if lo is not None and hi is not None and lo > hi:
            return
        req = self._query_request(index, pk, lo, hi, prefix, forward, filter, names, values, consistent)
        got = 0
        while True:
            if want is not None:
                if got >= want:
                    return
                req["Limit"] = max(want - got, 1)
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

    async def count(self, *, index: str | None, pk: str, lo: int | None = None, hi: int | None = None,
                    filter: str | None = None, names: Mapping[str, str] | None = None,
                    values: Mapping[str, Any] | None = None) -> int:
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

    def _query_request(self, index: str | None, pk: str, lo: Any, hi: Any, prefix: str | None, forward: bool,
                       filter: str | None, names: Mapping[str, str] | None, values: Mapping[str, Any] | None,
                       consistent: bool) -> dict[str, Any]:
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
            "TableName": self.table, "KeyConditionExpression": cond, "ScanIndexForward": forward,
            "ExpressionAttributeNames": n, "ExpressionAttributeValues": {k: to_av(x) for k, x in v.items()},
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
            pending: dict[str, Any] = {self.table: {"Keys": [key(pk, sk) for pk, sk in unique[i:i + BATCH_GET_LIMIT]],
                                                    "ConsistentRead": True}}
            attempt = 0
            while pending:
                resp = await self.call("batch_get_item", RequestItems=pending)
                out.extend(from_item(it) for it in resp.get("Responses", {}).get(self.table, []))
                pending = resp.get("UnprocessedKeys") or {}
                if pending:
                    attempt += 1
                    if attempt > MAX_RETRIES:
                        raise StorageError("DynamoDB kept returning unprocessed keys", id=error_id("DYNAMODB", current_op.get(), "UNPROCESSED"),
                                           category=ErrorCategory.THIRD_PARTY)
                    await backoff(attempt)
        return out

    async def batch_write(self, puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[tuple[str, str]] = ()) -> None:
        """BatchWriteItem in chunks of 25, retrying UnprocessedItems with backoff (not atomic as a whole)."""
        requests: list[dict[str, Any]] = []
        for values in puts:
            item = to_item(values)
            check_size(item, values)
            requests.append({"PutRequest": {"Item": item}})
        requests.extend({"DeleteRequest": {"Key": key(pk, sk)}} for pk, sk in dict.fromkeys(deletes))
        for i in range(0, len(requests), BATCH_WRITE_LIMIT):
            await self.batch_write_raw(requests[i:i + BATCH_WRITE_LIMIT])

    async def batch_write_raw(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table: requests}
        attempt = 0
        while pending:
            resp = await self.call("batch_write_item", RequestItems=pending)
            pending = {t: reqs for t, reqs in (resp.get("UnprocessedItems") or {}).items() if reqs}
            if pending:
                attempt += 1
                if attempt > MAX_RETRIES:
                    raise StorageError("DynamoDB kept returning unprocessed items", id=error_id("DYNAMODB", current_op.get(), "UNPROCESSED"),
                                       category=ErrorCategory.THIRD_PARTY)
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
        try:
            await self.call("transact_write_items", **kwargs)
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [(r.get("Code", "None"), from_item(r["Item"]) if r.get("Item") else None)
                       for r in exc.response.get("CancellationReasons", [])]
            raise Cancelled(reasons) from exc

    async def delete_where(self, filter: str, names: Mapping[str, str], values: Mapping[str, Any]) -> int:
        """Scan + batch delete (dangerously_clear_all only: never on a request path)."""
        req: dict[str, Any] = {"TableName": self.table, "FilterExpression": filter, "ProjectionExpression": "pk, sk",
                               "ExpressionAttributeNames": dict(names),
                               "ExpressionAttributeValues": {k: to_av(v) for k, v in values.items()}}
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


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _conditional(req: dict[str, Any], condition: str | None, names: Mapping[str, str] | None,
                 values: Mapping[str, Any] | None, return_old: bool) -> None:
    if condition:
        req["ConditionExpression"] = condition
        if return_old:
            req["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if names:
        req["ExpressionAttributeNames"] = dict(names)
    if values:
        req["ExpressionAttributeValues"] = {k: to_av(v) for k, v in values.items()}


def check_size(item: Mapping[str, Any], values: Mapping[str, Any]) -> None:
    size = item_size(item)
    if size > ITEM_LIMIT:
        op = current_op.get()
        raise ItemTooLargeError(
            f"{values.get('entity', 'item')} {values.get('id') or values.get('pk')!r} is {size} bytes in DynamoDB form, over the "
            f"DynamoDB item limit of 400 KB ({ITEM_LIMIT} bytes, after compression); nothing was written. Store large payloads elsewhere "
            "(e.g. S3) and keep a reference in the message.",
            id=error_id("DYNAMODB", op, "ITEM_TOO_LARGE"), category=ErrorCategory.USER,
            details={"entity": values.get("entity"), "size": size, "limit": ITEM_LIMIT},
        )


async def backoff(attempt: int) -> None:
    await asyncio.sleep(min(0.02 * 2 ** attempt, 1.0) * (0.5 + random.random() / 2))


def chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
