"""The cost of exactly-once writes: round trips and latency of ``modify_resource`` with and without the mechanism.

Every networked backend whose plugin is installed and whose service is configured (the contract-suite harness's
environment variables) is measured through the fault suite's chaos proxy, which counts round trips on the wire.
"Without" swaps the mechanism out inside this process only (the previous code path), so both columns run on the
same server, the same table and the same connection:

- pg: the operation token's INSERT rides in the transaction's last pipeline (``PgConnection.once`` vs ``tx``);
- dynamodb: the ``opToken`` attribute on the versioned put (nothing is read unless a condition fails);
- mongodb: nothing on the way when no reply is lost (the stored document is compared only after one is);
- upstash: the Lua script's write token (unchanged here: it predates this bench, both columns are the same code);
- mysql: no retry after a lost connection (the write is reported failed, never replayed): no mechanism to cost.

Run: ``python -m bench exactly_once`` with the services' variables exported (``BENCH_EO_N=200`` by default).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs

N = int(os.environ.get("BENCH_EO_N", "200"))
#: harness module -> the environment variable that says its service is there.
HARNESSES = {
    "mastra_pg.harness": "MASTRA_TEST_PG_URL",
    "mastra_mongodb.harness": "MASTRA_TEST_MONGODB_URI",
    "mastra_dynamodb.harness": "MASTRA_TEST_DYNAMODB_ENDPOINT",
    "mastra_upstash.harness": "MASTRA_TEST_REDIS_URL",
    "mastra_mysql.harness": "MASTRA_TEST_MYSQL_URL",
}


def _installed() -> list[Any]:
    found = []
    for name, env in HARNESSES.items():
        if not os.environ.get(env):
            continue
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


def available() -> bool:
    return bool(_installed())


@contextlib.contextmanager
def _without(backend: str) -> Iterator[None]:
    """The mechanism swapped out for the previous code path (this process only)."""
    if backend == "pg":
        from mastra_pg.connection import PgConnection

        original_pg = PgConnection.once

        async def plain(self: Any, fn: Callable[..., Any], applied: Callable[..., Any]) -> Any:
            return await self.tx(fn)

        PgConnection.once = plain  # type: ignore[method-assign]
        try:
            yield
        finally:
            PgConnection.once = original_pg  # type: ignore[method-assign]
    elif backend == "dynamodb":
        from mastra_dynamodb.connection import DynamoConnection

        original_dynamo = DynamoConnection.put_versioned

        async def versioned(self: Any, values: Any, previous: int | None) -> None:
            if previous is None:
                await self.put(values, condition="attribute_not_exists(pk)")
            else:
                await self.put(values, condition="#v = :v", names={"#v": "ver"}, values_={":v": previous})

        DynamoConnection.put_versioned = versioned  # type: ignore[method-assign]
        try:
            yield
        finally:
            DynamoConnection.put_versioned = original_dynamo  # type: ignore[method-assign]
    else:
        yield


async def _measure(memory: Any, proxy: Any, rid: str) -> tuple[float, float, float]:
    """(round trips per call, p50 ms, p95 ms) of N appending modify_resource calls."""

    def change(old: Any) -> Any:
        return attrs.evolve(old, working_memory=(old.working_memory or "")[-50:] + ".")

    for _ in range(5):  # warm up
        await memory.modify_resource(resource_id=rid, change=change)
    before = proxy.count
    times = []
    for _ in range(N):
        t0 = time.perf_counter()
        await memory.modify_resource(resource_id=rid, change=change)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return (proxy.count - before) / N, times[len(times) // 2], times[int(len(times) * 0.95)]


async def main() -> None:
    from mastra_core.records import Resource
    from mastra_core.testing.faults import ChaosProxy

    print(f"   modify_resource x {N}: round trips per call, p50 / p95 ms (through a loopback proxy)")
    print(f"   {'backend':<10} {'mechanism':<10} {'trips':>6} {'p50':>8} {'p95':>8}")
    for harness in _installed():
        backend = harness.BACKEND_ID
        namespace = f"bencheo{uuid.uuid4().hex[:8]}"
        host, port = harness.fault_upstream()
        async with ChaosProxy(host, port) as proxy:
            storage = await harness.make_proxied_storage(namespace, "127.0.0.1", proxy.port)
            try:
                await storage.init()
                memory = storage.get_store("memory")
                rid = f"bench-{uuid.uuid4()}"
                await memory.save_resource(resource=Resource(id=rid, working_memory=""))
                for label, ctx in (("with", contextlib.nullcontext()), ("without", _without(backend))):
                    with ctx:
                        trips, p50, p95 = await _measure(memory, proxy, rid)
                    print(f"   {backend:<10} {label:<10} {trips:>6.2f} {p50:>8.2f} {p95:>8.2f}")
            finally:
                await storage.close()
                await harness.cleanup(namespace)
