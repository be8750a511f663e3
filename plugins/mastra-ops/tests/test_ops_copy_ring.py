"""``mastra copy`` around a ring of backends at volume, each hop killed (SIGKILL) partway and resumed.

One store is seeded; each hop copies the previous hop's target into the next backend with ``mastra copy`` in a
subprocess, killed a third of the way through the messages and run again from its checkpoint. After every hop the
target's digest (per record kind: count and checksum of the canonical records, each message's position in its
thread and each record's stored expiry included) must equal the seeded source's: ids, order, timestamps and TTLs
are carried exactly through every hop, not just the last one.

Every backend is a source and a target: libsql -> pg -> dynamodb -> upstash -> libsql at ``MASTRA_COPY_SCALE``
messages, and upstash -> mongodb -> libsql at ``MASTRA_COPY_SCALE_MONGODB`` (on the test MongoDB, jongodb, every
write command costs time growing with the square of its collection's size, whatever the command: see
bench/jongodb_writes.py). The same rings at 100k messages, each hop killed and resumed too, timed and with each
process's peak RSS: bench/bench_copy.py (results in the mastra-ops README and bench/results/copy.json).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from mastra_core import Storage, open_storage
from mastra_core.retention import ENTITIES
from mastra_ops.copy import digest
from mastra_ops.seed import seed
from mastra_ops.stream import Selection
from ops_support import cli_options, copy_killed_and_resumed, harness, place

#: Messages per ring (20 threads); CI: 2000 through libsql, pg, dynamodb and upstash (about 4 min on the loaded
#: 2-core CI machine: DynamoDB Local takes 0.3-0.6 s per 100-item transaction), 400 through mongodb (about 1 min).
SCALE = int(os.environ.get("MASTRA_COPY_SCALE", "2000"))
SCALE_MONGODB = int(os.environ.get("MASTRA_COPY_SCALE_MONGODB", "400"))
THREADS = 20
#: ``MASTRA_COPY_RING=pg,dynamodb,upstash`` runs another chain in place of the first ring (runs by hand).
RING = os.environ.get("MASTRA_COPY_RING", "libsql,pg,dynamodb,upstash,libsql").split(",")
RINGS = {
    "-".join(RING): (RING, SCALE),
    "upstash-mongodb-libsql": (["upstash", "mongodb", "libsql"], SCALE_MONGODB),
}
#: Every record but messages expires (in 30 days, distinct per record as each was written at its own instant); the
#: messages never do: their expiry is carried all the same (the verification hashes "never"), and DynamoDB sets an
#: expiry with one UpdateItem per item, which would double the time of the dynamodb hop.
TTL = {e: {"default_ttl_seconds": 30 * 86400} for e in ENTITIES if e != "message"}


async def _open(backend: str, ns: str, tmp: Path, **overrides: Any) -> Storage:
    if backend == "libsql":
        return open_storage(place(backend, ns, tmp)[0], **overrides)
    return await harness(backend).make_storage(ns, **overrides)  # creates the DynamoDB table (TTL on)


def _copy_killed_and_resumed(src: tuple[str, dict[str, Any]], dst: tuple[str, dict[str, Any]], checkpoint: Path,
                             page_size: int, messages: int) -> str:
    """``mastra copy`` killed a third of the way through the messages, then resumed; the output of its runs."""
    args = [sys.executable, "-m", "mastra_core.cli", "copy", src[0], dst[0], *cli_options("--src-option", src[1]),
            *cli_options("--dst-option", dst[1]), "--checkpoint", str(checkpoint), "--page-size", str(page_size),
            "--quiet"]
    log = checkpoint.with_suffix(".log")
    copy_killed_and_resumed(args, log, checkpoint, messages // 3)
    return log.read_text()


@pytest.mark.parametrize("ring", list(RINGS))
def test_copy_ring_killed_and_resumed_at_every_hop(tmp_path: Path, ring: str) -> None:
    chain, messages = RINGS[ring]
    per_thread = messages // THREADS
    page_size = max(10, min(1000, per_thread // 4))  # several pages per thread: the kill lands between pages
    namespaces = [f"ops_ring_{uuid.uuid4().hex[:8]}_{i}" for i in range(len(chain))]

    async def prepare() -> dict[str, Any]:
        src = await _open(chain[0], namespaces[0], tmp_path, ttl=TTL)
        try:
            await seed(src, threads=THREADS, messages=per_thread, same_ts=4, resources=5)
            return {k: d.as_json() for k, d in (await digest(src, Selection(), expiry=True)).items()}
        finally:
            await src.close()

    async def check(backend: str, ns: str) -> dict[str, Any]:
        dst = await _open(backend, ns, tmp_path)
        try:
            page = await dst.memory.list_messages(thread_id="thread-0007", per_page=5, page=2)
            assert [m.id for m in page.items] == [f"thread-0007-m{i:06d}" for i in range(10, 15)]
            assert (await dst.read_expiry("thread", [("thread-0007",)]) or {}).get(("thread-0007",)) is not None
            return {k: d.as_json() for k, d in (await digest(dst, Selection(), expiry=True)).items()}
        finally:
            await dst.close()

    async def create(backend: str, ns: str) -> None:
        if backend != "libsql":
            await (await _open(backend, ns, tmp_path)).close()

    try:
        expected = asyncio.run(prepare())
        assert expected["message"]["count"] == THREADS * per_thread
        for i in range(1, len(chain)):
            asyncio.run(create(chain[i], namespaces[i]))
            out = _copy_killed_and_resumed(place(chain[i - 1], namespaces[i - 1], tmp_path),
                                           place(chain[i], namespaces[i], tmp_path),
                                           tmp_path / f"hop{i}.json", page_size, messages)
            assert "(resumed)" in out and "DIFFERENT" not in out, out
            assert "TTLs preserved" in out, out
            assert asyncio.run(check(chain[i], namespaces[i])) == expected, f"{chain[i - 1]} -> {chain[i]}"
            summary = [line for line in out.splitlines() if line.startswith("copied ")]
            print(f"{chain[i - 1]} -> {chain[i]} verified (resumed run: {summary})", flush=True)  # shown with -s
    finally:
        for backend, ns in zip(chain, namespaces, strict=True):
            if backend != "libsql":
                asyncio.run(harness(backend).cleanup(ns))
