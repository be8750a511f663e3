"""Instructions per op under valgrind's callgrind: the noise-free version of ``bench_overhead`` for a busy machine.

Each phase (the library running one op K times, then the raw replay of its statements K times) is bracketed by a
call to ``os.getppid()``; callgrind runs with ``--dump-before=getppid``, so every phase lands in its own dump and
its instruction count (``Ir``) is exact and repeatable. Run through ``python -m bench.overhead_callgrind``: it
re-executes itself under valgrind and prints instructions per op, library vs floor.
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
from typing import Any

from bench.common import RESULTS

K = int(os.environ.get("BENCH_CALLGRIND_K", "20"))


async def _phases() -> list[tuple[str, str]]:
    """Run under valgrind: the phases in order, each after a dump point."""
    from mastra_core import create_storage

    from bench.bench_overhead import Recorder, ops, replayer, seed

    labels: list[tuple[str, str]] = []

    def mark(label: tuple[str, str]) -> None:
        os.getppid()  # the dump point: everything since the last one is the previous phase
        labels.append(label)

    store = create_storage("inmemory", id="cg")
    await store.init()
    await seed(store)
    for name, fn in ops(store).items():
        for _ in range(5):
            await fn()
        mark(("inmemory", name))
        for _ in range(K):
            await fn()
        mark(("-", "-"))
    url = os.environ.get("MASTRA_TEST_PG_URL")
    if url:
        import psycopg
        from mastra_pg import PostgresStore
        from psycopg import sql

        schema = f"bench_cg_{os.getpid()}"
        pg = PostgresStore(id="cg", connection_string=url, schema_name=schema, min_pool_size=1, max_pool_size=1)
        raw = await psycopg.AsyncConnection.connect(url, autocommit=True)
        recorder = Recorder()
        uninstall = recorder.install()
        try:
            await pg.init()
            await seed(pg)
            for name, fn in ops(pg).items():
                for _ in range(10):
                    await fn()
                recorder.statements.clear()
                recorder.on = True
                await fn()
                recorder.on = False
                floor = replayer(raw, list(recorder.statements))
                for _ in range(10):
                    await floor()
                mark(("pg", name))
                for _ in range(K):
                    await fn()
                mark(("pg-raw", name))
                for _ in range(K):
                    await floor()
                mark(("-", "-"))
        finally:
            uninstall()
            await pg.close()
            await raw.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
            await raw.close()
    return labels


def main() -> None:
    if os.environ.get("BENCH_CALLGRIND_CHILD"):
        labels = asyncio.run(_phases())
        print("LABELS " + json.dumps(labels))
        return
    out = tempfile.mkdtemp(prefix="bench-callgrind-")
    env = {**os.environ, "BENCH_CALLGRIND_CHILD": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}/cg.out",
         sys.executable, "-m", "bench.overhead_callgrind"],
        env=env, capture_output=True, text=True, check=True,
    )
    labels = json.loads(proc.stdout.split("LABELS ", 1)[1])
    files = sorted(glob.glob(f"{out}/cg.out.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
    totals = []
    for path in files:
        text = open(path).read()
        m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
        totals.append(int(m.group(1)) if m else 0)
    # dump i (1-based) holds what ran before the i-th getppid(): phase i-1's work after the mark at i-1
    per: dict[tuple[str, str], float] = {}
    for i, label in enumerate(labels):
        if label[0] != "-" and i + 1 < len(totals):
            per[(label[0], label[1])] = totals[i + 1] / K
    rows: list[dict[str, Any]] = []
    for (backend, op), ir in per.items():
        if backend == "pg-raw":
            continue
        floor = per.get(("pg-raw", op), 0.0) if backend == "pg" else 0.0
        rows.append({"backend": backend, "op": op, "library_instr": int(ir), "floor_instr": int(floor),
                     "above_instr": int(ir - floor)})
    print(f"{'backend':<10}{'operation':<36}{'library Ir':>12}{'raw Ir':>11}{'above':>11}")
    for r in rows:
        print(f"{r['backend']:<10}{r['op']:<36}{r['library_instr']:>12,}{r['floor_instr']:>11,}{r['above_instr']:>11,}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "overhead_callgrind.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
