"""Run every default nox session, ``--jobs`` at a time, and fail if any session fails.

``./scripts/test.sh`` calls this when it is given no nox arguments. The sessions are independent (each has
its own virtualenv, database names, key prefixes and tables), and most of their time is spent waiting on a
server, so two at a time roughly halves the wall time on a 2-core machine. Each session's output goes to
``.nox-logs/<session>.log`` and is printed whole when the session ends, so logs never interleave; the
summary at the end gives every session's result and duration.

The longest sessions start first (the order below, measured on this project's CI machine), so the last
one to finish is a short one.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOX = ROOT / ".venv" / "bin" / "nox"
#: Sessions known to run long; any other session keeps nox's order after these.
LONGEST_FIRST = ["conformance(upstash)", "conformance(libsql)", "conformance(dynamodb)", "conformance(pg)",
                 "conformance(mongodb)", "conformance(mysql)", "interop", "memory", "ops", "docs",
                 "integrations(openai_agents)", "langchain", "conformance(inmemory)", "packaging", "core"]


def default_sessions() -> list[str]:
    """The sessions plain ``nox`` would run, longest first."""
    listed = subprocess.run([str(NOX), "--list", "--json"], cwd=ROOT, check=True, capture_output=True, text=True)
    names = [entry["session"] for entry in json.loads(listed.stdout)]
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    return sorted(names, key=lambda name: rank.get(name, len(rank)))


def log_path(session: str) -> Path:
    """Where a session's output goes: a file name made of the session name's safe characters."""
    return ROOT / ".nox-logs" / (re.sub(r"[^A-Za-z0-9_.-]+", "_", session).strip("_") + ".log")


def run_session(session: str) -> tuple[str, int, float]:
    """Run one nox session with its output in its log file; (session, exit code, seconds)."""
    started = time.monotonic()
    path = log_path(session)
    with path.open("w") as log:
        code = subprocess.run([str(NOX), "-s", session], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT).returncode
    return session, code, time.monotonic() - started


def main() -> int:
    """Run the sessions; print each log as its session ends, then a summary; exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="sessions at a time (default 2)")
    jobs = parser.parse_args().jobs
    (ROOT / ".nox-logs").mkdir(exist_ok=True)
    queue = default_sessions()
    results: list[tuple[str, int, float]] = []
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        pending: set[Future[tuple[str, int, float]]] = set()
        while queue or pending:
            while queue and len(pending) < jobs:
                session = queue.pop(0)
                print(f"== nox -s {session!r}: started", flush=True)
                pending.add(pool.submit(run_session, session))
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                session, code, seconds = future.result()
                results.append((session, code, seconds))
                status = "passed" if code == 0 else f"FAILED (exit {code})"
                print(f"\n== nox -s {session!r}: {status} in {seconds:.0f} s; its output:", flush=True)
                sys.stdout.write(log_path(session).read_text(errors="replace"))
                sys.stdout.flush()
    print(f"\n== summary ({time.monotonic() - started:.0f} s wall, {jobs} at a time)")
    for session, code, seconds in results:
        print(f"  {'ok    ' if code == 0 else 'FAILED'} {seconds:6.0f} s  {session}")
    failed = [session for session, code, _ in results if code != 0]
    if failed:
        print("failed sessions: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
