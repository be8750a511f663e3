"""Client CPU per call and HTTP requests per op of mastra-dynamodb on the issue-16 ops (DynamoDB Local).

Not part of ``python -m bench`` (it reports no ops/s): ``MASTRA_TEST_DYNAMODB_ENDPOINT=... python -m
bench.dynamodb_cpu``. Per op: the best of ``BENCH_CPU_ROUNDS`` rounds of ``BENCH_CPU_N`` sequential calls, CPU as
``time.process_time`` (every thread of this process, the boto3 worker threads included; DynamoDB Local's CPU is
another process and not counted), of which the event loop's thread (``time.thread_time``: the store, core and
asyncio; the rest is boto3 on the worker threads) and requests as botocore ``before-send`` events. CPU is steadier
than wall time on a loaded machine; ``bench/dynamodb_callgrind.py`` counts instructions where even CPU is too noisy.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from bench.bench_reference_ops import reference_ops, seed
from bench.common import RoundTrips

N = int(os.environ.get("BENCH_CPU_N", "200"))
ROUNDS = int(os.environ.get("BENCH_CPU_ROUNDS", "3"))


async def main() -> None:
    from mastra_dynamodb import DynamoDBStore, create_table, make_client

    client = make_client(endpoint=os.environ["MASTRA_TEST_DYNAMODB_ENDPOINT"],
                         credentials={"access_key_id": "local", "secret_access_key": "local"})
    table = f"mastra-bench-cpu-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(create_table, table, client=client)
    trips = RoundTrips()
    client.meta.events.register("before-send.dynamodb.*", trips.hit)
    store = DynamoDBStore(id="cpu", table_name=table, client=client)
    try:
        await store.init()
        await seed(store, "a")
        await asyncio.sleep(2)  # past the counters' settle time, so listings are in their steady state
        print(f"{'op':<44}{'cpu us/call':>12}{'loop thread':>12}{'wall us/call':>13}{'requests/op':>12}")
        for op, fn in reference_ops(store, "a").items():
            for _ in range(10):
                await fn()
            best: tuple[float, float, float, float] | None = None
            for _ in range(ROUNDS):
                trips.count = 0
                c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
                for _ in range(N):
                    await fn()
                got = ((time.process_time() - c0) / N * 1e6, (time.thread_time() - t0) / N * 1e6,
                       (time.perf_counter() - w0) / N * 1e6, trips.count / N)
                best = got if best is None or got[0] < best[0] else best
            assert best is not None
            print(f"{op:<44}{best[0]:>12.0f}{best[1]:>12.0f}{best[2]:>13.0f}{best[3]:>12.2f}")
    finally:
        await store.close()
        await asyncio.to_thread(client.delete_table, TableName=table)


def run() -> Any:
    return asyncio.run(main())


if __name__ == "__main__":
    run()
