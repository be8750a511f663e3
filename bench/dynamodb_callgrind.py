"""Instructions per op of mastra-dynamodb under callgrind, per way of calling boto3: the noise-free A/B behind the
client choices in ``connection.py`` (DynamoDB Local's timings on a shared 2-core machine are too noisy for it).

Variants, each on the issue-16 ops (``bench_reference_ops``): the request hop (``wait_for(to_thread(...))`` as
before, against ``run_in_executor`` plus a timer as now) crossed with botocore's ``parameter_validation`` on/off.
Phases are bracketed by ``os.getppid()`` and callgrind runs with ``--dump-before=getppid`` as in
``overhead_callgrind.py``; the count is the whole process (the boto3 worker threads included, DynamoDB Local not).
``MASTRA_TEST_DYNAMODB_ENDPOINT=... python -m bench.dynamodb_callgrind``; not part of ``python -m bench``.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from typing import Any

K = int(os.environ.get("BENCH_CALLGRIND_K", "10"))
#: ``BENCH_CALLGRIND_CURRENT=1``: only the way the store calls now (executor hop, no validation), for a quick check.
CURRENT_ONLY = os.environ.get("BENCH_CALLGRIND_CURRENT") == "1"
OPS = ("get_thread_by_id", "save_thread", "persist + load workflow snapshot (2.6 KB)",
       "list_threads(resource, 20 of 100)")


async def _old_call(self: Any, method: str, **kwargs: Any) -> Any:
    """The hop before: a task, a coroutine and a context copy per request."""
    fn = getattr(self.client, method)
    return await asyncio.wait_for(asyncio.to_thread(fn, **kwargs), self.config.operation_timeout)


async def _phases() -> list[str]:
    import boto3
    from botocore.config import Config
    from mastra_dynamodb import DynamoDBStore, create_table, make_client
    from mastra_dynamodb.connection import DynamoConnection

    from bench.bench_reference_ops import reference_ops, seed

    endpoint = os.environ["MASTRA_TEST_DYNAMODB_ENDPOINT"]
    new_call = DynamoConnection.call
    plain = make_client(endpoint=endpoint, credentials={"access_key_id": "local", "secret_access_key": "local"})
    validating = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="local",
                              aws_secret_access_key="local", config=Config(
                                  retries={"mode": "standard", "max_attempts": 4}, max_pool_connections=50,
                                  tcp_keepalive=True))
    table = f"mastra-bench-cg-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(create_table, table, client=plain)
    stores = {"validating": DynamoDBStore(id="v", table_name=table, client=validating),
              "no validation": DynamoDBStore(id="n", table_name=table, client=plain)}
    labels: list[str] = []

    def mark(label: str) -> None:
        os.getppid()  # the dump point: everything since the last one is the previous phase
        labels.append(label)

    try:
        for s in stores.values():
            await s.init()
        await seed(stores["validating"], "a")
        hops = (("to_thread hop", _old_call), ("executor hop", new_call))
        for hop, call in hops[1:] if CURRENT_ONLY else hops:
            DynamoConnection.call = call
            for validation, store in stores.items():
                if CURRENT_ONLY and validation == "validating":
                    continue
                ops = reference_ops(store, "a")
                for op in OPS:
                    for _ in range(3):
                        await ops[op]()
                    mark(f"{hop}, {validation}|{op}")
                    for _ in range(K):
                        await ops[op]()
                    mark("-")
    finally:
        DynamoConnection.call = new_call
        for s in stores.values():
            await s.close()
        await asyncio.to_thread(plain.delete_table, TableName=table)
    return labels


def main() -> None:
    if os.environ.get("BENCH_CALLGRIND_CHILD"):
        print("LABELS " + json.dumps(asyncio.run(_phases())))
        return
    out = tempfile.mkdtemp(prefix="bench-callgrind-")
    env = {**os.environ, "BENCH_CALLGRIND_CHILD": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}/cg.out",
         sys.executable, "-m", "bench.dynamodb_callgrind"],
        env=env, capture_output=True, text=True, check=True,
    )
    labels = json.loads(proc.stdout.split("LABELS ", 1)[1])
    files = sorted(glob.glob(f"{out}/cg.out.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    totals = []
    for path in files:
        m = re.search(r"^(?:summary|totals): (\d+)", open(path).read(), re.M)
        totals.append(int(m.group(1)) if m else 0)
    print(f"{'variant':<32}{'operation':<44}{'instructions/op':>16}")
    for i, label in enumerate(labels):
        if label != "-" and i + 1 < len(totals):
            variant, op = label.split("|")
            print(f"{variant:<32}{op:<44}{totals[i + 1] // K:>16,}")


if __name__ == "__main__":
    main()
