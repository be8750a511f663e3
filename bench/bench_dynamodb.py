"""DynamoDB (on DynamoDB Local): requests per operation, p50/p95 and ops/s of the thread reads
(``bench/thread_reads.py``) on ONE thread of 1k / 10k (default) messages, or any sizes
(``BENCH_THREAD_SIZES=1000,100000,1000000``), among 100 threads of its resource.

Requests are counted on the wire with a botocore ``before-send`` hook, so a batch or a transaction counts
once; beside each read, the items the service read for it (:class:`ItemsRead`). Also reported:
save_messages(10) and the raw boto3 floor for the same "last 10" Query, to separate store overhead from service
latency. The thread is seeded with BatchWriteItem (25 items a request, 8 in flight) of the exact items
``save_messages`` writes: each message item made by the store's own ``_message_item`` (the codec), then the thread's
message counter by the store's own counter update (``_counter_action``, ADD n); the seeded thread is read back
through the store (``thread_reads.verify``) before anything is timed. ``python -m bench dynamodb`` (needs
MASTRA_TEST_DYNAMODB_ENDPOINT from ``scripts/services/start.sh dynamodb``; large sizes on a DynamoDB Local of your
own: it keeps every item in memory).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import Result, RoundTrips, measure, report
from bench.thread_reads import SeededThread, add_sibling_threads, read_ops, sizes, text, verify

ENV = "MASTRA_TEST_DYNAMODB_ENDPOINT"
SIZES = sizes("1000,10000")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
SEED_CHUNK = 25 * 20  # items built per task: 20 BatchWriteItem requests
SEED_IN_FLIGHT = 8


class ItemsRead:
    """Items the service read for the requests sent (Query/Scan ``ScannedCount``, BatchGetItem/GetItem items): a
    flat read reads as many items at 1M messages as at 1k, whatever the machine's load."""

    def __init__(self) -> None:
        self.count = 0

    def hit(self, parsed: Any = None, **_: Any) -> None:
        if not isinstance(parsed, dict):
            return
        self.count += int(parsed.get("ScannedCount", 0)) + (1 if parsed.get("Item") else 0)
        self.count += sum(len(v) for v in (parsed.get("Responses") or {}).values() if isinstance(v, list))

    async def of(self, call: Any) -> int:
        before = self.count
        await call()
        return self.count - before


def available() -> bool:
    return importlib.util.find_spec("mastra_dynamodb") is not None and bool(os.environ.get(ENV))


async def _seed(memory: Any, t: SeededThread) -> None:
    """BatchWriteItem the thread's messages as ``save_messages`` lays them out, then its counter (setup)."""
    from mastra_core.clock import epoch_ms
    from mastra_core.records import Message
    from mastra_dynamodb.schema import next_seq

    start = time.perf_counter()
    sem = asyncio.Semaphore(SEED_IN_FLIGHT)

    async def chunk(lo: int) -> None:
        async with sem:
            items = []
            for i in range(lo, min(lo + SEED_CHUNK, t.size)):
                m = Message.from_text(text(i), id=t.message_id(i), role="user" if i % 2 == 0 else "assistant",
                                      thread_id=t.thread_id, resource_id=t.resource_id,
                                      created_at=t.t0 + timedelta(milliseconds=i))
                items.append(memory._message_item(m, t.thread_id, created_ms=epoch_ms(m.created_at), seq=next_seq(),
                                                  ver=1))
            await memory.db.batch_write(items)

    await asyncio.gather(*(chunk(lo) for lo in range(0, t.size, SEED_CHUNK)))
    await memory.db.transact([memory._counter_action(t.thread_id, t.size)], token=str(uuid.uuid4()))
    took = time.perf_counter() - start
    print(f"   seeded {t.size:>9,} messages in {took:.1f} s ({t.size / took:,.0f}/s)")


async def main() -> None:
    from mastra_core.records import Message, MessageContent, TextPart, Thread
    from mastra_dynamodb import DynamoDBStore, create_table, make_client

    endpoint = os.environ.get(ENV)
    if not endpoint:
        raise RuntimeError(f"{ENV} is not set: run `bash scripts/services/start.sh dynamodb` and export what it prints")
    creds = {"access_key_id": "local", "secret_access_key": "local"}
    table = f"mastra-bench-{uuid.uuid4().hex[:8]}"
    client = make_client(endpoint=endpoint, credentials=creds)
    await asyncio.to_thread(create_table, table, client=client)
    store = DynamoDBStore(id="bench", table_name=table, client=client)
    trips = RoundTrips()
    client.meta.events.register("before-send.dynamodb.*", trips.hit)
    items = ItemsRead()
    client.meta.events.register("after-call.dynamodb.*", items.hit)
    results: list[Result] = []
    try:
        await store.init()
        mem = store.memory
        for n in SIZES:
            t = SeededThread(f"t-{uuid.uuid4()}", f"r-{n}", T0, n)
            await mem.save_thread(thread=Thread(id=t.thread_id, resource_id=t.resource_id, title=f"{n} messages"))
            await add_sibling_threads(mem, t)
            await _seed(mem, t)
            await verify(mem, t)
            for op, fn in read_ops(mem, t):
                read = await items.of(fn)
                results.append(await measure("dynamodb", op, fn, trips=trips, note=f"{read} items read"))
            tag = f"[{n:,}]"
            target = await mem.save_thread(thread=Thread(id=f"t-{uuid.uuid4()}", resource_id=f"r-{n}"))

            def ten(tid: str = target.id) -> Any:
                return mem.save_messages(
                    messages=[
                        Message(
                            id=f"s-{uuid.uuid4()}",
                            thread_id=tid,
                            resource_id="bench",
                            role="user",
                            content=MessageContent(parts=[TextPart(text="hello " * 30)]),
                        )
                        for _ in range(10)
                    ]
                )

            results.append(await measure("dynamodb", f"save_messages(10) {tag}", ten, n=100, trips=trips))

            def raw_last10(pk: str = f"TMSGS#{t.thread_id}") -> Any:
                return asyncio.to_thread(
                    client.query,
                    TableName=table,
                    IndexName="gsi1",
                    Limit=11,
                    ScanIndexForward=False,
                    KeyConditionExpression="gsi1pk = :p",
                    ExpressionAttributeValues={":p": {"S": pk}},
                )

            results.append(
                await measure(
                    "dynamodb",
                    f"raw boto3 floor: last-10 Query {tag}",
                    raw_last10,
                    trips=trips,
                    note="same Query without decoding",
                )
            )
        report(results, "dynamodb")
    finally:
        client.meta.events.unregister("before-send.dynamodb.*", trips.hit)
        client.meta.events.unregister("after-call.dynamodb.*", items.hit)
        await store.close()
        await asyncio.to_thread(client.delete_table, TableName=table)


if __name__ == "__main__":
    asyncio.run(main())
