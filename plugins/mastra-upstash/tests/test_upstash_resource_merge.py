"""update_resource merges inside its Lua script by splicing the stored JSON text: every value keeps its exact bytes
(cjson would round floats to 14 digits, turn an empty list into an object and reorder keys)."""

from __future__ import annotations

from mastra_core.records import Resource

ODD = {
    "float": 0.1 + 0.2,
    "big": 2**53 - 1,
    "tiny": 5e-324,
    "empty_list": [],
    "empty_obj": {},
    "text": 'q"uote \\ back\\slash } ] , : {"x": 1} \u2028 \u00e9 \U0001f600',
    "nested": {"a": [1, {"b": None, "c": "]}"}], "d": {"e": []}},
    'key with "quotes" and }': True,
    "\u00e9t\u00e9": None,
}


async def test_the_merge_keeps_every_stored_value_exactly(make_store) -> None:
    store = await make_store()
    mem = store.memory
    await mem.save_resource(resource=Resource(id="r", working_memory="wm", metadata=ODD))
    patch = {"float": 1e-7, "new": [[], {}], "nested": {"z": 1}, "\u00e9t\u00e9": "\u00e9t\u00e9 \U0001f600"}
    got = await mem.update_resource(resource_id="r", metadata=patch)
    expected = {**ODD, **patch}
    assert got.metadata == expected and list(got.metadata) == list(expected)
    assert got.working_memory == "wm"
    stored = await mem.get_resource_by_id(resource_id="r")
    assert stored == got


async def test_working_memory_set_alone_and_a_missing_resource_created(make_store) -> None:
    store = await make_store()
    mem = store.memory
    text = 'line\n"quoted" \\ {not json'
    created = await mem.update_resource(resource_id="new", working_memory=text)
    assert created.working_memory == text and created.metadata == {} and created.created_at == created.updated_at
    again = await mem.update_resource(resource_id="new", working_memory=None)
    assert again.working_memory is None and again.updated_at > created.updated_at
    assert again.created_at == created.created_at
    merged = await mem.update_resource(resource_id="new", metadata={})
    assert merged.metadata == {} and merged.updated_at > again.updated_at
    assert await mem.get_resource_by_id(resource_id="new") == merged
