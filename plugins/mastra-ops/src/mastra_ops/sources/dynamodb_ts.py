"""The table @mastra/dynamodb 1.0 writes (ElectroDB single-table items), read as a copy source.

Layout (service ``mastra``, entity version 1): ``pk`` = ``$mastra#entity_<entity>#<attr>_<value>``, ``sk`` =
``$<entity>_1#...``, GSIs ``gsi1``..``gsi7`` with ``gsiNpk``/``gsiNsk``. Every item keeps its attributes with
their original case (``id``, ``threadId``, ``createdAt`` as ISO text, JSON fields as JSON text).

The reference's own bugs, and what this reader does about them:

- **Lowercased keys**: every key value is lowercased, so a thread ``Abc`` lists the messages of ``abc`` too
  (gsi1 is shared). Messages are matched on their ``threadId`` attribute, exactly; ids that differ only in
  case already overwrote each other in the table and cannot be told apart.
- **Pages past 1 MB**: @mastra/dynamodb 1.0 reads only the first Query page of a thread (~1 MB) and drops the
  newest messages. Every Scan and Query here follows ``LastEvaluatedKey`` to the end.
- **JSON as strings, "" for unset ids, ``entityData`` for a score's entity**: undone in :mod:`.records`.
- **Expired items** (``ttl``/``expiresAt`` in the past) stay readable until DynamoDB deletes them (up to days
  later); they are not copied.

Legacy evals and traces are not read: @mastra/dynamodb 1.0 still defines its ``eval`` and ``trace`` ElectroDB
entities, but none of its storage domains writes them (its stores are memory, workflows and scores, and its
``deleteTableData`` maps no table to them), so a table it wrote holds none.

Messages of a thread are ordered as the reference orders them (``createdAt``, then ``id``): their keys are
read first (a projection of a few attributes), sorted, then the items fetched by BatchGetItem in pages, so
memory holds one thread's message keys, not its messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from mastra_core import records as r
from mastra_core.clock import parse_datetime
from mastra_core.errors import ConfigError, ErrorCategory, StorageError
from mastra_core.registry import import_optional

from . import records as rec
from .base import RecordSource, ScanPage

SCHEME = "dynamodb"
THREAD = "$mastra#entity_thread#"
RESOURCE_SK = "$resource_1#entity_resource"
RUN = "$mastra#entity_workflow_snapshot#"
SCORE = "$mastra#entity_score#"
#: BatchGetItem takes at most 100 keys.
BATCH_GET = 100
#: Retries of the keys BatchGetItem leaves unprocessed (throttling), with a growing pause.
UNPROCESSED_RETRIES = 10


def lower_key(value: str) -> str:
    """A key value as ElectroDB writes it (lowercased)."""
    return value.lower()


class DynamoTsSource(RecordSource):
    """A table written by @mastra/dynamodb 1.0; ``url`` is a ``dynamodb://`` URL as the mastra-dynamodb backend
    takes it (``dynamodb://TABLE?region=R`` or ``dynamodb://HOST:PORT/TABLE`` for an endpoint)."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        """Parse the URL and options with mastra-dynamodb's own rules; nothing connects here."""
        import_optional("mastra_dynamodb", "mastra-dynamodb")
        from mastra_dynamodb.connection import DynamoConnection
        from mastra_dynamodb.store import DynamoDBStore

        store = DynamoDBStore(id="mastra-ts-source", url=url, **options)
        self.conn = DynamoConnection(store.config, disable_init=True)
        self.table = self.conn.table
        self.target = self.conn.target()
        self._opened = False
        self._deserializer: Any = None

    async def init(self) -> None:
        """Check that the table exists with ``pk``/``sk`` and the ``gsi1`` the reference lists messages by."""
        if self._opened:
            return
        try:
            desc = (await self.conn.call("describe_table", TableName=self.table))["Table"]
        except Exception as exc:
            raise ConfigError(f"cannot read DynamoDB table {self.table!r} at {self.target}: "
                              f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                              id="MASTRA_OPS_SOURCE_UNREADABLE") from None
        keys = {k["AttributeName"]: k["KeyType"] for k in desc.get("KeySchema", [])}
        gsis = {g["IndexName"] for g in desc.get("GlobalSecondaryIndexes", [])}
        if keys != {"pk": "HASH", "sk": "RANGE"} or "gsi1" not in gsis:
            raise ConfigError(
                f"DynamoDB table {self.table!r} is not a @mastra/dynamodb table (keys pk/sk and index gsi1 "
                f"expected; found keys {sorted(keys)} and indexes {sorted(gsis)})",
                id="MASTRA_OPS_SOURCE_LAYOUT",
            )
        from boto3.dynamodb.types import TypeDeserializer

        self._deserializer = TypeDeserializer()
        self._opened = True

    async def close(self) -> None:
        """Close the boto3 client."""
        await self.conn.close()

    # ---------------------------------------------------------------- low level

    def _decode(self, item: dict[str, Any]) -> dict[str, Any]:
        return {k: rec.plain(self._deserializer.deserialize(v)) for k, v in item.items()}

    @staticmethod
    def _live(item: dict[str, Any], now: float) -> bool:
        for name in ("ttl", "expiresAt"):
            value = item.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= now:
                return False
        return True

    async def _page(self, method: str, request: dict[str, Any], after: Any) -> tuple[list[dict[str, Any]], Any]:
        """Pages of a Scan/Query from ``after`` until one holds an item (a filter may empty whole pages)."""
        now = time.time()
        while True:
            req = dict(request, TableName=self.table)
            if after is not None:
                req["ExclusiveStartKey"] = after
            resp = await self.conn.call(method, **req)
            after = resp.get("LastEvaluatedKey")
            items = [i for i in map(self._decode, resp.get("Items", [])) if self._live(i, now)]
            if items or after is None:
                return items, after

    async def _scan_prefix(self, prefix: str, after: Any, size: int) -> tuple[list[dict[str, Any]], Any]:
        return await self._page(
            "scan",
            {"Limit": size, "FilterExpression": "begins_with(#pk, :p)", "ExpressionAttributeNames": {"#pk": "pk"},
             "ExpressionAttributeValues": {":p": {"S": prefix}}},
            after,
        )

    # ---------------------------------------------------------------- the layout

    async def scan_threads(self, after: Any, size: int, resource_id: str | None) -> ScanPage:
        """All threads by Scan; one resource's by its gsi1 partition (matched on the exact ``resourceId``)."""
        if resource_id is None:
            items, nxt = await self._scan_prefix(THREAD, after, size)
        else:
            items, nxt = await self._page(
                "query",
                {"IndexName": "gsi1", "Limit": size, "KeyConditionExpression": "gsi1pk = :p",
                 "ExpressionAttributeValues": {":p": {"S": f"{THREAD}resourceid_{lower_key(resource_id)}"}}},
                after,
            )
            items = [i for i in items if i.get("resourceId") == resource_id]
        return ScanPage([rec.thread(i) for i in items if "id" in i and "resourceId" in i], nxt, nxt is None)

    async def get_resource(self, resource_id: str) -> r.Resource | None:
        """GetItem on the resource's key; the item's own ``id`` must match exactly (keys are lowercased)."""
        resp = await self.conn.call(
            "get_item", TableName=self.table, ConsistentRead=True,
            Key={"pk": {"S": f"$mastra#entity_resource#id_{lower_key(resource_id)}"}, "sk": {"S": RESOURCE_SK}},
        )
        item = resp.get("Item")
        if item is None:
            return None
        data = self._decode(item)
        if data.get("id") != resource_id or not self._live(data, time.time()):
            return None
        return rec.resource(data)

    async def message_order(self, thread: r.Thread) -> list[Any]:
        """Every page of the thread's gsi1 partition (keys and a few attributes), exact ``threadId`` only, sorted
        by (createdAt, id) as the reference's ``listMessages`` sorts."""
        keys: list[tuple[int, str, dict[str, Any]]] = []
        after: Any = None
        request = {
            "IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": f"$mastra#entity_message#threadid_{lower_key(thread.id)}"}},
            "ProjectionExpression": "pk, sk, id, threadId, createdAt, #ttl, expiresAt",
            "ExpressionAttributeNames": {"#ttl": "ttl"},
        }
        while True:
            items, after = await self._page("query", request, after)
            for item in items:
                if item.get("threadId") == thread.id and "createdAt" in item and "id" in item:
                    created = int(parse_datetime(item["createdAt"]).timestamp() * 1000)
                    keys.append((created, str(item["id"]), {"pk": {"S": item["pk"]}, "sk": {"S": item["sk"]}}))
            if after is None:
                break
        keys.sort(key=lambda k: (k[0], k[1]))
        return [k[2] for k in keys]

    async def fetch_messages(self, thread: r.Thread, refs: Sequence[Any]) -> list[r.Message]:
        """BatchGetItem in groups of 100 (unprocessed keys retried), in the order of ``refs``."""
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(refs), BATCH_GET):
            pending: list[dict[str, Any]] = list(refs[i : i + BATCH_GET])
            for attempt in range(UNPROCESSED_RETRIES + 1):
                resp = await self.conn.call("batch_get_item", RequestItems={
                    self.table: {"Keys": pending, "ConsistentRead": True}})
                for item in resp.get("Responses", {}).get(self.table, []):
                    data = self._decode(item)
                    found[data["pk"]] = data
                pending = resp.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
                if not pending:
                    break
                if attempt == UNPROCESSED_RETRIES:
                    raise StorageError(f"DynamoDB left {len(pending)} keys unprocessed after {attempt} retries "
                                       "(throttled): run the copy again, it resumes",
                                       id="MASTRA_OPS_SOURCE_THROTTLED", category=ErrorCategory.THIRD_PARTY)
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
        now = time.time()
        out = []
        for ref in refs:
            stored = found.get(ref["pk"]["S"])
            if stored is not None and stored.get("threadId") == thread.id and self._live(stored, now):
                out.append(rec.message(stored))
        return out

    async def scan_workflow_runs(self, after: Any, size: int) -> ScanPage:
        """Every workflow snapshot item (Scan)."""
        items, nxt = await self._scan_prefix(RUN, after, size)
        runs = [rec.workflow_run(i) for i in items if "workflow_name" in i and "run_id" in i]
        return ScanPage([run for run in runs if run is not None], nxt, nxt is None)

    async def scan_scores(self, after: Any, size: int) -> ScanPage:
        """Every score item (Scan)."""
        items, nxt = await self._scan_prefix(SCORE, after, size)
        return ScanPage([rec.score(i) for i in items if "id" in i], nxt, nxt is None)
