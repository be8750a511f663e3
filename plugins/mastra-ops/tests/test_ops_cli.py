"""The ``mastra copy | export | import`` commands as a user runs them: subprocesses, real services, a kill -9."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from mastra_core import open_storage
from mastra_ops.copy import digest
from mastra_ops.seed import seed
from mastra_ops.stream import Selection
from ops_support import harness

#: The killed-and-resumed copy: 10k messages in CI (MASTRA_OPS_BIG sets another size; the 100k runs are in bench/).
BIG = int(os.environ.get("MASTRA_OPS_BIG", "10000"))


def mastra(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``mastra ARGS`` in this interpreter's environment."""
    proc = subprocess.run([sys.executable, "-m", "mastra_core.cli", *args], capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"mastra {' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_copy_resumes_after_kill_9(tmp_path: Path) -> None:
    src_url = f"file:{tmp_path / 'src.db'}"
    threads, per_thread = 20, BIG // 20

    async def prepare() -> dict[str, Any]:
        src = open_storage(src_url)
        try:
            await seed(src, threads=threads, messages=per_thread, same_ts=4, resources=5)
            return {k: d.as_json() for k, d in (await digest(src, Selection())).items()}
        finally:
            await src.close()

    expected = asyncio.run(prepare())
    namespace = f"ops_cli_{os.getpid()}"
    pg_url = harness("pg").server_url()
    checkpoint = tmp_path / "copy.json"
    args = ["copy", src_url, pg_url, "--dst-option", f"schema_name={namespace}", "--checkpoint", str(checkpoint),
            "--quiet"]
    try:
        proc = subprocess.Popen([sys.executable, "-m", "mastra_core.cli", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        copied = 0
        while copied < BIG // 4:  # kill it a quarter of the way through the messages
            assert proc.poll() is None, f"the copy ended before it was killed: {proc.communicate()}"
            time.sleep(0.05)
            if checkpoint.exists():
                copied = json.loads(checkpoint.read_text())["copied"].get("message", 0)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = json.loads(checkpoint.read_text())
        assert not state["finished"] and state["domain"] == "memory"
        done = mastra(*args)  # resumes, then verifies counts and checksums (exit 1 on a difference)
        assert "(resumed)" in done.stderr
        assert "DIFFERENT" not in done.stdout and "| message " in done.stdout

        async def check() -> None:
            dst = open_storage(pg_url, schema_name=namespace)
            try:
                got = {k: d.as_json() for k, d in (await digest(dst, Selection())).items()}
                assert got == expected
                assert got["message"]["count"] == threads * per_thread
                page = await dst.memory.list_messages(thread_id="thread-0007", per_page=5, page=2)
                assert [m.id for m in page.items] == [f"thread-0007-m{i:06d}" for i in range(10, 15)]
            finally:
                await dst.close()

        asyncio.run(check())
    finally:
        asyncio.run(harness("pg").cleanup(namespace))


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
