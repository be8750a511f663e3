"""Test support shared by the mastra-ops tests (and bench/bench_copy.py): each backend's contract-suite harness,
where a namespace of it lives (URL and options, as ``mastra copy``/``migrate`` take them on the command line), and a
``mastra copy`` process SIGKILLed mid-way and run again (the ring test and the 100k bench)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

#: backend id -> harness module names, first found wins.
HARNESSES = {
    "pg": ["mastra_pg.harness"],
    "mongodb": ["mastra_mongodb.harness"],
    "dynamodb": ["mastra_dynamodb.harness"],
    "upstash": ["mastra_upstash.harness"],
    "mysql": ["mastra_mysql.harness"],
}


def harness(backend: str) -> Any:
    """The harness module of an installed backend."""
    for name in HARNESSES[backend]:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise RuntimeError(f"no test harness for {backend}: is its plugin installed?")


def place(backend: str, ns: str, tmp: Path, *, fresh_db: bool = False) -> tuple[str, dict[str, Any]]:
    """URL and options of ``backend``'s namespace ``ns`` (nothing is created; libsql is a file in ``tmp``).

    On jongodb the harness hands a namespace a recycled database (emptied by its ``cleanup``: jongodb cannot drop
    one), which is what copies want; ``fresh_db`` names a database of its own instead (``ns`` itself), for tests of
    what a never-used namespace looks like (a recycled one keeps its collections and indexes).
    """
    if backend == "libsql":
        return f"file:{tmp / (ns + '.db')}", {}
    h = harness(backend)
    if backend == "pg":
        return h.server_url(), {"schema_name": ns}
    if backend == "mongodb":
        return h.server_uri(), {"db_name": ns if fresh_db else h.db_name(ns)}
    if backend == "dynamodb":
        return f"dynamodb://{h.endpoint().split('://', 1)[1]}/{h.table_name(ns)}", {"credentials": h.CREDENTIALS}
    if backend == "upstash":
        return h.redis_url(), {"prefix": h.prefix_for(ns)}
    if backend == "mysql":
        return h.server_url(), {"database": ns}
    raise ValueError(f"no place for backend {backend!r}")


def copied_messages(checkpoint: Path) -> int:
    """Messages a ``mastra copy`` checkpoint says are written (0 before its first save)."""
    try:
        return int(json.loads(checkpoint.read_text())["copied"].get("message", 0))
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def run_copy(args: list[str], log: Path, checkpoint: Path, *, kill_at: int | None = None,
             timeout: float = 3600) -> dict[str, Any]:
    """Run ``args`` (a ``mastra copy`` command) to its end, or SIGKILL it once ``checkpoint`` says ``kill_at``
    messages are written; its output is appended to ``log``. Returns the seconds it ran, its exit code, its peak RSS
    in MB (the kernel's accounting of that child, ``wait4``) and the messages written when it was killed."""
    with log.open("a") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=out)
        killed_at = None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:  # reaped here, so its rusage is read here (Popen.wait would lose it)
                break
            if kill_at is not None and killed_at is None and (done := copied_messages(checkpoint)) >= kill_at:
                proc.send_signal(signal.SIGKILL)
                killed_at = done
            elif time.perf_counter() - started > timeout:
                proc.kill()
                raise TimeoutError(f"{args[:5]} ran over {timeout} s")
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
    if kill_at is not None and killed_at is None:
        raise AssertionError(f"the copy ended (exit {proc.returncode}) before it was killed:\n{log.read_text()}")
    return {"s": time.perf_counter() - started, "code": proc.returncode, "rss_mb": usage.ru_maxrss / 1024,
            "killed_at": killed_at}


def copy_killed_and_resumed(args: list[str], log: Path, checkpoint: Path, kill_at: int) -> list[dict[str, Any]]:
    """``run_copy`` killed at ``kill_at`` messages, then run again until it exits (it resumes from ``checkpoint``);
    a run that exits 5 (a service stopped answering) is run once more. Each run's numbers, the last one's exit 0."""
    runs = [run_copy(args, log, checkpoint, kill_at=kill_at)]
    state = json.loads(checkpoint.read_text())
    assert not state["finished"] and state["domain"] == "memory", state
    runs.append(run_copy(args, log, checkpoint))
    if runs[-1]["code"] == 5:  # rerunning resumes, or verifies a finished copy
        runs.append(run_copy(args, log, checkpoint))
    assert runs[-1]["code"] == 0, f"resumed copy exited {runs[-1]['code']}:\n{log.read_text()[-5000:]}"
    return runs


def cli_options(flag: str, options: dict[str, Any]) -> list[str]:
    """``options`` as ``mastra copy`` arguments: ``[flag, "key=value", ...]`` (values other than text as JSON)."""
    return [a for k, v in options.items() for a in (flag, f"{k}={v if isinstance(v, str) else json.dumps(v)}")]
