"""``copy`` keeps each record's expiry instant exactly, between every pair of backends (never re-stamped at copy
time, whatever the target's own TTL rules), and the verification checksums cover it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mastra_core import Storage
from mastra_core.backend.expiry import KINDS
from mastra_core.retention import ENTITIES
from mastra_ops.copy import Checkpoint, copy
from mastra_ops.seed import seed
from mastra_ops.stream import Selection

pytestmark = pytest.mark.asyncio

BACKENDS = ["libsql", "pg", "mongodb", "dynamodb", "upstash", "mysql"]
#: every backend as source and as target; with the 6 pairs of test_ops_copy, every ordered neighbour pair is run
PAIRS = [(a, b) for i, a in enumerate(BACKENDS) for b in BACKENDS[i + 1:]] + [
    (b, a) for i, a in enumerate(BACKENDS) for b in BACKENDS[i + 1:]] + [
    ("memory", "pg"), ("libsql", "memory")]  # the in-memory backend keeps each row's expiry too, both ways
SOURCE_TTL = {e: {"default_ttl_seconds": 3600} for e in ENTITIES}
#: the target's own rules differ: a re-stamped expiry would show
TARGET_TTL = {e: {"default_ttl_seconds": 60} for e in ENTITIES}
BASE = datetime(2031, 5, 4, 3, 2, 1, 123000, tzinfo=UTC)
KEYS: dict[str, list[tuple[str, ...]]] = {
    "resource": [("res-0",), ("res-1",)],
    "thread": [("thread-0000",), ("thread-0001",)],
    "message": [(f"thread-000{t}-m{i:06d}",) for t in range(2) for i in range(5)],
    "workflow_run": [("wf", f"run-{i}") for i in range(3)],
    "score": [(f"score-{i}",) for i in range(3)],
    "span": [("trace-0", "root"), ("trace-0", "llm"), ("trace-1", "root"), ("trace-1", "llm")],
}


def planned(kind: str) -> dict[tuple[str, ...], datetime | None]:
    """A distinct expiry per record (the first of each kind never expires)."""
    return {k: None if i == 0 else BASE + timedelta(seconds=i * 7, milliseconds=i)
            for i, k in enumerate(KEYS[kind])}


async def _expiries(storage: Storage, kind: str) -> Any:
    return await storage.read_expiry(kind, KEYS[kind])


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
async def test_copy_keeps_every_records_expiry(make: Any, tmp_path: Path, a: str, b: str) -> None:
    src = await make(a, ttl=SOURCE_TTL)
    dst = await make(b, ttl=TARGET_TTL)
    await seed(src, threads=2, messages=5, same_ts=2)
    for kind in KEYS:
        assert await src.write_expiry(kind, planned(kind)), kind
        assert await _expiries(src, kind) == planned(kind), kind  # the source holds exactly what was set
    checkpoint = Checkpoint.load_or_new(tmp_path / "cp.json", "src", "dst", Selection())
    result = await copy(src, dst, checkpoint, page_size=4)
    assert result.mismatches == [] and result.expiry_verified
    for kind in KEYS:
        assert await _expiries(dst, kind) == planned(kind), kind
    # the records are there and live: the earliest planned expiry is years away
    assert len((await dst.memory.list_messages(thread_id="thread-0001", per_page=False)).items) == 5


async def test_a_different_expiry_is_a_verification_difference(make: Any, tmp_path: Path) -> None:
    src, dst = await make("libsql", ttl=SOURCE_TTL), await make("pg", ttl=SOURCE_TTL)
    await seed(src, threads=1, messages=3, others=False)
    checkpoint = Checkpoint.load_or_new(tmp_path / "cp.json", "src", "dst", Selection(domains=("memory",)))
    assert (await copy(src, dst, checkpoint)).mismatches == []
    await dst.write_expiry("message", {("thread-0000-m000001",): BASE})
    again = await copy(src, dst, checkpoint)  # finished: verifies only
    assert again.mismatches == ["message"]


async def test_every_expiring_kind_is_covered() -> None:
    assert set(KEYS) | {"trace"} == set(KINDS)
