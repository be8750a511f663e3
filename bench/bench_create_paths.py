"""What one create costs each side beside the reference, below the op's timing (bench_side_by_side times the ops).

- libsql: WAL frames per persist+load of a NEW run, ours (``LibSQLStore``) and the reference's (@mastra/libsql 1.0,
  driven in node through bench/reference/ops.mjs on its own file): every frame is a page the commit writes and a
  later checkpoint copies back, so frames are the part of a create that grows with the table's B-trees.
- pg: the server's cost of saving one new thread: our store's statement (its upsert) on the table it created and
  the reference's (the statement of @mastra/pg 1.0's ``saveThread``, copied below) on the table the reference
  created, each sent by one plain psycopg connection, prepared, autocommit, interleaved in rounds: wall us per
  statement, i.e. one round trip with the server's execution and commit (WAL flush), no client library around it.
  On this machine the commit's WAL flush dominates and moves runs minutes apart by +-15 %.

Printed and written to ``bench/results/create_paths.json``; nothing is asserted. Needs the interop node and packages
(``bash interop/setup.sh``) and, for pg, ``MASTRA_TEST_PG_URL``. Run: ``python -m bench create_paths``.
"""

from __future__ import annotations

import json
import os
import statistics
import struct
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.bench_overhead import snapshot
from bench.bench_side_by_side import _libsql, _pg, available  # noqa: F401  -- available: the same needs
from bench.common import RESULTS
from bench.reference_node import ReferenceProcess

N = int(os.environ.get("BENCH_CREATE_N", "100"))  # x ~5 frames: under the 1,000-frame autocheckpoint
ROUNDS = int(os.environ.get("BENCH_CREATE_ROUNDS", "8"))

#: @mastra/pg 1.0 ``saveThread`` (dist/index.js), its text and parameter order.
REFERENCE_SAVE_THREAD = """INSERT INTO {table} (
          id, "resourceId", title, metadata, "createdAt", "createdAtZ", "updatedAt", "updatedAtZ"
        ) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
        ON CONFLICT (id) DO UPDATE SET
          "resourceId" = EXCLUDED."resourceId", title = EXCLUDED.title, metadata = EXCLUDED.metadata,
          "createdAt" = EXCLUDED."createdAt", "createdAtZ" = EXCLUDED."createdAtZ",
          "updatedAt" = EXCLUDED."updatedAt", "updatedAtZ" = EXCLUDED."updatedAtZ\""""


def _wal_frames(db_file: Path) -> int:
    """Frames in ``db_file``'s WAL (header 32 bytes, each frame 24 + page size)."""
    wal = db_file.with_name(db_file.name + "-wal")
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    (page_size,) = struct.unpack(">I", data[8:12])
    return (len(data) - 32) // (24 + page_size)


def _truncate_wal(db_file: Path) -> None:
    """Checkpoint ``db_file`` and empty its WAL (so the frames counted next are the op's alone)."""
    import libsql

    conn = libsql.connect(str(db_file), isolation_level=None)
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()[0][0]
    finally:
        conn.close()
    if busy:
        raise RuntimeError(f"{db_file.name}: the WAL could not be emptied (a reader or writer was active)")


async def _libsql_frames() -> dict[str, float]:
    async with _libsql() as (backend, config, ours):
        ref_file = Path(str(config["url"]).removeprefix("file:"))
        ours_file = ref_file.with_name("ours.db")
        ref, _ = await ReferenceProcess.open(backend, config)
        try:
            _truncate_wal(ref_file)
            await ref.run("persist + load (new run)", N, 0)
            ref_frames = _wal_frames(ref_file) / N
        finally:
            await ref.close()
        snap, w = snapshot(), ours.workflows
        _truncate_wal(ours_file)
        for i in range(N):
            run_id = f"run-frames-{i}"
            await w.persist_workflow_snapshot(workflow_name="wf", run_id=run_id, snapshot=snap)
            await w.load_workflow_snapshot(workflow_name="wf", run_id=run_id)
        return {"ours": _wal_frames(ours_file) / N, "reference": ref_frames}


async def _pg_new_thread_us() -> dict[str, float]:
    import psycopg
    from mastra_core.records import Thread

    async with _pg() as (backend, config, ours):
        ref, _ = await ReferenceProcess.open(backend, config)  # creates the reference's tables in its database
        await ref.close()
        memory: Any = ours.memory
        now = datetime.now(UTC)
        naive = now.replace(tzinfo=None)
        with psycopg.connect(config["connectionString"], autocommit=True) as ref_conn, \
                psycopg.connect(ours.config.connection_string, autocommit=True) as our_conn:
            reference_sql = REFERENCE_SAVE_THREAD.format(table="mastra_threads")

            def ours_with(sql: str) -> Any:
                def send(tid: str) -> None:
                    thread = Thread(id=tid, resource_id="cp", title="t", created_at=now, updated_at=now)
                    our_conn.execute(sql, memory._thread_params(thread, now), prepare=True)  # the store's parameters
                return send

            def reference(tid: str) -> None:
                ref_conn.execute(reference_sql, (tid, "cp", "t", "{}", naive, now, naive, now), prepare=True)

            sides = {"ours": ours_with(memory.upsert_thread_sql), "reference": reference}
            runs: dict[str, list[float]] = {side: [] for side in sides}
            for rnd in range(ROUNDS):
                for side in list(sides) if rnd % 2 else list(reversed(sides)):
                    ids = [f"cp-{uuid.uuid4().hex}" for _ in range(N)]
                    start = time.perf_counter()
                    for tid in ids:
                        sides[side](tid)
                    runs[side].append((time.perf_counter() - start) / N * 1e6)
        return {side: statistics.median(values) for side, values in runs.items()}


async def main() -> None:
    out: dict[str, Any] = {"n": N, "rounds": ROUNDS}
    out["libsql_wal_frames_per_new_run"] = frames = await _libsql_frames()
    print(f"libsql-file  WAL frames per persist+load of a new run: ours {frames['ours']:.2f}, "
          f"reference {frames['reference']:.2f}")
    if os.environ.get("MASTRA_TEST_PG_URL"):
        out["pg_new_thread_statement_us"] = costs = await _pg_new_thread_us()
        print(f"pg           one new thread's statement, us (median of {ROUNDS} rounds of {N}): "
              + ", ".join(f"{side} {us:.0f}" for side, us in costs.items()))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "create_paths.json").write_text(json.dumps(out, indent=2))
