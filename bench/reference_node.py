"""The reference Mastra TS store as a long-lived node process (``bench/reference/ops.mjs``), driven op by op.

Node and the pinned reference packages are the interop suite's (``interop/setup.sh``): the nox ``bench`` session
exports ``MASTRA_INTEROP_NODE`` and ``MASTRA_INTEROP_PACKAGES``; without them this runs the setup script itself
(it reuses what an earlier run installed). Timings come from node (``process.hrtime``), so the pipe is never timed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(__file__).parent / "reference" / "ops.mjs"
MARK = "@@bench "
#: Bound on one reply: opening (init + seeding 101 threads) or one round of one op.
REPLY_TIMEOUT_S = 300.0


def interop_env() -> dict[str, str]:
    """``MASTRA_INTEROP_NODE``/``MASTRA_INTEROP_PACKAGES``, from the environment or from ``interop/setup.sh``."""
    keys = ("MASTRA_INTEROP_NODE", "MASTRA_INTEROP_PACKAGES")
    if all(os.environ.get(k) for k in keys):
        return {k: os.environ[k] for k in keys}
    out = subprocess.run(["bash", str(ROOT / "interop" / "setup.sh")], check=True, stdout=subprocess.PIPE,
                         text=True, timeout=1800)
    found = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    return {k: found[k].strip() for k in keys}


class ReferenceProcess:
    """One node process holding one reference store; ``run`` times ``n`` calls of an op there."""

    def __init__(self, proc: asyncio.subprocess.Process, stderr: Any) -> None:
        self._proc = proc
        self._stderr = stderr

    @classmethod
    async def open(cls, backend: str, config: dict[str, Any], *, more: bool = False) -> tuple[ReferenceProcess, str]:
        """Start node, create the store, ``init()`` it and seed it (``more``: also what the extra ops read);
        returns the process and node's version."""
        env = {**os.environ, **interop_env()}
        stderr = tempfile.TemporaryFile()
        proc = await asyncio.create_subprocess_exec(
            env["MASTRA_INTEROP_NODE"], "--expose-gc", str(SCRIPT), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=stderr, env=env, limit=2**24)
        ref = cls(proc, stderr)
        try:
            reply = await ref._ask({"cmd": "open", "backend": backend, "config": config, "more": more})
        except BaseException:
            await ref.close()
            raise
        return ref, str(reply.get("node", ""))

    async def run(self, op: str, n: int, warmup: int) -> tuple[list[float], float, float]:
        """``warmup`` untimed calls, then ``n`` timed ones: (per-call ms, whole loop ms, node's CPU ms in the loop)."""
        reply = await self._ask({"cmd": "run", "op": op, "n": n, "warmup": warmup})
        return [float(s) for s in reply["samples_ms"]], float(reply["total_ms"]), float(reply["cpu_ms"])

    async def collect(self) -> None:
        """A full collection in node (as ``gc.collect()`` here): after a warm-up pass, before the timed rounds."""
        await self._ask({"cmd": "gc"})

    async def close(self) -> None:
        """Ask node to close the store and exit; kill it if it does not within 30 s."""
        proc = self._proc
        try:
            if proc.returncode is None and proc.stdin is not None and not proc.stdin.is_closing():
                proc.stdin.write(b'{"cmd": "close"}\n')
                await proc.stdin.drain()
                proc.stdin.close()
            await asyncio.wait_for(proc.wait(), 30)
        except (TimeoutError, OSError):
            proc.kill()
            await proc.wait()
        finally:
            self._stderr.close()

    async def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request).encode() + b"\n")
        await proc.stdin.drain()
        while True:
            line = await asyncio.wait_for(proc.stdout.readline(), REPLY_TIMEOUT_S)
            if not line:
                raise RuntimeError(f"reference node exited ({proc.returncode}): {self._stderr_tail()}")
            text = line.decode(errors="replace")
            if text.startswith(MARK):
                reply: dict[str, Any] = json.loads(text[len(MARK):])
                if not reply.get("ok"):
                    raise RuntimeError(f"reference {request['cmd']} failed: {reply.get('error')}")
                return reply

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        tail: bytes = self._stderr.read()
        return tail.decode(errors="replace")[-2000:]
