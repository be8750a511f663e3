"""TTL regressions found by the model-based test (test_stateful.py), replayed with mastra's test clock.

``advance_clock`` moves every ``utc_now`` of this process forward, so a record expires without sleeping;
each test resets the clock when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from mastra_core.clock import advance_clock, reset_clock
from mastra_core.records import Message

from .factories import base_time, sample_thread, uid

TTL = {"message": {"default_ttl_seconds": 100}, "thread": {"default_ttl_seconds": 100}}


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    yield
    reset_clock()


async def test_an_expired_message_saved_again_is_a_new_row_after_its_ties(make_storage) -> None:
    """The re-saved id takes a new place in the (created_at, sequence) order, as a new message does: it must not
    keep the sequence of the expired row it replaces (libsql kept the old rowid and sorted it first)."""
    storage = await make_storage(ttl=TTL)
    memory = storage.memory
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    at = base_time()
    a = Message.from_text("a", id=uid("a-"), thread_id=thread.id, resource_id=thread.resource_id, created_at=at)
    b = Message.from_text("b", id=uid("b-"), thread_id=thread.id, resource_id=thread.resource_id, created_at=at)
    await memory.save_messages(messages=[a])
    advance_clock(timedelta(seconds=60))
    await memory.save_messages(messages=[b])
    await memory.update_thread(id=thread.id, title="keeps the thread alive")
    advance_clock(timedelta(seconds=60))  # a expired (120 s), b (60 s) did not
    assert [m.id for m in await memory.list_messages(thread_id=thread.id)] == [b.id]
    await memory.save_messages(messages=[a])
    page = await memory.list_messages(thread_id=thread.id)
    assert [m.id for m in page] == [b.id, a.id]
    assert [m.id for m in await memory.list_messages_by_id(message_ids=[a.id, b.id])] == [b.id, a.id]
    desc = await memory.list_messages(thread_id=thread.id, order_by={"direction": "DESC"})
    assert [m.id for m in desc] == [a.id, b.id]
