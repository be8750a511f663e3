"""list_messages: pages, totals, has_more, per_page False/0, date ranges, resource filter, several threads."""

from __future__ import annotations

import pytest

from mastra_core import DateRange

from .factories import base_time, ids, messages_in_order, ms, sample_message, sample_thread, uid


async def _thread_with(memory, n: int, **kw):
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msgs = messages_in_order(thread.id, n, start=kw.pop("start", None) or base_time(), **kw)
    if msgs:
        await memory.save_messages(messages=msgs)
    return thread, msgs


async def test_default_call_returns_the_thread_in_v2_shape_oldest_first(memory) -> None:
    thread, msgs = await _thread_with(memory, 5)
    page = await memory.list_messages(thread_id=thread.id)
    assert page.items == msgs
    assert all(m.content.format == 2 and m.thread_id == thread.id for m in page)
    assert (page.total, page.page, page.per_page, page.has_more) == (5, 0, 40, False)


async def test_default_page_size_is_40(memory) -> None:
    thread, msgs = await _thread_with(memory, 45)
    page = await memory.list_messages(thread_id=thread.id)
    assert ids(page) == ids(msgs[:40])
    assert (page.total, page.per_page, page.has_more) == (45, 40, True)
    rest = await memory.list_messages(thread_id=thread.id, page=1)
    assert ids(rest) == ids(msgs[40:])
    assert rest.has_more is False


@pytest.mark.parametrize(
    ("page", "per_page", "want", "has_more"),
    [
        (0, 2, [0, 1], True),
        (1, 2, [2, 3], True),
        (2, 2, [4], False),
        (3, 2, [], False),
        (0, 5, [0, 1, 2, 3, 4], False),
        (0, 4, [0, 1, 2, 3], True),
        (1, 4, [4], False),
        (0, 100, [0, 1, 2, 3, 4], False),
        (0, 1, [0], True),
        (4, 1, [4], False),
        (10, 3, [], False),
    ],
)
async def test_pages_of_five(memory, page: int, per_page: int, want: list[int], has_more: bool) -> None:
    thread, msgs = await _thread_with(memory, 5)
    result = await memory.list_messages(thread_id=thread.id, page=page, per_page=per_page)
    assert ids(result) == [msgs[i].id for i in want]
    assert (result.total, result.page, result.per_page, result.has_more) == (5, page, per_page, has_more)


@pytest.mark.parametrize(
    ("page", "per_page", "want", "has_more"),
    [
        (0, 2, [4, 3], True),
        (1, 2, [2, 1], True),
        (2, 2, [0], False),
        (0, False, [4, 3, 2, 1, 0], False),
    ],
)
async def test_desc_pages(memory, page: int, per_page, want: list[int], has_more: bool) -> None:
    thread, msgs = await _thread_with(memory, 5)
    result = await memory.list_messages(
        thread_id=thread.id, page=page, per_page=per_page, order_by={"field": "created_at", "direction": "DESC"}
    )
    assert ids(result) == [msgs[i].id for i in want]
    assert result.has_more is has_more


async def test_order_by_direction_only_and_camel_case_field(memory) -> None:
    thread, msgs = await _thread_with(memory, 3)
    assert ids(await memory.list_messages(thread_id=thread.id, order_by={"direction": "DESC"})) == ids(msgs[::-1])
    assert ids(
        await memory.list_messages(thread_id=thread.id, order_by={"field": "createdAt", "direction": "ASC"})
    ) == ids(msgs)


async def test_per_page_false_returns_all_55(memory) -> None:
    thread, msgs = await _thread_with(memory, 55)
    page = await memory.list_messages(thread_id=thread.id, per_page=False)
    assert ids(page) == ids(msgs)
    assert (page.total, page.per_page, page.has_more, page.page) == (55, False, False, 0)


async def test_per_page_zero_is_an_empty_page_with_total(memory) -> None:
    thread, _ = await _thread_with(memory, 4)
    page = await memory.list_messages(thread_id=thread.id, per_page=0)
    assert (page.items, page.total, page.per_page, page.has_more) == ([], 4, 0, True)


async def test_per_page_zero_on_empty_thread(memory) -> None:
    thread, _ = await _thread_with(memory, 0)
    page = await memory.list_messages(thread_id=thread.id, per_page=0)
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_empty_thread(memory) -> None:
    thread, _ = await _thread_with(memory, 0)
    page = await memory.list_messages(thread_id=thread.id)
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_unknown_thread_is_empty_not_an_error(memory) -> None:
    page = await memory.list_messages(thread_id=uid("missing-"))
    assert (page.items, page.total, page.has_more) == ([], 0, False)


async def test_resource_filter_excludes_other_resources_in_the_same_thread(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    mine = sample_message(thread.id, "mine", resource_id=thread.resource_id, created_at=base_time())
    other = sample_message(thread.id, "other", resource_id=uid("other-"), created_at=base_time() + ms(1))
    await memory.save_messages(messages=[mine, other])
    page = await memory.list_messages(thread_id=thread.id, resource_id=thread.resource_id)
    assert ids(page) == [mine.id]
    assert page.total == 1
    assert (await memory.list_messages(thread_id=thread.id)).total == 2


async def test_date_range_start_is_inclusive_and_combines_with_pagination(memory) -> None:
    thread, msgs = await _thread_with(memory, 10, step_ms=1000)
    flt = {"date_range": {"start": msgs[5].created_at}}
    page = await memory.list_messages(thread_id=thread.id, filter=flt, per_page=3)
    assert ids(page) == ids(msgs[5:8])
    assert (page.total, page.has_more) == (5, True)
    last = await memory.list_messages(thread_id=thread.id, filter=flt, per_page=3, page=1)
    assert ids(last) == ids(msgs[8:])
    assert last.has_more is False


# (start index, end index, start_exclusive, end_exclusive) -> expected indices of 6 messages 1 s apart
_RANGES = [
    (1, 4, False, False, [1, 2, 3, 4]),
    (1, 4, True, False, [2, 3, 4]),
    (1, 4, False, True, [1, 2, 3]),
    (1, 4, True, True, [2, 3]),
    (2, 2, False, False, [2]),
    (2, 2, True, False, []),
    (2, 2, False, True, []),
    (None, 2, False, False, [0, 1, 2]),
    (None, 2, False, True, [0, 1]),
    (3, None, False, False, [3, 4, 5]),
    (3, None, True, False, [4, 5]),
    (4, 1, False, False, []),
]


@pytest.mark.parametrize(("start", "end", "sx", "ex", "want"), _RANGES)
async def test_date_range_bounds(memory, start, end, sx: bool, ex: bool, want: list[int]) -> None:
    thread, msgs = await _thread_with(memory, 6, step_ms=1000)
    rng = {
        "start": None if start is None else msgs[start].created_at,
        "end": None if end is None else msgs[end].created_at,
        "start_exclusive": sx,
        "end_exclusive": ex,
    }
    page = await memory.list_messages(thread_id=thread.id, filter={"date_range": rng})
    assert ids(page) == [msgs[i].id for i in want]
    assert page.total == len(want)


async def test_date_range_accepts_iso_strings_camel_case_and_date_range_objects(memory) -> None:
    thread, msgs = await _thread_with(memory, 5, step_ms=1000)
    iso = msgs[1].created_at.isoformat().replace("+00:00", "Z")
    a = await memory.list_messages(thread_id=thread.id, filter={"dateRange": {"start": iso, "startExclusive": True}})
    b = await memory.list_messages(
        thread_id=thread.id, filter={"date_range": DateRange(start=msgs[1].created_at, start_exclusive=True)}
    )
    assert ids(a) == ids(b) == ids(msgs[2:])


async def test_date_range_one_millisecond_apart(memory) -> None:
    thread, msgs = await _thread_with(memory, 3, step_ms=1)
    page = await memory.list_messages(
        thread_id=thread.id, filter={"date_range": {"start": msgs[1].created_at, "end": msgs[1].created_at}}
    )
    assert ids(page) == [msgs[1].id]
    page = await memory.list_messages(
        thread_id=thread.id,
        filter={
            "date_range": {
                "start": msgs[0].created_at,
                "start_exclusive": True,
                "end": msgs[2].created_at,
                "end_exclusive": True,
            }
        },
    )
    assert ids(page) == [msgs[1].id]


async def test_several_thread_ids_are_merged_in_order(memory) -> None:
    a, b = sample_thread(), sample_thread()
    await memory.save_thread(thread=a)
    await memory.save_thread(thread=b)
    t0 = base_time()
    msgs = [sample_message(a.id if i % 2 == 0 else b.id, f"m{i}", created_at=t0 + ms(i)) for i in range(6)]
    await memory.save_messages(messages=msgs)
    page = await memory.list_messages(thread_id=[a.id, b.id])
    assert ids(page) == ids(msgs)
    assert page.total == 6
    paged = await memory.list_messages(thread_id=[b.id, a.id], per_page=4, page=1)
    assert ids(paged) == ids(msgs[4:])
    assert paged.has_more is False


async def test_several_thread_ids_with_duplicates_and_unknown(memory) -> None:
    thread, msgs = await _thread_with(memory, 3)
    page = await memory.list_messages(thread_id=[thread.id, thread.id, uid("missing-")])
    assert ids(page) == ids(msgs)
    assert page.total == 3


async def test_a_single_thread_id_in_a_list(memory) -> None:
    thread, msgs = await _thread_with(memory, 2)
    assert ids(await memory.list_messages(thread_id=[thread.id])) == ids(msgs)


async def test_other_threads_never_leak(memory) -> None:
    thread, msgs = await _thread_with(memory, 3)
    _, others = await _thread_with(memory, 3)
    page = await memory.list_messages(thread_id=thread.id, per_page=False)
    assert ids(page) == ids(msgs)
    assert not set(ids(page)) & set(ids(others))


async def test_pages_concatenate_to_the_whole_thread(memory) -> None:
    thread, msgs = await _thread_with(memory, 23)
    for per_page in (1, 4, 7, 10, 23, 24):
        seen = []
        page = 0
        while True:
            result = await memory.list_messages(thread_id=thread.id, per_page=per_page, page=page)
            seen += ids(result)
            if not result.has_more:
                break
            page += 1
        assert seen == ids(msgs), per_page


async def test_messages_read_back_equal_to_what_was_saved(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(thread.id, "round trip", role="assistant", resource_id=thread.resource_id, type="text")
    await memory.save_messages(messages=[msg])
    assert (await memory.list_messages(thread_id=thread.id)).items == [msg]
    assert await memory.list_messages_by_id(message_ids=[msg.id]) == [msg]


@pytest.mark.parametrize("role", ["user", "assistant", "system", "tool"])
async def test_every_role_round_trips(memory, role: str) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    msg = sample_message(thread.id, role=role)
    await memory.save_messages(messages=[msg])
    assert [m.role for m in await memory.list_messages(thread_id=thread.id)] == [role]


@pytest.mark.slow
async def test_a_thousand_messages_page_without_skips_or_repeats(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    # groups of 10 share a timestamp: the tie-break is the order given
    msgs = [sample_message(thread.id, f"m{i}", created_at=t0 + ms(i // 10)) for i in range(1000)]
    for chunk in range(0, 1000, 250):
        await memory.save_messages(messages=msgs[chunk : chunk + 250])
    for direction, expected in (("ASC", ids(msgs)), ("DESC", ids(msgs)[::-1])):
        seen: list[str] = []
        for page in range(34):
            result = await memory.list_messages(
                thread_id=thread.id, per_page=30, page=page, order_by={"direction": direction}
            )
            assert result.total == 1000
            seen += ids(result)
            assert result.has_more is (page < 33)
        assert seen == expected
    last_ten = await memory.list_messages(thread_id=thread.id, per_page=10, order_by={"direction": "DESC"})
    assert ids(last_ten) == ids(msgs[-10:])[::-1]


@pytest.mark.slow
async def test_a_thread_larger_than_one_megabyte_returns_its_newest_messages(memory) -> None:
    """Backends that read a thread in size-limited pages (DynamoDB's 1 MB) must not stop at the first page."""
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    t0 = base_time()
    filler = "x" * 40_000
    msgs = [sample_message(thread.id, f"m{i} {filler}", created_at=t0 + ms(i)) for i in range(30)]
    for chunk in range(0, 30, 10):
        await memory.save_messages(messages=msgs[chunk : chunk + 10])
    newest = await memory.list_messages(thread_id=thread.id, per_page=5, order_by={"direction": "DESC"})
    assert ids(newest) == ids(msgs[-5:])[::-1]
    assert (newest.total, newest.has_more) == (30, True)
    window = await memory.list_messages(
        thread_id=thread.id, per_page=0, include=[{"id": msgs[-1].id, "with_previous_messages": 2}]
    )
    assert ids(window) == ids(msgs[-3:])
    whole = await memory.list_messages(thread_id=thread.id, per_page=False)
    assert ids(whole) == ids(msgs)
