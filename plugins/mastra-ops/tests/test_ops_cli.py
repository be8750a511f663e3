"""The ``mastra copy | export | import`` commands as a user runs them, in subprocesses (the copy killed with SIGKILL and
resumed is ``test_ops_copy_ring.py``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from mastra_core import open_storage
from mastra_ops.seed import seed


def mastra(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``mastra ARGS`` in this interpreter's environment."""
    proc = subprocess.run([sys.executable, "-m", "mastra_core.cli", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"mastra {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_export_import_round_trip_is_exact(tmp_path: Path) -> None:
    a, b = f"file:{tmp_path / 'a.db'}", f"file:{tmp_path / 'b.db'}"

    async def prepare() -> None:
        s = open_storage(a)
        await seed(s, threads=3, messages=40, same_ts=3)
        await s.close()

    asyncio.run(prepare())
    dump = tmp_path / "dump.jsonl"
    with dump.open("w") as fh:
        subprocess.run([sys.executable, "-m", "mastra_core.cli", "export", a, "--quiet"], stdout=fh, check=True)
    lines = dump.read_text().splitlines()
    first = json.loads(lines[0])
    assert first["domain"] == "memory" and first["kind"] == "resource" and "workingMemory" in first["record"]
    message = next(json.loads(x) for x in lines if '"kind":"message"' in x)
    assert {"threadId", "resourceId", "createdAt", "content"} <= set(message["record"])
    mastra("import", b, str(dump), "--quiet")
    mastra("export", b, "--quiet", "--output", str(tmp_path / "again.jsonl"))
    assert (tmp_path / "again.jsonl").read_text() == dump.read_text()


def test_import_refuses_a_malformed_line_and_writes_nothing_of_its_batch(tmp_path: Path) -> None:
    a, b = f"file:{tmp_path / 'a.db'}", f"file:{tmp_path / 'b.db'}"

    async def prepare() -> None:
        s = open_storage(a)
        await seed(s, threads=2, messages=10, others=False)
        await s.close()

    asyncio.run(prepare())
    dump = tmp_path / "dump.jsonl"
    mastra("export", a, "--quiet", "--output", str(dump))
    lines = dump.read_text().splitlines()
    bad = lines[:5] + ['{"domain": "memory", "kind": "message", "record": {"id": "x"}}'] + lines[5:]
    (tmp_path / "bad.jsonl").write_text("\n".join(bad) + "\n")
    proc = mastra("import", b, str(tmp_path / "bad.jsonl"), "--quiet", check=False)
    assert proc.returncode == 1 and "line 6:" in proc.stderr and "not a valid message" in proc.stderr
    (tmp_path / "notjson.jsonl").write_text(lines[0] + "\n{oops\n")
    proc = mastra("import", b, str(tmp_path / "notjson.jsonl"), "--quiet", check=False)
    assert proc.returncode == 1 and "line 2: not JSON" in proc.stderr

    async def empty() -> None:
        s = open_storage(b)
        try:
            assert (await s.memory.list_threads()).total == 0
            assert await s.memory.get_resource_by_id(resource_id="res-0") is None
        finally:
            await s.close()

    asyncio.run(empty())


def test_copy_refuses_a_checkpoint_of_another_copy(tmp_path: Path) -> None:
    a, b, c = (f"file:{tmp_path / n}" for n in ("a.db", "b.db", "c.db"))
    mastra("copy", a, b, "--checkpoint", str(tmp_path / "cp.json"), "--quiet")
    proc = mastra("copy", a, c, "--checkpoint", str(tmp_path / "cp.json"), "--quiet", check=False)
    assert proc.returncode == 2 and "is for another copy" in proc.stderr
