"""Ours against the reference Mastra TS packages, side by side in one run: the issue-16 table's six ops.

On each backend (pg, a libSQL file, DynamoDB Local) the reference store (@mastra/pg, @mastra/libsql,
@mastra/dynamodb 1.0 on @mastra/core 1.0.x, run by node through ``bench/reference/ops.mjs``) and ours run the same
ops on the same service, each in its own database / file / table. Rounds alternate: per round and op, one side runs
``N / ROUNDS`` timed calls and then the other (who goes first alternates too), so load on the shared machine falls
on both alike. Each side times its calls in-process (node ``process.hrtime``, Python ``perf_counter``); the pipe
between them is never timed. Per op and backend: p50/p95 over all rounds, ops/s (calls / summed loop time), the
ratio ours / reference of ops/s (>= 1: at or above the reference), the same by medians (reference p50 / ours p50,
steadier on a loaded machine) and each client process's CPU time per call (node ``process.cpuUsage``, Python
``process_time``; every thread of the process, the database server's CPU not included). Writes
``bench/results/side_by_side.json``; ``bench/report.py`` turns it into a table and a plot. Nothing is asserted.

Knobs: ``BENCH_SBS_N`` (timed calls per op and side, default 200), ``BENCH_SBS_ROUNDS`` (default 5),
``BENCH_SBS_BACKENDS`` (comma list, default ``pg,libsql-file,dynamodb``), ``BENCH_SBS_VARIANTS=1`` (also the
create paths: a new thread, resource or run every call; ``bench_reference_ops.variant_ops``), ``BENCH_SBS_MORE=1``
(also the other frequent ops: a resource, a run and message pages read, a thread updated, a workflow's runs listed;
``bench_reference_ops.more_ops``).
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.bench_reference_ops import more_ops, reference_ops, seed, seed_more, variant_ops
from bench.common import RESULTS, cpu_times, steal_share
from bench.reference_node import ReferenceProcess

N = int(os.environ.get("BENCH_SBS_N", "200"))
ROUNDS = max(1, int(os.environ.get("BENCH_SBS_ROUNDS", "5")))
BACKENDS = os.environ.get("BENCH_SBS_BACKENDS", "pg,libsql-file,dynamodb").split(",")
VARIANTS = os.environ.get("BENCH_SBS_VARIANTS") == "1"
MORE = os.environ.get("BENCH_SBS_MORE") == "1"
#: Untimed calls before each round's timed ones (more in the first round: JIT, caches, prepared statements).
WARMUP_FIRST, WARMUP = 10, 2
#: Untimed calls of every op, on both sides, before any round (then one full collection on ours): see :func:`compare`.
WARMUP_PASS = int(os.environ.get("BENCH_SBS_WARMUP_PASS", "50"))
NAME = "refbench"  # this bench's databases, files and tables carry it
DYNAMODB_CREDS = {"access_key_id": NAME, "secret_access_key": NAME}

#: backend -> (our plugin's module, the environment variable naming its service or None)
NEEDS = {"pg": ("mastra_pg", "MASTRA_TEST_PG_URL"), "libsql-file": ("mastra_libsql", None),
         "dynamodb": ("mastra_dynamodb", "MASTRA_TEST_DYNAMODB_ENDPOINT")}


def _runnable(backend: str) -> bool:
    module, env = NEEDS[backend]
    try:
        __import__(module)
    except ImportError:
        return False
    return not env or bool(os.environ.get(env))


def available() -> bool:
    has_node = bool(os.environ.get("MASTRA_INTEROP_NODE")) or shutil.which("npm") is not None
    return has_node and any(_runnable(b) for b in BACKENDS if b in NEEDS)


# ---------------------------------------------------------------- the two stores of each backend

#: A pair: (the reference store's ``backend`` name for ops.mjs and its config, our opened store).
Pair = tuple[str, dict[str, Any], Any]


def _with_db(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{dbname}", parts.query, parts.fragment))


@asynccontextmanager
async def _pg() -> AsyncIterator[Pair]:
    """Two databases of this bench's own (``bench_refbench_ref``/``_ours``), each used as the packages default to
    (public schema); dropped before and after."""
    import psycopg
    from mastra_pg import PostgresStore
    from psycopg import sql

    url = os.environ["MASTRA_TEST_PG_URL"]
    dbs = {side: f"bench_{NAME}_{side}" for side in ("ref", "ours")}

    async def drop_and(create: bool) -> None:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            for db in dbs.values():
                await conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
                if create:
                    await conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db)))

    await drop_and(create=True)
    ours = PostgresStore(id="ours", connection_string=_with_db(url, dbs["ours"]))
    try:
        await ours.init()
        yield "pg", {"id": "ref", "connectionString": _with_db(url, dbs["ref"])}, ours
    finally:
        await ours.close()
        await drop_and(create=False)


@asynccontextmanager
async def _libsql() -> AsyncIterator[Pair]:
    """Two files in a temporary directory (removed after)."""
    from mastra_libsql import LibSQLStore

    with tempfile.TemporaryDirectory(prefix=f"bench-{NAME}-") as tmp:
        ours = LibSQLStore(id="ours", url=f"file:{tmp}/ours.db")
        try:
            await ours.init()
            yield "libsql", {"id": "ref", "url": f"file:{tmp}/ref.db"}, ours
        finally:
            await ours.close()


def _reference_table(client: Any, name: str) -> None:
    """The table @mastra/dynamodb 1.0 expects (it never creates one): pk/sk and gsi1..gsi7, string keys."""
    attrs = [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")]
    gsis = []
    for i in range(1, 8):
        attrs += [{"AttributeName": f"gsi{i}{k}", "AttributeType": "S"} for k in ("pk", "sk")]
        gsis.append({"IndexName": f"gsi{i}", "Projection": {"ProjectionType": "ALL"},
                     "KeySchema": [{"AttributeName": f"gsi{i}pk", "KeyType": "HASH"},
                                   {"AttributeName": f"gsi{i}sk", "KeyType": "RANGE"}]})
    client.create_table(TableName=name, AttributeDefinitions=attrs, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}], GlobalSecondaryIndexes=gsis)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


@asynccontextmanager
async def _dynamodb() -> AsyncIterator[Pair]:
    """Two tables ``bench-refbench-{ref,ours}-<hex>`` on DynamoDB Local, each in its package's layout; deleted after."""
    from mastra_dynamodb import DynamoDBStore, create_table, make_client

    endpoint = os.environ["MASTRA_TEST_DYNAMODB_ENDPOINT"]
    client = make_client(endpoint=endpoint, credentials=DYNAMODB_CREDS)
    suffix = uuid.uuid4().hex[:8]
    tables = {side: f"bench-{NAME}-{side}-{suffix}" for side in ("ref", "ours")}
    made: list[str] = []
    try:
        await asyncio.to_thread(_reference_table, client, tables["ref"])
        made.append(tables["ref"])
        await asyncio.to_thread(create_table, tables["ours"], client=client)
        made.append(tables["ours"])
        ours = DynamoDBStore(id="ours", table_name=tables["ours"], client=client)
        try:
            await ours.init()
            yield "dynamodb", {"id": "ref", "config": {
                "id": "ref", "tableName": tables["ref"], "endpoint": endpoint, "region": "us-east-1",
                "credentials": {"accessKeyId": NAME, "secretAccessKey": NAME}}}, ours
        finally:
            await ours.close()
    finally:
        for table in made:
            await asyncio.to_thread(client.delete_table, TableName=table)


OPENERS: dict[str, Callable[[], Any]] = {"pg": _pg, "libsql-file": _libsql, "dynamodb": _dynamodb}


# ---------------------------------------------------------------- timing and the interleaved rounds


#: One side's rounds of one op, summed: (per-call ms, loop ms, client CPU ms).
Timing = tuple[list[float], float, float]


async def _ours(fn: Callable[[], Awaitable[Any]], n: int, warmup: int) -> Timing:
    """Our side of a round, timed like ops.mjs's ``timed``."""
    for _ in range(warmup):
        await fn()
    samples: list[float] = []
    cpu = time.process_time()
    start = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        await fn()
        samples.append((time.perf_counter() - t) * 1000)
    total = (time.perf_counter() - start) * 1000
    return samples, total, (time.process_time() - cpu) * 1000


async def _warm_up(our_ops: dict[str, Callable[[], Awaitable[Any]]], ref: ReferenceProcess) -> None:
    """Every op, both sides, :data:`WARMUP_PASS` untimed calls; then one full collection of this process.

    Why: a process's first calls of each op grow its heap once (modules imported on first use, converters and
    statements built and cached: ~37k objects on libsql), and CPython runs a full collection each time the objects
    promoted since the last one pass a quarter of the heap. With that growth spread over the first round, two or three
    full collections (15-30 ms each on this machine) landed on whichever op of ours was running, and at N=200 one
    such pause moved that op's mean by up to 2x (measured with ``gc.callbacks``: in a second run in the same process,
    at steady state, there were none). Warming every op first and collecting once measures the steady state, which
    is what a long-running agent process sees. Node gets the same pass (its JIT and caches warm up too) and a full
    collection of its own (``--expose-gc``).
    """
    if WARMUP_PASS <= 0:
        return
    for op, fn in our_ops.items():
        await ref.run(op, 0, WARMUP_PASS)
        await _ours(fn, 0, WARMUP_PASS)
    await ref.collect()
    gc.collect()


def _stats(samples: list[float], total_ms: float, cpu_ms: float) -> dict[str, float]:
    s = sorted(samples)
    return {"n": len(s), "ops_per_s": len(s) / (total_ms / 1000) if total_ms else float("inf"),
            "p50_ms": statistics.median(s), "p95_ms": s[min(len(s) - 1, int(len(s) * 0.95))],
            "cpu_us_per_op": cpu_ms * 1000 / len(s)}


async def compare(backend: str) -> list[dict[str, Any]]:
    """Both sides of one backend through the six ops, rounds alternating; one row per op."""
    machine = cpu_times()
    async with OPENERS[backend]() as (ref_backend, ref_config, ours):
        await seed(ours, "a")
        if MORE:
            await seed_more(ours, "a")
        ref, node = await ReferenceProcess.open(ref_backend, ref_config, more=MORE)
        try:
            our_ops = reference_ops(ours, "a")
            if VARIANTS:
                our_ops.update(variant_ops(ours, "a"))
            if MORE:
                our_ops.update(more_ops(ours, "a"))
            per_round = max(1, N // ROUNDS)
            await _warm_up(our_ops, ref)
            acc: dict[str, dict[str, Timing]] = {op: {} for op in our_ops}
            for rnd in range(ROUNDS):
                warmup = WARMUP_FIRST if rnd == 0 else WARMUP
                for op, fn in our_ops.items():
                    order = ["reference", "ours"] if rnd % 2 == 0 else ["ours", "reference"]
                    for side in order:
                        if side == "reference":
                            got = await ref.run(op, per_round, warmup)
                        else:
                            got = await _ours(fn, per_round, warmup)
                        old = acc[op].get(side, ([], 0.0, 0.0))
                        acc[op][side] = (old[0] + got[0], old[1] + got[1], old[2] + got[2])
        finally:
            await ref.close()
    steal = steal_share(machine, cpu_times())  # (the whole backend's run: seeding, warm-up and rounds)
    rows: list[dict[str, Any]] = []
    for op, sides in acc.items():
        o, r = _stats(*sides["ours"]), _stats(*sides["reference"])
        rows.append({"backend": backend, "op": op, "rounds": ROUNDS, "ours": o, "reference": r, "node": node,
                     "steal": steal,
                     "ratio_ops_per_s": o["ops_per_s"] / r["ops_per_s"], "ratio_p50": r["p50_ms"] / o["p50_ms"]})
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a plain-text table (printed; REPORT.md gets a markdown one from report.py)."""
    head = (f"{'backend':<12}{'operation':<44}{'ours ops/s':>11}{'ref ops/s':>11}{'ratio':>7}{'p50 ratio':>10}"
            f"{'ours p50':>10}{'ref p50':>9}{'ours p95':>10}{'ref p95':>9}{'ours cpu us':>12}{'ref cpu us':>11}")
    lines = [head, "-" * len(head)]
    for r in rows:
        o, f = r["ours"], r["reference"]
        lines.append(f"{r['backend']:<12}{r['op']:<44}{o['ops_per_s']:>11.0f}{f['ops_per_s']:>11.0f}"
                     f"{r['ratio_ops_per_s']:>7.2f}{r['ratio_p50']:>10.2f}{o['p50_ms']:>10.3f}{f['p50_ms']:>9.3f}"
                     f"{o['p95_ms']:>10.3f}{f['p95_ms']:>9.3f}{o['cpu_us_per_op']:>12.0f}{f['cpu_us_per_op']:>11.0f}")
    return "\n".join(lines)


async def main() -> None:
    rows: list[dict[str, Any]] = []
    for backend in BACKENDS:
        if backend not in NEEDS or not _runnable(backend):
            print(f"   {backend}: not installed or no service, not run")
            continue
        try:
            rows += await compare(backend)
        except Exception as exc:  # one backend failing must not lose the others' numbers
            print(f"   {backend}: failed: {type(exc).__name__}: {exc}")
    print(table(rows))
    for backend, steal in dict.fromkeys((r["backend"], r["steal"]) for r in rows):
        if steal is not None:
            print(f"   {backend}: the host stole {steal:.0%} of this machine's CPU time during its run")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "side_by_side.json").write_text(json.dumps(rows, indent=2))
