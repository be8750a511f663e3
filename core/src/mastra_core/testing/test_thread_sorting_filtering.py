"""list_threads: ordering on created_at/updated_at, stable pages, resource and metadata filters (deep equality per
key)."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_core import OrderBy

from .factories import base_time, ids, ms, sample_thread, uid

# created_at offsets and updated_at offsets chosen so the two orders differ
_CREATED = [0, 10, 20, 30, 40]
_UPDATED = [40, 0, 30, 10, 20]


async def _five(memory) -> tuple[str, list[Any]]:
    resource = uid("resource-")
    t0 = base_time()
    threads = [
        sample_thread(id=f"t{i}-{uid()}", resource_id=resource, created_at=t0 + ms(c), updated_at=t0 + ms(u))
        for i, (c, u) in enumerate(zip(_CREATED, _UPDATED, strict=True))
    ]
    for t in reversed(threads):  # insertion order must not matter
        await memory.save_thread(thread=t)
    return resource, threads


def _order(threads: list[Any], field: str, direction: str) -> list[str]:
    return ids(sorted(threads, key=lambda t: getattr(t, field), reverse=direction == "DESC"))


async def test_default_order_is_created_at_desc(memory) -> None:
    resource, threads = await _five(memory)
    result = await memory.list_threads(filter={"resource_id": resource})
    assert ids(result) == _order(threads, "created_at", "DESC")


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_order_by_field_and_direction(memory, field: str, direction: str) -> None:
    resource, threads = await _five(memory)
    result = await memory.list_threads(
        filter={"resource_id": resource}, order_by=OrderBy(field=field, direction=direction)
    )
    assert ids(result) == _order(threads, field, direction)


@pytest.mark.parametrize(
    ("order_by", "field", "direction"),
    [
        ({"field": "updated_at"}, "updated_at", "DESC"),
        ({"direction": "ASC"}, "created_at", "ASC"),
        ({"field": "updatedAt", "direction": "ASC"}, "updated_at", "ASC"),
        ({"field": "createdAt", "direction": "desc"}, "created_at", "DESC"),
        ({}, "created_at", "DESC"),
    ],
)
async def test_partial_order_by_uses_defaults(memory, order_by: dict[str, str], field: str, direction: str) -> None:
    resource, threads = await _five(memory)
    result = await memory.list_threads(filter={"resource_id": resource}, order_by=order_by)
    assert ids(result) == _order(threads, field, direction)


@pytest.mark.parametrize("field", ["created_at", "updated_at"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_sort_is_stable_across_pages(memory, field: str, direction: str) -> None:
    resource, threads = await _five(memory)
    order = {"field": field, "direction": direction}
    whole = ids(await memory.list_threads(filter={"resource_id": resource}, order_by=order, per_page=False))
    pages: list[str] = []
    for page in range(3):
        pages += ids(await memory.list_threads(filter={"resource_id": resource}, order_by=order, page=page, per_page=2))
    assert pages == whole == _order(threads, field, direction)


async def test_identical_timestamps_return_every_thread_and_pages_never_repeat(memory) -> None:
    resource = uid("resource-")
    t0 = base_time()
    made = [sample_thread(resource_id=resource, created_at=t0, updated_at=t0) for _ in range(9)]
    for t in made:
        await memory.save_thread(thread=t)
    for direction in ("ASC", "DESC"):
        seen: list[str] = []
        for page in range(4):
            result = await memory.list_threads(
                filter={"resource_id": resource}, page=page, per_page=3, order_by={"direction": direction}
            )
            assert result.total == 9
            seen += ids(result)
        assert sorted(seen) == sorted(ids(made))
        assert len(seen) == len(set(seen)) == 9


async def test_empty_result(memory) -> None:
    result = await memory.list_threads(filter={"resource_id": uid("nobody-")}, order_by={"field": "updated_at"})
    assert (result.items, result.total, result.has_more) == ([], 0, False)


async def test_single_thread(memory) -> None:
    thread = sample_thread()
    await memory.save_thread(thread=thread)
    result = await memory.list_threads(filter={"resource_id": thread.resource_id}, order_by={"direction": "ASC"})
    assert (ids(result), result.total, result.has_more) == ([thread.id], 1, False)


async def test_update_thread_moves_it_to_the_front_of_updated_at_desc(memory) -> None:
    resource, threads = await _five(memory)
    oldest = _order(threads, "updated_at", "ASC")[0]
    await memory.update_thread(id=oldest, title="touched")
    result = await memory.list_threads(filter={"resource_id": resource}, order_by={"field": "updated_at"})
    assert ids(result)[0] == oldest


async def test_sort_combined_with_resource_and_metadata_filters(memory) -> None:
    resource = uid("resource-")
    t0 = base_time()
    want = []
    for i in range(6):
        t = sample_thread(
            resource_id=resource,
            metadata={"kind": "a" if i % 2 == 0 else "b"},
            created_at=t0 + ms(i),
            updated_at=t0 + ms(100 - i),
        )
        await memory.save_thread(thread=t)
        if i % 2 == 0:
            want.append(t)
    await memory.save_thread(thread=sample_thread(metadata={"kind": "a"}))  # another resource
    result = await memory.list_threads(
        filter={"resource_id": resource, "metadata": {"kind": "a"}},
        order_by={"field": "updated_at", "direction": "ASC"},
    )
    assert ids(result) == _order(want, "updated_at", "ASC")
    assert result.total == 3


# ------------------------------------------------------------------------------------------- filters


async def test_no_filter_returns_all_threads(memory) -> None:
    made = [sample_thread() for _ in range(4)]
    for t in made:
        await memory.save_thread(thread=t)
    result = await memory.list_threads()
    assert sorted(ids(result)) == sorted(ids(made))
    assert result.total == 4


async def test_filter_by_one_metadata_key(memory) -> None:
    tag = uid()
    a = sample_thread(metadata={"tag": tag, "other": 1})
    b = sample_thread(metadata={"tag": "different"})
    for t in (a, b):
        await memory.save_thread(thread=t)
    assert ids(await memory.list_threads(filter={"metadata": {"tag": tag}})) == [a.id]


async def test_filter_by_several_metadata_keys_is_and(memory) -> None:
    tag = uid()
    both = sample_thread(metadata={"tag": tag, "priority": "high"})
    one = sample_thread(metadata={"tag": tag, "priority": "low"})
    for t in (both, one):
        await memory.save_thread(thread=t)
    result = await memory.list_threads(filter={"metadata": {"tag": tag, "priority": "high"}})
    assert ids(result) == [both.id]


async def test_filter_by_resource_and_metadata(memory) -> None:
    tag = uid()
    resource = uid("resource-")
    hit = sample_thread(resource_id=resource, metadata={"tag": tag})
    wrong_resource = sample_thread(metadata={"tag": tag})
    wrong_meta = sample_thread(resource_id=resource, metadata={"tag": "x"})
    for t in (hit, wrong_resource, wrong_meta):
        await memory.save_thread(thread=t)
    assert ids(await memory.list_threads(filter={"resource_id": resource, "metadata": {"tag": tag}})) == [hit.id]


async def test_filter_without_match_is_empty(memory) -> None:
    await memory.save_thread(thread=sample_thread(metadata={"tag": "a"}))
    result = await memory.list_threads(filter={"metadata": {"tag": uid()}})
    assert (result.items, result.total, result.has_more) == ([], 0, False)


async def test_thread_without_the_key_never_matches(memory) -> None:
    tag = uid()
    with_key = sample_thread(metadata={"tag": tag, "flag": None})
    without_key = sample_thread(metadata={"tag": tag})
    no_metadata = sample_thread(metadata=None)
    for t in (with_key, without_key, no_metadata):
        await memory.save_thread(thread=t)
    assert ids(await memory.list_threads(filter={"metadata": {"tag": tag, "flag": None}})) == [with_key.id]


async def test_empty_metadata_filter_matches_everything(memory) -> None:
    resource = uid("resource-")
    made = [sample_thread(resource_id=resource, metadata=m) for m in ({"a": 1}, {}, None)]
    for t in made:
        await memory.save_thread(thread=t)
    assert sorted(ids(await memory.list_threads(filter={"resource_id": resource, "metadata": {}}))) == sorted(ids(made))


async def test_paginated_metadata_filter(memory) -> None:
    tag = uid()
    t0 = base_time()
    for i in range(2):
        await memory.save_thread(thread=sample_thread(metadata={"tag": tag}, created_at=t0 + ms(i)))
    await memory.save_thread(thread=sample_thread(metadata={"tag": "noise"}))
    first = await memory.list_threads(filter={"metadata": {"tag": tag}}, page=0, per_page=1)
    second = await memory.list_threads(filter={"metadata": {"tag": tag}}, page=1, per_page=1)
    assert (len(first), first.total, first.has_more) == (1, 2, True)
    assert (len(second), second.total, second.has_more) == (1, 2, False)
    assert ids(first) != ids(second)


async def test_per_page_false_with_filter(memory) -> None:
    tag = uid()
    for _ in range(5):
        await memory.save_thread(thread=sample_thread(metadata={"tag": tag}))
    result = await memory.list_threads(filter={"metadata": {"tag": tag}}, per_page=False)
    assert (len(result), result.total, result.per_page, result.has_more) == (5, 5, False, False)


# Deep equality per key: (stored value, filter value, matches?)
_DEEP_CASES = [
    ("string", "string", True),
    ("string", "String", False),
    ("1", 1, False),
    (1, "1", False),
    (1, 1, True),
    (1.5, 1.5, True),
    (1, 1.0, True),
    (0, False, False),
    (True, True, True),
    (True, 1, False),
    (1, True, False),
    (False, False, True),
    (False, None, False),
    (None, None, True),
    (None, False, False),
    ({"a": 1, "b": {"c": [1, 2]}}, {"a": 1, "b": {"c": [1, 2]}}, True),
    ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
    ({"a": 1, "b": 2}, {"a": 1}, False),
    ({"a": 1}, {"a": 1, "b": 2}, False),
    ({"a": {"b": 1}}, {"a": {"b": "1"}}, False),
    ([1, 2, 3], [1, 2, 3], True),
    ([1, 2, 3], [3, 2, 1], False),
    ([1, 2, 3], [1, 2], False),
    ([1, 2], 1, False),
    ([{"x": 1}], [{"x": 1}], True),
    ([], [], True),
    ({}, {}, True),
    ({}, [], False),
    ("", "", True),
    ("", None, False),
    ("héllo 🌍", "héllo 🌍", True),
]


@pytest.mark.parametrize(("stored", "wanted", "matches"), _DEEP_CASES, ids=[f"{s!r}~{w!r}" for s, w, _ in _DEEP_CASES])
async def test_metadata_filter_is_deep_equality_per_key(memory, stored: Any, wanted: Any, matches: bool) -> None:
    resource = uid("resource-")
    thread = sample_thread(resource_id=resource, metadata={"probe": stored, "other": "x"})
    await memory.save_thread(thread=thread)
    result = await memory.list_threads(filter={"resource_id": resource, "metadata": {"probe": wanted}})
    assert ids(result) == ([thread.id] if matches else [])
    assert result.total == (1 if matches else 0)


async def test_metadata_filter_sees_update_thread_changes(memory) -> None:
    tag = uid()
    thread = sample_thread(metadata={"tag": tag, "state": "open"})
    await memory.save_thread(thread=thread)
    await memory.update_thread(id=thread.id, metadata={"state": "closed"})
    assert ids(await memory.list_threads(filter={"metadata": {"tag": tag, "state": "closed"}})) == [thread.id]
    assert ids(await memory.list_threads(filter={"metadata": {"tag": tag, "state": "open"}})) == []


async def test_metadata_filter_keys_are_case_sensitive(memory) -> None:
    tag = uid()
    thread = sample_thread(metadata={"Tag": tag})
    await memory.save_thread(thread=thread)
    assert ids(await memory.list_threads(filter={"metadata": {"Tag": tag}})) == [thread.id]
    assert ids(await memory.list_threads(filter={"metadata": {"tag": tag}})) == []
