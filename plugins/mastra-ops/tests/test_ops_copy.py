"""``copy`` between backends on their real services: every domain, exact (counts and checksums), resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mastra_core import Storage
from mastra_ops.copy import Checkpoint, copy, digest
from mastra_ops.seed import seed
from mastra_ops.stream import Selection

pytestmark = pytest.mark.asyncio

#: (source, target): every backend appears on both sides at least once.
PAIRS = [
    ("libsql", "pg"), ("pg", "mongodb"), ("mongodb", "dynamodb"), ("dynamodb", "upstash"),
    ("upstash", "mysql"), ("mysql", "libsql"),
]


async def _copy(src: Storage, dst: Storage, path: Path, selection: Selection = Selection(), **kw: Any) -> Any:
    checkpoint = Checkpoint.load_or_new(path, "src", "dst", selection)
    return await copy(src, dst, checkpoint, **kw)


@pytest.mark.parametrize(("a", "b"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
async def test_copy_every_domain_exactly(make: Any, tmp_path: Path, a: str, b: str) -> None:
    src, dst = await make(a), await make(b)
    seeded = await seed(src, threads=3, messages=250, same_ts=7)
    result = await _copy(src, dst, tmp_path / "cp.json", page_size=100)
    assert result.mismatches == []
    assert result.source is not None
    assert {k: d.count for k, d in result.source.items()} == seeded
    # spot checks beyond the checksum: order with equal timestamps, thread updated_at, working memory
    page = await dst.memory.list_messages(thread_id="thread-0001", per_page=False)
    assert [m.id for m in page.items] == [f"thread-0001-m{i:06d}" for i in range(250)]
    thread = await dst.memory.get_thread_by_id(thread_id="thread-0001")
    original = await src.memory.get_thread_by_id(thread_id="thread-0001")
    assert thread == original
    resource = await dst.memory.get_resource_by_id(resource_id="res-1")
    assert resource is not None and resource.working_memory == "# User 1\n- likes: tea"


async def test_copy_is_idempotent_and_resumes_from_a_checkpoint(make: Any, tmp_path: Path) -> None:
    src, dst = await make("libsql"), await make("pg")
    await seed(src, threads=4, messages=120, same_ts=5)
    path = tmp_path / "cp.json"

    class Crash(Exception):
        pass

    pages = 0

    def crash_after_some_pages(_: Any) -> None:
        nonlocal pages
        pages += 1
        if pages == 9:
            raise Crash

    with pytest.raises(Crash):
        await _copy(src, dst, path, page_size=50, on_page=crash_after_some_pages)
    saved = Checkpoint.load_or_new(path, "src", "dst", Selection())
    assert saved.domain == "memory" and not saved.finished and saved.copied["message"] > 0
    result = await _copy(src, dst, path, page_size=50)
    assert result.resumed and result.mismatches == []
    again = await _copy(src, dst, path, selection=Selection(), page_size=50)  # a finished copy: verify only
    assert again.mismatches == []


async def test_lanes_in_flight_resume_from_their_own_cursors(make: Any, tmp_path: Path) -> None:
    src, dst = await make("libsql"), await make("pg")
    await seed(src, threads=6, messages=60, same_ts=4, others=False)
    path, sel = tmp_path / "cp.json", Selection(domains=("memory",))

    class Crash(Exception):
        pass

    def crash_with_two_lanes_mid_thread(chunk: Any) -> None:
        if chunk.kind == "message" and sum(1 for v in chunk.cursor["lanes"].values() if isinstance(v, dict)) >= 2:
            raise Crash  # two lanes or more stand mid-thread

    with pytest.raises(Crash):
        await _copy(src, dst, path, sel, page_size=7, workers=3, on_page=crash_with_two_lanes_mid_thread)
    saved = Checkpoint.load_or_new(path, "src", "dst", sel)
    assert saved.cursor is not None
    lanes = saved.cursor["lanes"]
    assert sum(1 for v in lanes.values() if isinstance(v, dict)) >= 2
    result = await _copy(src, dst, path, sel, page_size=7, workers=2)  # another width resumes as well
    assert result.resumed and result.mismatches == []


async def test_a_sequential_cursor_resumes(make: Any, tmp_path: Path) -> None:
    """A checkpoint written before lanes (``{"thread_offset", "msg"}``) resumes where it stood."""
    src, dst = await make("libsql"), await make("libsql")
    await seed(src, threads=3, messages=30, same_ts=4, others=False)
    path, sel = tmp_path / "cp.json", Selection(domains=("memory",))

    class Crash(Exception):
        pass

    def crash_mid_second_thread(chunk: Any) -> None:
        if chunk.kind == "message" and chunk.cursor["thread_offset"] == 1 and chunk.cursor["lanes"].get("1"):
            raise Crash

    with pytest.raises(Crash):
        await _copy(src, dst, path, sel, page_size=10, workers=1, on_page=crash_mid_second_thread)
    saved = Checkpoint.load_or_new(path, "src", "dst", sel)
    assert saved.cursor is not None
    saved.cursor = {"thread_offset": 1, "msg": saved.cursor["lanes"]["1"]}
    saved.save()
    result = await _copy(src, dst, path, sel, page_size=10)
    assert result.resumed and result.mismatches == []


async def test_copy_one_resource_or_some_domains(make: Any, tmp_path: Path) -> None:
    src, dst = await make("libsql"), await make("mongodb")
    await seed(src, threads=4, messages=10, resources=2)
    result = await _copy(src, dst, tmp_path / "one.json", Selection(domains=("memory",), resource_id="res-1"))
    assert result.mismatches == []
    assert result.target is not None and result.target["thread"].count == 2
    assert (await dst.memory.list_threads()).total == 2
    assert await dst.workflows.get_workflow_run_by_id(run_id="run-0") is None
    await _copy(src, dst, tmp_path / "wf.json", Selection(domains=("workflows", "agents")))
    assert await dst.workflows.get_workflow_run_by_id(run_id="run-0") is not None
    assert (await dst.agents.list_agents()).total == 2


async def test_a_changed_order_is_a_different_checksum(make: Any) -> None:
    a, b = await make("libsql"), await make("libsql")
    await seed(a, threads=1, messages=6, same_ts=3, others=False)
    await seed(b, threads=1, messages=6, same_ts=3, others=False)
    sel = Selection(domains=("memory",))
    assert (await digest(a, sel))["message"] == (await digest(b, sel))["message"]
    msgs = (await b.memory.list_messages(thread_id="thread-0000", per_page=False)).items
    await b.memory.delete_messages(message_ids=[msgs[0].id])
    await b.memory.save_messages(messages=[msgs[0]])  # same record, now last among its equal timestamps
    assert (await digest(a, sel))["message"] != (await digest(b, sel))["message"]
