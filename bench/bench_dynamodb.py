"""DynamoDB (on DynamoDB Local): requests per operation, p50/p95 and ops/s, for threads of 1k and 10k messages.

Requests are counted on the wire with a botocore ``before-send`` hook, so a batch or a transaction counts
once. Also reported: the raw boto3 floor for the same "last 10" Query, to separate store overhead from
service latency. ``python -m bench dynamodb`` (needs MASTRA_TEST_DYNAMODB_ENDPOINT from
``scripts/services/start.sh dynamodb``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import uuid
from datetime import timedelta
from typing import Any

from bench.common import Result, RoundTrips, measure, report

ENV = "MASTRA_TEST_DYNAMODB_ENDPOINT"
SIZES = (1_000, 10_000)
DESC = {"field": "created_at", "direction": "DESC"}


def available() -> bool:
    return importlib.util.find_spec("mastra_dynamodb") is not None and bool(os.environ.get(ENV))


async def _seed(memory: Any, thread_id: str, n: int) -> list[Any]:
    from mastra_core.clock import utc_now
    from mastra_core.records import Message, MessageContent, TextPart

    t0 = utc_now() - timedelta(days=1)
    msgs = [
        Message(
            id=f"m-{uuid.uuid4()}",
            thread_id=thread_id,
            resource_id="bench",
            role="user" if i % 2 else "assistant",
            created_at=t0 + timedelta(milliseconds=i),
            content=MessageContent(parts=[TextPart(text=f"message {i} " + "lorem ipsum " * 20)]),
        )
        for i in range(n)
    ]
    sem = asyncio.Semaphore(8)

    async def save(chunk: list[Any]) -> None:
        async with sem:
            await memory.save_messages(messages=chunk)

    await asyncio.gather(*(save(msgs[i : i + 98]) for i in range(0, n, 98)))
    return msgs


async def main() -> None:
    from mastra_core.records import Message, MessageContent, MessageInclude, TextPart, Thread
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
    results: list[Result] = []
    try:
        await store.init()
        mem = store.memory
        for n in SIZES:
            thread = await mem.save_thread(
                thread=Thread(id=f"t-{uuid.uuid4()}", resource_id=f"r-{n}", title=f"{n} messages")
            )
            for i in range(30):  # a resource with some threads for list_threads
                await mem.save_thread(thread=Thread(id=f"t-{uuid.uuid4()}", resource_id=f"r-{n}", title=f"other {i}"))
            msgs = await _seed(mem, thread.id, n)
            middle = msgs[n // 2].id
            tag = f"[{n} msgs]"
            results.append(
                await measure(
                    "dynamodb",
                    f"get_thread_by_id {tag}",
                    lambda t=thread: mem.get_thread_by_id(thread_id=t.id),
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    "dynamodb",
                    f"last 10 (DESC page) {tag}",
                    lambda t=thread: mem.list_messages(thread_id=t.id, per_page=10, order_by=DESC),
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    "dynamodb",
                    f"first page of 40 (ASC) {tag}",
                    lambda t=thread: mem.list_messages(thread_id=t.id, per_page=40),
                    trips=trips,
                )
            )
            inc = [MessageInclude(id=middle, with_previous_messages=2, with_next_messages=2)]
            results.append(
                await measure(
                    "dynamodb",
                    f"include window +-2, per_page=0 {tag}",
                    lambda t=thread, inc=inc: mem.list_messages(thread_id=t.id, per_page=0, include=inc),
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    "dynamodb",
                    f"last 10 + include window {tag}",
                    lambda t=thread, inc=inc: mem.list_messages(
                        thread_id=t.id, per_page=10, order_by=DESC, include=inc
                    ),
                    trips=trips,
                )
            )
            results.append(
                await measure(
                    "dynamodb",
                    f"list_threads page of 10 {tag}",
                    lambda rid=f"r-{n}": mem.list_threads(filter={"resource_id": rid}, per_page=10),
                    trips=trips,
                )
            )
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

            pk = f"TMSGS#{thread.id}"

            def raw_last10(pk: str = pk) -> Any:
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
        await store.close()
        await asyncio.to_thread(client.delete_table, TableName=table)


if __name__ == "__main__":
    asyncio.run(main())
