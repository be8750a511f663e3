"""libSQL under contention: writes/s and latency with 1, 4 and 16 writer processes on one database.

Each writer is its own process with its own store (as gunicorn/uvicorn workers are), all saving one-message
batches to one thread of one database: a fresh file, and the sqld server when MASTRA_TEST_SQLD_URL is set
(tables under a prefix of this bench's own, dropped afterwards). The 1-writer line is the single-writer
figure the others compare to; p99 shows the wait for the write lock. BENCH_WRITES sets writes per writer.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import Result, report

WRITERS = (1, 4, 16)


def available() -> bool:
    try:
        import libsql  # noqa: F401
        import mastra_libsql  # noqa: F401
    except ImportError:
        return False
    return True


def _store(url: str, prefix: str, name: str) -> Any:
    from mastra_libsql import LibSQLStore

    return LibSQLStore(id=name, url=url, auth_token=os.environ.get("MASTRA_TEST_SQLD_AUTH_TOKEN"), table_prefix=prefix)


def _writer(url: str, prefix: str, writer: int, writes: int, barrier: Any, out: Any) -> None:
    from mastra_core.records import Message, MessageContent, TextPart

    async def run() -> list[float]:
        samples: list[float] = []
        async with _store(url, prefix, f"w{writer}") as store:
            await store.init()
            barrier.wait()  # every writer starts writing at once
            for i in range(writes):
                msg = Message(id=f"w{writer}-{i}", role="user", thread_id="bench", resource_id="bench",
                              content=MessageContent(parts=[TextPart(text=f"write {i} of {writer}")]))
                t = time.perf_counter()
                await store.memory.save_messages(messages=[msg])
                samples.append((time.perf_counter() - t) * 1000)
        return samples

    out.put(asyncio.run(run()))


async def _prepare(url: str, prefix: str) -> None:
    from mastra_core.records import Thread

    async with _store(url, prefix, "prep") as store:
        await store.memory.save_thread(thread=Thread(id="bench", resource_id="bench"))


async def _round(label: str, url: str, prefix: str, writers: int, writes: int) -> Result:
    await _prepare(url, prefix)
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(writers + 1), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(url, prefix, w, writes, barrier, out)) for w in range(writers)]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    samples = sorted(s for _ in procs for s in out.get(timeout=900))
    wall = time.perf_counter() - start
    for p in procs:
        p.join(60)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return Result(backend=f"libsql-{label}", op=f"save_messages(1), {writers} writer process(es)", n=len(samples),
                  ops_per_s=len(samples) / wall, p50_ms=statistics.median(samples),
                  p95_ms=samples[min(len(samples) - 1, int(len(samples) * 0.95))], note=f"p99 {p99:.1f} ms")


async def _drop(prefix: str) -> None:
    from mastra_libsql.harness import sqld_harness

    await sqld_harness.cleanup(prefix.rstrip("_"))


async def main() -> None:
    writes = int(os.environ.get("BENCH_WRITES", "100"))
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="mastra-bench-contention-") as tmp:
        for n in WRITERS:
            results.append(await _round("file", f"file:{Path(tmp) / f'w{n}.db'}", "", n, writes))
    sqld = os.environ.get("MASTRA_TEST_SQLD_URL")
    if sqld:
        for n in WRITERS:
            prefix = f"benchcont{uuid.uuid4().hex[:6]}_"
            try:
                results.append(await _round("sqld", sqld, prefix, n, max(10, writes // 2)))
            finally:
                await _drop(prefix)
    else:
        print("(MASTRA_TEST_SQLD_URL not set: remote sqld not benchmarked)", file=sys.stderr)
    report(results, "libsql_contention")


if __name__ == "__main__":
    asyncio.run(main())
