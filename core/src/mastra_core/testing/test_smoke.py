"""The shortest path through the contract: save a thread and a message and read them back."""

from __future__ import annotations

from .factories import sample_message, sample_thread


async def test_thread_and_message_round_trip(memory) -> None:
    thread = await memory.save_thread(thread=sample_thread())
    msg = sample_message(thread.id, resource_id=thread.resource_id)
    await memory.save_messages(messages=[msg])
    stored = await memory.get_thread_by_id(thread_id=thread.id)
    assert (stored.id, stored.resource_id, stored.title, stored.metadata, stored.created_at) == (
        thread.id, thread.resource_id, thread.title, thread.metadata, thread.created_at)
    assert stored.updated_at > thread.updated_at  # saving a message bumps the thread
    page = await memory.list_messages(thread_id=thread.id)
    assert [m.id for m in page] == [msg.id]
    assert page.items[0] == msg
