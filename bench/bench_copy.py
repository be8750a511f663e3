"""``mastra copy`` at volume: messages/s and peak memory per pair of backends, each copy SIGKILLed mid-way and resumed.

A chain of copies, each hop's target being the next hop's source, so one seeded store feeds every hop (the first
chain is the ring of the ops suite: libsql file -> pg -> dynamodb (Local) -> upstash (Redis) -> libsql; the second
goes through mongodb (jongodb) with fewer messages: see ``jongodb_writes.py`` for why).
Each hop runs ``mastra copy --no-verify`` in a child process, SIGKILLs it once its checkpoint says a fraction
(``MASTRA_BENCH_COPY_KILL_AT``) of the messages are written, then runs the same command again: it resumes from the
checkpoint. The rate counts both runs (messages / (killed run + resumed run)); each run's peak RSS is read from the
kernel's accounting of that child (``wait4``). Then a third child reads the target and its digest (per record kind:
count and checksum of the canonical records, each message's place in its thread, each record's expiry) must equal the
seeded source's: exact through every hop, not only the last.

Knobs: ``MASTRA_BENCH_COPY_N`` messages (default 100k: 20 threads of 5k), ``MASTRA_BENCH_COPY_KILL_AT`` (0.4; 0: no
kill), ``MASTRA_BENCH_COPY_WORKERS`` (``--workers``, 4), ``MASTRA_BENCH_COPY_PAGE`` (``--page-size``, 1000),
``MASTRA_BENCH_COPY_CHAIN``, ``MASTRA_BENCH_COPY_MONGO_CHAIN`` / ``_MONGO_N``, ``MASTRA_BENCH_COPY_ONLY=0|1`` (one
chain), ``MASTRA_BENCH_COPY_PREFIX`` (namespace names; removed at the end). Rows go to bench/results/copy.json.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import RESULTS

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("MASTRA_BENCH_COPY_N", "100000"))
#: (chain of backends, messages): each chain is seeded once, in its first store.
CHAINS = [
    (os.environ.get("MASTRA_BENCH_COPY_CHAIN", "libsql,pg,dynamodb,upstash,libsql").split(","), N),
    # jongodb's cost per write grows with the collection whatever the client does (jongodb_writes.py): a smaller run
    (os.environ.get("MASTRA_BENCH_COPY_MONGO_CHAIN", "libsql,mongodb,libsql").split(","),
     int(os.environ.get("MASTRA_BENCH_COPY_MONGO_N", "24000"))),
]
THREADS = 20
KILL_AT = float(os.environ.get("MASTRA_BENCH_COPY_KILL_AT", "0.4"))
WORKERS = int(os.environ.get("MASTRA_BENCH_COPY_WORKERS", "4"))
PAGE = int(os.environ.get("MASTRA_BENCH_COPY_PAGE", "1000"))
PREFIX = os.environ.get("MASTRA_BENCH_COPY_PREFIX", "bench_copy")
#: As the ring test: every record but messages carries a TTL, so expiries are carried and verified too.
TTL_SECONDS = 30 * 86400
Place = tuple[str, dict[str, Any]]


def available() -> bool:
    try:
        import mastra_ops  # noqa: F401
    except ImportError:
        return False
    return True


def _support() -> Any:
    """The mastra-ops tests' support module: each backend's harness and ``place`` (URL and options of a namespace)."""
    tests = str(ROOT / "plugins/mastra-ops/tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    return importlib.import_module("ops_support")


# -- children --------------------------------------------------------------------------------------------------------

async def _seed_child(place: Place, n: int) -> dict[str, Any]:
    """Seed ``n`` messages (and every other domain) at ``place``; its digest is what every hop must reproduce."""
    from mastra_core import open_storage
    from mastra_core.retention import ENTITIES
    from mastra_ops.seed import seed

    ttl = {e: {"default_ttl_seconds": TTL_SECONDS} for e in ENTITIES if e != "message"}
    storage = open_storage(place[0], ttl=ttl, **place[1])
    try:
        t = time.perf_counter()
        await seed(storage, threads=THREADS, messages=n // THREADS, same_ts=4, resources=5, batch=5000)
        return {"seed_s": time.perf_counter() - t}
    finally:
        await storage.close()


async def _digest_child(place: Place) -> dict[str, Any]:
    from mastra_core import open_storage
    from mastra_ops.copy import digest
    from mastra_ops.stream import Selection

    storage = open_storage(place[0], **place[1])
    try:
        t = time.perf_counter()
        got = await digest(storage, Selection(), page_size=PAGE, expiry=True)
        return {"digest": {k: d.as_json() for k, d in got.items()}, "s": time.perf_counter() - t}
    finally:
        await storage.close()


def _run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.bench_copy", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"bench child {args[:2]} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


# -- one hop: copy killed, resumed, verified -------------------------------------------------------------------------

def _hop(src: str, dst: str, places: tuple[Place, Place], n: int, expected: dict[str, Any],
         work: Path) -> dict[str, Any]:
    checkpoint, log = work / f"{src}-{dst}.checkpoint.json", work / f"{src}-{dst}.log"
    support = _support()
    args = [sys.executable, "-m", "mastra_core.cli", "copy", places[0][0], places[1][0],
            *support.cli_options("--src-option", places[0][1]), *support.cli_options("--dst-option", places[1][1]),
            "--checkpoint", str(checkpoint), "--page-size", str(PAGE), "--workers", str(WORKERS), "--no-verify",
            "--quiet"]
    if KILL_AT > 0:
        runs = support.copy_killed_and_resumed(args, log, checkpoint, int(n * KILL_AT))
    else:
        runs = [support.run_copy(args, log, checkpoint)]
        if runs[-1]["code"] != 0:
            raise SystemExit(f"copy {src} -> {dst} exited {runs[-1]['code']}:\n{log.read_text()[-3000:]}")
    resumed = "(resumed)" in log.read_text()
    got = _run_child("--digest", json.dumps(places[1]))
    copy_s = sum(r["s"] for r in runs)
    counts = {k: v["count"] for k, v in got["digest"].items()}
    return {"pair": f"{src} -> {dst}", "messages": counts.get("message", 0), "scale": n, "workers": WORKERS,
            "page_size": PAGE, "killed_at_messages": runs[0]["killed_at"], "runs": len(runs), "resumed": resumed,
            "run_s": [round(r["s"], 1) for r in runs], "copy_s": copy_s, "messages_per_s": n / copy_s,
            "peak_rss_mb": max(r["rss_mb"] for r in runs), "run_rss_mb": [round(r["rss_mb"]) for r in runs],
            "verify_s": got["s"], "equal": got["digest"] == expected, "counts": counts,
            "load_avg": os.getloadavg()[0], "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _record(row: dict[str, Any]) -> None:
    """Add a pair's numbers to bench/results/copy.json as soon as it is measured (a later failure keeps them)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "copy.json"
    rows = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*rows, row], indent=2))


# -- a chain ---------------------------------------------------------------------------------------------------------

async def _create(backend: str, ns: str) -> None:
    """The namespace made by its harness as the ops tests make it (the DynamoDB table with its TTL attribute on)."""
    if backend not in ("libsql", "mongodb"):  # mongodb: a database of its own, created by its first write
        await (await _support().harness(backend).make_storage(ns)).close()


async def _cleanup(backend: str, ns: str, place: Place) -> None:
    if backend == "libsql":
        return
    if backend == "mongodb":  # jongodb cannot drop a database: empty it
        from mastra_mongodb.schema import COLLECTIONS, SCHEMA_VERSIONS
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(place[0], serverSelectionTimeoutMS=5000)
        try:
            for name in (*COLLECTIONS, SCHEMA_VERSIONS):
                await client[place[1]["db_name"]][name].delete_many({})
        finally:
            await client.close()
        return
    await _support().harness(backend).cleanup(ns)


async def _chain(chain: list[str], n: int) -> list[dict[str, Any]]:
    work = Path(tempfile.mkdtemp(prefix=f"{PREFIX}_"))
    namespaces = [f"{PREFIX}_{uuid.uuid4().hex[:6]}_{i}" for i in range(len(chain))]
    places = [_support().place(b, ns, work, fresh_db=True) for b, ns in zip(chain, namespaces, strict=True)]
    for backend, (_, options) in zip(chain, places, strict=True):
        if backend == "mongodb":  # one insert of a page into jongodb takes over the default 30 s past ~12k messages
            options["operation_timeout"] = 900
    rows: list[dict[str, Any]] = []
    try:
        if "mongodb" in chain and not _support().harness("mongodb").real_server():
            from bench.jongodb_writes import measure

            row = await asyncio.to_thread(measure, _support().harness("mongodb").server_uri(), f"{PREFIX}_writes")
            _record(row)
            print(json.dumps(row), flush=True)
        await _create(chain[0], namespaces[0])
        seeded = await asyncio.to_thread(_run_child, "--seed", json.dumps(places[0]), str(n))
        expected = (await asyncio.to_thread(_run_child, "--digest", json.dumps(places[0])))["digest"]
        print(f"seeded {chain[0]} with {n} messages in {seeded['seed_s']:.0f}s", flush=True)
        for i in range(1, len(chain)):
            await _create(chain[i], namespaces[i])
            row = await asyncio.to_thread(_hop, chain[i - 1], chain[i], (places[i - 1], places[i]), n, expected, work)
            rows.append(row)
            _record(row)
            print(f"{row['pair']:<20}{row['messages']:>8} msgs {row['messages_per_s']:>7,.0f} msg/s (killed at "
                  f"{row['killed_at_messages']}, runs {row['run_s']} s) peak RSS {row['peak_rss_mb']:.0f} MB "
                  f"verify {row['verify_s']:.0f}s equal={row['equal']} resumed={row['resumed']}", flush=True)
            if not row["equal"]:
                raise SystemExit(f"{row['pair']}: the target differs from the seeded source: {row['counts']}")
    finally:
        for backend, ns, place in zip(chain, namespaces, places, strict=True):
            try:
                await _cleanup(backend, ns, place)
            except Exception as exc:  # a cleanup failure must not hide the numbers
                print(f"cleanup of {backend} {ns} failed: {exc}")
        shutil.rmtree(work, ignore_errors=True)  # the libSQL files (hundreds of MB at 100k) and the logs
    return rows


async def main() -> None:
    only = os.environ.get("MASTRA_BENCH_COPY_ONLY")  # "0" or "1": run one of CHAINS
    for i, (chain, n) in enumerate(CHAINS):
        if only is None or only == str(i):
            await _chain(chain, n)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--seed"]:
        print(json.dumps(asyncio.run(_seed_child(tuple(json.loads(sys.argv[2])), int(sys.argv[3])))))
    elif sys.argv[1:2] == ["--digest"]:
        print(json.dumps(asyncio.run(_digest_child(tuple(json.loads(sys.argv[2]))))))
    else:
        asyncio.run(main())
