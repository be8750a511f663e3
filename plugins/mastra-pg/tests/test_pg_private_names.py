"""The psycopg / psycopg_pool internals the fast paths read, and what happens without them.

The lean statement path (``lean.py``) imports psycopg's private query converter and reads ``conn._pipeline``; the
parked connection reads psycopg_pool's ``_waiting``/``_closed`` and ``conn._expire_at``. A release that moves any of
them must turn the fast path off, never break the store. The first test is the canary: it fails when the installed
releases no longer have them (so CI says so the day a dependency moves them, instead of the store silently getting
slower); the second does the same for asyncio's reader handles, which the socket watch keeps (``lean._Watch``);
the others run the store with each fast path off and compare what it returns with the fast path on.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from mastra_core.records import Message, Thread
from mastra_pg import lean


async def test_the_installed_psycopg_has_what_the_fast_paths_read(make_store: Any) -> None:
    assert lean.AVAILABLE, "psycopg._queries.PostgresQuery/_query2pg_nocache moved: lean.py now always falls back"
    store = await make_store(min_pool_size=1, max_pool_size=1)
    conn_obj = store.connection
    assert conn_obj._parks, "psycopg_pool's _waiting/_closed moved: connections are never parked"
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r"))
    parked = conn_obj._parked
    assert parked is not None, "a connection attribute the parking reads (_pipeline, _expire_at) moved"
    assert lean.usable(parked) and getattr(parked, "_mastra_lean", None) is not None  # the statement went lean


async def _workload(store: Any) -> list[Any]:
    """The single-statement ops of the issue-16 table (and a listing), their results as plain values."""
    mem, wf = store.memory, store.workflows
    out: list[Any] = []
    for i in range(3):
        saved = await mem.save_thread(thread=Thread(id=f"t{i}", resource_id="r", title=f"title {i}",
                                                    metadata={"i": i}))
        out.append((saved.id, saved.title, saved.metadata))
    await mem.save_messages(messages=[Message(id=f"m{i}", thread_id="t0", resource_id="r", role="user",
                                              content=f"hello {i}") for i in range(5)])
    got = await mem.get_thread_by_id(thread_id="t1")
    out.append((got.id, got.title, got.metadata) if got else None)
    page = await mem.list_threads(filter={"resource_id": "r"}, page=0, per_page=2)
    out.append(([t.id for t in page], page.total))
    msgs = await mem.list_messages(thread_id="t0")
    out.append([(m.id, m.content) for m in msgs])
    res = await mem.update_resource(resource_id="r", working_memory="# notes")
    out.append((res.id, res.working_memory))
    await wf.persist_workflow_snapshot(workflow_name="w", run_id="run", snapshot={"status": "running", "n": 1})
    snap = await wf.load_workflow_snapshot(workflow_name="w", run_id="run")
    out.append(snap)
    return out


def test_asyncio_hands_back_the_reader_handle_the_socket_watch_keeps() -> None:
    """``lean._Watch`` keeps the handle asyncio's selector loop returns from ``_add_reader`` (and its ``cancelled()``
    to see a reader replaced); an asyncio that returns none turns the watch off (a registration per wait again)."""
    assert asyncio.SelectorEventLoop in lean._SELECTOR_LOOPS, "no _add_reader/_remove_reader: watch off"
    loop = asyncio.SelectorEventLoop()
    left, right = socket.socketpair()
    try:
        handle = loop._add_reader(left.fileno(), lambda: None)
        assert isinstance(handle, asyncio.Handle), "_add_reader hands back no handle: the socket watch is off"
        replaced = loop._add_reader(left.fileno(), lambda: None)
        assert handle.cancelled() and not replaced.cancelled()  # a replaced reader's handle is cancelled
        loop._remove_reader(left.fileno())
        assert replaced.cancelled()
    finally:
        left.close()
        right.close()
        loop.close()


async def test_without_psycopg_internals_the_cursor_path_gives_the_same_results(
        make_store: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = await _workload(await make_store())
    assert fast[3] == ("t1", "title 1", {"i": 1}) and fast[4] == (["t2", "t1"], 3) and len(fast[5]) == 5
    monkeypatch.setattr(lean, "AVAILABLE", False)  # as on a psycopg whose private converter moved
    store = await make_store()
    slow = await _workload(store)
    assert slow == fast
    parked = store.connection._parked
    assert parked is None or getattr(parked, "_mastra_lean", None) is None  # no statement went the lean way


async def test_without_pool_internals_nothing_is_parked_and_results_are_the_same(make_store: Any) -> None:
    fast = await _workload(await make_store())
    store = await make_store()
    store.connection._parks = False  # what __init__ decides when psycopg_pool lacks _waiting/_closed
    slow = await _workload(store)
    assert slow == fast
    assert store.connection._parked is None
