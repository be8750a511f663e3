"""Threads: save/get/update/delete, upserts keeping created_at, updated_at bumps, pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from mastra_core.clock import utc_now

from .factories import base_time, ids, ms, raises_not_found, sample_message, sample_thread, uid


async def test_save_thread_returns_the_thread_and_get_round_trips(memory) -> None:
    thread = sample_thread()
    saved = await memory.save_thread(thread=thread)
    assert saved == thread
    assert await memory.get_thread_by_id(thread_id=thread.id) == thread


@pytest.mark.parametrize("thread_id", ["12345", "0", "thread with spaces", "Thread-ÄÖÜ-名前", "a:b/c?d#e", "x" * 200])
async def test_thread_ids_of_any_shape_round_trip(memory, thread_id: str) -> None:
    thread = sample_thread(id=f"{thread_id}-{uid()}")
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got is not None and got.id == thread.id


async def test_get_unknown_thread_is_none(memory) -> None:
    assert await memory.get_thread_by_id(thread_id=uid("missing-")) is None


async def test_thread_ids_are_case_sensitive(memory) -> None:
    base = uid("Thread-")
    upper = sample_thread(id=base.upper(), title="upper")
    lower = sample_thread(id=base.lower(), title="lower")
    await memory.save_thread(thread=upper)
    await memory.save_thread(thread=lower)
    assert (await memory.get_thread_by_id(thread_id=upper.id)).title == "upper"
    assert (await memory.get_thread_by_id(thread_id=lower.id)).title == "lower"


async def test_thread_timestamps_round_trip_to_the_millisecond(memory) -> None:
    created = datetime(2024, 2, 29, 23, 59, 59, 123000, tzinfo=UTC)
    updated = datetime(2024, 3, 1, 0, 0, 0, 999000, tzinfo=UTC)
    thread = sample_thread(created_at=created, updated_at=updated)
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.created_at == created and got.updated_at == updated
    assert got.created_at.utcoffset() == timedelta(0)


async def test_non_utc_timestamps_are_stored_as_the_same_instant(memory) -> None:
    tz = timezone(timedelta(hours=5, minutes=30))
    created = datetime(2024, 6, 1, 12, 0, 0, 456000, tzinfo=tz)
    thread = sample_thread(created_at=created, updated_at=created)
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.created_at == created
    assert got.created_at.utcoffset() == timedelta(0)


async def test_sub_millisecond_precision_is_truncated(memory) -> None:
    created = datetime(2024, 6, 1, 12, 0, 0, 456789, tzinfo=UTC)
    thread = sample_thread(created_at=created, updated_at=created)
    saved = await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.created_at == created.replace(microsecond=456000) == saved.created_at


async def test_get_and_list_return_identical_timestamps(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    listed = await memory.list_threads(filter={"resource_id": thread.resource_id})
    assert [(t.created_at, t.updated_at) for t in listed] == [(got.created_at, got.updated_at)]


async def test_thread_without_title_or_metadata(memory) -> None:
    thread = sample_thread(title=None, metadata=None)
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.title is None
    assert not got.metadata


async def test_empty_metadata_round_trips(memory) -> None:
    thread = sample_thread(metadata={})
    await memory.save_thread(thread=thread)
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == {}


async def test_large_metadata_and_special_titles_survive(memory) -> None:
    metadata = {f"key_{i}": {"nested": [i, str(i) * 50, {"deep": i % 2 == 0}]} for i in range(200)}
    title = "Emoji 🎉🧵 \"double\" 'single' `back` \\ slash\nnewline\ttab"
    thread = sample_thread(title=title, metadata=metadata)
    await memory.save_thread(thread=thread)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.title == title
    assert got.metadata == metadata


async def test_save_thread_upsert_keeps_created_at_and_replaces_the_rest(memory) -> None:
    t0 = base_time()
    thread = sample_thread(created_at=t0, updated_at=t0, title="first", metadata={"a": 1, "b": 2})
    await memory.save_thread(thread=thread)
    again = sample_thread(
        id=thread.id,
        resource_id=thread.resource_id,
        created_at=t0 + ms(5000),
        updated_at=t0 + ms(6000),
        title="second",
        metadata={"c": 3},
    )
    saved = await memory.save_thread(thread=again)
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert got.created_at == t0
    assert saved.created_at == t0
    assert (got.title, got.metadata, got.updated_at) == ("second", {"c": 3}, t0 + ms(6000))


async def test_save_thread_upsert_can_change_resource(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    other = uid("resource-")
    await memory.save_thread(thread=sample_thread(id=thread.id, resource_id=other))
    assert (await memory.get_thread_by_id(thread_id=thread.id)).resource_id == other
    assert (await memory.list_threads(filter={"resource_id": thread.resource_id})).total == 0
    assert ids(await memory.list_threads(filter={"resource_id": other})) == [thread.id]


async def test_update_thread_replaces_title_and_shallow_merges_metadata(memory) -> None:
    thread = sample_thread(metadata={"key": "value", "nested": {"a": 1, "b": 2}})
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, title="Updated", metadata={"new": "x", "nested": {"c": 3}})
    assert updated.title == "Updated"
    assert updated.metadata == {"key": "value", "new": "x", "nested": {"c": 3}}
    assert await memory.get_thread_by_id(thread_id=thread.id) == updated


async def test_update_thread_keeps_id_resource_and_created_at(memory) -> None:
    t0 = base_time()
    thread = sample_thread(created_at=t0, updated_at=t0)
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, title="x")
    assert (updated.id, updated.resource_id, updated.created_at) == (thread.id, thread.resource_id, t0)


async def test_update_thread_bumps_updated_at(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    first = await memory.update_thread(id=thread.id, title="one")
    second = await memory.update_thread(id=thread.id, title="two")
    assert thread.updated_at < first.updated_at < second.updated_at
    assert (await memory.get_thread_by_id(thread_id=thread.id)).updated_at == second.updated_at


async def test_update_thread_bumps_updated_at_even_when_it_was_in_the_future(memory) -> None:
    future = utc_now() + timedelta(hours=1)
    thread = sample_thread(updated_at=future)
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, title="later")
    assert updated.updated_at > future


async def test_update_thread_title_only_keeps_metadata(memory) -> None:
    thread = sample_thread(metadata={"keep": [1, 2]})
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, title="only title")
    assert updated.metadata == {"keep": [1, 2]}
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == {"keep": [1, 2]}


async def test_update_thread_metadata_only_keeps_title(memory) -> None:
    thread = sample_thread(title="Original")
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, metadata={"k2": 2})
    assert updated.title == "Original"
    assert updated.metadata == {"key": "value", "k2": 2}


async def test_update_thread_metadata_on_thread_without_metadata(memory) -> None:
    thread = sample_thread(metadata=None)
    await memory.save_thread(thread=thread)
    updated = await memory.update_thread(id=thread.id, metadata={"a": None, "b": False})
    assert updated.metadata == {"a": None, "b": False}
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == {"a": None, "b": False}


async def test_update_missing_thread_is_not_found(memory) -> None:
    missing = uid("missing-")
    with raises_not_found(memory, "UPDATE_THREAD"):
        await memory.update_thread(id=missing, title="x")
    assert await memory.get_thread_by_id(thread_id=missing) is None


async def test_modify_thread_applies_a_change_atomically(memory) -> None:
    thread = sample_thread(metadata={"count": 0})
    await memory.save_thread(thread=thread)

    def incr(t):
        return attrs.evolve(t, metadata={**t.metadata, "count": t.metadata["count"] + 1})

    out = await memory.modify_thread(thread_id=thread.id, change=incr)
    assert out.metadata == {"count": 1}
    assert (await memory.get_thread_by_id(thread_id=thread.id)).metadata == {"count": 1}


async def test_modify_missing_thread_is_not_found(memory) -> None:
    with raises_not_found(memory, "MODIFY_THREAD"):
        await memory.modify_thread(thread_id=uid(), change=lambda t: t)


async def test_delete_thread_removes_thread_and_messages(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msgs = [sample_message(thread.id, f"m{i}") for i in range(3)]
    await memory.save_messages(messages=msgs)
    await memory.delete_thread(thread_id=thread.id)
    assert await memory.get_thread_by_id(thread_id=thread.id) is None
    page = await memory.list_messages(thread_id=thread.id)
    assert (page.items, page.total) == ([], 0)
    assert await memory.list_messages_by_id(message_ids=ids(msgs)) == []


async def test_delete_thread_leaves_other_threads_and_resources(memory) -> None:
    a, b = sample_thread(), sample_thread()
    await memory.save_thread(thread=a)
    await memory.save_thread(thread=b)
    kept = sample_message(b.id)
    await memory.save_messages(messages=[sample_message(a.id), kept])
    resource = await memory.update_resource(resource_id=a.resource_id, working_memory="wm")
    await memory.delete_thread(thread_id=a.id)
    assert await memory.get_thread_by_id(thread_id=b.id) is not None
    assert ids(await memory.list_messages(thread_id=b.id)) == [kept.id]
    assert await memory.get_resource_by_id(resource_id=a.resource_id) == resource


async def test_delete_missing_thread_is_fine(memory) -> None:
    await memory.delete_thread(thread_id=uid("missing-"))
    assert await memory.list_threads() is not None


async def test_deleted_thread_can_be_recreated_empty(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    await memory.save_messages(messages=[sample_message(thread.id)])
    await memory.delete_thread(thread_id=thread.id)
    await memory.save_thread(thread=thread)
    assert (await memory.list_messages(thread_id=thread.id)).total == 0


async def test_saving_a_message_strictly_increases_thread_updated_at(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    await memory.save_messages(messages=[sample_message(thread.id)])
    after_first = (await memory.get_thread_by_id(thread_id=thread.id)).updated_at
    assert after_first > thread.updated_at
    await memory.save_messages(messages=[sample_message(thread.id)])
    assert (await memory.get_thread_by_id(thread_id=thread.id)).updated_at > after_first


async def test_save_messages_does_not_change_thread_created_at_title_or_metadata(memory) -> None:
    thread = sample_thread(created_at=base_time())
    await memory.save_thread(thread=thread)
    await memory.save_messages(messages=[sample_message(thread.id)])
    got = await memory.get_thread_by_id(thread_id=thread.id)
    assert (got.created_at, got.title, got.metadata, got.resource_id) == (
        thread.created_at,
        thread.title,
        thread.metadata,
        thread.resource_id,
    )


@pytest.mark.parametrize(("page", "count", "has_more"), [(0, 7, True), (1, 7, True), (2, 3, False), (3, 0, False)])
async def test_list_threads_pagination_17_by_7(memory, page: int, count: int, has_more: bool) -> None:
    resource = uid("resource-")
    t0 = base_time()
    for i in range(17):
        await memory.save_thread(
            thread=sample_thread(resource_id=resource, created_at=t0 + ms(i), updated_at=t0 + ms(i))
        )
    result = await memory.list_threads(filter={"resource_id": resource}, page=page, per_page=7)
    assert (len(result.items), result.total, result.page, result.per_page, result.has_more) == (
        count,
        17,
        page,
        7,
        has_more,
    )


async def test_list_threads_per_page_is_echoed(memory) -> None:
    resource = uid("resource-")
    await memory.save_thread(thread=sample_thread(resource_id=resource))
    result = await memory.list_threads(filter={"resource_id": resource}, per_page=100)
    assert (result.per_page, result.total, len(result), result.has_more) == (100, 1, 1, False)


async def test_list_threads_default_page_size_is_100(memory) -> None:
    result = await memory.list_threads()
    assert (result.page, result.per_page) == (0, 100)


async def test_list_threads_per_page_false_returns_everything(memory) -> None:
    resource = uid("resource-")
    made = [sample_thread(resource_id=resource) for _ in range(12)]
    for t in made:
        await memory.save_thread(thread=t)
    result = await memory.list_threads(filter={"resource_id": resource}, per_page=False)
    assert result.per_page is False
    assert (result.total, len(result), result.has_more) == (12, 12, False)
    assert set(ids(result)) == set(ids(made))


async def test_list_threads_per_page_zero_returns_an_empty_page_with_total(memory) -> None:
    resource = uid("resource-")
    for _ in range(3):
        await memory.save_thread(thread=sample_thread(resource_id=resource))
    result = await memory.list_threads(filter={"resource_id": resource}, per_page=0)
    assert (result.items, result.total, result.per_page) == ([], 3, 0)


async def test_list_threads_by_resource_returns_exactly_its_threads(memory) -> None:
    resource, other = uid("resource-"), uid("resource-")
    mine = [sample_thread(resource_id=resource) for _ in range(3)]
    for t in [*mine, sample_thread(resource_id=other), sample_thread(resource_id=other)]:
        await memory.save_thread(thread=t)
    result = await memory.list_threads(filter={"resource_id": resource})
    assert sorted(ids(result)) == sorted(ids(mine))
    assert result.total == 3


async def test_list_threads_accepts_camel_case_resource_filter(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    assert ids(await memory.list_threads(filter={"resourceId": thread.resource_id})) == [thread.id]
