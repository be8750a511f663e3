"""Resources: save/get, update_resource (create if missing, shallow metadata merge), modify_resource, edge values."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from .factories import base_time, ms, sample_resource, uid


async def test_save_and_get_round_trip(memory) -> None:
    resource = sample_resource()
    saved = await memory.save_resource(resource=resource)
    assert saved == resource
    assert await memory.get_resource_by_id(resource_id=resource.id) == resource


async def test_given_id_and_dates_survive(memory) -> None:
    created = datetime(2023, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    resource = sample_resource(id=f"user-{uid()}", created_at=created, updated_at=created)
    await memory.save_resource(resource=resource)
    got = await memory.get_resource_by_id(resource_id=resource.id)
    assert (got.id, got.created_at, got.updated_at) == (resource.id, created, created)


async def test_unknown_resource_is_none(memory) -> None:
    assert await memory.get_resource_by_id(resource_id=uid("missing-")) is None


async def test_resource_ids_are_case_sensitive(memory) -> None:
    base = uid("User-")
    await memory.save_resource(resource=sample_resource(id=base.upper(), working_memory="upper"))
    await memory.save_resource(resource=sample_resource(id=base.lower(), working_memory="lower"))
    assert (await memory.get_resource_by_id(resource_id=base.upper())).working_memory == "upper"
    assert (await memory.get_resource_by_id(resource_id=base.lower())).working_memory == "lower"


async def test_save_resource_upsert_keeps_created_at(memory) -> None:
    t0 = base_time()
    resource = sample_resource(created_at=t0, updated_at=t0)
    await memory.save_resource(resource=resource)
    again = attrs.evolve(
        resource, working_memory="second", metadata={"n": 2}, created_at=t0 + ms(5000), updated_at=t0 + ms(6000)
    )
    saved = await memory.save_resource(resource=again)
    got = await memory.get_resource_by_id(resource_id=resource.id)
    assert got == saved
    assert (got.created_at, got.updated_at, got.working_memory, got.metadata) == (t0, t0 + ms(6000), "second", {"n": 2})


async def test_update_both_fields(memory) -> None:
    resource = sample_resource()
    await memory.save_resource(resource=resource)
    updated = await memory.update_resource(resource_id=resource.id, working_memory="new wm", metadata={"extra": 1})
    assert updated.working_memory == "new wm"
    assert updated.metadata == {"key": "value", "test": True, "extra": 1}
    assert await memory.get_resource_by_id(resource_id=resource.id) == updated


async def test_update_working_memory_only_keeps_metadata(memory) -> None:
    resource = sample_resource()
    await memory.save_resource(resource=resource)
    updated = await memory.update_resource(resource_id=resource.id, working_memory="only wm")
    assert (updated.working_memory, updated.metadata) == ("only wm", resource.metadata)


async def test_update_metadata_only_keeps_working_memory_and_merges_shallowly(memory) -> None:
    resource = sample_resource(metadata={"a": {"x": 1}, "b": 2})
    await memory.save_resource(resource=resource)
    updated = await memory.update_resource(resource_id=resource.id, metadata={"a": {"y": 2}, "c": 3})
    assert updated.working_memory == resource.working_memory
    assert updated.metadata == {"a": {"y": 2}, "b": 2, "c": 3}


async def test_update_of_a_missing_resource_creates_it(memory) -> None:
    rid = uid("new-")
    created = await memory.update_resource(resource_id=rid, working_memory="fresh")
    assert (created.id, created.working_memory, created.metadata) == (rid, "fresh", {})
    assert created.created_at == created.updated_at
    assert await memory.get_resource_by_id(resource_id=rid) == created


async def test_update_of_a_missing_resource_with_metadata_only(memory) -> None:
    rid = uid("new-")
    created = await memory.update_resource(resource_id=rid, metadata={"k": "v"})
    assert created.working_memory is None
    assert (await memory.get_resource_by_id(resource_id=rid)).metadata == {"k": "v"}


async def test_update_keeps_created_at_and_bumps_updated_at(memory) -> None:
    t0 = base_time()
    resource = sample_resource(created_at=t0, updated_at=t0)
    await memory.save_resource(resource=resource)
    first = await memory.update_resource(resource_id=resource.id, working_memory="1")
    second = await memory.update_resource(resource_id=resource.id, working_memory="2")
    assert first.created_at == second.created_at == t0
    assert t0 < first.updated_at < second.updated_at


async def test_empty_working_memory_is_kept_as_empty_string(memory) -> None:
    resource = sample_resource(working_memory="")
    await memory.save_resource(resource=resource)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).working_memory == ""
    updated = await memory.update_resource(resource_id=resource.id, working_memory="")
    assert updated.working_memory == ""


async def test_absent_working_memory_stays_none(memory) -> None:
    resource = sample_resource(working_memory=None)
    await memory.save_resource(resource=resource)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).working_memory is None


async def test_working_memory_can_be_cleared_with_none(memory) -> None:
    resource = sample_resource()
    await memory.save_resource(resource=resource)
    await memory.update_resource(resource_id=resource.id, working_memory=None)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).working_memory is None


async def test_empty_metadata_survives(memory) -> None:
    resource = sample_resource(metadata={})
    await memory.save_resource(resource=resource)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).metadata == {}


async def test_absent_metadata_stays_falsy(memory) -> None:
    resource = sample_resource(metadata=None)
    await memory.save_resource(resource=resource)
    assert not (await memory.get_resource_by_id(resource_id=resource.id)).metadata


async def test_deeply_nested_metadata_with_nulls_survives(memory) -> None:
    metadata = {
        "level1": {"level2": {"level3": {"value": None, "list": [None, 1, {"x": None}], "flag": False}}},
        "top": None,
        "n": 0,
        "f": 1.25,
    }
    resource = sample_resource(metadata=metadata)
    await memory.save_resource(resource=resource)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).metadata == metadata


@pytest.mark.parametrize("size", [10 * 1024, 100 * 1024])
async def test_large_working_memory_survives(memory, size: int) -> None:
    text = ("# Working memory\n- fact: 🧠 " * (size // 20))[:size]
    resource = sample_resource(working_memory=text)
    await memory.save_resource(resource=resource)
    assert (await memory.get_resource_by_id(resource_id=resource.id)).working_memory == text


async def test_json_working_memory_is_opaque_text(memory) -> None:
    text = '{"name": "Ada", "prefs": {"tea": true}, "list": [1, 2]}'
    rid = uid()
    await memory.update_resource(resource_id=rid, working_memory=text)
    assert (await memory.get_resource_by_id(resource_id=rid)).working_memory == text


async def test_modify_resource_sees_none_when_missing_and_the_record_after(memory) -> None:
    rid = uid()
    seen = []

    def change(old):
        seen.append(old)
        base = old or sample_resource(id=rid, working_memory="", metadata={"n": 0})
        return attrs.evolve(base, metadata={"n": base.metadata["n"] + 1})

    first = await memory.modify_resource(resource_id=rid, change=change)
    second = await memory.modify_resource(resource_id=rid, change=change)
    assert seen[0] is None and seen[-1] is not None
    assert (first.metadata, second.metadata) == ({"n": 1}, {"n": 2})
    assert (await memory.get_resource_by_id(resource_id=rid)).metadata == {"n": 2}


async def test_resources_are_independent_of_threads(memory) -> None:
    from .factories import sample_thread

    thread = sample_thread()
    await memory.save_thread(thread=thread)
    assert await memory.get_resource_by_id(resource_id=thread.resource_id) is None
