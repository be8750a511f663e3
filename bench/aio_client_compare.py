"""boto3 + ``asyncio.to_thread`` (what mastra-dynamodb does) against aiobotocore, on the same DynamoDB Local.

Not part of ``python -m bench`` (aiobotocore pins its own botocore, so it needs a virtualenv of its own):
``python -m venv /tmp/aio && /tmp/aio/bin/pip install aiobotocore boto3``, then
``MASTRA_TEST_DYNAMODB_ENDPOINT=... /tmp/aio/bin/python bench/aio_client_compare.py``. Per client: p50 latency and
client CPU per GetItem and per 10-item BatchWriteItem, sequential and with 8 concurrent callers.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from typing import Any

N = int(os.environ.get("BENCH_AIO_N", "300"))
CREDS = {"aws_access_key_id": "local", "aws_secret_access_key": "local", "region_name": "us-east-1"}


async def timed(fn: Any, n: int = N, concurrency: int = 1) -> tuple[float, float, float]:
    """(p50 ms, client CPU us per call, calls/s)."""
    for _ in range(10):
        await fn()
    samples: list[float] = []

    async def worker(k: int) -> None:
        for _ in range(k):
            t = time.perf_counter()
            await fn()
            samples.append((time.perf_counter() - t) * 1000)

    c0, w0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    return statistics.median(samples), cpu / len(samples) * 1e6, len(samples) / wall


async def main() -> None:
    import boto3
    from aiobotocore.session import get_session

    endpoint = os.environ["MASTRA_TEST_DYNAMODB_ENDPOINT"]
    table = f"perf-aio-{uuid.uuid4().hex[:6]}"
    sync = boto3.client("dynamodb", endpoint_url=endpoint, **CREDS)
    sync.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                      AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                      BillingMode="PAY_PER_REQUEST")
    sync.put_item(TableName=table, Item={"pk": {"S": "x"}, "body": {"S": "y" * 500}})
    counter = iter(range(10**9))

    def batch() -> dict[str, Any]:
        k = next(counter)
        return {table: [{"PutRequest": {"Item": {"pk": {"S": f"m{k}-{i}"}, "body": {"S": "z" * 300}}}}
                        for i in range(10)]}

    try:
        async with get_session().create_client("dynamodb", endpoint_url=endpoint, **CREDS) as aio:
            cases = {
                "GetItem": (lambda: asyncio.to_thread(sync.get_item, TableName=table, Key={"pk": {"S": "x"}}),
                            lambda: aio.get_item(TableName=table, Key={"pk": {"S": "x"}})),
                "BatchWriteItem(10)": (lambda: asyncio.to_thread(sync.batch_write_item, RequestItems=batch()),
                                       lambda: aio.batch_write_item(RequestItems=batch())),
            }
            print(f"{'op':<22}{'conc':>5}{'client':>24}{'p50 ms':>9}{'cpu us':>9}{'ops/s':>9}")
            for op, (boto, aiof) in cases.items():
                for conc in (1, 8):
                    for label, fn in (("boto3 + to_thread", boto), ("aiobotocore", aiof)):
                        p50, cpu, rate = await timed(fn, concurrency=conc)
                        print(f"{op:<22}{conc:>5}{label:>24}{p50:>9.2f}{cpu:>9.0f}{rate:>9.0f}")
    finally:
        sync.delete_table(TableName=table)


if __name__ == "__main__":
    asyncio.run(main())
