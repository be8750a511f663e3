"""The first errors of a process, raised in several threads at once, are still the classes the store catches.

botocore makes a client's exception classes on the first read of ``client.exceptions``, unguarded: threads reading
it together can each build their own, and ``except client.exceptions.ConditionalCheckFailedException`` then misses
an instance another thread raised (a concurrent update failing with a raw ConditionalCheckFailedException, once in
a while, in the contract suite). ``make_client`` (and a store given a client) makes them up front. Each check runs
in a fresh interpreter (botocore's session caches the classes, so only a process's first client can race), with
botocore's building of the classes slowed down (:data:`_WIDEN`) so that the race, when there is one, is always lost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

#: Prepended to each check: the building of a client's exception classes takes 50 ms longer, so threads that reach it
#: together all build their own (botocore's own code path, only slower; without it the race is lost only now and then).
_WIDEN = textwrap.dedent("""
    import time
    from botocore.errorfactory import ClientExceptionsFactory
    _build = ClientExceptionsFactory._create_client_exceptions
    def _slow_build(self, service_model):
        time.sleep(0.05)
        return _build(self, service_model)
    ClientExceptionsFactory._create_client_exceptions = _slow_build
""")

#: Eight threads read a new client's exception classes at the same moment; the number of distinct sets is printed.
_SAME_CLASSES = textwrap.dedent("""
    import threading
    from mastra_dynamodb import make_client
    {make}
    barrier, seen = threading.Barrier(8), []
    def read():
        barrier.wait()
        seen.append(client.exceptions)
    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(len({{id(x) for x in seen}} | {{id(client.exceptions)}}))
""")

#: A new store's first requests: twenty concurrent updates of one run (conditional writes failing in many threads).
_FIRST_UPDATES = textwrap.dedent("""
    import asyncio, uuid
    from mastra_dynamodb import harness

    async def main():
        ns = "first" + uuid.uuid4().hex[:8]
        storage = await harness.make_storage(ns)
        try:
            w = storage.workflows
            await w.persist_workflow_snapshot(workflow_name="wf", run_id="r", snapshot={"context": {}})
            await asyncio.gather(*(w.update_workflow_results(workflow_name="wf", run_id="r", step_id=f"s{i}",
                                                             result=i, request_context={}) for i in range(20)))
            snap = await w.load_workflow_snapshot(workflow_name="wf", run_id="r")
            print(sorted(snap["context"]) == sorted(f"s{i}" for i in range(20)))
        finally:
            await storage.close()
            await harness.cleanup(ns)

    asyncio.run(main())
""")


def _run(code: str, endpoint: str) -> str:
    env = {**os.environ, "MASTRA_TEST_DYNAMODB_ENDPOINT": endpoint}
    done = subprocess.run([sys.executable, "-c", _WIDEN + code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("made_by", ["make_client", "the store from a caller's boto3 client"])
def test_every_thread_reads_one_set_of_exception_classes(endpoint: str, made_by: str) -> None:
    if made_by == "make_client":
        make = (f"client = make_client(endpoint={endpoint!r}, credentials={{'access_key_id': 'local', "
                "'secret_access_key': 'local'})")
    else:  # a plain boto3 client handed to a store: the store makes them when it takes the client
        make = textwrap.dedent(f"""
            import boto3
            from mastra_dynamodb import DynamoDBStore
            client = boto3.client("dynamodb", endpoint_url={endpoint!r}, region_name="us-east-1",
                                  aws_access_key_id="local", aws_secret_access_key="local")
            DynamoDBStore(id="s", table_name="first_errors", client=client).db
        """)
    assert _run(_SAME_CLASSES.format(make=make), endpoint) == "1"


def test_a_new_stores_first_concurrent_updates_all_land(endpoint: str) -> None:
    assert _run(_FIRST_UPDATES, endpoint) == "True"
