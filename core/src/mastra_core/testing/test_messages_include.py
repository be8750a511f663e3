"""list_messages include windows: neighbours in the target's own thread, across threads and resources, de-duplicated."""

from __future__ import annotations

import attrs
import pytest

from mastra_core import MessageInclude

from .factories import base_time, ids, messages_in_order, ms, sample_message, sample_thread, texts, uid


async def _thread_with(memory, n: int, *, resource_id: str | None = None, start=None):
    thread = sample_thread(resource_id=resource_id or uid("resource-"))
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, n, start=start or base_time(), resource_id=thread.resource_id)
    if msgs:
        await memory.save_messages(messages=msgs)
    return thread, msgs


# (target index, previous, next) in a thread of 8 -> indices returned with per_page=0
_WINDOWS = [
    (3, 0, 0, [3]),
    (3, 2, 0, [1, 2, 3]),
    (3, 0, 2, [3, 4, 5]),
    (3, 1, 1, [2, 3, 4]),
    (3, 10, 0, [0, 1, 2, 3]),
    (3, 0, 10, [3, 4, 5, 6, 7]),
    (0, 3, 1, [0, 1]),
    (7, 1, 3, [6, 7]),
    (0, 0, 7, [0, 1, 2, 3, 4, 5, 6, 7]),
    (7, 7, 0, [0, 1, 2, 3, 4, 5, 6, 7]),
]


@pytest.mark.parametrize(("target", "prev", "nxt", "want"), _WINDOWS)
async def test_include_window_shapes(memory, target: int, prev: int, nxt: int, want: list[int]) -> None:
    thread, msgs = await _thread_with(memory, 8)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[{"id": msgs[target].id, "with_previous_messages": prev, "with_next_messages": nxt}],
    )
    assert ids(page) == [msgs[i].id for i in want]
    assert page.total == 8


async def test_per_page_zero_with_include_returns_only_the_window(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[MessageInclude(id=msgs[2].id, with_previous_messages=1, with_next_messages=1)],
    )
    assert texts(page.items) == ["m1", "m2", "m3"]
    assert (page.total, page.has_more, page.per_page) == (5, True, 0)


async def test_camel_case_include_keys(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[{"id": msgs[2].id, "threadId": thread.id, "withPreviousMessages": 2, "withNextMessages": 1}],
    )
    assert ids(page) == ids(msgs[0:4])


async def test_include_is_merged_with_the_page_without_duplicates(memory) -> None:
    thread, msgs = await _thread_with(memory, 10)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=3,
        include=[{"id": msgs[2].id, "with_previous_messages": 1, "with_next_messages": 2}],
    )
    assert ids(page) == ids(msgs[0:5])
    assert (page.total, page.has_more) == (10, True)


async def test_include_plus_pagination_can_cover_the_whole_thread(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    page = await memory.list_messages(
        thread_id=thread.id, per_page=3, include=[{"id": msgs[1].id, "with_next_messages": 10}]
    )
    assert ids(page) == ids(msgs)
    assert (page.total, page.has_more) == (5, False)


async def test_include_window_outside_the_page_is_sorted_into_place(memory) -> None:
    thread, msgs = await _thread_with(memory, 10)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=2,
        page=2,
        include=[{"id": msgs[8].id, "with_previous_messages": 0, "with_next_messages": 1}, {"id": msgs[0].id}],
    )
    assert ids(page) == [msgs[i].id for i in (0, 4, 5, 8, 9)]
    assert page.has_more is True


async def test_include_with_desc_order(memory) -> None:
    thread, msgs = await _thread_with(memory, 6)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=2,
        order_by={"direction": "DESC"},
        include=[{"id": msgs[1].id, "with_previous_messages": 1}],
    )
    assert ids(page) == [msgs[i].id for i in (5, 4, 1, 0)]


async def test_overlapping_windows_are_deduplicated(memory) -> None:
    thread, msgs = await _thread_with(memory, 8)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[
            {"id": msgs[3].id, "with_previous_messages": 2, "with_next_messages": 2},
            {"id": msgs[4].id, "with_previous_messages": 2, "with_next_messages": 2},
            {"id": msgs[3].id},
        ],
    )
    assert ids(page) == ids(msgs[1:7])
    assert len(set(ids(page))) == len(page)


async def test_nonexistent_include_id_is_ignored(memory) -> None:
    thread, msgs = await _thread_with(memory, 3)
    page = await memory.list_messages(
        thread_id=thread.id, include=[{"id": uid("missing-"), "with_previous_messages": 5}]
    )
    assert ids(page) == ids(msgs)
    assert page.total == 3
    empty = await memory.list_messages(thread_id=thread.id, per_page=0, include=[{"id": uid("missing-")}])
    assert empty.items == []


async def test_include_from_another_thread_is_returned_but_not_counted(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    other, other_msgs = await _thread_with(memory, 3)
    page = await memory.list_messages(thread_id=thread.id, include=[{"id": other_msgs[1].id, "thread_id": other.id}])
    assert set(ids(page)) == set(ids(msgs)) | {other_msgs[1].id}
    assert len(page) == 6
    assert page.total == 5


async def test_include_window_stays_in_the_targets_own_thread(memory) -> None:
    # both threads' messages interleave in time; the window must walk the target's thread only
    a, b = sample_thread(), sample_thread()
    await memory.save_thread(thread=a)
    await memory.save_thread(thread=b)
    t0 = base_time()
    msgs = [sample_message(a.id if i % 2 == 0 else b.id, f"m{i}", created_at=t0 + ms(i)) for i in range(10)]
    await memory.save_messages(messages=msgs)
    b_msgs = [m for m in msgs if m.thread_id == b.id]
    page = await memory.list_messages(
        thread_id=a.id, per_page=0, include=[{"id": b_msgs[2].id, "with_previous_messages": 1, "with_next_messages": 1}]
    )
    assert ids(page) == ids(b_msgs[1:4])
    assert page.total == 5


async def test_include_thread_id_is_only_a_hint(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    other, _ = await _thread_with(memory, 2)
    page = await memory.list_messages(
        thread_id=other.id, per_page=0, include=[{"id": msgs[2].id, "thread_id": other.id, "with_previous_messages": 1}]
    )
    assert ids(page) == ids(msgs[1:3])


async def test_include_across_resources(memory) -> None:
    t0 = base_time()
    thread, msgs = await _thread_with(memory, 4, start=t0)
    foreign, foreign_msgs = await _thread_with(memory, 4, start=t0 + ms(10))
    assert foreign.resource_id != thread.resource_id
    page = await memory.list_messages(
        thread_id=thread.id,
        resource_id=thread.resource_id,
        per_page=1,
        include=[{"id": foreign_msgs[3].id, "with_previous_messages": 1}],
    )
    assert ids(page) == [msgs[0].id, *ids(foreign_msgs[2:4])]
    assert page.total == 4


async def test_include_from_several_threads_is_merged_in_time_order(memory) -> None:
    t0 = base_time()
    a, a_msgs = await _thread_with(memory, 3, start=t0)
    b, b_msgs = await _thread_with(memory, 3, start=t0 + ms(100))
    c, c_msgs = await _thread_with(memory, 3, start=t0 + ms(50))
    page = await memory.list_messages(
        thread_id=a.id,
        per_page=0,
        include=[{"id": b_msgs[0].id, "with_next_messages": 1}, {"id": c_msgs[2].id}, {"id": a_msgs[0].id}],
    )
    assert ids(page) == [a_msgs[0].id, c_msgs[2].id, b_msgs[0].id, b_msgs[1].id]


async def test_include_ignores_the_date_range_filter(memory) -> None:
    thread, msgs = await _thread_with(memory, 6)
    page = await memory.list_messages(
        thread_id=thread.id,
        filter={"date_range": {"start": msgs[4].created_at}},
        include=[{"id": msgs[0].id, "with_next_messages": 1}],
    )
    assert ids(page) == [msgs[i].id for i in (0, 1, 4, 5)]
    assert page.total == 2


async def test_include_with_per_page_false(memory) -> None:
    thread, msgs = await _thread_with(memory, 4)
    _, others = await _thread_with(memory, 2)
    page = await memory.list_messages(thread_id=thread.id, per_page=False, include=[{"id": others[0].id}])
    assert len(page) == 5
    assert (page.total, page.has_more) == (4, False)


async def test_has_more_false_when_include_already_returned_every_thread_message(memory) -> None:
    thread, msgs = await _thread_with(memory, 4)
    page = await memory.list_messages(
        thread_id=thread.id, per_page=1, include=[{"id": msgs[0].id, "with_next_messages": 3}]
    )
    assert ids(page) == ids(msgs)
    assert page.has_more is False


async def test_include_window_with_equal_timestamps_follows_save_order(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0) for i in range(7)]
    await memory.save_messages(messages=msgs)
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[{"id": msgs[3].id, "with_previous_messages": 2, "with_next_messages": 2}],
    )
    assert ids(page) == ids(msgs[1:6])


async def test_include_window_after_a_move_uses_the_new_thread(memory) -> None:
    t0 = base_time()
    a, a_msgs = await _thread_with(memory, 4, start=t0)
    b, b_msgs = await _thread_with(memory, 4, start=t0 + ms(2))
    moved = a_msgs[1]
    await memory.save_messages(messages=[attrs.evolve(moved, thread_id=b.id)])
    page = await memory.list_messages(
        thread_id=a.id, per_page=0, include=[{"id": moved.id, "with_previous_messages": 1, "with_next_messages": 1}]
    )
    # moved keeps its created_at (t0+1ms); in b it sits before b_msgs[0] (t0+2ms)
    assert ids(page) == [moved.id, b_msgs[0].id]


async def test_include_window_skips_deleted_messages(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    await memory.delete_messages(message_ids=[msgs[1].id, msgs[3].id])
    page = await memory.list_messages(
        thread_id=thread.id,
        per_page=0,
        include=[{"id": msgs[2].id, "with_previous_messages": 1, "with_next_messages": 1}],
    )
    assert ids(page) == [msgs[0].id, msgs[2].id, msgs[4].id]
    gone = await memory.list_messages(thread_id=thread.id, per_page=0, include=[{"id": msgs[1].id}])
    assert gone.items == []
