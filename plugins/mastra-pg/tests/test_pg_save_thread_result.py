"""save_thread builds its result from what it wrote and the stored ``createdAt`` (the upsert returns nothing else):
the result must equal what a read gives, be a copy (not the caller's objects), and keep an existing thread's
``createdAt``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from mastra_core.clock import utc_now
from mastra_core.records import Thread


async def test_save_thread_result_is_what_a_read_gives(make_store: Any) -> None:
    store = await make_store()
    mem = store.memory
    awkward = {"nul": "a\x00b", "marker": "x\uffffy", "big": 1e16, "tiny": 1e-7,
               "nested": {"list": [1, "two", None, True, {"k": 2.5}]}, "empty": {}, "unicode": "h\u00e9llo \U0001f600"}
    for meta in ({}, None, awkward):
        thread = Thread(id="t", resource_id="r", title="ti\x00tle \uffff", metadata=meta)
        saved = await mem.save_thread(thread=thread)
        read = await mem.get_thread_by_id(thread_id="t")
        assert saved == read
        if meta is not None:
            assert saved.metadata is not thread.metadata  # a copy: the caller's dict is not shared
            saved.metadata["added"] = 1
            assert "added" not in thread.metadata


async def test_save_thread_keeps_the_stored_created_at(make_store: Any) -> None:
    store = await make_store()
    mem = store.memory
    first = await mem.save_thread(thread=Thread(id="t", resource_id="r", created_at=utc_now() - timedelta(days=3)))
    later = Thread(id="t", resource_id="r", title="new", created_at=utc_now(), updated_at=utc_now())
    saved = await mem.save_thread(thread=later)
    assert saved.created_at == first.created_at != later.created_at
    assert saved.title == "new" and saved.updated_at == later.updated_at
    assert saved == await mem.get_thread_by_id(thread_id="t")
