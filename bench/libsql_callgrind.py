"""Instructions per op of the issue-16 small ops on a libsql file, under callgrind (noise-free on a busy machine).

``python -m bench.libsql_callgrind`` (``BENCH_CALLGRIND_VARIANTS=1``: also the create paths of
``bench_reference_ops.variant_ops``; ``BENCH_CALLGRIND_MORE=1``: also its ``more_ops``): re-executes itself under
valgrind; each op's K calls are bracketed by ``os.getppid()`` dump points (as in ``bench/overhead_callgrind.py``),
so its instruction count (every thread's, the worker thread's included) is exact and repeatable. Compare two
versions of the plugin with ``PYTHONPATH``. Beside each op: the raw floor, the statements one call sent (recorded at
the driver) replayed K times on the same driver connection with ``execute(...).fetchall()``, and the difference (our
overhead above the driver). A replayed write repeats the same values (an insert becomes an update of the rows it
wrote), so the floor is approximate.
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

K = int(os.environ.get("BENCH_CALLGRIND_K", "20"))


def _replayer(conn: Any, statements: list[tuple[str, tuple[Any, ...]]]) -> Any:
    def replay() -> None:
        for sql, params in statements:
            conn.execute(sql, params).fetchall()

    return replay


async def _phases() -> list[str]:
    from mastra_libsql import LibSQLStore
    from mastra_libsql.connection import RecordingConnection

    from bench.bench_reference_ops import more_ops, reference_ops, seed, seed_more, variant_ops

    labels: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = LibSQLStore(id="cg", url=f"file:{tmp}/cg.db")
        await store.init()
        await seed(store, "a")
        ops = reference_ops(store, "a")
        if os.environ.get("BENCH_CALLGRIND_VARIANTS") == "1":  # the create paths: a new record every call
            ops.update(variant_ops(store, "a"))
        if os.environ.get("BENCH_CALLGRIND_MORE") == "1":  # reads of a resource, a run, message pages...
            await seed_more(store, "a")
            ops.update(more_ops(store, "a"))
        for name, fn in ops.items():
            for _ in range(5):
                await fn()
            raw = store.db.conn
            rec = RecordingConnection(raw)
            store.db.conn = rec
            await fn()
            store.db.conn = raw
            floor = _replayer(raw, rec.statements)
            floor()
            os.getppid()
            labels.append(name)
            for _ in range(K):
                await fn()
            os.getppid()
            labels.append("raw:" + name)
            for _ in range(K):
                floor()
            os.getppid()
            labels.append("-")
        await store.close()
    return labels


def main() -> None:
    if os.environ.get("BENCH_CALLGRIND_CHILD"):
        print("LABELS " + json.dumps(asyncio.run(_phases())))
        return
    out = tempfile.mkdtemp(prefix="bench-libsql-callgrind-")
    env = {**os.environ, "BENCH_CALLGRIND_CHILD": "1", "PYTHONHASHSEED": "0"}
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", "--dump-before=getppid", f"--callgrind-out-file={out}/cg.out",
         sys.executable, "-m", "bench.libsql_callgrind"],
        env=env, capture_output=True, text=True, check=True,
    )
    labels = json.loads(proc.stdout.split("LABELS ", 1)[1])
    files = sorted(glob.glob(f"{out}/cg.out.*"), key=lambda p: int(p.rsplit(".", 1)[1].split("-")[0]))
    totals: list[int] = []
    for path in files:
        with open(path) as f:
            m = re.search(r"^(?:summary|totals): (\d+)", f.read(), re.M)
        totals.append(int(m.group(1)) if m else 0)
    per_op = {label: totals[i + 1] // K for i, label in enumerate(labels) if label != "-" and i + 1 < len(totals)}
    print(f"{'operation':<44}{'instructions/op':>16}{'raw floor':>12}{'overhead':>12}")
    for label, ours in per_op.items():
        if not label.startswith("raw:"):
            floor = per_op.get("raw:" + label, 0)
            print(f"{label:<44}{ours:>16,}{floor:>12,}{ours - floor:>12,}")


if __name__ == "__main__":
    main()
