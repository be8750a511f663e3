"""clone_thread: copies with new ids, clone metadata, filters and limits, error cases writing nothing."""

from __future__ import annotations

from datetime import datetime

from mastra_core.clock import utc_now

from .factories import (
    base_time,
    ids,
    messages_in_order,
    ms,
    raises_validation,
    sample_message,
    sample_thread,
    texts,
    uid,
)


async def _source(memory, n: int = 5, **kw):
    thread = sample_thread(metadata={"source": "meta"}, **kw)
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, n, start=base_time(), step_ms=1000, resource_id=thread.resource_id)
    if msgs:
        await memory.save_messages(messages=msgs)
    return thread, msgs


async def test_clone_copies_every_message_with_new_ids(memory) -> None:
    source, msgs = await _source(memory)
    result = await memory.clone_thread(source_thread_id=source.id)
    clone = result.thread
    assert clone.id != source.id
    assert clone.resource_id == source.resource_id
    copied = (await memory.list_messages(thread_id=clone.id)).items
    assert len(copied) == 5
    assert not set(ids(copied)) & set(ids(msgs))
    assert [(m.role, m.content, m.created_at, m.type) for m in copied] == [
        (m.role, m.content, m.created_at, m.type) for m in msgs
    ]
    assert all(m.thread_id == clone.id and m.resource_id == source.resource_id for m in copied)
    assert ids(result.cloned_messages) == ids(copied)


async def test_clone_leaves_the_source_untouched(memory) -> None:
    source, msgs = await _source(memory)
    before = await memory.get_thread_by_id(thread_id=source.id)
    await memory.clone_thread(source_thread_id=source.id)
    assert await memory.get_thread_by_id(thread_id=source.id) == before
    assert (await memory.list_messages(thread_id=source.id)).items == msgs


async def test_clone_thread_is_stored_and_returned_equal(memory) -> None:
    source, _ = await _source(memory)
    result = await memory.clone_thread(source_thread_id=source.id)
    assert await memory.get_thread_by_id(thread_id=result.thread.id) == result.thread


async def test_clone_metadata_and_default_title(memory) -> None:
    source, msgs = await _source(memory, title="Original")
    before = utc_now()
    result = await memory.clone_thread(source_thread_id=source.id, metadata={"mine": 1})
    meta = result.thread.metadata
    assert result.thread.title == "Clone of Original"
    assert "source" not in meta  # the source's metadata is not copied
    assert meta["mine"] == 1
    assert meta["clone"]["sourceThreadId"] == source.id
    assert meta["clone"]["lastMessageId"] == msgs[-1].id  # the source's last cloned message
    cloned_at = datetime.fromisoformat(meta["clone"]["clonedAt"].replace("Z", "+00:00"))
    assert cloned_at >= before
    assert result.thread.created_at >= before and result.thread.updated_at >= before


async def test_clone_of_an_untitled_thread_has_no_title(memory) -> None:
    source, _ = await _source(memory, title=None)
    result = await memory.clone_thread(source_thread_id=source.id)
    assert result.thread.title is None


async def test_clone_with_explicit_id_title_and_resource(memory) -> None:
    source, _ = await _source(memory)
    new_id, new_resource = uid("clone-"), uid("resource-")
    result = await memory.clone_thread(
        source_thread_id=source.id, new_thread_id=new_id, title="Custom", resource_id=new_resource
    )
    assert (result.thread.id, result.thread.title, result.thread.resource_id) == (new_id, "Custom", new_resource)
    copied = (await memory.list_messages(thread_id=new_id)).items
    assert {m.resource_id for m in copied} == {new_resource}
    assert ids(await memory.list_threads(filter={"resource_id": new_resource})) == [new_id]


async def test_message_limit_keeps_the_most_recent(memory) -> None:
    source, msgs = await _source(memory, 6)
    result = await memory.clone_thread(source_thread_id=source.id, options={"message_limit": 2})
    assert texts(result.cloned_messages) == ["m4", "m5"]
    assert texts((await memory.list_messages(thread_id=result.thread.id)).items) == ["m4", "m5"]


async def test_message_limit_larger_than_thread(memory) -> None:
    source, msgs = await _source(memory, 3)
    result = await memory.clone_thread(source_thread_id=source.id, options={"messageLimit": 10})
    assert texts(result.cloned_messages) == ["m0", "m1", "m2"]


async def test_date_filter_is_inclusive(memory) -> None:
    source, msgs = await _source(memory, 6)
    result = await memory.clone_thread(
        source_thread_id=source.id,
        options={"message_filter": {"start_date": msgs[1].created_at, "end_date": msgs[3].created_at}},
    )
    assert texts(result.cloned_messages) == ["m1", "m2", "m3"]


async def test_message_ids_filter_and_limit_combine(memory) -> None:
    source, msgs = await _source(memory, 6)
    result = await memory.clone_thread(
        source_thread_id=source.id,
        options={"messageFilter": {"messageIds": [msgs[0].id, msgs[2].id, msgs[5].id]}, "messageLimit": 2},
    )
    assert texts(result.cloned_messages) == ["m2", "m5"]


async def test_clone_of_an_empty_thread(memory) -> None:
    source, _ = await _source(memory, 0)
    result = await memory.clone_thread(source_thread_id=source.id)
    assert result.cloned_messages == []
    assert "lastMessageId" not in result.thread.metadata["clone"]
    assert (await memory.list_messages(thread_id=result.thread.id)).total == 0


async def test_clone_keeps_the_order_of_ties(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0) for i in range(5)]
    await memory.save_messages(messages=msgs)
    result = await memory.clone_thread(source_thread_id=thread.id)
    assert texts((await memory.list_messages(thread_id=result.thread.id)).items) == [f"m{i}" for i in range(5)]


async def test_a_clone_can_be_cloned(memory) -> None:
    source, _ = await _source(memory, 2)
    first = await memory.clone_thread(source_thread_id=source.id)
    second = await memory.clone_thread(source_thread_id=first.thread.id)
    assert second.thread.metadata["clone"]["sourceThreadId"] == first.thread.id
    assert len(second.cloned_messages) == 2


async def test_clone_of_missing_source_fails_and_writes_nothing(memory) -> None:
    new_id = uid("clone-")
    with raises_validation(memory, "CLONE_THREAD", "SOURCE_NOT_FOUND"):
        await memory.clone_thread(source_thread_id=uid("missing-"), new_thread_id=new_id)
    assert await memory.get_thread_by_id(thread_id=new_id) is None


async def test_clone_onto_an_existing_thread_fails_and_changes_nothing(memory) -> None:
    source, _ = await _source(memory, 3)
    target, target_msgs = await _source(memory, 1)
    before = await memory.get_thread_by_id(thread_id=target.id)
    with raises_validation(memory, "CLONE_THREAD", "THREAD_EXISTS"):
        await memory.clone_thread(source_thread_id=source.id, new_thread_id=target.id)
    assert await memory.get_thread_by_id(thread_id=target.id) == before
    assert (await memory.list_messages(thread_id=target.id)).items == target_msgs


async def test_clone_onto_itself_fails(memory) -> None:
    source, msgs = await _source(memory, 2)
    with raises_validation(memory, "CLONE_THREAD", "THREAD_EXISTS"):
        await memory.clone_thread(source_thread_id=source.id, new_thread_id=source.id)
    assert (await memory.list_messages(thread_id=source.id)).items == msgs


async def test_cloned_messages_are_independent_of_the_source(memory) -> None:
    source, msgs = await _source(memory, 2)
    result = await memory.clone_thread(source_thread_id=source.id)
    await memory.delete_thread(thread_id=source.id)
    assert (await memory.list_messages(thread_id=result.thread.id)).total == 2
    await memory.update_messages(messages=[{"id": result.cloned_messages[0].id, "content": {"content": "edited"}}])
    assert (await memory.list_messages_by_id(message_ids=[msgs[0].id])) == []


async def test_clone_uses_created_at_window_in_milliseconds(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0 + ms(i)) for i in range(4)]
    await memory.save_messages(messages=msgs)
    result = await memory.clone_thread(
        source_thread_id=thread.id, options={"message_filter": {"start_date": t0 + ms(1), "end_date": t0 + ms(2)}}
    )
    assert texts(result.cloned_messages) == ["m1", "m2"]


async def test_message_limit_zero_means_no_limit(memory) -> None:
    source, msgs = await _source(memory, 3)
    result = await memory.clone_thread(source_thread_id=source.id, options={"message_limit": 0})
    assert texts(result.cloned_messages) == ["m0", "m1", "m2"]


async def test_clone_with_a_filter_matching_nothing(memory) -> None:
    source, msgs = await _source(memory, 3)
    result = await memory.clone_thread(
        source_thread_id=source.id, options={"message_filter": {"message_ids": [uid("none-")]}}
    )
    assert result.cloned_messages == []
    assert await memory.get_thread_by_id(thread_id=result.thread.id) is not None
