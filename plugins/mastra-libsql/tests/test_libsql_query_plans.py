"""A 10k-message thread: last-N pages and include windows are index range scans (checked with EXPLAIN QUERY PLAN)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mastra_core.clock import utc_now
from mastra_core.records import Message, MessageContent, TextPart, Thread
from mastra_libsql import LibSQLStore
from mastra_libsql.connection import RecordingConnection, select_plan

N = 10_000
INDEX = "mastra_messages_thread_id_createdat_idx"


def _messages(thread_id: str, n: int, *, other: bool = False) -> list[Message]:
    t0 = utc_now() - timedelta(days=1)
    prefix = "o" if other else "m"
    return [
        Message(
            id=f"{prefix}{i:05d}",
            role="user",
            thread_id=thread_id,
            resource_id="r",
            content=MessageContent(parts=[TextPart(text=f"{prefix}{i}")], content=f"{prefix}{i}"),
            created_at=t0 + timedelta(milliseconds=i // 3),
        )  # runs of 3 equal timestamps: the rowid tie-break matters
        for i in range(n)
    ]


@pytest.fixture
async def big(tmp_path: Path) -> Any:
    store = LibSQLStore(id="plans", url=f"file:{tmp_path / 'plans.db'}")
    await store.init()
    now = utc_now()
    await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=now, updated_at=now))
    await store.memory.save_thread(thread=Thread(id="u", resource_id="r", created_at=now, updated_at=now))
    await store.memory.save_messages(messages=_messages("t", N))
    await store.memory.save_messages(messages=_messages("u", 2000, other=True))
    yield store
    await store.close()


def _assert_indexed(plan: list[str]) -> None:
    text = "\n".join(plan)
    assert f"USING INDEX {INDEX}" in text, text
    assert "SCAN mastra_messages" not in text, text  # never a full table scan
    assert "TEMP B-TREE" not in text, text  # the index order (createdAt, rowid) serves ORDER BY; no sort of the thread


async def test_last_ten_is_an_index_range_scan(big: LibSQLStore) -> None:
    plan, page = await select_plan(
        big,
        lambda: big.memory.list_messages(
            thread_id="t", per_page=10, order_by={"field": "createdAt", "direction": "DESC"}
        ),
    )
    _assert_indexed(plan)
    assert [m.id for m in page.items] == [f"m{i:05d}" for i in range(N - 1, N - 11, -1)]
    assert page.total == N and page.has_more


async def test_include_window_is_limited_index_scans(big: LibSQLStore) -> None:
    mid = N // 2 + 1  # inside a run of equal timestamps
    include = [{"id": f"m{mid:05d}", "withPreviousMessages": 2, "withNextMessages": 2}]
    plan, page = await select_plan(big, lambda: big.memory.list_messages(thread_id="u", per_page=0, include=include))
    _assert_indexed(plan)
    text = "\n".join(plan)
    assert "(thread_id=? AND createdAt<?)" in text and "(thread_id=? AND createdAt>?)" in text, text  # bounded ranges
    assert "sqlite_autoindex_mastra_messages_1 (id=?)" in text, text  # the target found by primary key
    assert [m.id for m in page.items] == [f"m{i:05d}" for i in range(mid - 2, mid + 3)]
    assert page.total == 2000 and page.has_more  # per_page=0: the window rows are not page rows (in-memory rule)


async def test_page_plus_include_windows_is_one_statement(big: LibSQLStore) -> None:
    include = [
        {"id": "m00100", "withPreviousMessages": 1, "withNextMessages": 1},
        {"id": "m09000", "withPreviousMessages": 3},
    ]
    plan, page = await select_plan(
        big,
        lambda: big.memory.list_messages(
            thread_id="t", per_page=5, page=0, include=include, order_by={"field": "createdAt", "direction": "DESC"}
        ),
    )
    _assert_indexed(plan)
    ids = [m.id for m in page.items]
    expected = {f"m{i:05d}" for i in [*range(N - 5, N), 99, 100, 101, 8997, 8998, 8999, 9000]}
    assert set(ids) == expected and len(ids) == len(expected)
    assert ids == sorted(ids, reverse=True)


async def test_messages_by_id_are_primary_key_lookups_from_one_json_parameter(big: LibSQLStore) -> None:
    ids = [f"m{i:05d}" for i in (9_000, 10, 5_000)] + ["o00007", "nope", "m00010"]  # two threads, a miss, a repeat
    plan, messages = await select_plan(big, lambda: big.memory.list_messages_by_id(message_ids=ids))
    text = "\n".join(plan)
    assert "sqlite_autoindex_mastra_messages_1 (id=?)" in text and "json_each" in text, text
    assert "SCAN mastra_messages" not in text, text
    # the repeat once, the miss left out, oldest first
    assert sorted(m.id for m in messages) == ["m00010", "m05000", "m09000", "o00007"]
    assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
    assert [m.id for m in messages if m.thread_id == "t"] == ["m00010", "m05000", "m09000"]


async def test_messages_by_ids_json_text_cannot_carry_are_bound_and_found_alike(tmp_path: Path) -> None:
    """An id holding the six characters ``\\u0000`` trips the JSON parameter's NUL guard: bound one by one instead."""
    store = LibSQLStore(id="byid", url=f"file:{tmp_path / 'byid.db'}")
    await store.init()
    try:
        odd = "m\\u0000x"  # a backslash, not a NUL
        now = utc_now()
        await store.memory.save_thread(thread=Thread(id="t", resource_id="r", created_at=now, updated_at=now))
        await store.memory.save_messages(messages=[
            Message.from_text(f"text {i}", id=mid, thread_id="t", resource_id="r",
                              created_at=now + timedelta(seconds=i))
            for i, mid in enumerate([odd, "plain"])])
        rec = RecordingConnection(store.db.conn)
        store.db.conn = rec
        try:
            found = await store.memory.list_messages_by_id(message_ids=["plain", odd])
        finally:
            store.db.conn = rec.inner
        assert [m.id for m in found] == [odd, "plain"] and found[0].text == "text 0"
        assert all("json_each" not in sql for sql, _ in rec.statements)  # the bound path
        assert [m.id for m in await store.memory.list_messages_by_id(message_ids=["plain"])] == ["plain"]
    finally:
        await store.close()
