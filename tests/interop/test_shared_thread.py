"""One thread written by both sides, listed by both: order, pages, include windows, thread lists.

Messages of both writers share times on purpose. Both sides must agree on the order wherever times
differ; Python's order is total (ties: each writer's save order kept, the same in every query), pages
concatenate to the full list, and include windows are slices of it. The reference orders ties by
nothing in particular (``ORDER BY createdAt``), so its tie order is compared as a set.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest

from . import dataset as d
from .conftest import Side
from .deviations import check

pytestmark = pytest.mark.asyncio


def groups(ids: list[str], times: dict[str, int]) -> list[frozenset[str]]:
    """The ids grouped by equal time, in list order (the reference's tie order is not defined)."""
    return [frozenset(g) for _, g in itertools.groupby(ids, key=lambda i: times[i])]


async def test_shared_thread(side: Side) -> None:
    """Both sides save into one thread; both list it whole, in pages, with include windows, and list threads."""
    u = uuid.uuid4().hex[:6]
    tid, tid2, rid = f"t-{u}", f"t2-{u}", f"r-{u}"
    side.ref.run()
    py = await side.py()
    mem = py.get_store("memory")
    await mem.save_thread(thread=d.thread(tid, rid, ms=0))
    ref_msgs = [d.message(f"r{i}-{u}", tid, rid, ms=ms, role=role) for i, (ms, role) in
                enumerate([(10, "user"), (20, "assistant"), (20, "user"), (30, "assistant"), (20, "user")])]
    py_msgs = [d.message(f"p{i}-{u}", tid, rid, ms=ms, role=role) for i, (ms, role) in
               enumerate([(5, "user"), (20, "assistant"), (20, "user"), (25, "assistant"), (40, "user")])]
    side.ref.values(("memory", "saveMessages", [{"messages": ref_msgs}]),
                    ("memory", "saveThread", [{"thread": d.thread(tid2, rid, ms=50)}]))
    await mem.save_messages(messages=py_msgs)
    times = {m["id"]: d.ms(m["createdAt"]) or 0 for m in ref_msgs + py_msgs}
    found: list[str] = []

    full = [m.id for m in (await mem.list_messages(thread_id=tid, per_page=False)).items]
    if [times[i] for i in full] != sorted(times[i] for i in full):
        found.append(f"py order: not by time {full}")
    for writer in ("r", "p"):  # each writer's save order is kept among equal times
        mine = [i for i in full if i.startswith(writer) and times[i] == 20]
        saved = [m["id"] for m in (ref_msgs if writer == "r" else py_msgs) if times[m["id"]] == 20]
        if mine != saved:
            found.append(f"py ties: {writer} save order {saved} listed as {mine}")
    desc = [m.id for m in (await mem.list_messages(thread_id=tid, per_page=False,
                                                     order_by={"field": "createdAt", "direction": "DESC"})).items]
    if desc != full[::-1]:
        found.append(f"py DESC is not ASC reversed: {desc}")
    pages = []
    for page in range(4):
        pages += [m.id for m in (await mem.list_messages(thread_id=tid, per_page=3, page=page)).items]
    if pages != full:
        found.append(f"py pages {pages} != full {full}")
    target = ref_msgs[2]["id"]  # a reference-written message among equal times
    at = full.index(target)
    window = (await mem.list_messages(thread_id=tid, per_page=0, include=[
        {"id": target, "withPreviousMessages": 2, "withNextMessages": 2}])).items
    if [m.id for m in window] != full[max(0, at - 2):at + 3]:
        found.append(f"py window {[m.id for m in window]} != {full[max(0, at - 2):at + 3]}")
    threads = [t.id for t in (await mem.list_threads(filter={"resource_id": rid})).items]

    # across sides, a window whose neighbours have distinct times (the reference's tie order is arbitrary)
    clear = ref_msgs[3]["id"]
    at = full.index(clear)
    clear_window = [m.id for m in (await mem.list_messages(thread_id=tid, per_page=0, include=[
        {"id": clear, "withPreviousMessages": 1, "withNextMessages": 1}])).items]
    if clear_window != full[at - 1:at + 2]:
        found.append(f"py window {clear_window} != {full[at - 1:at + 2]}")

    ref_full, ref_window, *ref_pages = side.ref.values(
        ("memory", "listMessages", [{"threadId": tid, "perPage": False}]),
        ("memory", "listMessages", [{"threadId": tid, "perPage": 0, "include": [
            {"id": clear, "withPreviousMessages": 1, "withNextMessages": 1}]}]),
        *(("memory", "listMessages", [{"threadId": tid, "perPage": 3, "page": p}]) for p in range(4)),
    )
    ref_ids = [m["id"] for m in ref_full["messages"]]
    if groups(ref_ids, times) != groups(full, times):
        found.append(f"ref order {ref_ids} != py {full} (beyond ties)")
    ref_paged = [m["id"] for p in ref_pages for m in p["messages"]]
    if sorted(ref_paged) != sorted(full):
        found.append(f"ref pages {ref_paged} do not cover {full}")
    if [m["id"] for m in ref_window["messages"]] != clear_window:
        found.append(f"ref window {[m['id'] for m in ref_window['messages']]} != py {clear_window}")
    ref_threads = _thread_ids(side, rid)
    if ref_threads != threads:
        found.append(f"threads: ref {ref_threads} != py {threads}")
    check(side.backend, "shared_thread", found)


def _thread_ids(side: Side, rid: str) -> list[str]:
    """The resource's threads as the reference lists them (newest first)."""
    if side.backend == "mongodb":  # 1.0.0-beta.6 names it listThreadsByResourceId
        (page,) = side.ref.values(("memory", "listThreadsByResourceId", [{"resourceId": rid}]))
    else:
        (page,) = side.ref.values(("memory", "listThreads", [{"filter": {"resourceId": rid}}]))
    threads: list[dict[str, Any]] = page["threads"]
    return [t["id"] for t in threads]
