"""``mastra copy`` throughput: messages/s and peak memory per pair of backends.

Chains of copies, each pair's target being the next pair's source, so one seeded store feeds every pair:
libsql file -> pg -> dynamodb (Local) -> upstash (Redis) -> mysql (MariaDB) -> libsql, and libsql -> mongodb
(jongodb) -> pg with fewer messages (see CHAINS).
Each copy runs in a child process (``python -m bench.bench_copy --child ...``) so its peak RSS is its own;
the copy and the verification (both sides read again, counts and checksums) are timed separately.
``MASTRA_BENCH_COPY_N`` sets the message count (default 100k: 20 threads of 5k messages),
``MASTRA_BENCH_COPY_WORKERS`` the threads copied at once (default 4; 1: one after the other).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import RESULTS

#: (chain of backends, messages): each chain is seeded once, in its first store.
CHAINS = [
    (os.environ.get("MASTRA_BENCH_COPY_CHAIN", "libsql,pg,dynamodb,upstash,mysql,libsql").split(","),
     int(os.environ.get("MASTRA_BENCH_COPY_N", "100000"))),
    # jongodb (the test MongoDB) scans its collection on every upsert: a copy into it is quadratic, so it gets
    # its own, smaller chain; a real mongod uses the unique index on id
    (["libsql", "mongodb", "pg"], int(os.environ.get("MASTRA_BENCH_COPY_MONGO_N", "1000"))),
]
THREADS = 20
#: Threads copied at once (``mastra copy --workers``; 1 is the sequential copy of before).
WORKERS = int(os.environ.get("MASTRA_BENCH_COPY_WORKERS", "4"))
ROOT = Path(__file__).resolve().parents[1]


def available() -> bool:
    try:
        import mastra_ops  # noqa: F401
    except ImportError:
        return False
    return True


def _harness(backend: str) -> Any:
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "plugins/mastra-ops/tests"))
    from ops_support import harness

    return harness(backend)


async def _storage(backend: str, namespace: str) -> Any:
    from mastra_core import open_storage

    if backend == "libsql":
        return open_storage(f"file:{namespace}")
    if backend == "mongodb":  # the harness names databases per process; the chain's children share names
        return open_storage(_harness(backend).server_uri(), db_name=namespace)
    return await _harness(backend).make_storage(namespace)


async def _child(src: str, src_ns: str, dst: str, dst_ns: str, seed_n: int) -> dict[str, Any]:
    from mastra_ops.copy import Checkpoint, copy
    from mastra_ops.seed import seed
    from mastra_ops.stream import Selection

    s, d = await _storage(src, src_ns), await _storage(dst, dst_ns)
    try:
        if seed_n:
            await seed(s, threads=THREADS, messages=seed_n // THREADS, same_ts=4, resources=5, batch=5000)
        checkpoint = Checkpoint.load_or_new(Path(tempfile.mkdtemp()) / "cp.json", src_ns, dst_ns, Selection())
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        result = await copy(s, d, checkpoint, page_size=1000, verify=False, workers=WORKERS)
        copy_s = time.perf_counter() - t
        t = time.perf_counter()
        checkpoint.finished = True
        verified = await copy(s, d, checkpoint, page_size=1000, verify=True)
        verify_s = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"pair": f"{src} -> {dst}", "workers": WORKERS, "messages": result.copied.get("message", 0),
                "copy_s": copy_s,
                "messages_per_s": result.copied.get("message", 0) / copy_s, "verify_s": verify_s,
                "equal": verified.mismatches == [], "peak_rss_mb": peak / 1024, "rss_before_copy_mb": before / 1024}
    finally:
        await s.close()
        await d.close()


async def main() -> None:
    only = os.environ.get("MASTRA_BENCH_COPY_ONLY")  # "0" or "1": run one of CHAINS
    for i, (chain, n) in enumerate(CHAINS):
        if only is None or only == str(i):
            await _chain(chain, n)


def _record(row: dict[str, Any]) -> None:
    """Add a pair's numbers to bench/results/copy.json as soon as it is measured (a later failure keeps them)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "copy.json"
    rows = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps([*rows, row], indent=2))


async def _cleanup(backend: str, namespace: str) -> None:
    if backend == "mongodb":
        from mastra_mongodb.schema import COLLECTIONS
        from pymongo import AsyncMongoClient

        client: Any = AsyncMongoClient(_harness(backend).server_uri())
        try:
            db = client[namespace]
            for name in (*COLLECTIONS, "mastra_schema_version"):
                await db[name].delete_many({})
        finally:
            await client.close()
        return
    await _harness(backend).cleanup(namespace)


async def _chain(chain: list[str], n: int) -> list[dict[str, Any]]:
    workdir = Path(tempfile.mkdtemp())
    namespaces = [f"bench_copy_{uuid.uuid4().hex[:8]}_{i}" for i in range(len(chain))]
    namespaces[0] = str(workdir / "src.db") if chain[0] == "libsql" else namespaces[0]
    namespaces[-1] = str(workdir / "dst.db") if chain[-1] == "libsql" else namespaces[-1]
    rows: list[dict[str, Any]] = []
    try:
        for i in range(len(chain) - 1):
            args = [sys.executable, "-m", "bench.bench_copy", "--child", chain[i], namespaces[i], chain[i + 1],
                    namespaces[i + 1], str(n if i == 0 else 0)]
            out = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True, cwd=ROOT)
            if out.returncode != 0:
                print(out.stderr[-3000:])
                raise SystemExit(f"copy {chain[i]} -> {chain[i + 1]} failed")
            row = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(row)
            _record(row)
            print(f"{row['pair']:<22}{row['messages']:>8} msgs {row['messages_per_s']:>9,.0f} msg/s "
                  f"copy {row['copy_s']:>6.1f}s verify {row['verify_s']:>6.1f}s peak RSS {row['peak_rss_mb']:>6.0f} MB"
                  f" equal={row['equal']}", flush=True)
    finally:
        for backend, ns in zip(chain, namespaces, strict=True):
            if backend == "libsql":
                continue
            try:
                await _cleanup(backend, ns)
            except Exception as exc:  # a cleanup failure must not hide the numbers
                print(f"cleanup of {backend} {ns} failed: {exc}")
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        a, a_ns, b, b_ns, n = sys.argv[2:7]
        print(json.dumps(asyncio.run(_child(a, a_ns, b, b_ns, int(n)))))
    else:
        asyncio.run(main())
